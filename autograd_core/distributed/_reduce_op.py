"""`ReduceOp`: how `all_reduce` and `reduce_scatter` combine the ranks' tensors."""

from __future__ import annotations

import enum


class ReduceOp(enum.Enum):
    """Elementwise combination over ranks r = 0..R-1 of their tensors x_r:

    SUM: sum_r x_r    AVG: (1/R) sum_r x_r    PRODUCT: prod_r x_r
    MIN / MAX: min_r x_r / max_r x_r    BAND / BOR / BXOR: bitwise, integer tensors only
    """

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7

    def __repr__(self) -> str:
        return f"ReduceOp.{self.name}"


ReduceOp.RedOpType = ReduceOp  # PyTorch spells the enum type ReduceOp.RedOpType
