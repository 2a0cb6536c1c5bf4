"""PyTorch as a peer: the workloads' model code runs unchanged on ``torch.nn``/``torch.optim``.

Each PyTorch model starts from our model's weights (our seeded CPU initialisation,
copied in by state_dict key), so the first-step losses must agree. TF32 follows CuPy's
setting (``CUPY_TF32``, off by default) so both sides do the same arithmetic on a GPU;
PyTorch's own default would let cuDNN convolutions use TF32.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .timing import tf32_enabled
from .workloads import OURS_LIBRARY, Library


class TorchLibrary(Library):
    """PyTorch on the CPU and, when it sees one, the GPU."""

    name = "pytorch"

    def __init__(self, torch) -> None:
        self.torch = torch
        self.nn = torch.nn
        self.optim = torch.optim

    def supports(self, device: str) -> bool:
        return device == "cpu" or self.torch.cuda.is_available()

    def tensor(self, array: np.ndarray, device: str, requires_grad: bool = False):
        t = self.torch.from_numpy(np.array(array)).to(device)  # a copy: never shares our inputs
        return t.requires_grad_() if requires_grad else t

    def model(self, build: Callable, device: str):
        """``build(torch.nn)`` with our seeded weights loaded by state_dict key."""
        ours = OURS_LIBRARY.model(build, "cpu")
        state = {k: self.torch.from_numpy(v.detach().numpy().copy()) for k, v in ours.state_dict().items()}
        model = build(self.torch.nn)
        model.load_state_dict(state)
        return model.to(device)

    def sync(self, device: str) -> Callable[[], None] | None:
        return None if device == "cpu" else self.torch.cuda.synchronize


def load_torch(threads: int) -> TorchLibrary | None:
    """PyTorch set up for the benchmark (``threads`` intra-op threads unless 0; TF32 as
    CuPy has it), or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    if threads:
        torch.set_num_threads(threads)
    if torch.cuda.is_available():
        with warnings.catch_warnings():  # the allow_tf32 flags are being renamed
            warnings.simplefilter("ignore")
            torch.backends.cuda.matmul.allow_tf32 = tf32_enabled()
            torch.backends.cudnn.allow_tf32 = tf32_enabled()
    return TorchLibrary(torch)


CPU_TORCH = "pip install torch --index-url https://download.pytorch.org/whl/cpu"


def torch_install_hint() -> str:
    """How to get PyTorch for the comparison: the small CPU-only build where there is no GPU
    (the default wheel on Linux carries CUDA, gigabytes this machine cannot use)."""
    import autograd_core as ag

    if ag.cuda.is_available():
        return "pip install torch"
    return f"without a GPU, the CPU-only build is enough: {CPU_TORCH}"
