"""Which module made which graph node: `module_scopes`, for drawing one cluster per module.

::

    with viz.module_scopes(model) as scopes:
        loss = loss_fn(model(x), y)
    make_dot(loss, params=dict(model.named_parameters()), modules=scopes)

Each module gets a forward pre-hook and a forward hook (duck-typed: anything with
``named_modules()`` and those two ``register_*`` methods; ``autograd_core`` never imports
``nn``). The pre-hook remembers the ``grad_fn`` of the inputs; the forward hook walks back
from the outputs' ``grad_fn`` and claims every node it meets that is not yet claimed, was
created during this call, and lies above the inputs. Inner modules finish first, so they
claim their nodes before their parents do: each node belongs to its innermost module.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Iterator

from .. import function as _function
from ..function import AccumulateGrad
from ..tensor import Tensor


def _tensors_in(obj) -> list:
    """The tensor-like objects (anything with ``grad_fn``) inside nested tuples/lists/dicts."""
    found = []
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, (tuple, list)):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif hasattr(item, "grad_fn") and hasattr(item, "requires_grad"):
            found.append(item)
    return found


class ModuleScopes:
    """What `module_scopes` recorded: for each graph node, the path of the module that made it."""

    def __init__(self, model) -> None:
        self.root_type = type(model).__name__
        self.paths: list[str] = []  # named_modules() order
        self.type_names: dict[str, str] = {}
        self.calls: dict[str, int] = {}
        self._param_owner: dict[int, str] = {}
        self._params: list = []  # keeps the ids above meaning the same parameters
        self._owner: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._frames: list[tuple[str, set, int]] = []
        for path, module in model.named_modules():
            self.paths.append(path)
            self.type_names[path] = type(module).__name__
            self.calls[path] = 0
            named = getattr(module, "named_parameters", None)
            if named is None:
                continue
            for _, p in named(recurse=False):
                if id(p) not in self._param_owner:
                    self._param_owner[id(p)] = path
                    self._params.append(p)

    # -------------------------------------------------------------- queries
    def owner_of(self, obj) -> str | None:
        """The module path that created a graph node, or that owns a parameter (else None)."""
        if isinstance(obj, Tensor):  # (tensors compare elementwise: keep them out of the weak dict)
            return self._param_owner.get(id(obj))
        try:
            return self._owner.get(obj)
        except TypeError:  # not weak-referenceable: not a node
            return None

    @staticmethod
    def parent(path: str) -> str | None:
        """``"a.b"`` -> ``"a"``, ``"a"`` -> ``""`` (the root), ``""`` -> None."""
        if path == "":
            return None
        return path.rpartition(".")[0]

    @staticmethod
    def depth(path: str) -> int:
        """0 for the root module, 1 for its children, ..."""
        return 0 if path == "" else path.count(".") + 1

    def label(self, path: str) -> str:
        name = path or self.root_type
        text = f"{name} ({self.type_names[path]})" if path else name
        calls = self.calls.get(path, 0)
        return f"{text} ×{calls}" if calls > 1 else text

    def __len__(self) -> int:
        return len(self._owner)

    def __repr__(self) -> str:
        return f"ModuleScopes({len(self.paths)} modules, {len(self._owner)} nodes assigned)"

    # -------------------------------------------------------------- hooks
    def _enter(self, path: str, module, args) -> None:
        stops = {id(t.grad_fn) for t in _tensors_in(args) if t.grad_fn is not None}
        # Nodes made from here on have larger sequence numbers (taking one number leaves
        # the engine's order unchanged: the numbers only order nodes).
        start = next(_function._sequence)
        self._frames.append((path, stops, start))

    def _exit(self, path: str, module, args, output) -> None:
        for k in range(len(self._frames) - 1, -1, -1):
            if self._frames[k][0] == path:
                _, stops, start = self._frames.pop(k)
                break
        else:
            return
        self.calls[path] = self.calls.get(path, 0) + 1
        stack = [t.grad_fn for t in _tensors_in(output) if t.grad_fn is not None]
        seen = set()
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen or id(node) in stops:
                continue
            seen.add(id(node))
            if type(node) is AccumulateGrad or node.sequence_nr < start:
                continue
            if node not in self._owner:
                self._owner[node] = path
            for child, _ in node.next_functions:
                if child is not None:
                    stack.append(child)


@contextlib.contextmanager
def module_scopes(model) -> Iterator[ModuleScopes]:
    """Record, during the ``with`` block, which module of ``model`` creates each graph node."""
    if not hasattr(model, "named_modules"):
        raise TypeError(f"module_scopes: expected a module with named_modules() (an nn.Module), "
                        f"got {type(model).__name__}")
    scopes = ModuleScopes(model)
    handles = []
    try:
        for path, module in model.named_modules():
            handles.append(module.register_forward_pre_hook(functools.partial(scopes._enter, path)))
            handles.append(module.register_forward_hook(functools.partial(scopes._exit, path)))
        yield scopes
    finally:
        for handle in handles:
            handle.remove()
