"""``aten``: operations by their ATen names, spelled as PyTorch programs reach them through
``torch.ops.aten``: ``autograd_core.ops.aten._safe_softmax.default(x, 0)``,
``autograd_core.ops.aten.slice.Tensor(x, 0, 1, 5)``.

``aten.NAME`` is an `OpPacket`: callable itself, and every overload name on it
(``.default``, ``.Tensor``, ``.int``, ...) is the same function (ours dispatch on the
arguments). Names without an entry in `_TABLE` are looked up on the ``autograd_core`` namespace,
then as Tensor methods.
"""

from __future__ import annotations

import sys

from ..tensor import Tensor
from . import aten_internals as _internals
from . import native_norms as _native_norms
from . import pool_backward as _pool_backward
from . import upsample_aa as _upsample_aa


class OpPacket:
    """One ATen operation; any overload name (``.default``, ``.Tensor``) is the op itself."""

    def __init__(self, name: str, fn) -> None:
        self._name = name
        self._fn = fn

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)

    def __getattr__(self, overload: str):
        if overload.startswith("__"):
            raise AttributeError(overload)
        return self._fn

    def __repr__(self) -> str:
        return f"aten.{self._name}"


_TABLE = {
    "slice": _internals.slice_tensor,
    "native_dropout_backward": _internals.native_dropout_backward,
    "_batch_norm_with_update": _native_norms._batch_norm_with_update,
    "max_pool2d_with_indices_backward": _pool_backward.max_pool2d_with_indices_backward,
    "_upsample_bilinear2d_aa": _upsample_aa._upsample_bilinear2d_aa,
}


class _AtenNamespace:
    """``aten.NAME`` -> `OpPacket` (see the module docstring)."""

    def __getattr__(self, name: str) -> OpPacket:
        if name.startswith("__"):
            raise AttributeError(name)
        fn = _TABLE.get(name)
        if fn is None:
            package = sys.modules.get("autograd_core")  # (loaded by now: no import upwards)
            fn = getattr(package, name, None) if package is not None else None
        if fn is None and callable(getattr(Tensor, name, None)):
            method = getattr(Tensor, name)
            fn = lambda self, *args, **kwargs: method(self, *args, **kwargs)  # noqa: E731
        if fn is None or not callable(fn):
            raise AttributeError(f"aten has no operation {name!r} here")
        return OpPacket(name, fn)

    def __repr__(self) -> str:
        return "autograd_core.ops.aten"


aten = _AtenNamespace()
