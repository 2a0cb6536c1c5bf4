"""Learning-rate schedules: change each group's ``lr`` as training goes on (PyTorch's API).

A scheduler is stepped once per epoch (or per batch), after ``optimizer.step()``::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train(...)              # optimizer.step() inside
        scheduler.step()

``last_epoch`` counts the steps taken; construction performs the first one (so
``last_epoch == 0`` and the groups hold the lr for epoch 0). Each group's starting
rate is remembered as ``group['initial_lr']`` (``base_lrs``). ``get_last_lr()`` gives
the rates just set; ``state_dict()`` holds everything but the optimiser.

Most schedules are written, as in PyTorch, in "chainable" form: the new lr is computed
from the group's current lr (so two schedulers can act on the same optimiser); each
docstring gives the equivalent closed form, which ``step(epoch)`` uses.

Modules: `base` (`LRScheduler`), `simple` (lambda, multiplicative, step, multi-step,
constant, exponential, linear and polynomial schedules), `cosine` (cosine annealing,
warm restarts, one-cycle), `cyclic` (`CyclicLR`), `plateau` (`ReduceLROnPlateau`) and
`sequential` (`SequentialLR`, `ChainedScheduler`).
"""

from .base import LRScheduler
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR
from .cyclic import CyclicLR
from .plateau import ReduceLROnPlateau
from .sequential import ChainedScheduler, SequentialLR
from .simple import (
    ConstantLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)

__all__ = [
    "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
    "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
    "PolynomialLR", "LRScheduler",
]
