"""Primitives: each `Function` with its forward on arrays and its backward rule.

Importing this package attaches the operations to `Tensor` (methods and operators).
One module per family of operations:

- `arithmetic`  + - * / ** // % and their reflected forms
- `unary`       exp, log, sqrt, square, reciprocal, sigmoid, relu, abs
- `trig`        sin, cos, tan, sinh, cosh, tanh and their inverses
- `special`     erf, erfc
- `special_gamma` lgamma, digamma, polygamma
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
- `sorting`     sort, argsort, msort, topk, kthvalue, mode, cummax, cummin
- `triangular`  diagonal, diag_embed, diag, diagflat, trace, tril, triu, block_diag
- `slicing`     select, tensor_split, hsplit/vsplit/dsplit, Tensor.unfold
- `region_scatter` select_scatter, slice_scatter, diagonal_scatter, index_put, put
- `scatter_reduce` scatter_reduce, index_reduce
- `combine`     broadcast_tensors, meshgrid, cartesian_prod, combinations, kron, cross, cdist
- `rearrange`   rot90, diff, repeat_interleave
- `pointwise_extra` copysign, hypot, logaddexp(2), heaviside, addcmul, addcdiv, << >>
- `products`    addmv, addbmm, baddbmm
- `nan_reductions` nansum, nanmean, nanmedian, quantile, nanquantile, logcumsumexp
- `statistics`  cov, corrcoef, bincount, histc
- `searching`   unique, unique_consecutive, searchsorted, bucketize, isin
- `sampling`    multinomial, bernoulli
- `elementwise_more` deg2rad, rad2deg, sinc, xlogy, float_power, logit, ldexp, angle, ...
- `copies`      *_copy variants, sum_to_size, fill, rsub, scalar_tensor, conj & co., H/mH
- `integrals`   aminmax, dist, renorm, trapezoid, trapz, cumulative_trapezoid
- `arguments`   out= on the functions, axis=/keepdims= on the reductions
- `legacy`      FloatTensor & co., memory formats, format(t, spec) for 0-d tensors
- `strided`     stride(), storage_offset(), as_strided (+ copy, scatter), empty_strided, resize_
- `constant_pad` constant_pad_nd
- `masking_more` isreal, nonzero_static
- `random_fill_more` cauchy_, exponential_, geometric_, log_normal_
- `aten_internals` _softmax_backward_data, _safe_softmax, _chunk_cat, _unsafe_masked_index & co.
- `segment_reduce` segment_reduce (= _segment_reduce)
- `special_incomplete_gamma` igamma, igammac, mvlgamma
- `native_norms` native_batch_norm, native_layer_norm, native_group_norm (+ their statistics)
- `finite_differences` gradient
- `histogramdd` histogramdd
- `pool_backward` max_pool2d_with_indices_backward
- `householder` geqrf, ormqr (QR in LAPACK's Householder form)
- `upsample_aa` _upsample_bilinear2d_aa (antialiased bilinear resize)
- `lowrank`     svd_lowrank, pca_lowrank (randomised)
- `aten`        the ``aten`` namespace: ops by their ATen names (``ops.aten.slice.Tensor``)
- `complex`     real, imag, conj, view_as_real/complex, complex, polar, complex casts
- `complex_routing` which real primitives record complex outputs (the linear ones; * / ** @
                exp log sqrt declare it themselves), and complex abs, angle, var, std
"""

from .. import _rule_math
from . import (  # noqa: F401  (imported for their side effect of attaching methods)
    _broadcast,
    arguments,
    arithmetic,
    aten_internals,
    combine,
    comparison,
    constant_pad,
    conversion,
    copies,
    cumulative,
    einsum,
    elementwise_more,
    extrema,
    finite_differences,
    histogramdd,
    householder,
    indexing,
    inplace,
    integrals,
    joining,
    legacy,
    linalg,
    lowrank,
    masking,
    masking_more,
    nan_reductions,
    native_norms,
    norm,
    pointwise_extra,
    pool_backward,
    products,
    random_fill,
    random_fill_more,
    rearrange,
    reduction,
    region_scatter,
    reorder,
    rounding,
    sampling,
    scatter_gather,
    scatter_reduce,
    searching,
    segment_reduce,
    selection,
    shape,
    slicing,
    softmax,
    sorting,
    special,
    special_bessel,
    special_erf,
    special_gamma,
    special_incomplete_gamma,
    special_log,
    statistics,
    strided,
    triangular,
    trig,
    unary,
    upsample_aa,
)

# isort: off
from . import complex, complex_routing  # noqa: E402, F401  (after the real families)
# isort: on
from ._tensor_math import TensorMath
from .aten import aten  # noqa: F401  (ops.aten, as torch.ops.aten)

# The Tensor side of the backward rules' vocabulary (`ctx.math` under create_graph=True).
_rule_math.install_tensor_math(TensorMath([
    complex, arithmetic, comparison, conversion, cumulative, einsum, extrema, indexing, joining, linalg,
    masking, norm, reduction, reorder, rounding, scatter_gather, selection, shape, softmax,
    special, special_gamma, special_bessel, special_erf, special_log, trig, unary, _broadcast,
    sorting, triangular, slicing, region_scatter, scatter_reduce, combine, rearrange,
    pointwise_extra, products, nan_reductions, statistics,
    searching, sampling, elementwise_more, copies, integrals,
]))
# ``out=`` on the functions, ``axis=``/``keepdims=`` on the reductions (after the namespace
# above took the plain functions, so the rules do not pay for the wrappers).
arguments.install([
    arithmetic, comparison, cumulative, einsum, extrema, joining, linalg, masking, norm,
    reduction, reorder, rounding, scatter_gather, selection, shape, softmax, special, trig, unary,
    sorting, triangular, slicing, region_scatter, scatter_reduce, combine, rearrange,
    pointwise_extra, products, nan_reductions, statistics, searching, sampling, elementwise_more,
    copies, integrals,
])
_rule_math.register_array_function("erf", special._erf_array)
_rule_math.register_array_function("erfc", special._erfc_array)
