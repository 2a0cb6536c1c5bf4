"""Fused in-place optimiser updates: the arithmetic behind `optim`, one call per parameter.

Each ``*_step_`` function takes Tensors (a parameter, its gradient and its state buffers)
and Python-float hyperparameters, updates the arrays in place and bumps the tensors'
version counters. How depends on the array type:

- NumPy: in-place ufuncs with ``out=`` and Python-float coefficients (so float32 stays
  float32), walking large contiguous arrays in blocks that fit in the CPU cache, so the
  dozen passes an update needs cost about one trip through main memory.
- an array module with ``ElementwiseKernel`` (CuPy): one fused elementwise kernel per
  parameter, written in CUDA C in the step functions and compiled on first use (importing
  compiles nothing). Each flag combination (maximize, weight decay, amsgrad, ...) is its
  own small kernel, built when first needed and cached.

The kernel bodies use only ``T x = expr;``, ``x = expr;`` and ``x op= expr;`` statements
with ``sqrt``, ``fabs`` and ``max_nan`` (a maximum that propagates NaN, as PyTorch's does;
CUDA's ``fmax`` drops it), so a test can run them on NumPy too.

Modules:

- `_kernels`      the shared machinery: checks, kernel building and caching, cache blocking
- `sgd_family`    SGD, Adagrad, RMSprop, Adadelta
- `adam_family`   Adam/AdamW, Adamax, NAdam, RAdam
- `state`         small state helpers (step counters, zero buffers)
- `newton`        the damped Cholesky solve of Newton's step (``optim.Newton``)
- `complex_params` complex parameters updated as their (Re, Im) pairs, as PyTorch

``_kernel_module`` is looked up here, on the package, at every step, so replacing
``fused_optim._kernel_module`` changes which kernels every step function uses.
"""

from ._kernels import _BLOCK, _kernel_cache, _kernel_module
from .adam_family import adam_step_, adamax_step_, nadam_step_, radam_step_
from .complex_params import as_real_pairs
from .newton import damped_solve
from .sgd_family import adadelta_step_, adagrad_step_, rmsprop_step_, sgd_foreach_, sgd_step_
from .state import add_scalar_, mul_scalar_, zeros_like

# complex parameters are updated as their real (Re, Im) pairs, as PyTorch (complex_params)
sgd_step_, sgd_foreach_, adagrad_step_, rmsprop_step_, adadelta_step_ = map(
    as_real_pairs, (sgd_step_, sgd_foreach_, adagrad_step_, rmsprop_step_, adadelta_step_))
adam_step_, adamax_step_, nadam_step_, radam_step_ = map(
    as_real_pairs, (adam_step_, adamax_step_, nadam_step_, radam_step_))

__all__ = [
    "sgd_step_", "sgd_foreach_", "adam_step_", "adamax_step_", "nadam_step_", "radam_step_", "adagrad_step_",
    "rmsprop_step_", "adadelta_step_", "add_scalar_", "mul_scalar_", "zeros_like",
    "damped_solve",
]
