"""The layers of `nn`, one file per family (as in PyTorch's ``torch.nn.modules``)."""

from . import lazy, module  # module: PyTorch's path of Module and the global hooks
from .activation import *  # noqa: F403
from .adaptive import *  # noqa: F403
from .attention import *  # noqa: F403
from .container_legacy import *  # noqa: F403
from .conv import *  # noqa: F403
from .distance import *  # noqa: F403
from .dropout import *  # noqa: F403
from .flatten import *  # noqa: F403
from .fold import *  # noqa: F403
from .fractional_pool import *  # noqa: F403
from .instancenorm import *  # noqa: F403
from .lazy import *  # noqa: F403
from .linear import *  # noqa: F403
from .linear_cross_entropy import *  # noqa: F403
from .local_response_norm import *  # noqa: F403
from .loss import *  # noqa: F403
from .loss_likelihood import *  # noqa: F403
from .loss_margin import *  # noqa: F403
from .lp_pool import *  # noqa: F403
from .normalization import *  # noqa: F403
from .padding import *  # noqa: F403
from .pixelshuffle import *  # noqa: F403
from .pooling import *  # noqa: F403
from .pooling3d import *  # noqa: F403
from .rnn import *  # noqa: F403
from .sparse import *  # noqa: F403
from .transformer import *  # noqa: F403
from .unpool import *  # noqa: F403
from .upsampling import *  # noqa: F403

# the lazy 3-D convolutions, once the eager ones above exist (wherever they are defined)
globals().update(lazy.lazy_variants(globals()))
