"""`nn.functional`: the layers as functions (plays ``torch.nn.functional``).

Each function calls a fused primitive of ``autograd_core.fused`` where one exists.
"""

from .activation import *  # noqa: F403
from .attention import *  # noqa: F403
from .conv import *  # noqa: F403
from .conv3d import *  # noqa: F403
from .conv_tbc import *  # noqa: F403
from .ctc import *  # noqa: F403
from .distance import *  # noqa: F403
from .dropout import *  # noqa: F403
from .embedding_bag import *  # noqa: F403
from .fractional_pool import *  # noqa: F403
from .grid_sample import *  # noqa: F403
from .linear import *  # noqa: F403
from .linear_cross_entropy import *  # noqa: F403
from .loss import *  # noqa: F403
from .loss_likelihood import *  # noqa: F403
from .loss_margin import *  # noqa: F403
from .lp_pool import *  # noqa: F403
from .misc import *  # noqa: F403
from .multi_head_attention import *  # noqa: F403
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403
from .pooling3d import *  # noqa: F403
from .shuffle import *  # noqa: F403
from .unpool import *  # noqa: F403
