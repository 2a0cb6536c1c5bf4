"""Fused primitives for neural networks: each hot compound is ONE graph node.

A fused node does the work of several elementary ops with one Python call and keeps only
what its backward needs, so training runs with less overhead and less memory:

- `linear`           x W^T + b
- `loss`             cross-entropy (log-softmax + NLL) and NLL
- `elementwise_loss` binary cross-entropy (on logits or probabilities), squared error
- `activation`       activations with cheap derivatives (GELU, SiLU, ELU, ...)
- `conv`             convolution as im2col + one GEMM, its transpose, unfold and fold
- `pool`             max and average pooling over sliding windows
- `adaptive_pool`    average and max pooling to a given output size
- `resample`         interpolation and upsampling
- `norm`             batch, layer and group normalisation
- `recurrent`        the RNN, LSTM and GRU cells (one node per time step)
- `sequence_layout`  a sequence into the cells' column layout (the input projection of
                     every step at once) and the per-step states back out
- `lstm_sequence`    the LSTM layer over a whole sequence as one node
- `dropout`          dropout with its mask

`nn` builds its layers from these; they are exported as ``autograd_core.fused``.
"""

from .activation import *  # noqa: F403
from .adaptive_pool import *  # noqa: F403
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .elementwise_loss import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .lstm_sequence import *  # noqa: F403
from .norm import *  # noqa: F403
from .pool import *  # noqa: F403
from .recurrent import *  # noqa: F403
from .resample import *  # noqa: F403
from .sequence_layout import *  # noqa: F403
