"""The mechanism behind in-place operations (``add_``, ``mul_``, ``x[i] = v``, ...).

An in-place op writes its result into the tensor's own array (so views and ``p.data``
aliases see it) and bumps the version counter, so any node that saved the old value
raises PyTorch's error at backward instead of silently using the new one.

When the graph is recorded, the op is applied out of place to a "shadow" of the tensor
(the same node in the graph, the old values), the result is copied in, and the tensor's
``grad_fn`` becomes the new node: the tensor now stands for the op's output, and the
gradient reaches its old history through the shadow.
"""

from __future__ import annotations

from .._saved_values import _SavedOutput
from ..dtypes import from_numpy_dtype
from ..grad_mode import _state as _grad_state
from ..grad_mode import no_grad
from ..tensor import Tensor, _wrap

LEAF_MESSAGE = (
    "a leaf Variable that requires grad is being used in an in-place operation. "
    "Wrap it in autograd_core.no_grad() (as optimizers do) or use an out-of-place op."
)


VIEW_OF_LEAF_MESSAGE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation. "
    "Change the leaf itself under autograd_core.no_grad(), or work on a clone of it."
)


def check_inplace(self: Tensor, *others) -> bool:
    """Whether this in-place op must be recorded; raises for a leaf that requires grad (or
    a view of one)."""
    record = _grad_state.enabled and (
        self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others))
    if record:
        base = self._base
        if base is not None and base.grad_fn is None and base._requires_grad:
            raise RuntimeError(VIEW_OF_LEAF_MESSAGE)
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(LEAF_MESSAGE)
    return record


def write_result(self: Tensor, result_array, op_name: str) -> None:
    """Copy ``result_array`` into ``self``'s array, with PyTorch's shape/dtype checks."""
    target = self._data
    if result_array.shape != target.shape:
        raise RuntimeError(
            f"{op_name}: output with shape {list(target.shape)} doesn't match the broadcast "
            f"shape {list(result_array.shape)}"
        )
    if result_array.dtype != target.dtype:
        if result_array.dtype.kind == "f" and target.dtype.kind in "iub":
            raise RuntimeError(
                f"{op_name}: result type {from_numpy_dtype(result_array.dtype).name} can't be "
                f"cast to the desired output type {from_numpy_dtype(target.dtype).name}"
            )
    target[...] = result_array


def shadow_of(self: Tensor) -> Tensor:
    """A tensor standing for ``self`` as it is now: same array, same place in the graph."""
    s = _wrap(self._data)
    s._requires_grad = self._requires_grad
    s.grad_fn = self.grad_fn
    s._output_nr = self._output_nr
    s._version_counter = self._version_counter
    if self.grad_fn is None and self._requires_grad:  # pragma: no cover - refused earlier
        s._grad_accumulator = self._grad_accumulator
    return s


def apply_inplace(self: Tensor, out_of_place, *args, op_name: str = "inplace", fast=None):
    """Make ``self`` hold ``out_of_place(self, *args)``, recording the graph if needed.

    ``fast(array, *raw_args)``, when given, updates the array directly when no graph is
    recorded (the optimisers' hot path: no temporary tensors).
    """
    others = [a for a in args if isinstance(a, Tensor)]
    for o in others:
        if type(o._data) is not type(self._data):
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two "
                f"devices, {self.device} and {o.device}! (in {op_name})"
            )
    if not check_inplace(self, *others):
        if fast is not None:
            fast(self._data, *[a._data if isinstance(a, Tensor) else a for a in args])
        else:
            with no_grad():
                result = out_of_place(self, *args)
            write_result(self, result._data, op_name)
        self._version_counter[0] += 1
        return self
    if self._base is not None:
        return _inplace_on_view(self, out_of_place, args, op_name)
    shadow = shadow_of(self)
    result = out_of_place(shadow, *args)
    node = result.grad_fn
    if node is not None and node._saved:
        node._saved = [_snapshot(item) if item is shadow else item for item in node._saved]
    write_result(self, result._data, op_name)
    self._version_counter[0] += 1
    if node is not None:
        self.grad_fn = node
        self._output_nr = result._output_nr
        self._requires_grad = True
        _retarget_saved_output(node, result, self)
    return self


def _snapshot(shadow: Tensor) -> Tensor:
    """The old values of a tensor about to be overwritten, for a node that saved them."""
    s = _wrap(shadow._data.copy())
    s._version_counter = [shadow._version_counter[0]]  # the version the node recorded
    s._requires_grad = shadow._requires_grad
    s.grad_fn = shadow.grad_fn
    s._output_nr = shadow._output_nr
    s._grad_accumulator = shadow._grad_accumulator
    return s


def _retarget_saved_output(node, result: Tensor, self: Tensor) -> None:
    """A node that saved its output now finds it in ``self`` (whose version it checks)."""
    if not node._saved:
        return
    for item in node._saved:
        if type(item) is _SavedOutput and item.data is result._data:
            item.data = self._data
            item.version_counter = self._version_counter
    versions = list(node._saved_versions)
    for i, item in enumerate(node._saved):
        if type(item) is _SavedOutput and item.version_counter is self._version_counter:
            versions[i] = self._version_counter[0]
    node._saved_versions = versions


def _inplace_on_view(view: Tensor, out_of_place, args, op_name: str) -> Tensor:
    """An in-place op through a view of a tensor in the graph: the op is recorded on the
    view, then the base becomes `CopySlices` of its old self and the result, and the view
    the region of the new base (see `_view_rebase`)."""
    from .._backend import backend_of
    from ._view_rebase import CopySlices, StridedView

    base = view._base
    geometry = backend_of(base._data).view_geometry(view._data, base._data)
    if geometry is None:
        raise RuntimeError(
            f"{op_name}: this in-place operation on a view of a tensor in the autograd graph is "
            f"not supported (the base, of shape {list(base.shape)}, is not contiguous in "
            f"memory, or elements of the view overlap); apply it to a .clone() or use an "
            f"out-of-place operation")
    shadow = shadow_of(view)
    result = out_of_place(shadow, *args)
    node = result.grad_fn
    if node is not None and node._saved:
        node._saved = [_snapshot(item) if item is shadow else item for item in node._saved]
    old_base = shadow_of(base)
    write_result(view, result._data, op_name)
    view._version_counter[0] += 1  # (shared with the base)
    if node is not None:
        _retarget_saved_output(node, result, view)  # a saved result is now the view itself
    rebased = CopySlices.apply(old_base, result, geometry)
    base.grad_fn, base._output_nr, base._requires_grad = rebased.grad_fn, 0, True
    region = StridedView.apply(base, geometry)
    view.grad_fn, view._output_nr, view._requires_grad = region.grad_fn, 0, True
    return view
