"""`Parameter`: a tensor that a `Module` registers as one of its learnable weights.

Assigning a `Parameter` to a module attribute (``self.weight = Parameter(...)``) adds it to
``module.parameters()``, which is what an optimiser updates. A `Parameter` shares the array
of the tensor it is made from (no copy) and requires grad by default.
"""

from __future__ import annotations

import autograd_core
from autograd_core import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A learnable tensor: ``Parameter(data=None, requires_grad=True)``.

    ``data`` is shared, not copied (``Parameter(t)`` and ``t`` see the same values). With no
    ``data`` the parameter is an empty float tensor.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = autograd_core.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter(data): data must be a Tensor, got {type(data).__name__}; "
                "wrap it first, e.g. Parameter(autograd_core.tensor(values))"
            )
        # The same array, so the same version counter: in-place changes through either name
        # are seen by the graph checks of both. requires_grad refuses integer dtypes.
        return Tensor._make_subclass(cls, data, requires_grad)

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        with autograd_core.no_grad():
            result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result


class Buffer(Tensor):
    """Marks a tensor as a buffer: ``self.running_mean = Buffer(t, persistent=True)`` is the
    same as ``self.register_buffer('running_mean', t, persistent=True)``.

    Buffers are module state that is not learned (running statistics, masks). The module
    stores the plain tensor (the array is shared, not copied).
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Buffer:
        if data is None:
            data = autograd_core.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer(data): data must be a Tensor, got {type(data).__name__}")
        buf = Tensor._make_subclass(cls, data)
        buf.persistent = bool(persistent)
        return buf

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        pass
