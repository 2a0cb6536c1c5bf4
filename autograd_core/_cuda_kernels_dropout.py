"""Fused CUDA kernels for dropout: the mask and the scaling in one launch each way.

From uniform draws u in [0, 1) (float32, the library's generator on the device)::

    forward    keep = u >= p,   y = x keep s        (s = 1 / (1 - p))
    backward   dx = g keep s

The composed array code takes three launches forward (compare, multiply, scale) and two
backward; these take one each. The rule (`ops.fused.dropout.Dropout`) stays the reference;
``tests/test_gpu_fused_kernels.py`` compares them on the fake CUDA device.
"""

from __future__ import annotations

# name -> (parameters in, parameters out, body); ``T`` is the array's float type. ``p`` is
# compared in float32, as the composed ``draws >= p`` does (a Python float is weak in NumPy 2).
ELEMENTWISE_KERNELS: dict[str, tuple[str, str, str]] = {
    "dropout_forward": ("T x, float32 u, float32 p, T scale", "T y, bool keep",
                        "keep = u >= p;\ny = x * keep * scale;"),
    "dropout_backward": ("T g, bool keep, T scale", "T dx", "dx = g * keep * scale;"),
}

# the parameters passed as numbers, not arrays (for the compile test's translation unit)
SCALAR_PARAMS = {"dropout_forward": ("p", "scale"), "dropout_backward": ("scale",)}
