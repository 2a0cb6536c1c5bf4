"""`pdist`: the distances between all pairs of rows of a matrix."""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["pdist"]


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """||x_i - x_j||_p for every pair of rows i < j of (N, M), in row-major order of the
    pairs: a vector of N (N - 1) / 2 distances."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values (got p={p})")
    n = input.shape[0]
    steps = ag.arange(n, device=input.device)
    pairs = (steps.unsqueeze(1) < steps.unsqueeze(0)).nonzero()  # (P, 2), row-major
    if pairs.shape[0] == 0:  # fewer than two rows: no pairs, but still in input's graph
        return input.reshape(-1)[:0] * 1.0
    rows_i = input.index_select(0, pairs[:, 0])
    rows_j = input.index_select(0, pairs[:, 1])
    return (rows_i - rows_j).norm(p, 1)
