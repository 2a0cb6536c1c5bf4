"""What the `linalg` files share: PyTorch's `LinAlgError`, argument checks, the small matrix
helpers (triangles, identities) written as tensor operations so that they are differentiable
and run on every device, and their constant forms for backward rules."""

from __future__ import annotations

from ..tensor import Tensor


class LinAlgError(RuntimeError):
    """A matrix that a factorization or a solve cannot handle (singular, not positive
    definite, no convergence). A `RuntimeError`, as ``torch.linalg.LinAlgError`` is."""


def check_tensor(name: str, arg: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


def check_float(name: str, x: Tensor) -> None:
    if x._data.dtype.kind == "c":
        raise NotImplementedError(
            f"{name}: complex matrices are not supported here yet (got {x.dtype}); of linalg, "
            f"eig and eigvals take them")
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got "
            f"{x.dtype.name.capitalize()} (convert first, e.g. A.double())")


def check_matrix(name: str, x: Tensor, square: bool = False, what: str = "A") -> None:
    """``x`` is a float (batch of) matrix, square when asked."""
    check_tensor(name, what, x)
    if x._data.ndim < 2:
        raise RuntimeError(
            f"{name}: The input tensor {what} must have at least 2 dimensions (got shape "
            f"{list(x.shape)}).")
    check_float(name, x)
    if square and x._data.shape[-1] != x._data.shape[-2]:
        n, k = x._data.shape[-2:]
        raise RuntimeError(
            f"{name}: {what} must be batches of square matrices, but they are {n} by {k} "
            f"matrices (shape {list(x.shape)})")


def same_dtype(name: str, a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"{name}: Expected all tensors to have the same dtype, but got {a.dtype.name} and "
            f"{b.dtype.name} (cast one, e.g. B.to(A.dtype))")


def singular_error(name: str, info, what: str = "input") -> LinAlgError:
    """PyTorch's error for a singular matrix (``info``: the 1-based pivot that is zero)."""
    return LinAlgError(
        f"{name}: The diagonal element {int(info)} is zero, the inversion could not be "
        f"completed because the {what} matrix is singular.")


def eye_like(x: Tensor, n: int | None = None) -> Tensor:
    from ..factories import eye

    n = x.shape[-1] if n is None else n
    return eye(n, dtype=x.dtype, device=x.device)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (below the ``diagonal``-th diagonal kept), by a constant mask."""
    return x * _triangle_mask(x, False, diagonal)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle, by a constant mask."""
    return x * _triangle_mask(x, True, diagonal)


def _triangle_mask(x: Tensor, upper: bool, diagonal: int) -> Tensor:
    from .._backend import backend_of
    from ..tensor import _wrap

    xp = backend_of(x._data).xp
    n, k = x._data.shape[-2:]
    ones = xp.ones((n, k), dtype=x._data.dtype)
    return _wrap(xp.triu(ones, diagonal) if upper else xp.tril(ones, diagonal))


def results(name: str, *fields: str):
    """A named tuple type for a multi-output result (``torch.return_types`` style)."""
    from collections import namedtuple

    cls = namedtuple(name, fields)
    cls.__module__ = "autograd_core.linalg"
    return cls


def raw_dtype(x):
    """The array dtype of an array or a Tensor (rules see both)."""
    return x._data.dtype if isinstance(x, Tensor) else x.dtype


def rule_triangle(ctx, like, upper: bool, diagonal: int = 0):
    """In a backward rule: the constant 0/1 triangle mask of ``like``'s last two dims."""
    xp = ctx.xp
    n, k = like.shape[-2:]
    ones = xp.ones((n, k), dtype=raw_dtype(like))
    return ctx.math.const(xp.triu(ones, diagonal) if upper else xp.tril(ones, diagonal))


def rule_eye(ctx, like, n: int | None = None):
    """In a backward rule: the constant identity matching ``like``'s last dim."""
    n = like.shape[-1] if n is None else n
    return ctx.math.const(ctx.xp.eye(n, dtype=raw_dtype(like)))
