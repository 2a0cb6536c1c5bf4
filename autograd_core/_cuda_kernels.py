"""Fused CUDA elementwise kernels the CuPy backend offers: activations with their gradients.

On a GPU every array operation is a kernel launch, so an activation written as array
operations (GELU's tanh form is eight) costs eight launches and eight trips through memory.
Each kernel here does the forward or the backward of one activation in one launch:

    relu      y = x (x >= 0), else 0 (NaN, -0 stay)     dx = 0 (y <= 0), else g
    sigmoid   y = 1 / (1 + e^-x)                        dx = g y (1 - y)       (from y)
    tanh      y = tanh x                                dx = g (1 - y^2)       (from y)
    silu      y = x s,  s = sigmoid x                   dx = g s (1 + x (1 - s))
    gelu      y = x (1 + tanh u) / 2,                   dx = g ((1 + t)/2 + x (1 - t^2) u'/2)
              u = sqrt(2/pi) (x + 0.044715 x^3)               t = tanh u

They are overrides, not rules: the one backward rule of each activation stays the reference
(``ops``), and ``tests/test_gpu_activation_kernels.py`` checks every kernel against it on the
fake CUDA device; ``tests/test_gpu_kernels_compile.py`` compiles them with NVRTC.
`CupyBackend.fused_kernel` builds them on first use (importing compiles nothing).

The other families live beside this file, one per idea: ``_cuda_kernels_recurrent`` (LSTM and
GRU gates), ``_cuda_kernels_dropout``, ``_cuda_kernels_softmax`` (softmax, log-softmax,
cross-entropy) and ``_cuda_kernels_im2col`` (generated per window shape). `fused_kernel_spec`
finds a kernel by name in any of them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

# name -> (parameters in, parameter out, body); ``T`` is the array's float type.
ACTIVATION_KERNELS: dict[str, tuple[str, str, str]] = {
    "relu_forward": ("T x", "T y", "y = x < 0 ? 0 : x;"),
    "relu_backward": ("T g, T x", "T dx", "dx = x <= 0 ? 0 : g;"),
    "sigmoid_forward": ("T x", "T y", "y = 1 / (1 + exp(-x));"),
    "sigmoid_backward": ("T g, T y", "T dx", "dx = g * y * (1 - y);"),
    "tanh_forward": ("T x", "T y", "y = tanh(x);"),
    "tanh_backward": ("T g, T y", "T dx", "dx = g * (1 - y * y);"),
    "silu_forward": ("T x", "T y", "y = x / (1 + exp(-x));"),
    "silu_backward": ("T g, T x", "T dx", "T s = 1 / (1 + exp(-x));\ndx = g * s * (1 + x * (1 - s));"),
    "gelu_tanh_forward": ("T x", "T y",
                          "T t = tanh(0.7978845608028654 * (x + 0.044715 * x * x * x));\n"
                          "y = 0.5 * x * (1 + t);"),
    "gelu_tanh_backward": ("T g, T x", "T dx",
                           "T t = tanh(0.7978845608028654 * (x + 0.044715 * x * x * x));\n"
                           "T du = 0.7978845608028654 * (1 + 3 * 0.044715 * x * x);\n"
                           "dx = g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du);"),
}


@dataclass(frozen=True)
class FusedKernelSpec:
    """How the backend builds one kernel: ``xp.<kind>(*arguments, **options)``."""

    kind: str
    arguments: tuple
    options: dict = field(default_factory=dict)


# family modules with an ``ELEMENTWISE_KERNELS`` table (name -> (in, out, body)) and,
# optionally, a ``generated(name)`` for kernels made per shape (``"family:parameters"``)
FAMILIES = ("_cuda_kernels_dropout", "_cuda_kernels_recurrent", "_cuda_kernels_softmax",
            "_cuda_kernels_im2col")


def family(module: str):
    return importlib.import_module(f"{__package__}.{module}")


def elementwise_tables() -> dict[str, tuple[str, str, str]]:
    """Every fixed ``ElementwiseKernel`` of every family, by name."""
    tables = dict(ACTIVATION_KERNELS)
    for module in FAMILIES:
        tables.update(getattr(family(module), "ELEMENTWISE_KERNELS", {}))
    return tables


def fused_kernel_spec(name: str) -> FusedKernelSpec | None:
    """The spec of kernel ``name``, or None when no family has it."""
    if ":" in name:
        prefix = name.split(":", 1)[0]
        for module in FAMILIES:
            generated = getattr(family(module), "generated", None)
            if generated is not None and prefix in getattr(family(module), "GENERATED", ()):
                body = generated(name)
                return FusedKernelSpec("ElementwiseKernel", body + (name.replace(":", "_")
                                                                    .replace(",", "_"),))
        return None
    spec = ACTIVATION_KERNELS.get(name)
    if spec is None:
        spec = elementwise_tables().get(name)
    return None if spec is None else FusedKernelSpec("ElementwiseKernel", spec + (name,))
