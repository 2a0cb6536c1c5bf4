"""``gradient``: derivatives of sampled values by finite differences, one tensor per dim.

With samples f_i = f(i h) along a dim (spacing h):

    interior              f'_i = (f_{i+1} - f_{i-1}) / (2h)
    edges, edge_order=1   f'_0 = (f_1 - f_0) / h                f'_{n-1} = (f_{n-1} - f_{n-2}) / h
    edges, edge_order=2   f'_0 = (-3 f_0 + 4 f_1 - f_2) / (2h)  f'_{n-1} = (3 f_{n-1} - 4 f_{n-2} + f_{n-3}) / (2h)

Built from `narrow` and `cat`, so it is linear and differentiable in ``input``.
"""

from __future__ import annotations

from ..tensor import Tensor, _normalize_dim
from .joining import cat

__all__ = ["gradient"]


def _along(f: Tensor, d: int, h: float, edge_order: int) -> Tensor:
    n = f.shape[d]

    def at(start: int, length: int) -> Tensor:
        return f.narrow(d, start % n if start < 0 else start, length)

    inner = (at(2, n - 2) - at(0, n - 2)) / (2 * h)
    if edge_order == 1:
        first = (at(1, 1) - at(0, 1)) / h
        last = (at(-1, 1) - at(-2, 1)) / h
    else:
        first = (-3 * at(0, 1) + 4 * at(1, 1) - at(2, 1)) / (2 * h)
        last = (3 * at(-1, 1) - 4 * at(-2, 1) + at(-3, 1)) / (2 * h)
    return cat([first, inner, last], d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple:
    """Finite-difference estimates of d input / d x_k for each dim k in ``dim`` (all dims by
    default), with a scalar ``spacing`` or one per dim."""
    if edge_order not in (1, 2):
        raise RuntimeError(f"torch.gradient only supports edge_order=1 and edge_order=2, got "
                           f"{edge_order}")
    dims = list(range(input.ndim)) if dim is None else \
        [dim] if isinstance(dim, int) else list(dim)
    dims = [_normalize_dim(d, input.ndim) for d in dims]
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    spacing = 1 if spacing is None else spacing
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                               f"its length to match the number of dimensions {len(dims)}, but "
                               f"got {len(spacing)} values")
        steps = list(spacing)
    else:
        steps = [spacing] * len(dims)
    if any(isinstance(h, Tensor) and h.ndim > 0 for h in steps):
        raise NotImplementedError("torch.gradient with coordinate tensors as spacing is not "
                                  "supported here; give scalar spacings")
    steps = [float(h.item()) if isinstance(h, Tensor) else float(h) for h in steps]
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError(f"torch.gradient expected each dimension size to be at least "
                               f"edge_order+1 ({edge_order + 1}); dim {d} of the input of shape "
                               f"{list(input.shape)} is shorter")
    return tuple(_along(input, d, h, edge_order) for d, h in zip(dims, steps))
