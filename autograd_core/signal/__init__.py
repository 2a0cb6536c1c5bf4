"""``autograd_core.signal`` (plays ``torch.signal``): signal-processing helpers; for now the
window functions of `signal.windows`."""

from . import windows

__all__ = ["windows"]
