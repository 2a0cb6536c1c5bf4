"""Which ONNX nodes each primitive becomes: a converter per `Function` class.

A converter is ``convert(g, step) -> [output names]``: it reads the step's arguments (tensors
by name through ``g.value``, the rest as plain Python values) and adds nodes to the builder
``g``. Registering is by class: ``@converts(Relu)``.
"""

from __future__ import annotations

from collections.abc import Callable

CONVERTERS: dict[type, Callable] = {}


def converts(*classes: type):
    def register(fn: Callable) -> Callable:
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn

    return register
