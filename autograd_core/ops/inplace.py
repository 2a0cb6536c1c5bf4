"""In-place tensor methods: ``add_``, ``mul_``, ``zero_``, ``fill_``, ``copy_``, ``clamp_``,
``exp_``, the optimiser helpers ``addcmul_``/``addcdiv_``/``lerp_``, and the
operators ``+=``, ``-=``, ``*=``, ``/=``.

Each one goes through `_inplace.apply_inplace`: the tensor's own array is overwritten and
its version counter bumped (so a node that saved the old value refuses to use the new one).
When a graph is recorded the op is the out-of-place op applied to the old value, and the
tensor becomes that op's output: for ``y = x.mul_(w)``

    dL/d(x_old) = dL/dy * w,      dL/dw = dL/dy * x_old

(the node keeps a copy of ``x_old``). When nothing is recorded (``no_grad``, as inside an
optimiser, or no input requires grad) a ``fast`` path writes the result straight into the
array with ``out=`` ufuncs and Python-float coefficients, so float32 stays float32.

Ops that overwrite every element (``zero_``, ``fill_``, ``copy_``, and the random fills
of `random_fill`) are recorded as a `Fill` node: the old value gets a zero gradient, a
tensor source its sum.
"""

from __future__ import annotations

from .. import dtypes as _dt
from .._backend import backend_of
from .._factory_checks import check_fill_fits
from ..function import Function
from ..grad_mode import _state as _grad_state
from ..tensor import Tensor
from ._broadcast import broadcast_shapes
from ._inplace import apply_inplace as _apply_inplace
from ._operands import scalar_value

# PyTorch's names for dtypes in its casting messages.
_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int32": "Int",
                "int64": "Long", "bool": "Bool"}
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


# ----------------------------------------------------------------------------- checks
def _torch_name(np_dtype) -> str:
    name = _dt.from_numpy_dtype(np_dtype).name
    return _TORCH_NAMES.get(name, name)


def _cast_error(op_name: str, result_np, self: Tensor) -> RuntimeError:
    return RuntimeError(
        f"{op_name}: result type {_torch_name(result_np)} can't be cast to the desired output "
        f"type {_torch_name(self._data.dtype)} (the in-place result must keep the tensor's "
        f"dtype; use the out-of-place op, or convert first, e.g. x = x.float())"
    )


def _scalar_operand(x, op_name: str, what: str = "other"):
    s = scalar_value(x)
    if s is None:
        raise TypeError(
            f"{op_name}(): argument '{what}' must be Tensor or Number, not {type(x).__name__}"
        )
    return s


def _operand(x, op_name: str, what: str = "other"):
    """A Tensor stays a Tensor; a Python or NumPy number becomes a Python number."""
    if type(x) is float or type(x) is int or type(x) is complex or isinstance(x, Tensor):
        return x
    return _scalar_operand(x, op_name, what)


def _check(self: Tensor, op_name: str, *others, float_result: bool = False) -> None:
    """PyTorch's refusals: the result must keep ``self``'s shape and be castable to its
    dtype (no float result in an integer tensor, no integer result in a bool tensor)."""
    shape = self._data.shape
    kind = self._data.dtype.kind
    for o in others:
        if isinstance(o, Tensor) and o._data.shape != shape:
            _check_broadcast(self, o, op_name)
    if kind == "c" or (kind == "f" and not any(
            type(o) is complex or (isinstance(o, Tensor) and o._data.dtype.kind == "c")
            for o in others)):
        return
    if float_result:
        raise _cast_error(op_name, _dt.get_default_dtype().numpy, self)
    target = _dt.from_numpy_dtype(self._data.dtype)
    for o in others:
        if o is None:
            continue
        if isinstance(o, Tensor):
            result = _dt.promote_types(target, _dt.from_numpy_dtype(o._data.dtype))
        else:
            result = _dt.result_type_with_scalar(target, o)
        if _KIND_RANK[result.numpy.kind] > _KIND_RANK[kind]:
            raise _cast_error(op_name, result.numpy, self)


def _check_broadcast(self: Tensor, other: Tensor, op_name: str) -> None:
    sa, sb = self._data.shape, other._data.shape
    try:
        broadcast = broadcast_shapes(sa, sb)
    except RuntimeError as exc:
        raise RuntimeError(f"{op_name}: {exc}") from None
    if broadcast != sa:
        raise RuntimeError(
            f"{op_name}: output with shape {list(sa)} doesn't match the broadcast shape "
            f"{list(broadcast)} (an in-place result must keep the tensor's shape; use the "
            f"out-of-place op instead)"
        )


_XP_BY_TYPE: dict = {}


def _xp(array):
    """The array module of ``array`` (cached by array type: this is the hot path)."""
    xp = _XP_BY_TYPE.get(type(array))
    if xp is None:
        xp = _XP_BY_TYPE[type(array)] = backend_of(array).xp
    return xp


def _is_array(x) -> bool:
    return hasattr(x, "shape")


def apply_inplace(self: Tensor, out_of_place, *args, op_name: str, fast=None) -> Tensor:
    """`_inplace.apply_inplace`, then a repair of the copy of the old value that the new
    node saved: it gets the version its node expects (the tensor's version when it was
    saved, not 0), so an op applied after earlier in-place ops can still backward."""
    before = self.grad_fn
    apply_inplace_result = _apply_inplace(self, out_of_place, *args, op_name=op_name, fast=fast)
    node = self.grad_fn
    if node is not before and node is not None and getattr(node, "_saved", None):
        versions = node._saved_versions
        for i, item in enumerate(node._saved):
            # Counters only grow: a saved tensor reading 0 but saved at v > 0 is that copy.
            if (isinstance(item, Tensor) and versions[i] and item._version_counter[0] == 0
                    and item._version_counter is not self._version_counter):
                item._version_counter = [versions[i]]
    return apply_inplace_result


# ----------------------------------------------------------------------------- arithmetic
def _add_fast(a, o, alpha) -> None:
    xp = _xp(a)
    if alpha == 1:
        xp.add(a, o, out=a)
    elif not _is_array(o):
        xp.add(a, o * alpha, out=a)
    elif alpha == -1:
        xp.subtract(a, o, out=a)
    else:
        xp.add(a, xp.multiply(o, alpha), out=a)


def _sub_fast(a, o, alpha) -> None:
    _add_fast(a, o, -alpha)


def _alpha(self: Tensor, alpha, op_name: str):
    alpha = _scalar_operand(alpha, op_name, "alpha")
    if type(alpha) is float and self._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op_name}: For integral input tensors, argument alpha must not be a floating "
            f"point number (got alpha={alpha} for a {_torch_name(self._data.dtype)} tensor)"
        )
    return alpha


def add_(self: Tensor, other, *, alpha=1) -> Tensor:
    """``self += alpha * other`` in place (``other`` broadcasts to ``self``'s shape)."""
    other = _operand(other, "add_")
    alpha = _alpha(self, alpha, "add_") if alpha != 1 else 1
    _check(self, "add_", other)
    return apply_inplace(self, lambda t, o, a: t.add(o, alpha=a), other, alpha,
                         op_name="add_", fast=_add_fast)


def sub_(self: Tensor, other, *, alpha=1) -> Tensor:
    """``self -= alpha * other`` in place."""
    other = _operand(other, "sub_")
    alpha = _alpha(self, alpha, "sub_") if alpha != 1 else 1
    _check(self, "sub_", other)
    return apply_inplace(self, lambda t, o, a: t.sub(o, alpha=a), other, alpha,
                         op_name="sub_", fast=_sub_fast)


def _mul_fast(a, o) -> None:
    _xp(a).multiply(a, o, out=a)


def mul_(self: Tensor, other) -> Tensor:
    """``self *= other`` in place. Recorded, the node keeps a copy of the old ``self``
    (d(x w)/dw = x needs it)."""
    other = _operand(other, "mul_")
    _check(self, "mul_", other)
    return apply_inplace(self, lambda t, o: t.mul(o), other, op_name="mul_", fast=_mul_fast)


def _div_fast(a, o) -> None:
    _xp(a).true_divide(a, o, out=a)


def div_(self: Tensor, other, *, rounding_mode: str | None = None) -> Tensor:
    """``self /= other`` in place (true division unless ``rounding_mode`` is 'trunc' or
    'floor'); true division of an integer tensor is refused, as in PyTorch."""
    other = _operand(other, "div_")
    _check(self, "div_", other, float_result=rounding_mode is None)
    return apply_inplace(self, lambda t, o: t.div(o, rounding_mode=rounding_mode), other,
                         op_name="div_", fast=_div_fast if rounding_mode is None else None)


def _pow_fast(a, e) -> None:
    _xp(a).power(a, e, out=a)


def pow_(self: Tensor, exponent) -> Tensor:
    """``self **= exponent`` in place."""
    exponent = _operand(exponent, "pow_", "exponent")
    _check(self, "pow_", exponent)
    if (self._data.dtype.kind in "iu" and not isinstance(exponent, Tensor)
            and type(exponent) is int and exponent < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return apply_inplace(self, lambda t, e: t.pow(e), exponent, op_name="pow_", fast=_pow_fast)


def _neg_fast(a) -> None:
    _xp(a).negative(a, out=a)


def neg_(self: Tensor) -> Tensor:
    """``self = -self`` in place."""
    if self._data.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return apply_inplace(self, lambda t: -t, op_name="neg_", fast=_neg_fast)


# ----------------------------------------------------------------------------- optimiser helpers
def _addcmul_fast(a, t1, t2, value) -> None:
    xp = _xp(a)
    tmp = xp.multiply(t1, t2)
    if value != 1:
        if tmp.dtype == a.dtype:
            xp.multiply(tmp, value, out=tmp)
        else:
            tmp = tmp * value
    xp.add(a, tmp, out=a)


def addcmul_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``self += value * tensor1 * tensor2`` (Adam's second moment: ``v.addcmul_(g, g,
    value=1 - beta2)``)."""
    value = _scalar_operand(value, "addcmul_", "value")
    _check(self, "addcmul_", tensor1, tensor2, value)
    return apply_inplace(self, lambda t, a, b, v: t + (a * b) * v, tensor1, tensor2, value,
                         op_name="addcmul_", fast=_addcmul_fast)


def _addcdiv_fast(a, t1, t2, value) -> None:
    xp = _xp(a)
    tmp = xp.true_divide(t1, t2)
    if value != 1:
        if tmp.dtype == a.dtype:
            xp.multiply(tmp, value, out=tmp)
        else:
            tmp = tmp * value
    xp.add(a, tmp, out=a)


def addcdiv_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``self += value * tensor1 / tensor2`` (Adam's step: ``p.addcdiv_(m, denom,
    value=-lr)``)."""
    value = _scalar_operand(value, "addcdiv_", "value")
    for t in (tensor1, tensor2):
        if not isinstance(t, Tensor):
            raise TypeError(f"addcdiv_(): tensor1 and tensor2 must be Tensors, not "
                            f"{type(t).__name__}")
    if tensor1._data.dtype.kind in "iub" and tensor2._data.dtype.kind in "iub":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported; use "
            "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
            "inputs, or pass floating point tensors"
        )
    _check(self, "addcdiv_", tensor1, tensor2, value)
    return apply_inplace(self, lambda t, a, b, v: t + (a / b) * v, tensor1, tensor2, value,
                         op_name="addcdiv_", fast=_addcdiv_fast)


def _lerp_fast(a, end, w) -> None:
    """Scalar weight: ``a + w (end - a)``, or ``end - (end - a)(1 - w)`` for |w| >= 1/2 so
    that w = 1 gives exactly ``end`` (the same formula as the out-of-place `lerp`)."""
    xp = _xp(a)
    diff = xp.subtract(end, a)
    if -0.5 < w < 0.5:
        xp.multiply(diff, w, out=diff)
        xp.add(a, diff, out=a)
    else:
        xp.multiply(diff, 1.0 - w, out=diff)
        xp.subtract(end, diff, out=a)


def lerp_(self: Tensor, end: Tensor, weight) -> Tensor:
    """``self += weight * (end - self)`` (Adam's first moment: ``m.lerp_(g, 1 - beta1)``)."""
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp_(): argument 'end' must be Tensor, not {type(end).__name__}")
    if self._data.dtype.kind != "f":
        raise NotImplementedError(
            f"lerp_ is not implemented for {_torch_name(self._data.dtype)} tensors"
        )
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype != self._data.dtype:
            raise RuntimeError(
                f"expected dtype {self.dtype.name} for `{name}` but got dtype {t.dtype.name}"
            )
    weight = _operand(weight, "lerp_", "weight")
    _check(self, "lerp_", end, weight)
    fast = None if isinstance(weight, Tensor) else _lerp_fast
    return apply_inplace(self, lambda t, e, w: t.lerp(e, w), end, weight, op_name="lerp_",
                         fast=fast)


# ----------------------------------------------------------------------------- clamp
def _clamp_fast(a, lo, hi) -> None:
    xp = _xp(a)
    if lo is not None:
        xp.maximum(a, lo, out=a)
    if hi is not None:
        xp.minimum(a, hi, out=a)


def clamp_(self: Tensor, min=None, max=None) -> Tensor:  # noqa: A002  (PyTorch's names)
    """Limit ``self`` to ``[min, max]`` in place (if ``min > max`` everything becomes max)."""
    if min is None and max is None:
        raise RuntimeError("clamp_: At least one of 'min' or 'max' must not be None")
    lo = None if min is None else _operand(min, "clamp_", "min")
    hi = None if max is None else _operand(max, "clamp_", "max")
    _check(self, "clamp_", lo, hi)
    return apply_inplace(self, lambda t, a, b: t.clamp(a, b), lo, hi, op_name="clamp_",
                         fast=_clamp_fast)


def clamp_min_(self: Tensor, min) -> Tensor:  # noqa: A002
    return clamp_(self, min=min)


def clamp_max_(self: Tensor, max) -> Tensor:  # noqa: A002
    return clamp_(self, max=max)


# ----------------------------------------------------------------------------- unary
def _unary_inplace(name: str, ufunc: str | None, float_result: bool):
    """``self = name(self)`` in place; ``ufunc`` names the array module's function for the
    no-graph path (None: compute out of place under no_grad, then copy in)."""

    def oop(t: Tensor) -> Tensor:
        return getattr(t, name)()

    def fast(a) -> None:
        getattr(_xp(a), ufunc)(a, out=a)

    def method(self: Tensor) -> Tensor:
        _check(self, name + "_", float_result=float_result)
        return apply_inplace(self, oop, op_name=name + "_", fast=fast if ufunc else None)

    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}``: the tensor's values become ``{name}(self)``."
    return method


def _relu_fast(a) -> None:
    _xp(a).maximum(a, 0, out=a)


def relu_(self: Tensor) -> Tensor:
    """``self = max(self, 0)`` in place."""
    return apply_inplace(self, lambda t: t.relu(), op_name="relu_", fast=_relu_fast)


# ----------------------------------------------------------------------------- overwriting
class Fill(Function):
    """Every element becomes ``value`` (a number, or an array broadcast to the shape):
    the old values get a zero gradient, a tensor ``value`` the gradient's sum over the
    elements it filled."""

    @staticmethod
    def forward(ctx, x, value):
        out = ctx.xp.empty(x.shape, dtype=x.dtype)
        out[...] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, need_value = ctx.needs_input_grad
        return (ctx.math.zeros_like(grad) if need_x else None), (grad if need_value else None)


# Same rule, PyTorch's node names (what ``grad_fn`` shows).
class Zero(Fill):
    pass


class Copy(Fill):
    pass


def _assign(a, value) -> None:
    a[...] = value


def _fill_with(self: Tensor, node, value, op_name: str) -> Tensor:
    return apply_inplace(self, lambda t, v: node.apply(t, v), value, op_name=op_name,
                         fast=_assign)


def zero_(self: Tensor) -> Tensor:
    """Set every element to 0."""
    return _fill_with(self, Zero, 0, "zero_")


def fill_(self: Tensor, value) -> Tensor:
    """Set every element to ``value`` (a number or a 0-d tensor)."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions (shape {list(value.shape)})."
            )
        if type(value._data) is not type(self._data):
            value = (value.to(self.device) if value._requires_grad and _grad_state.enabled
                     else value.item())
    else:
        value = _scalar_operand(value, "fill_", "value")
        check_fill_fits(value, self._data.dtype)  # 2**63 into int64: refused, not wrapped
    return _fill_with(self, Fill, value, "fill_")


def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy ``src``'s values into ``self``: broadcast to ``self``'s shape, cast to its
    dtype, moved from another device. Recorded, the gradient flows to ``src``."""
    if not isinstance(src, Tensor):
        raise TypeError(
            f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}"
        )
    if src._data.shape != self._data.shape:
        _check_broadcast(self, src, "copy_")
    if type(src._data) is not type(self._data) or src.device != self.device:
        src = src.to(self.device)
    return _fill_with(self, Copy, src, "copy_")


# ----------------------------------------------------------------------------- attach
_UNARY = {
    # name: (array-module function for the no-graph path, result is float)
    "exp": ("exp", True), "log": ("log", True), "sqrt": ("sqrt", True),
    "tanh": ("tanh", True), "sin": ("sin", True), "cos": ("cos", True),
    "sigmoid": (None, True), "abs": ("absolute", False),
}
for _name, (_ufunc, _float) in _UNARY.items():
    setattr(Tensor, _name + "_", _unary_inplace(_name, _ufunc, _float))
del _name, _ufunc, _float

Tensor.add_ = add_
Tensor.sub_ = sub_
Tensor.subtract_ = sub_
Tensor.mul_ = mul_
Tensor.multiply_ = mul_
Tensor.div_ = div_
Tensor.divide_ = div_
Tensor.true_divide_ = lambda self, other: div_(self, other)
Tensor.pow_ = pow_
Tensor.neg_ = neg_
Tensor.negative_ = neg_
Tensor.relu_ = relu_
Tensor.absolute_ = Tensor.abs_
Tensor.addcmul_ = addcmul_
Tensor.addcdiv_ = addcdiv_
Tensor.lerp_ = lerp_
Tensor.clamp_ = clamp_
Tensor.clip_ = clamp_
Tensor.clamp_min_ = clamp_min_
Tensor.clamp_max_ = clamp_max_
Tensor.zero_ = zero_
Tensor.fill_ = fill_
Tensor.copy_ = copy_

# ``x += y`` is in place, as in PyTorch (an optimiser's ``p -= lr * g`` updates p itself).
Tensor.__iadd__ = lambda self, other: add_(self, other)
Tensor.__isub__ = lambda self, other: sub_(self, other)
Tensor.__imul__ = lambda self, other: mul_(self, other)
Tensor.__itruediv__ = lambda self, other: div_(self, other)
Tensor.__ipow__ = lambda self, other: pow_(self, other)

__all__: list[str] = []
