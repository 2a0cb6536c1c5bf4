"""Primitives: each `Function` with its forward on arrays and its backward rule.

Importing this package attaches the operations to `Tensor` (methods and operators).
One module per family of operations:

- `arithmetic`  + - * / ** // % and their reflected forms
- `unary`       exp, log, trig, sigmoid, relu, erf, rounding, ...
- `selection`   where, clamp, maximum, minimum, lerp
- `comparison`  == != < <= > >=, logical ops on bools, isnan/isinf
- `reduction`   sum, mean, prod, var, std, max/min, norms, softmax, cumsum, ...
- `shape`       reshape, permute, cat, stack, split, flip, roll, ...
- `indexing`    x[...] (get and set), gather, scatter, index_select, masked_fill
- `linalg`      matmul, mm, bmm, dot, outer, einsum
- `inplace`     add_, mul_, zero_, fill_, copy_, ... with version counters
- `conversion`  to(dtype/device), float(), cuda(), clone
"""

from . import (  # noqa: F401  (imported for their side effect of attaching methods)
    _broadcast,
    arithmetic,
    comparison,
    conversion,
    indexing,
    inplace,
    linalg,
    reduction,
    selection,
    shape,
    unary,
)
