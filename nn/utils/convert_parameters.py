"""Between a list of parameters and one flat vector (second-order methods, line searches,
hypernetworks): ``parameters_to_vector`` and ``vector_to_parameters``."""

from __future__ import annotations

from collections.abc import Iterable

import autograd_core
from autograd_core import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(params: list[Tensor]) -> None:
    if params:
        first = params[0].device
        for p in params[1:]:
            if p.device != first:
                raise TypeError(
                    "Found two parameters on different devices, this is currently not "
                    f"supported ({first} and {p.device})."
                )


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated, in order, into one 1-D tensor (a copy,
    recorded in the graph)."""
    if isinstance(parameters, Tensor):
        raise TypeError(
            f"expected an iterable of Tensors, but got: {type(parameters).__name__}")
    params = list(parameters)
    _check_same_device(params)
    if not params:
        raise RuntimeError("parameters_to_vector: expected a non-empty list of parameters")
    return autograd_core.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter hold its slice of ``vec`` (in ``parameters_to_vector`` order).

    As in PyTorch, ``param.data`` becomes a view of ``vec`` (no copy).
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    _check_same_device(params)
    total = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != total:
        raise RuntimeError(
            f"vector_to_parameters: expected a 1-D vector of {total} elements (the number "
            f"of parameter elements), got shape {list(vec.shape)}"
        )
    pointer = 0
    for param in params:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view(tuple(param.shape)).data
        pointer += n
