"""The check PyTorch's adaptive pools make on a tuple ``output_size`` before pooling."""

from __future__ import annotations

from autograd_core import Tensor


def check_output_size(input, output_size) -> None:
    """A tuple ``output_size`` of k sizes needs an input of more than k dimensions (PyTorch
    reads the defaults for its ``None`` entries from the input's last k sizes)."""
    if isinstance(output_size, (tuple, list)) and isinstance(input, Tensor) \
            and input.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1} for an "
                         f"output_size of {len(output_size)} sizes, got input of shape "
                         f"{list(input.shape)}; add the batch/channel dimensions first")
