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

Modules: `base` (`LRScheduler`), `simple` (lambda, step, multi-step, exponential and
linear schedules), `cosine` (cosine annealing, warm restarts, one-cycle), `plateau`
(`ReduceLROnPlateau`) and `sequential` (`SequentialLR`).
"""

from .base import LRScheduler
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR
from .plateau import ReduceLROnPlateau
from .sequential import SequentialLR
from .simple import ExponentialLR, LambdaLR, LinearLR, MultiStepLR, StepLR

__all__ = [
    "LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR",
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "ReduceLROnPlateau",
    "SequentialLR",
]
