"""Primitives: each `Function` with its forward on arrays and its backward rule.

Importing this package attaches the operations to `Tensor` (methods and operators).
One module per family of operations:

- `arithmetic`  + - * / ** // % and their reflected forms
- `unary`       exp, log, sqrt, square, reciprocal, sigmoid, relu, abs
- `trig`        sin, cos, tan, sinh, cosh, tanh and their inverses
- `special`     erf, erfc
- `special_erf` erfcx, erfinv, ndtr, ndtri, log_ndtr
- `special_log` xlogy, xlog1py, entr, logit, sinc
- `special_bessel` i0, i0e, i1, i1e
- `rounding`    floor, ceil, trunc, round, sign, frac, nan_to_num
- `selection`   where, clamp, maximum, minimum, lerp
- `comparison`  == != < <= > >=, logical ops on bools, isnan/isinf
- `reduction`   sum, mean, prod, var, std, all, any, count_nonzero (and the shape helpers)
- `extrema`     max, min, median, amax, amin, argmax, argmin
- `softmax`     softmax, log_softmax, logsumexp
- `norm`        norm (vector p-norms)
- `cumulative`  cumsum, cumprod
- `shape`       views: reshape, view, permute, transpose, squeeze, flatten, expand, movedim
- `joining`     cat, stack, hstack/vstack/..., split, chunk, unbind, narrow
- `reorder`     repeat, tile, flip, roll (copies)
- `indexing`    x[...] (get and set)
- `scatter_gather` gather, scatter, scatter_add, take_along_dim, index_select/add/copy/fill, take
- `masking`     masked_fill, masked_select, nonzero, argwhere
- `linalg`      matmul, mm, bmm, mv, dot, outer, addmm
- `einsum`      einsum, tensordot, inner
- `inplace`     add_, mul_, zero_, fill_, copy_, ... with version counters
- `random_fill` normal_, uniform_, random_, bernoulli_
- `conversion`  to(dtype/device), float(), cuda(), clone
"""

from .. import _rule_math
from . import (  # noqa: F401  (imported for their side effect of attaching methods)
    _broadcast,
    arithmetic,
    comparison,
    conversion,
    cumulative,
    einsum,
    extrema,
    indexing,
    inplace,
    joining,
    linalg,
    masking,
    norm,
    random_fill,
    reduction,
    reorder,
    rounding,
    scatter_gather,
    selection,
    shape,
    softmax,
    special,
    special_bessel,
    special_erf,
    special_log,
    trig,
    unary,
)
from ._tensor_math import TensorMath

# The Tensor side of the backward rules' vocabulary (`ctx.math` under create_graph=True).
_rule_math.install_tensor_math(TensorMath([
    arithmetic, comparison, conversion, cumulative, einsum, extrema, indexing, joining, linalg,
    masking, norm, reduction, reorder, rounding, scatter_gather, selection, shape, softmax,
    special, special_bessel, special_erf, special_log, trig, unary, _broadcast,
]))
_rule_math.register_array_function("erf", special._erf_array)
_rule_math.register_array_function("erfc", special._erfc_array)
