"""`nn`: neural-network modules, layers, losses and initialisation (plays ``torch.nn``).

Built only on the public API of `autograd_core`.
"""

from . import functional, init, training, utils
from .containers import Identity, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module
from .modules import *  # noqa: F403
from .parameter import Buffer, Parameter
