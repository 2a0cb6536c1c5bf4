"""`nn`: neural-network modules, layers, losses and initialisation (plays ``torch.nn``).

Built only on the public API of `autograd_core`.
"""

import sys as _sys

from . import (
    functional,
    init,
    parallel,  # DistributedDataParallel (imports mpi4py only when used)
    training,
    utils,
)
from .containers import Identity, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module
from .modules import *  # noqa: F403
from .modules import module as _modules_module  # noqa: F401  (nn.modules.module)
from .parameter import Buffer, Parameter

# ``from .modules import *`` rebinds the name ``module`` to ``nn.modules.module``; keep
# ``nn.module`` the file that defines `Module`.
module = _sys.modules[__name__ + ".module"]
