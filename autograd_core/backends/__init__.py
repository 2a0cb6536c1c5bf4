"""`autograd_core.backends`: PyTorch's ``torch.backends`` flags, so programs that set them run.

The flags PyTorch programs commonly set (``cudnn.benchmark``, ``cudnn.deterministic``,
``cuda.matmul.allow_tf32``) are accepted and remembered; they change nothing here (CuPy 14 has
no cuDNN, and convolution is im2col + one GEMM, which is deterministic). ``is_available()``
answers honestly.
"""

from __future__ import annotations

from . import cpu, cuda, cudnn, mps

__all__ = ["cpu", "cuda", "cudnn", "mps"]
