"""Benchmarks: the same training code timed on the CPU (NumPy) and, where present, an
NVIDIA GPU (CuPy), against hand-written NumPy and (when installed) PyTorch."""
