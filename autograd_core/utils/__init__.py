"""Utilities around the core library; ``autograd_core.utils.data`` plays ``torch.utils.data``."""

from . import data
