"""Complex numbers: the parts of a complex tensor and the ways to build one.

``real``, ``imag`` (views), ``conj`` (an eager copy here: PyTorch's lazy conjugate bit is not
modelled, so ``is_conj()`` is always False and ``resolve_conj()`` returns its input),
``conj_physical``, ``abs``, ``angle``, ``view_as_real``, ``view_as_complex``, ``complex``,
``polar``, and the casts between real and complex dtypes.

Gradients follow PyTorch's convention (see `_complex_function`): a complex value carries
g = dL/dx + i dL/dy. So, with z = x + iy, r = |z|, theta = angle(z):

    real:  g_z = g            imag:  g_z = i g           conj:  g_z = conj(g)
    abs:   g_z = g z / r      angle: g_z = i g z / r^2
    complex(x, y): g_x = Re g, g_y = Im g
    polar(r, theta): g_r = Re g cos(theta) + Im g sin(theta),
                     g_theta = r (Im g cos(theta) - Re g sin(theta))
"""

from __future__ import annotations

from .. import dtypes as _dt
from .._backend import as_array
from .._teaching import Input, Rule
from ..tensor import Tensor
from ._complex_function import ComplexFunction

_REAL_OF = {"complex64": "float32", "complex128": "float64"}
_COMPLEX_OF = {"float32": "complex64", "float64": "complex128", "float16": "complex64"}


def _complex_dtype_of(real_dtype):
    return _COMPLEX_OF.get(str(real_dtype), "complex64")


# ----------------------------------------------------------------------------- primitives
class Real(ComplexFunction):
    """y = Re z (a view of the real parts); g_z = g + 0i."""

    rule = Rule("y = Re(a)", r"y = \operatorname{Re} a",
                Input("a", "dy/d(Re a) = 1, dy/d(Im a) = 0",
                      r"\frac{\partial y}{\partial \operatorname{Re} a} = 1", "g + 0i", "g + 0i"),
                elementwise=True)

    @staticmethod
    def forward(ctx, z):
        return ctx.xp.real(z)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(Complex, grad, ctx.math.zeros_like(grad))


class Imag(ComplexFunction):
    """y = Im z (a view of the imaginary parts); g_z = 0 + i g."""

    rule = Rule("y = Im(a)", r"y = \operatorname{Im} a",
                Input("a", "dy/d(Re a) = 0, dy/d(Im a) = 1",
                      r"\frac{\partial y}{\partial \operatorname{Im} a} = 1", "0 + i g", r"i\,g"),
                elementwise=True)

    @staticmethod
    def forward(ctx, z):
        return ctx.xp.imag(z)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(Complex, ctx.math.zeros_like(grad), grad)


class Conj(ComplexFunction):
    """y = conj(z); the map is R-linear, so g_z = conj(g)."""

    rule = Rule("y = conj(a)", r"y = \bar{a}",
                Input("a", "Re y = Re a, Im y = -Im a", r"\bar{a}: (x, y) \mapsto (x, -y)",
                      "conj(g)", r"\bar{g}"),
                elementwise=True)

    @staticmethod
    def forward(ctx, z):
        return ctx.xp.conj(z)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.conj(grad)


class AbsComplex(ComplexFunction):
    """y = |z| = sqrt(x^2 + y^2);  g_z = g z / |z|  (0 at z = 0, as PyTorch)."""

    torch_name = "Abs"

    rule = Rule("y = |a| (complex a)", "y = |a|",
                Input("a", "dy/d(Re a) + i dy/d(Im a) = a/|a|",
                      r"\frac{\partial y}{\partial \operatorname{Re} a} + i\,\frac{\partial y}"
                      r"{\partial \operatorname{Im} a} = \frac{a}{|a|}", "g * a / |a|",
                      r"g \odot \frac{a}{|a|}"),
                elementwise=True)

    @staticmethod
    def forward(ctx, z):
        out = as_array(ctx.xp.abs(z), ctx.xp)
        ctx.save_for_backward(z, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        z, r = ctx.saved
        m = ctx.math
        safe = m.where(r == 0, m.ones_like(r), r)
        return m.apply(ScaleComplex, z, grad / safe)


class Angle(ComplexFunction):
    """theta = atan2(y, x);  d theta/dx = -y/r^2, d theta/dy = x/r^2, so g_z = i g z / r^2
    (0 at z = 0)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return as_array(ctx.xp.angle(z), ctx.xp)

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved
        m = ctx.math
        x, y = m.real(z), m.imag(z)
        r2 = x * x + y * y
        scale = grad / m.where(r2 == 0, m.ones_like(r2), r2)
        return m.apply(Complex, -y * scale, x * scale)


class ScaleComplex(ComplexFunction):
    """y = z s for complex z and real s (same broadcasting as ``*``):
    g_z = g s, g_s = Re(g conj(z)) = Re g Re z + Im g Im z."""

    torch_name = "Mul"

    @staticmethod
    def forward(ctx, z, s):
        ctx.save_for_backward(z if ctx.needs_input_grad[1] else None, s)
        return z * s

    @staticmethod
    def backward(ctx, grad):
        z, s = ctx.saved
        m = ctx.math
        gz = m.apply(ScaleComplex, grad, s) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[1]:
            gs = m.real(grad) * m.real(z) + m.imag(grad) * m.imag(z)
        return gz, gs


class Complex(ComplexFunction):
    """z = x + i y from two real tensors;  g_x = Re g, g_y = Im g."""

    @staticmethod
    def forward(ctx, x, y):
        xp = ctx.xp
        shape = xp.broadcast_shapes(x.shape, y.shape)
        pairs = xp.stack([xp.broadcast_to(x, shape), xp.broadcast_to(y, shape)], axis=-1)
        return pairs.view(_complex_dtype_of(x.dtype))[..., 0]  # (exact: no 1j * inf = nan)

    @staticmethod
    def backward(ctx, grad):
        m = ctx.math
        return m.real(grad), m.imag(grad)


class Polar(ComplexFunction):
    """z = r (cos theta + i sin theta); see the module docstring for the gradients."""

    @staticmethod
    def forward(ctx, r, theta):
        xp = ctx.xp
        ctx.save_for_backward(r, theta)
        return Complex.forward(ctx, r * xp.cos(theta), r * xp.sin(theta))

    @staticmethod
    def backward(ctx, grad):
        r, theta = ctx.saved
        m = ctx.math
        gr, gi = m.real(grad), m.imag(grad)
        c, s = m.cos(theta), m.sin(theta)
        return gr * c + gi * s, r * (gi * c - gr * s)


class ViewAsReal(ComplexFunction):
    """(..., ) complex -> (..., 2) real [Re, Im];  g_z = g[..., 0] + i g[..., 1]."""

    @staticmethod
    def forward(ctx, z):
        xp = ctx.xp
        real = _REAL_OF[str(z.dtype)]
        if z.ndim and z.strides[-1] == z.itemsize or z.ndim == 0 or z.size <= 1:
            try:
                return z[..., None].view(real)  # shares memory, as PyTorch's view
            except ValueError:
                pass
        return xp.stack([xp.real(z), xp.imag(z)], axis=-1)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(ViewAsComplex, grad)


class ViewAsComplex(ComplexFunction):
    """(..., 2) real -> (...) complex;  g_x = view_as_real(g)."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        if x.strides[-1] == x.itemsize and all(s % (2 * x.itemsize) == 0 for s in x.strides[:-1]):
            return x.view(_complex_dtype_of(x.dtype))[..., 0]
        return Complex.forward(ctx, xp.ascontiguousarray(x[..., 0]),
                               xp.ascontiguousarray(x[..., 1]))

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(ViewAsReal, grad)


class ComplexCast(ComplexFunction):
    """A cast into or out of a complex dtype. Real -> complex: g_x = Re g. Complex -> real
    keeps the real part (as PyTorch, which warns): g_z = g + 0i."""

    torch_name = "ToCopy"

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.from_complex = x.dtype.kind == "c"
        ctx.to_complex = _dt.as_dtype(np_dtype).numpy.kind == "c"
        if ctx.from_complex and not ctx.to_complex:
            return ctx.xp.real(x).astype(np_dtype)
        return x.astype(np_dtype)

    @staticmethod
    def backward(ctx, grad):
        m = ctx.math
        if ctx.from_complex == ctx.to_complex:
            return grad, None  # the engine casts it to the input's dtype
        if ctx.from_complex:
            return m.apply(Complex, grad, m.zeros_like(grad)), None
        return m.real(grad), None


# ----------------------------------------------------------------------------- functions
def _require_complex(input, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input._data.dtype.kind != "c":
        raise RuntimeError(f"{op} is only supported for complex tensors, got {input.dtype}; "
                           f"make one with autograd_core.complex(re, im) or x.to(autograd_core.cfloat)")


def _viewing(out: Tensor, base: Tensor) -> Tensor:
    """``out`` shares ``base``'s version counter when it shares its memory (a view), so an
    in-place change through one is seen by the saved-value checks of the other."""
    if base._data.size and out._data.size and _owner(out._data) is _owner(base._data):
        out._version_counter = base._version_counter
    return out


def _owner(array):
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def real(input: Tensor) -> Tensor:
    """The real parts (a view); a real tensor is returned as is."""
    if input._data.dtype.kind != "c":
        return input
    return _viewing(Real.apply(input), input)


def imag(input: Tensor) -> Tensor:
    """The imaginary parts (a view). PyTorch refuses real tensors; so do we."""
    if input._data.dtype.kind != "c":
        raise RuntimeError(f"imag is not implemented for tensors with non-complex dtypes "
                           f"(got {input.dtype}); a real tensor's imaginary part is zero")
    return _viewing(Imag.apply(input), input)


def conj(input: Tensor) -> Tensor:
    """The complex conjugate. An eager copy (PyTorch makes a lazy view with ``is_conj()``
    True; here ``is_conj()`` is always False); a real tensor is returned as is."""
    if input._data.dtype.kind != "c":
        return input
    return Conj.apply(input)


def conj_physical(input: Tensor) -> Tensor:
    """The complex conjugate, always materialised (a copy for real tensors too)."""
    if input._data.dtype.kind != "c":
        return input.clone()
    return Conj.apply(input)


def resolve_conj(input: Tensor) -> Tensor:
    """``input``: conjugates are never lazy here, so there is nothing to resolve."""
    return input


def is_conj(input: Tensor) -> bool:
    """Always False: `conj` copies instead of setting PyTorch's conjugate bit."""
    return False


def is_complex(input: Tensor) -> bool:
    return input._data.dtype.kind == "c"


def view_as_real(input: Tensor) -> Tensor:
    """A real view (..., 2) of a complex tensor: the last axis holds (Re, Im)."""
    if not isinstance(input, Tensor) or input._data.dtype.kind != "c":
        got = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"view_as_real is only supported for complex tensors, got {got}")
    return _viewing(ViewAsReal.apply(input), input)


def view_as_complex(input: Tensor) -> Tensor:
    """A complex view of a real tensor whose last axis has size 2 (Re, Im)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"view_as_complex(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if input._data.dtype.kind != "f" or input._data.dtype.itemsize < 4:
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {input.dtype}")
    if input._data.ndim == 0 or input._data.shape[-1] != 2:
        raise RuntimeError(f"Tensor must have a last dimension of size 2, got shape "
                           f"{tuple(input.shape)}")
    return _viewing(ViewAsComplex.apply(input), input)


def complex(real: Tensor, imag: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """``real + i imag`` from two float tensors of the same dtype (broadcast)."""
    _same_float_pair(real, imag, "complex", "real", "imag")
    return _into(out, Complex.apply(real, imag))


def polar(abs: Tensor, angle: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """``abs * (cos(angle) + i sin(angle))`` from two float tensors of the same dtype."""
    _same_float_pair(abs, angle, "polar", "abs", "angle")
    return _into(out, Polar.apply(abs, angle))


def _into(out, result: Tensor) -> Tensor:
    """``out=``: PyTorch writes only into a tensor of the result's dtype."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if out._data.dtype != result._data.dtype:
        raise RuntimeError(f"Expected object of scalar type {result.dtype} but got scalar type "
                           f"{out.dtype} for argument 'out'; pass an out tensor of {result.dtype}")
    if result.requires_grad:
        raise RuntimeError("functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if tuple(out.shape) != tuple(result.shape):
        out.data = result
    else:
        out._data[...] = result._data
        out._bump_version()
    return out


def _same_float_pair(a, b, op: str, na: str, nb: str) -> None:
    for name, t in ((na, a), (nb, b)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"Expected object of scalar type {a.dtype} but got scalar type "
                           f"{b.dtype} for second argument ({op} needs {na} and {nb} of one dtype)")
    if a._data.dtype.kind != "f" or a._data.dtype.itemsize < 4:
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{a.dtype} and {b.dtype} ({op}: use float32 or float64)")


def cast(input: Tensor, dtype: _dt.dtype) -> Tensor:
    """``input.to(dtype)`` when either side is complex."""
    return ComplexCast.apply(input, dtype.numpy)


def _cfloat(self: Tensor, memory_format=None) -> Tensor:
    return self.to(_dt.complex64)


def _cdouble(self: Tensor, memory_format=None) -> Tensor:
    return self.to(_dt.complex128)


def _chalf(self: Tensor, memory_format=None) -> Tensor:
    raise TypeError("complex32 (chalf) is not supported: the dtypes are complex64 (cfloat) and "
                    "complex128 (cdouble); use x.cfloat()")


def attach_methods(real_only_module) -> None:
    """Attach the methods to `Tensor`, after ``real_only_module`` (`copies`) attached its
    real-only ``conj`` & co., which these replace."""
    del real_only_module  # (imported by the caller first; named here for the order)
    Tensor.real = property(real)
    Tensor.imag = property(imag)
    Tensor.conj = conj
    Tensor.conj_physical = conj_physical
    Tensor.resolve_conj = resolve_conj
    Tensor.is_conj = is_conj
    Tensor.cfloat = _cfloat
    Tensor.cdouble = _cdouble
    Tensor.chalf = _chalf

__all__ = ["real", "imag", "conj", "conj_physical", "resolve_conj", "is_conj", "is_complex",
           "view_as_real", "view_as_complex", "complex", "polar"]
