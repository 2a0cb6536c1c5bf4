"""`Container`: PyTorch's deprecated name for a Module built from keyword sub-modules."""

from __future__ import annotations

import warnings

from ..module import Module

__all__ = ["Container"]


class Container(Module):
    """Deprecated: ``Container(a=m1, b=m2)`` registers the keyword modules as children.
    Subclass `Module` instead."""

    def __init__(self, **kwargs: Module) -> None:
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now "
                      "implemented in `nn.Module`. Subclass that instead.", FutureWarning,
                      stacklevel=2)
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)
