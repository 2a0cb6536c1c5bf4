"""autograd_core: a reverse-mode automatic differentiation engine with PyTorch's API.

``autograd_core`` plays the role of ``torch``: tensors on the CPU (NumPy) or an NVIDIA GPU
(CuPy) that record the operations applied to them, and ``backward()`` that applies the
chain rule over that graph. ``autograd_core.nn`` and ``autograd_core.optim`` build on it (in a
checkout they are the sibling folders ``nn/`` and ``optim/``, importable as ``nn`` and ``optim`` too).
"""

from . import (
    _aliases,
    _host_memory,  # noqa: F401  (keeps freed array memory for reuse: see the module)
    accelerator,
    autograd,
    backends,
    cuda,
    datasets,
    fft,
    linalg,
    serialization,
    special,
    utils,
)
from . import ops as _ops  # attaches the operations to Tensor
from .device import device
from .dtypes import (
    bfloat16,
    complex64,
    complex128,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from .dtypes import (
    bool_ as bool,
)
from .factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .layout import layout, sparse_bsc, sparse_bsr, sparse_coo, sparse_csc, sparse_csr, strided
from .linalg.legacy import *  # noqa: F403
from .ops import fused, fused_optim  # fused primitives used by nn and optim
from .ops.arithmetic import *  # noqa: F403
from .ops.aten_internals import *  # noqa: F403
from .ops.combine import *  # noqa: F403
from .ops.comparison import *  # noqa: F403
from .ops.constant_pad import *  # noqa: F403
from .ops.conversion import clone
from .ops.copies import *  # noqa: F403
from .ops.cumulative import *  # noqa: F403
from .ops.einsum import *  # noqa: F403
from .ops.elementwise_more import *  # noqa: F403
from .ops.extrema import *  # noqa: F403
from .ops.finite_differences import *  # noqa: F403
from .ops.histogramdd import *  # noqa: F403
from .ops.householder import *  # noqa: F403
from .ops.indexing import *  # noqa: F403
from .ops.inplace import *  # noqa: F403
from .ops.integrals import *  # noqa: F403
from .ops.joining import *  # noqa: F403
from .ops.legacy import *  # noqa: F403
from .ops.linalg import *  # noqa: F403
from .ops.lowrank import *  # noqa: F403
from .ops.masking import *  # noqa: F403
from .ops.masking_more import *  # noqa: F403
from .ops.nan_reductions import *  # noqa: F403
from .ops.native_norms import *  # noqa: F403
from .ops.norm import *  # noqa: F403
from .ops.pointwise_extra import *  # noqa: F403
from .ops.pool_backward import *  # noqa: F403
from .ops.products import *  # noqa: F403
from .ops.random_fill import *  # noqa: F403
from .ops.rearrange import *  # noqa: F403
from .ops.reduction import *  # noqa: F403
from .ops.region_scatter import *  # noqa: F403
from .ops.reorder import *  # noqa: F403
from .ops.result_type import *  # noqa: F403
from .ops.rounding import *  # noqa: F403
from .ops.sampling import *  # noqa: F403
from .ops.scatter_gather import *  # noqa: F403
from .ops.scatter_reduce import *  # noqa: F403
from .ops.searching import *  # noqa: F403
from .ops.segment_reduce import *  # noqa: F403
from .ops.selection import *  # noqa: F403
from .ops.shape import *  # noqa: F403
from .ops.slicing import *  # noqa: F403
from .ops.softmax import *  # noqa: F403
from .ops.sorting import *  # noqa: F403
from .ops.special import *  # noqa: F403
from .ops.special_bessel import *  # noqa: F403
from .ops.special_erf import *  # noqa: F403
from .ops.special_gamma import *  # noqa: F403
from .ops.special_incomplete_gamma import *  # noqa: F403
from .ops.special_log import *  # noqa: F403
from .ops.statistics import *  # noqa: F403
from .ops.strided import *  # noqa: F403
from .ops.triangular import *  # noqa: F403
from .ops.trig import *  # noqa: F403
from .ops.unary import *  # noqa: F403
from .ops.upsample_aa import *  # noqa: F403

# isort: off
from .ops.complex import *  # noqa: F403, E402  (after copies: its conj/real are the real-only ones)
# isort: on
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .serialization import load, save
from .tensor import Size, Tensor, is_tensor
from .type_info import finfo, iinfo
from .window_factories import (
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
)

half = float16
float = float32
double = float64
long = int64
int = int32
short = int16

cfloat = complex64
cdouble = complex128
stft = fft.stft
istft = fft.istft
Tensor.stft = fft.stft
Tensor.istft = fft.istft

# from the installed package metadata (pyproject.toml in a checkout never installed)
from . import masked, signal  # noqa: E402  (torch.masked, torch.signal)
from ._version import __version__  # noqa: E402

_aliases.install()  # autograd_core.nn is nn, autograd_core.optim is optim
_ops.complex_routing.refuse_complex_elsewhere()  # the real-only primitives refuse complex input
_LAZY = ("viz", "nn", "optim", "distributed", "distributions", "multiprocessing", "onnx")


def __getattr__(name: str):
    # Loaded on first use: `viz` imports graphviz and `distributed` mpi4py (plain training
    # needs neither); `nn` and `optim` import this package themselves (see `_aliases`).
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
