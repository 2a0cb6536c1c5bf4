"""The layers of `nn`, one file per family (as in PyTorch's ``torch.nn.modules``)."""

from . import lazy, module  # module: PyTorch's path of Module and the global hooks
from .activation import *  # noqa: F403
from .attention import *  # noqa: F403
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .flatten import *  # noqa: F403
from .lazy import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403
from .rnn import *  # noqa: F403
from .sparse import *  # noqa: F403
from .transformer import *  # noqa: F403
from .upsampling import *  # noqa: F403

# the lazy 3-D convolutions, once the eager ones above exist (wherever they are defined)
globals().update(lazy.lazy_variants(globals()))
