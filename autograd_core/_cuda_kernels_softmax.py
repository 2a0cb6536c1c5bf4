"""Fused CUDA kernels for softmax, log-softmax and cross-entropy.

A row's maximum and its sum are CuPy's own reductions (one launch each, along any axis);
everything between them is one elementwise launch here, with m the row max and s a row sum
broadcast along the reduced axis::

    softmax_exp            e = exp(x - m)                (then y = e / s, s = sum e)
    log_softmax_write      y = x - m - log s             (s = sum exp(x - m))
    softmax_backward       dx = y (g - s)                (s = sum g y)
    log_softmax_backward   dx = g - exp(y) s             (s = sum g)

and for cross-entropy with class indices (rows of C classes, target y_i, weight w_i, 0 for
an ignored row; ``x`` read at the target through a ``raw`` parameter)::

    cross_entropy_rows     l_i = (log s_i - (x[i, y_i] - m_i)) w_i
    scaled_minus_targets   out_ic = p_ic a_i - [c = y_i] v_i      (the gradient's one pass)

The composed array code takes 6 launches for a log-softmax forward (this: 4), 4 for its
backward (this: 2) and about 9 for the cross-entropy forward (this: 5). The rules in
``ops/softmax.py`` and ``ops/fused/loss.py`` stay the reference (label smoothing takes the
composed code); ``tests/test_gpu_fused_kernels.py`` compares them on the fake CUDA device.
"""

from __future__ import annotations

ELEMENTWISE_KERNELS: dict[str, tuple[str, str, str]] = {
    "softmax_exp": ("T x, T mx", "T e", "e = exp(x - mx);"),
    "log_softmax_write": ("T x, T mx, T s", "T y", "y = x - mx - log(s);"),
    "softmax_backward": ("T g, T y, T s", "T dx", "dx = y * (g - s);"),
    "log_softmax_backward": ("T g, T y, T s", "T dx", "dx = g - exp(y) * s;"),
    "cross_entropy_rows": ("raw T x, T mx, T s, int64 y, T w, int64 classes", "T loss",
                           "long long j = i * classes + y;\n"
                           "loss = (log(s) - (x[j] - mx)) * w;"),
    "scaled_minus_targets": ("T p, T a, T v, int64 y, int64 classes", "T out",
                             "out = i % classes == y ? p * a - v : p * a;"),
}

# the parameters passed as numbers, not arrays (for the compile test's translation unit)
SCALAR_PARAMS = {"cross_entropy_rows": ("classes",), "scaled_minus_targets": ("classes",)}
