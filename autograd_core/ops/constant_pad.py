"""``constant_pad_nd``: pad (or, with negative amounts, crop) the last dims with a value.

``pad = (before_last, after_last, before_second_last, after_second_last, ...)``. Built from
`narrow` (the crops) and `cat` with constant blocks, so its gradient is the input's region
of ``g``: ``dx = g[before_0 : before_0 + n_0, ...]``.
"""

from __future__ import annotations

from ..tensor import Tensor
from .conversion import clone
from .joining import cat


def constant_pad_nd(input: Tensor, pad, value: float = 0) -> Tensor:
    """``input`` with ``value`` added before and after its last ``len(pad) // 2`` dims."""
    pads = [int(p) for p in pad]
    if len(pads) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pads)}; "
                           f"give a (before, after) pair per padded dim")
    if len(pads) // 2 > input.ndim:
        raise RuntimeError(f"Length of pad should be no more than twice the number of "
                           f"dimensions of the input. Pad length is {len(pads)} while the input "
                           f"has {input.ndim} dimensions.")
    x = input
    for i in range(len(pads) // 2):
        d = input.ndim - 1 - i
        before, after = pads[2 * i], pads[2 * i + 1]
        n = x.shape[d]
        if n + min(before, 0) + min(after, 0) < 0:
            raise RuntimeError(f"constant_pad_nd(): the input size {n} of dim {d} plus padding "
                               f"{before} and {after} resulted in a negative output size")
        lo, hi = max(-before, 0), max(-after, 0)
        if lo or hi:
            x = x.narrow(d, lo, n - lo - hi)
        parts = []
        for amount in (before, None, after):
            if amount is None:
                parts.append(x)
            elif amount > 0:
                shape = list(x.shape)
                shape[d] = amount
                parts.append(x.new_full(tuple(shape), value))
        if len(parts) > 1:
            x = cat(parts, d)
    return clone(x) if x is input or x._base is not None else x


__all__ = ["constant_pad_nd"]
