"""`optim`: optimisers and learning-rate schedules (PyTorch's ``torch.optim``).

First order: `SGD` (with momentum and Nesterov), `Adagrad`, `RMSprop`, `Adadelta`,
`Adam`, `AdamW`, `Adamax`, `NAdam`, `RAdam`. Second order: `LBFGS` (quasi-Newton, as in
PyTorch), and this library's additions `Newton` (exact Hessian through double backward,
with Levenberg-Marquardt damping) and `NewtonCG` (Hessian-free: Hessian-vector products
and conjugate gradient). Schedules in `optim.lr_scheduler`.

Each optimiser's docstring states its update rule. Typical use::

    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for x, y in data:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .newton import Newton, NewtonCG
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
    "RAdam", "LBFGS", "Newton", "NewtonCG", "lr_scheduler",
]
