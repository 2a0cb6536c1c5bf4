"""One module object under two names, for the names PyTorch users expect.

- ``autograd_core.fused`` is ``autograd_core.ops.fused`` (in every layout).
- ``autograd_core.nn`` / ``autograd_core.optim`` (PyTorch's ``torch.nn``/``torch.optim``
  spelling). Installed from a wheel they are real subpackages (``setup.py`` maps the
  checkout's ``nn/`` and ``optim/`` folders there) and need no alias. In a checkout (or an
  editable install) ``nn/`` and ``optim/`` sit beside ``autograd_core/`` and are imported as
  ``nn`` and ``optim``; then ``autograd_core.nn`` *is* the module ``nn``, one class identity,
  for attributes and imports alike (``import autograd_core.nn.functional as F``).

A finder on ``sys.meta_path`` answers for the aliased names with the real module, so no
module is ever loaded twice under two names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent  # .../autograd_core
_CHECKOUT = _PACKAGE.parent  # where nn/ and optim/ sit in a checkout

ALIASES = {"autograd_core.fused": "autograd_core.ops.fused"}


def _checkout_layout() -> bool:
    """True in a checkout: ``nn/`` beside the package and none inside it."""
    return not (_PACKAGE / "nn").is_dir() and (_CHECKOUT / "nn" / "__init__.py").is_file()


def _sibling(top: str):
    """The checkout's top-level ``top`` package (``nn`` or ``optim``), imported under that name;
    loaded from its folder when ``sys.path`` does not reach the checkout (an editable install
    used from elsewhere) or reaches a different package of that name first."""
    init = _CHECKOUT / top / "__init__.py"
    module = sys.modules.get(top)
    if module is not None:
        if Path(getattr(module, "__file__", "") or "").resolve() != init:
            raise ImportError(f"autograd_core.{top} is the checkout's {init.parent}, but another module named "
                              f"{top!r} ({getattr(module, '__file__', module)!r}) was imported first; import "
                              f"autograd_core before it, or install autograd_core from a wheel (pip install .)")
        return module
    spec = importlib.util.find_spec(top)
    if spec is not None and spec.origin and Path(spec.origin).resolve() == init:
        return importlib.import_module(top)
    spec = importlib.util.spec_from_file_location(top, init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[top] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[top]
        raise
    return module


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real: str) -> None:
        self.real = real

    def create_module(self, spec):
        top = self.real.split(".")[0]
        if top in ("nn", "optim"):
            _sibling(top)
        return importlib.import_module(self.real)

    def exec_module(self, module) -> None:
        pass  # the real module is already executed


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        for alias, real in ALIASES.items():
            if fullname == alias or fullname.startswith(alias + "."):
                return importlib.util.spec_from_loader(
                    fullname, _AliasLoader(real + fullname[len(alias):]))
        return None


def install() -> None:
    if _checkout_layout():
        ALIASES.update({"autograd_core.nn": "nn", "autograd_core.optim": "optim"})
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
