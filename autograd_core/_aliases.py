"""``autograd_core.nn`` and ``autograd_core.optim`` as the very module objects ``nn`` and
``optim`` (PyTorch's ``torch.nn``/``torch.optim`` spelling, one class identity), for
attributes and imports alike (``import autograd_core.nn.functional as F``).

A finder on ``sys.meta_path`` answers for the aliased names with the real module, so no
module is ever loaded twice under two names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

ALIASES = {"autograd_core.nn": "nn", "autograd_core.optim": "optim"}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real: str) -> None:
        self.real = real

    def create_module(self, spec):
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
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
