"""`optim`: optimisers and learning-rate schedules (PyTorch's ``torch.optim``).

First order: `SGD` (with momentum and Nesterov), `Adagrad`, `RMSprop`, `Adadelta`,
`Adam`, `AdamW`, `Adamax`, `NAdam`, `RAdam`, `ASGD` (iterate averaging), `Rprop` (sign-based
steps), `SparseAdam` (masked Adam for embeddings), `Adafactor` (factored second moment) and
`Muon` (orthogonalised momentum for matrices). Second order: `LBFGS` (quasi-Newton, as in
PyTorch), and this library's additions `Newton` (exact Hessian through double backward,
with Levenberg-Marquardt damping) and `NewtonCG` (Hessian-free: Hessian-vector products
and conjugate gradient). Schedules in `optim.lr_scheduler`; weight averaging (SWA, EMA) in
`optim.swa_utils`; `swap_in_optimizer_params_and_state` runs an optimiser on other
tensors inside a ``with`` block.

Each optimiser's docstring states its update rule. Typical use::

    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for x, y in data:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
"""

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .newton import Newton, NewtonCG
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam
from .stateless import swap_in_optimizer_params_and_state

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
    "RAdam", "ASGD", "Rprop", "SparseAdam", "Adafactor", "Muon", "LBFGS", "Newton", "NewtonCG",
    "lr_scheduler", "swa_utils", "swap_in_optimizer_params_and_state",
]
