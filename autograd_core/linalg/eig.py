"""``linalg.eig`` and ``linalg.eigvals``: eigen-decomposition of a general square matrix,
A = V diag(L) V^{-1}, with complex results (as PyTorch: even for a real A), eigenvectors
of unit norm.

Gradient (PyTorch's; for a real loss, G_L and G_V the gradients of L and V):

    X = V^H G_V,   P = X - V^H V diag(Re diag X)    (the part not due to a phase of V)
    P_ij <- P_ij / conj(L_j - L_i)   (i != j),      P_ii <- (G_L)_i
    G_A = V^{-H} P V^H,  its real part when A is real.

Like PyTorch, the gradient is infinite where two eigenvalues coincide and V is used. A loss
that depends on the arbitrary phase of the eigenvectors has no gradient; PyTorch refuses it,
here it is not checked.
"""

from __future__ import annotations

from ..ops._complex_function import ComplexFunction
from ..tensor import Tensor
from ._common import check_tensor


def _mh(m, x):
    return m.conj(m.mT(x))


class InvComplex(ComplexFunction):
    """B = A^{-1} (complex A);  G_A = -B^H G B^H."""

    torch_name = "LinalgInvEx"

    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.linalg.inv(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (b,) = ctx.saved
        bh = _mh(ctx.math, b)
        return -(bh @ grad @ bh)


class Eig(ComplexFunction):
    """L, V = eig(A); see the module docstring for the rule."""

    torch_name = "LinalgEig"

    materialize_grads = False

    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        if not hasattr(xp.linalg, "eig"):
            raise RuntimeError("linalg.eig: this device's array library has no general "
                               "eigensolver (CuPy has eigh only); use A.cpu(), or eigh for a "
                               "symmetric A")
        kind = "complex128" if str(a.dtype) in ("float64", "complex128") else "complex64"
        w, v = xp.linalg.eig(a)
        w, v = w.astype(kind, copy=False), v.astype(kind, copy=False)
        ctx.real_input = a.dtype.kind != "c"
        ctx.eye = xp.eye(a.shape[-1], dtype="float64" if kind == "complex128" else "float32")
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, grad_w, grad_v):
        w, v = ctx.saved
        m = ctx.math
        eye = m.const(ctx.eye)
        vh = _mh(m, v)
        if grad_v is None:
            inner = eye * grad_w[..., None, :]
        else:
            x = vh @ grad_v
            re_diag = m.real(m.sum(x * eye, -1))
            p = x - vh @ (v * re_diag[..., None, :])
            lc = m.conj(w)
            gaps = lc[..., None, :] - lc[..., :, None] + eye  # diagonal set to 1
            p = p / gaps
            inner = p if grad_w is None else p * (1.0 - eye) + eye * grad_w[..., None, :]
        ga = _mh(m, m.apply(InvComplex, v)) @ inner @ vh
        return m.real(ga) if ctx.real_input else ga


def _check_square(name: str, a) -> None:
    check_tensor(name, "input", a)
    if a._data.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions "
                           f"(got shape {list(a.shape)}).")
    if a._data.dtype.kind not in "fc" or a._data.dtype.itemsize < 4:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. "
                           f"Got {a.dtype} (convert first, e.g. A.double())")
    if a._data.shape[-1] != a._data.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{a._data.shape[-2]} by {a._data.shape[-1]} matrices")


def _refuse_out(name: str, out) -> None:
    if out is not None:
        raise TypeError(f"linalg.{name}(): out= is not supported here; assign what "
                        f"linalg.{name}(A) returns instead")


def eig(A: Tensor, *, out=None):
    """``(eigenvalues, eigenvectors)``, complex, for a (batch of) square matrix."""
    _refuse_out("eig", out)
    _check_square("eig", A)
    w, v = Eig.apply(A)
    return _EigResult(w, v)


def eigvals(A: Tensor, *, out=None) -> Tensor:
    """The eigenvalues (complex) of a (batch of) square matrix."""
    _refuse_out("eigvals", out)
    _check_square("eigvals", A)
    return Eig.apply(A)[0]


class _EigResult(tuple):
    """``(eigenvalues, eigenvectors)`` with those names, as PyTorch's return type."""

    def __new__(cls, eigenvalues, eigenvectors):
        return super().__new__(cls, (eigenvalues, eigenvectors))

    @property
    def eigenvalues(self):
        return self[0]

    @property
    def eigenvectors(self):
        return self[1]
