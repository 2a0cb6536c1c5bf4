"""Choosing values elementwise: ``where``, ``clamp``/``clip``, ``maximum``/``minimum``,
``fmax``/``fmin``, ``lerp``, and ``atan2``.

Backward rules (``g`` is the incoming gradient; the engine sums it back where an input was
broadcast; ``[p]`` is 1 where p holds, else 0):

    where(c, a, b):     d/da = g [c],               d/db = g [not c]
    clamp(x, lo, hi):   d/dx = g [lo <= x <= hi],   a tensor bound gets g where it is active
    maximum(a, b):      d/da = g ([a > b] + [a == b] / 2)   (a tie splits the gradient)
    lerp(a, b, w) = a + w (b - a):   d/da = g (1 - w),   d/db = g w,   d/dw = g (b - a)
    atan2(y, x):        d/dy = g x / (x^2 + y^2),   d/dx = -g y / (x^2 + y^2)

The masks are constants of the graph: these functions are piecewise linear (or smooth)
in their inputs, so the same rules differentiate again with ``create_graph=True``.
"""

from __future__ import annotations

import operator

from .. import dtypes as _dt
from .._teaching import Input, Rule, unary_rule
from ..function import Function
from ..tensor import Tensor, _wrap
from ._broadcast import broadcast_shapes
from ._operands import binary, float_operands, scalar_value


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _broadcast_message(name: str, named_shapes) -> str:
    """PyTorch's wording for shapes that do not broadcast, naming every operand's shape."""
    listed = ", ".join(f"{n} {list(s)}" for n, s in named_shapes)
    ndim = max(len(s) for _, s in named_shapes)
    for d in range(1, ndim + 1):
        sizes = [(n, s[-d]) for n, s in named_shapes if len(s) >= d and s[-d] != 1]
        for n, size in sizes[1:]:
            if size != sizes[0][1]:
                return (f"{name}: the size of tensor {sizes[0][0]} ({sizes[0][1]}) must match the "
                        f"size of tensor {n} ({size}) at non-singleton dimension {ndim - d} "
                        f"({listed} are not broadcastable)")
    return f"{name}: shapes {listed} are not broadcastable"


# ----------------------------------------------------------------------------- where
class Where(Function):
    """``out = a where c else b``: d/da = g [c], d/db = g [not c]."""

    rule = Rule("y = where(c, a, b)", r"y = c\,?\,a : b",
                None,
                Input("a", "dy/da = 1 where c", r"\frac{\partial y}{\partial a} = \mathbb{1}[c]",
                      "g where c, else 0", r"g \odot \mathbb{1}[c]"),
                Input("b", "dy/db = 1 where not c", r"\frac{\partial y}{\partial b} = \mathbb{1}[\lnot c]",
                      "g where not c, else 0", r"g \odot \mathbb{1}[\lnot c]"),
                elementwise=True)

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        try:
            return ctx.xp.where(condition, a, b)
        except ValueError:
            shapes = [("condition", condition.shape)] + [
                (n, v.shape) for n, v in (("input", a), ("other", b)) if hasattr(v, "shape")]
            raise RuntimeError(_broadcast_message("where", shapes)) from None

    @staticmethod
    def backward(ctx, grad):
        (c,) = ctx.saved
        m = ctx.math
        _, need_a, need_b = ctx.needs_input_grad
        return (None, m.where(c, grad, 0.0) if need_a else None,
                m.where(c, 0.0, grad) if need_b else None)


def _scalar_tensor(value, like: Tensor, dtype=None) -> Tensor:
    from ..factories import as_tensor

    return as_tensor(value, dtype=like.dtype if dtype is None else dtype, device=like.device)


def _scalars_dtype(a, b) -> _dt.dtype:
    category = max(_dt.scalar_category(a), _dt.scalar_category(b))
    return (_dt.bool_, _dt.int64, _dt.get_default_dtype())[category]


def where(condition, input=None, other=None):
    """``input`` where ``condition`` is True, else ``other`` (tensors or numbers, broadcast
    together, dtypes promoted as for ``input + other``).

    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``.
    """
    if input is None and other is None:
        return _nonzero_tuple(condition)
    if input is None or other is None:
        raise TypeError("where() expects condition, input and other (or the condition alone)")
    like = next((t for t in (condition, input, other) if isinstance(t, Tensor)), None)
    if not isinstance(condition, Tensor):
        from ..factories import as_tensor

        condition = as_tensor(condition, device=None if like is None else like.device)
    if condition._data.dtype.kind != "b":
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{condition.dtype.name}; compare first, e.g. where(x > 0, a, b), or use "
            f"condition.bool()"
        )
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        a, b = binary(input, other)
    else:
        sa, sb = scalar_value(input), scalar_value(other)
        if sa is None or sb is None:
            raise TypeError(f"where(): input and other must be tensors or numbers, got "
                            f"{type(input).__name__} and {type(other).__name__}")
        a, b = _scalar_tensor(sa, condition, _scalars_dtype(sa, sb)), sb
    return Where.apply(condition, a, b)


def _nonzero_tuple(condition) -> tuple:
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not "
                        f"{type(condition).__name__}")
    array = condition._data
    if array.ndim == 0:
        array = array.reshape(1)
    from .._backend import backend_of

    xp = backend_of(array).xp
    return tuple(_wrap(index.astype("int64", copy=False)) for index in xp.nonzero(array))


# ----------------------------------------------------------------------------- clamp
class Clamp(Function):
    """Clamp to number bounds (either may be None): d/dx = g [lo <= x <= hi]."""

    rule = unary_rule("clamp(a, lo, hi)", r"\operatorname{clamp}(a, l, h)",
                      "1 if lo <= a <= hi else 0", r"\mathbb{1}[l \le a \le h]")

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        xp = ctx.xp
        if x.dtype.kind == "f" and (lo is None or hi is None or lo <= hi):
            # selections, as PyTorch's: -0.0 stays -0.0 against a bound of 0, NaN stays NaN
            out = x if lo is None else xp.where(x < lo, lo, x)
            return out if hi is None else xp.where(out > hi, hi, out)
        if lo is None:
            out = xp.minimum(x, hi)
        elif hi is None:
            out = xp.maximum(x, lo)
        elif lo <= hi:
            out = xp.clip(x, lo, hi)
        else:
            out = xp.minimum(xp.maximum(x, lo), hi)  # lo > hi (or NaN): hi everywhere
        return out if out.dtype == x.dtype else out.astype(x.dtype)  # (bfloat16 gives float32)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        lo, hi = ctx.lo, ctx.hi
        if lo is None:
            mask = x <= hi
        elif hi is None:
            mask = x >= lo
        else:
            mask = (x >= lo) & (x <= hi)
        return ctx.math.where(mask, grad, 0.0), None, None


class ClampTensor(Function):
    """Clamp to tensor bounds (broadcast with x). PyTorch's convention for the bounds:
    d/dlo = g [x < lo and lo < hi],  d/dhi = g [x > hi or hi < lo]."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        xp = ctx.xp
        out = x
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        if out is x:
            out = x.copy()
        return out

    @staticmethod
    def backward(ctx, grad):
        xa, la, ha = ctx.saved
        need_x, need_lo, need_hi = ctx.needs_input_grad
        if la is not None and ha is not None:
            mask_x = (xa >= la) & (xa <= ha)
            mask_lo = (xa < la) & (la < ha) if need_lo else None
            mask_hi = (xa > ha) | (ha < la) if need_hi else None
        elif la is not None:
            mask_x, mask_lo, mask_hi = xa >= la, (xa < la) if need_lo else None, None
        else:
            mask_x, mask_lo, mask_hi = xa <= ha, None, (xa > ha) if need_hi else None
        m = ctx.math
        return tuple(m.where(mask, grad, 0.0) if need else None
                     for need, mask in ((need_x, mask_x), (need_lo, mask_lo), (need_hi, mask_hi)))


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002  (PyTorch's names)
    """Limit ``input`` to ``[min, max]`` (numbers or tensors, either may be None). If
    ``min > max``, every element becomes ``max``, as in PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"clamp(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        x = input
        if min is not None:
            x, min = binary(x, min)
        if max is not None:
            x, max = binary(x, max)
        if isinstance(min, Tensor) and min._data.dtype != x._data.dtype:
            min = min.to(x.dtype)
        return ClampTensor.apply(x, min, max)
    bounds = []
    target = _dt.from_numpy_dtype(input._data.dtype)
    for name, bound in (("min", min), ("max", max)):
        if bound is None:
            bounds.append(None)
            continue
        value = scalar_value(bound)
        if value is None:
            raise TypeError(f"clamp(): argument '{name}' must be a number or a Tensor, not "
                            f"{type(bound).__name__}")
        target = _dt.result_type_with_scalar(target, value)
        bounds.append(value)
    x = input if target.numpy == input._data.dtype else input.to(target)
    return Clamp.apply(x, bounds[0], bounds[1])


def clamp_min(input: Tensor, min) -> Tensor:  # noqa: A002
    return clamp(input, min=min)


def clamp_max(input: Tensor, max) -> Tensor:  # noqa: A002
    return clamp(input, max=max)


clip = clamp


# ----------------------------------------------------------------------------- max / min
def _tie_split_grads(ctx, grad, loses):
    """Gradients of maximum (``loses=operator.lt``) or minimum (``operator.gt``):
    ``loses(x, y)`` marks where operand ``x`` is not chosen over ``y``; on ties each gets half.
    The weights (0, 1/2 or 1) are constants."""
    a, b = ctx.saved
    m = ctx.math
    half_ties = m.cast(a == b, grad) * 0.5
    need_a, need_b = ctx.needs_input_grad
    return (grad * (m.cast(~loses(a, b), grad) - half_ties) if need_a else None,
            grad * (m.cast(~loses(b, a), grad) - half_ties) if need_b else None)


class Maximum(Function):
    """Elementwise max; on ties each operand gets half the gradient (as in PyTorch)."""

    rule = Rule("y = max(a, b)", r"y = \max(a, b)",
                Input("a", "dy/da = 1 where a > b", r"\frac{\partial y}{\partial a} = \mathbb{1}[a > b]",
                      "g where a is the larger", r"g \odot \mathbb{1}[a > b]"),
                Input("b", "dy/db = 1 where b > a", r"\frac{\partial y}{\partial b} = \mathbb{1}[b > a]",
                      "g where b is the larger", r"g \odot \mathbb{1}[b > a]"),
                elementwise=True)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _tie_split_grads(ctx, grad, operator.lt)


class Minimum(Function):
    """Elementwise min; on ties each operand gets half the gradient (as in PyTorch)."""

    rule = Rule("y = min(a, b)", r"y = \min(a, b)",
                Input("a", "dy/da = 1 where a < b", r"\frac{\partial y}{\partial a} = \mathbb{1}[a < b]",
                      "g where a is the smaller", r"g \odot \mathbb{1}[a < b]"),
                Input("b", "dy/db = 1 where b < a", r"\frac{\partial y}{\partial b} = \mathbb{1}[b < a]",
                      "g where b is the smaller", r"g \odot \mathbb{1}[b < a]"),
                elementwise=True)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _tie_split_grads(ctx, grad, operator.gt)


class Fmax(Function):
    """Elementwise max ignoring NaN: the gradient goes to whichever operand was chosen."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.fmax(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _chosen_grads(ctx, grad, operator.ge)


class Fmin(Function):
    """Elementwise min ignoring NaN: the gradient goes to whichever operand was chosen."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.fmin(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _chosen_grads(ctx, grad, operator.le)


def _chosen_grads(ctx, grad, keeps):
    """Gradients of fmax (``keeps=operator.ge``) or fmin (``operator.le``): all of ``grad``
    to ``a`` where ``keeps(a, b)`` or ``b`` is NaN, else to ``b``."""
    a, b = ctx.saved
    m = ctx.math
    chosen = keeps(a, b) | m.isnan(b)
    need_a, need_b = ctx.needs_input_grad
    return (m.where(chosen, grad, 0.0) if need_a else None,
            m.where(chosen, 0.0, grad) if need_b else None)


def _tensor_pair(input, other, name: str, floating: bool = False, strict: bool = True):
    """Both operands as tensors of the promoted dtype. PyTorch's ``maximum``, ``fmax``,
    ``atan2``, ... take two Tensors (``strict``); the backward rules' namespace also lets a
    number through (it becomes a 0-d tensor)."""
    if strict:
        for position, (arg, value) in enumerate((("input", input), ("other", other)), 1):
            if not isinstance(value, Tensor):
                raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be "
                                f"Tensor, not {type(value).__name__}; wrap a number first, "
                                f"e.g. torch.tensor({value!r})")
    elif not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): expected at least one Tensor argument, got "
                        f"{type(input).__name__} and {type(other).__name__}")
    a, b = float_operands(input, other) if floating else binary(input, other)
    if not isinstance(a, Tensor):
        a = _scalar_tensor(a, b)
    elif not isinstance(b, Tensor):
        b = _scalar_tensor(b, a)
    return a, b


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum (NaN propagates)."""
    return Maximum.apply(*_tensor_pair(input, other, "maximum"))


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum (NaN propagates)."""
    return Minimum.apply(*_tensor_pair(input, other, "minimum"))


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum, taking the other operand where one is NaN."""
    return Fmax.apply(*_tensor_pair(input, other, "fmax"))


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum, taking the other operand where one is NaN."""
    return Fmin.apply(*_tensor_pair(input, other, "fmin"))


# ----------------------------------------------------------------------------- lerp, atan2
class Lerp(Function):
    """``a + w (b - a)``; computed as ``b - (b - a)(1 - w)`` for ``|w| >= 1/2`` so that
    ``w = 1`` gives exactly ``b``."""

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        diff = b - a
        if not hasattr(w, "shape"):  # a Python number
            return a + w * diff if -0.5 < w < 0.5 else b - diff * (1.0 - w)
        xp = ctx.xp
        return xp.where(xp.abs(w) < 0.5, a + w * diff, b - diff * (1.0 - w))

    @staticmethod
    def backward(ctx, grad):
        a, b, w = ctx.saved
        need_a, need_b, need_w = ctx.needs_input_grad
        return (grad * (1.0 - w) if need_a else None, grad * w if need_b else None,
                grad * (b - a) if need_w else None)


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)`` (``weight`` a number or a
    tensor; all three broadcast together)."""
    for name, value in (("input", input), ("end", end)):
        if not isinstance(value, Tensor):
            raise TypeError(f"lerp(): argument '{name}' must be Tensor, not "
                            f"{type(value).__name__}")
    _same_dtype(input, end, "end")
    if isinstance(weight, Tensor):
        _same_dtype(input, weight, "weight")
    else:
        w = scalar_value(weight)
        if w is None:
            raise TypeError(f"lerp(): argument 'weight' must be a number or a Tensor, not "
                            f"{type(weight).__name__}")
        weight = w
    broadcast_shapes(input._data.shape, end._data.shape,
                     *([weight._data.shape] if isinstance(weight, Tensor) else []))
    return Lerp.apply(input, end, weight)


def _same_dtype(input: Tensor, other: Tensor, name: str) -> None:
    if other._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"expected dtype {input.dtype.name} for `{name}` but got dtype {other.dtype.name}; "
            f"convert it first, e.g. {name}.to(input.dtype)"
        )


class Atan2(Function):
    """theta = atan2(y, x), the angle of the point (x, y):
    d/dy = x / (x^2 + y^2),  d/dx = -y / (x^2 + y^2);
    at the origin (where x^2 + y^2 = 0) both are taken as 0, as PyTorch does."""

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return ctx.xp.arctan2(y, x)

    @staticmethod
    def backward(ctx, grad):
        y, x = ctx.saved
        m = ctx.math
        need_y, need_x = ctx.needs_input_grad
        r2 = x * x + y * y
        recip = m.where(r2 == 0, 0.0, 1.0 / m.where(r2 == 0, 1.0, r2))
        return (grad * x * recip if need_y else None), (grad * -y * recip if need_x else None)


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of the point (other, input), i.e. atan(input / other) in the right
    quadrant. Integer tensors give the default float dtype."""
    return Atan2.apply(*_tensor_pair(input, other, "atan2", floating=True))


arctan2 = atan2


# ----------------------------------------------------------------------------- methods
def _where_method(self: Tensor, condition, other) -> Tensor:
    return where(condition, self, other)


def _inplace(fn, name: str):
    def method(self: Tensor, *args) -> Tensor:
        from ._inplace import apply_inplace

        return apply_inplace(self, fn, *args, op_name=name)

    method.__name__ = name
    method.__doc__ = f"In-place version of `{fn.__name__}`."
    return method


def _clamp_inplace(self: Tensor, min=None, max=None) -> Tensor:  # noqa: A002
    """In-place clamp; without a graph, number bounds are applied straight to the array."""
    from ._inplace import apply_inplace

    if min is None and max is None:
        raise RuntimeError("clamp_: At least one of 'min' or 'max' must not be None")
    lo = None if min is None else scalar_value(min)
    hi = None if max is None else scalar_value(max)
    fast = None
    if (min is None or lo is not None) and (max is None or hi is not None) and (
            self._data.dtype.kind == "f"):
        fast = _clip_into
        min, max = lo, hi
    return apply_inplace(self, clamp, min, max, op_name="clamp_", fast=fast)


def _clip_into(array, lo, hi) -> None:
    from .._backend import backend_of

    xp = backend_of(array).xp
    if lo is not None:
        xp.maximum(array, lo, out=array)
    if hi is not None:
        xp.minimum(array, hi, out=array)


_METHODS = {"clamp": clamp, "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max,
            "maximum": maximum, "minimum": minimum, "fmax": fmax, "fmin": fmin, "lerp": lerp,
            "atan2": atan2, "arctan2": atan2}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.where = _where_method

# In-place variants, unless the in-place module already provides them.
_INPLACE = {"clamp_": _clamp_inplace, "clip_": _clamp_inplace,
            "clamp_min_": _inplace(clamp_min, "clamp_min_"),
            "clamp_max_": _inplace(clamp_max, "clamp_max_"), "lerp_": _inplace(lerp, "lerp_"),
            "atan2_": _inplace(atan2, "atan2_")}
for _name, _fn in _INPLACE.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)
del _name, _fn

__all__ = ["where", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "fmax",
           "fmin", "lerp", "atan2", "arctan2"]
