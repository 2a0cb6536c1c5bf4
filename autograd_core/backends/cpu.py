"""``torch.backends.cpu``, plus `keep_freed_memory` (host memory reuse, see `_host_memory`)."""

from .._host_memory import keep_freed_memory, keeps_freed_memory

__all__ = ["get_cpu_capability", "keep_freed_memory", "keeps_freed_memory"]


def get_cpu_capability() -> str:
    """The SIMD level NumPy's own kernels were built for (its baseline and dispatch list)."""
    import numpy as np

    config = getattr(np, "__cpu_features__", None) or {}
    for level in ("AVX512F", "AVX2", "AVX", "SSE4_2", "ASIMD"):
        if config.get(level):
            return level.lower()
    return "default"
