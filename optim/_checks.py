"""Checks of optimiser hyperparameters, with PyTorch's messages.

Each check raises TypeError for a value of the wrong kind (``lr='abc'``) and ValueError
for one out of range (``lr=-1``). `check_group` runs them on one parameter group; the
optimiser runs it on every group before a step touches any parameter, so a bad value
in the second group leaves the first group's parameters as they were.
"""

from __future__ import annotations

import numbers

import autograd_core as ag
from autograd_core import Tensor


def _value(x) -> float:
    """A hyperparameter as a Python number (a one-element tensor is accepted, as in PyTorch)."""
    return x.item() if isinstance(x, Tensor) else x


def _is_number(x) -> bool:
    """A real Python/NumPy number (not a bool), or a one-element real tensor."""
    kind = type(x)
    if kind is float or kind is int:  # the usual case, without the slow ABC check
        return True
    if kind is bool or x is None:
        return False
    if isinstance(x, Tensor):
        return x.numel() == 1 and x.dtype != ag.bool
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _describe(x) -> str:
    return f"{type(x).__name__} {x!r}" if not isinstance(x, Tensor) else \
        f"a tensor of shape {tuple(x.shape)} and dtype {x.dtype}"


def _check_lr(lr) -> None:
    if type(lr) is float and lr >= 0.0:  # the usual case
        return
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not _is_number(lr):
        raise TypeError(f"lr must be a number (a float or a one-element tensor), but got "
                        f"{_describe(lr)}; pass e.g. lr=0.01")
    if not 0.0 <= _value(lr):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_nonnegative(name: str, value) -> None:
    """PyTorch's ``Invalid <name> value: <value>`` ValueError for a negative value (and a
    TypeError for a value that is not a number)."""
    if not _is_number(value):
        raise TypeError(f"{name} must be a number (a float or a one-element tensor), but got "
                        f"{_describe(value)}")
    if not 0.0 <= _value(value):
        raise ValueError(f"Invalid {name} value: {value}")


def _check_betas(betas) -> None:
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2
            and all(_is_number(b) for b in betas)):
        raise TypeError(f"betas must be a pair of numbers (beta1, beta2), e.g. (0.9, 0.999), "
                        f"but got {_describe(betas)}")
    for i, beta in enumerate(betas[:2]):
        if not 0.0 <= _value(beta) < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def _check_adam_hyperparameters(lr, eps, betas, weight_decay) -> None:
    """The Adam family's ``lr``, ``eps``, ``betas`` and ``weight_decay``, checked in that
    order with PyTorch's ValueError messages."""
    _check_lr(lr)
    _check_nonnegative("epsilon", eps)
    _check_betas(betas)
    _check_nonnegative("weight_decay", weight_decay)


def _betas_and_lr(group: dict) -> tuple[float, float, float]:
    """A group's ``(beta1, beta2, lr)`` as Python numbers (tensors accepted)."""
    beta1, beta2 = (_value(b) for b in group["betas"])
    return beta1, beta2, _value(group["lr"])


def _check_no_capturable(name: str, capturable: bool, differentiable: bool) -> None:
    if capturable:
        raise ValueError(f"{name}: capturable=True (CUDA graphs) is not supported")
    if differentiable:
        raise ValueError(f"{name}: differentiable=True is not supported; updates run in place "
                         "under no_grad")


def check_group(name: str, index: int, group: dict, defaults: dict, nonnegative: dict) -> None:
    """Check one parameter group's hyperparameters against the optimiser's ``defaults``.

    Where the default is a number the group's value must be one (or a one-element
    tensor); where it is a tuple of numbers, a tuple of numbers of that length.
    ``nonnegative`` maps keys to the names PyTorch's messages use (``eps`` -> epsilon).
    """
    if "lr" in group:
        _check_lr(group["lr"])
    for key, default in defaults.items():
        if key not in group or key == "lr":
            continue
        value = group[key]
        if _is_number(default) and not _is_number(value):
            raise TypeError(f"{name}: param_groups[{index}]['{key}'] must be a number (a float or a one-element "
                            f"tensor), but got {_describe(value)}")
        if isinstance(default, tuple) and default and all(
                d is None or _is_number(d) for d in default):
            ok = isinstance(value, (tuple, list)) and len(value) == len(default) and all(
                _is_number(v) or (d is None and v is None) for d, v in zip(default, value))
            if not ok:
                raise TypeError(f"{name}: param_groups[{index}]['{key}'] must be a tuple of {len(default)} numbers "
                                f"like the default {default}, but got {_describe(value)}")
    for key, label in nonnegative.items():
        if key in group:
            value = group[key]
            if (type(value) is float or type(value) is int) and value >= 0:  # the usual case
                continue
            _check_nonnegative(label, value)
    if "betas" in group:
        _check_betas(group["betas"])
