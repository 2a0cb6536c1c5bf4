"""Every elementwise kernel the fused optimiser steps can build, and its full CUDA source.

The step functions write each kernel's body from their flags (maximize, weight decay,
amsgrad, momentum, ...), so the set of sources is whatever they produce over every
combination. `every_kernel` calls each step function over that grid with a recording
kernel module in place of CuPy, and returns the distinct kernels: CI compiles each one
with NVRTC for several GPU architectures without a GPU (``tests/test_gpu_kernels_compile.py``),
and ``python -m bench.gpu_check`` times their compilation on a real one.

`activation_kernels` lists the backend's fused activation kernels the same way.

`cuda_source` writes the translation unit CuPy's ``ElementwiseKernel`` builds around a
body (CuPy's headers, one ``CArray`` per array, the grid-stride loop of ``CUPY_FOR``), so
what NVRTC compiles here is what a GPU would compile.
"""

from __future__ import annotations

import inspect
import itertools
import sys
from dataclasses import dataclass

import numpy as np

_PACKAGE = __name__.rpartition(".")[0]

# The step functions and the values their hyperparameters take in the grid: a flag's two
# values, zero and non-zero for a coefficient whose zero removes a line of the kernel, an
# early and a late step (RAdam rectifies from step 6 on with the default betas).
STEP_FUNCTIONS = ("sgd_step_", "adam_step_", "adamax_step_", "nadam_step_", "radam_step_",
                  "adagrad_step_", "rmsprop_step_", "adadelta_step_")
_TOGGLED = {"weight_decay": (0.0, 0.1), "momentum": (0.0, 0.9), "dampening": (0.0, 0.1),
            "lr_decay": (0.0, 0.01), "step": (1.0, 50.0)}
_FIXED = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "alpha": 0.99, "rho": 0.9,
          "mu": 0.9, "mu_next": 0.9, "mu_product": 0.9}


@dataclass(frozen=True)
class KernelSpec:
    """One ``ElementwiseKernel``: its parameter lists, body and name, as CuPy receives them."""

    name: str
    in_params: str
    out_params: str
    operation: str
    array_inputs: tuple = ()  # the input parameters that are arrays (the rest are scalars)
    preamble: str = ""  # device functions the body calls (``ElementwiseKernel(preamble=)``)


class _Recorder:
    """An array module whose ``ElementwiseKernel`` records the kernel and runs nothing."""

    def __init__(self) -> None:
        self.specs: dict[KernelSpec, None] = {}
        recorder = self

        class ElementwiseKernel:  # noqa: N801  (CuPy's name)
            def __init__(self, in_params, out_params, operation, name="kernel", preamble="",
                         **kwargs):
                self.spec = (name, in_params, out_params, operation)
                self.preamble = preamble

            def __call__(self, *args):
                inputs = _names(self.spec[1])
                arrays = tuple(n for n, a in zip(inputs, args) if isinstance(a, np.ndarray))
                recorder.specs.setdefault(KernelSpec(*self.spec, arrays, self.preamble))

        self.ElementwiseKernel = ElementwiseKernel


_TENSOR = "tensor"  # a marker in the grid: a fresh state tensor goes there


def _grid(fn) -> list[dict]:
    """Every argument combination of a step function that selects a different kernel path."""
    axes: dict[str, tuple] = {}
    for name, param in inspect.signature(fn).parameters.items():
        annotation = str(param.annotation)
        if annotation == "Tensor":
            axes[name] = (_TENSOR,)
        elif annotation == "Tensor | None":
            axes[name] = (_TENSOR, None)
        elif annotation == "bool":
            axes[name] = (False, True)
        elif name in _TOGGLED:
            axes[name] = _TOGGLED[name]
        else:
            axes[name] = (_FIXED[name],)
    combos = []
    for values in itertools.product(*axes.values()):
        kwargs = dict(zip(axes, values))
        if kwargs.get("amsgrad") and kwargs.get("max_exp_avg_sq") is None:
            continue  # AMSGrad always carries its running maximum
        combos.append(kwargs)
    return combos


def every_kernel() -> list[KernelSpec]:
    """The distinct kernels the step functions can build, in the order first built.

    Swaps the package's ``_kernel_module`` for a recorder while it runs (not thread-safe:
    a diagnostic, not for use during training)."""
    from ...tensor import _wrap

    package = sys.modules[_PACKAGE]
    recorder = _Recorder()
    saved_module, saved_cache = package._kernel_module, dict(package._kernel_cache)
    package._kernel_module = lambda array: recorder
    package._kernel_cache.clear()
    try:
        for fn_name in STEP_FUNCTIONS:
            fn = getattr(package, fn_name)
            for kwargs in _grid(fn):
                fn(**{k: _wrap(np.full(3, 0.5, np.float32)) if v is _TENSOR else v
                      for k, v in kwargs.items()})
    finally:
        package._kernel_module = saved_module
        package._kernel_cache.clear()
        package._kernel_cache.update(saved_cache)
    return list(recorder.specs)


def activation_kernels() -> list[KernelSpec]:
    """The CuPy backend's fused activation kernels (`autograd_core._cuda_kernels`), every
    parameter an array."""
    from ..._cuda_kernels import ACTIVATION_KERNELS

    return [KernelSpec(name, inputs, output, body, tuple(_names(inputs)))
            for name, (inputs, output, body) in ACTIVATION_KERNELS.items()]


# The kernels' dtypes on a GPU: float16 and below take the plain CuPy path (see
# `_kernels._kernel_module`), so only these are ever compiled.
KERNEL_DTYPES = ("float32", "float64")
_CUDA_TYPE = {"float32": "float", "float64": "double"}


# CuPy's type names in kernel parameter lists, as CUDA C types (``T`` stays the placeholder)
_PARAM_TYPES = {"T": "T", "float32": "float", "float64": "double", "bool": "bool",
                "int32": "int", "int64": "long long", "float16": "float16"}


def _typed(params: str) -> list[tuple[str, str, bool]]:
    """``"raw T x, int64 t"`` -> ``[("T", "x", True), ("long long", "t", False)]``."""
    out = []
    for item in params.split(","):
        words = item.split()
        if words:
            raw = words[0] == "raw"
            out.append((_PARAM_TYPES[words[-2]], words[-1], raw))
    return out


def backend_kernels() -> list[KernelSpec]:
    """Every fused kernel of the CuPy backend (`autograd_core._cuda_kernels` and its
    families): the activations, the fixed kernels of each family, and the generated ones for
    the shapes each family's ``COMPILE_SAMPLES`` lists."""
    from ... import _cuda_kernels

    specs = activation_kernels()
    for module in _cuda_kernels.FAMILIES:
        family = _cuda_kernels.family(module)
        scalars = getattr(family, "SCALAR_PARAMS", {})
        for name, (inputs, output, body) in getattr(family, "ELEMENTWISE_KERNELS", {}).items():
            arrays = tuple(n for n in _names(inputs) if n not in scalars.get(name, ()))
            specs.append(KernelSpec(name, inputs, output, body, arrays))
        for name in getattr(family, "COMPILE_SAMPLES", ()):
            inputs, output, body = family.generated(name)
            arrays = tuple(n for n in _names(inputs) if n not in family.GENERATED_SCALARS)
            specs.append(KernelSpec(name.split(":")[0], inputs, output, body, arrays))
    return specs


def _names(params: str) -> list[str]:
    return [item.split()[-1] for item in params.split(",") if item.strip()]


def cuda_source(specs: list[KernelSpec], dtype: str) -> tuple[str, list[str]]:
    """One CUDA translation unit holding every kernel of ``specs`` for ``dtype``, each
    wrapped the way CuPy's ``ElementwiseKernel`` wraps a body: arrays as ``CArray``
    references named like the parameters, scalars by value, the grid-stride loop over
    ``i``. Returns the source and the kernel names in it (``name_<k>``, unique)."""
    lines = ["#include <cupy/complex.cuh>", "#include <cupy/carray.cuh>",
             "#include <cupy/atomics.cuh>", f"typedef {_CUDA_TYPE[dtype]} T;", ""]
    lines += list(dict.fromkeys(spec.preamble for spec in specs if spec.preamble))
    kernel_names = []
    for k, spec in enumerate(specs):
        name = f"{spec.name}_{k}"
        kernel_names.append(name)
        params, binds = [], []
        for ctype, var, raw in _typed(spec.in_params):
            if raw:  # indexed by the body itself: the whole array, read-only
                params.append(f"const CArray<{ctype}, 1, true, true> {var}")
            elif var in spec.array_inputs:
                params.append(f"const CArray<{ctype}, 1, true, true> _raw_{var}")
                binds.append(f"const {ctype} &{var} = _raw_{var}[_ind.get()];")
            else:
                params.append(f"const {ctype} {var}")
        for ctype, var, raw in _typed(spec.out_params):
            params.append(f"CArray<{ctype}, 1, true, true> {'' if raw else '_raw_'}{var}")
            if not raw:
                binds.append(f"{ctype} &{var} = _raw_{var}[_ind.get()];")
        params.append("CIndexer<1, true> _ind")
        lines.append(f'extern "C" __global__ void {name}({", ".join(params)}) {{')
        lines.append("  CUPY_FOR(i, _ind.size()) {")
        lines.append("    _ind.set(i);")
        lines += [f"    {b}" for b in binds]
        lines += [f"    {statement}" for statement in spec.operation.split("\n")]
        lines += ["  }", "}", ""]
    return "\n".join(lines), kernel_names


def nvrtc_options(arch: str, machine_code: bool = True) -> list[str]:
    """NVRTC options for ``arch`` (e.g. ``"80"``): machine code (``sm_80``, as CuPy builds
    for the GPU it runs on) or PTX (``compute_80``: the same front end and code generator
    without the assembler, three times faster), with CuPy's bundled headers (its own and the
    CCCL copies it ships) on the include path. Needs ``cupy`` to import (it does without a
    GPU)."""
    import os

    from ..._backend import cupy_part

    cupy = cupy_part()
    include = os.path.join(os.path.dirname(cupy.__file__), "_core", "include")
    cccl = os.path.join(include, "cupy", "_cccl")
    return [f"-arch={'sm' if machine_code else 'compute'}_{arch}", "--std=c++17", f"-I{include}",
            f"-I{os.path.join(cccl, 'libcudacxx')}", f"-I{os.path.join(cccl, 'thrust')}",
            f"-I{os.path.join(cccl, 'cub')}"]
