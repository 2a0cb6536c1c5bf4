"""``state_dict()`` / ``load_state_dict()`` of `Module`, and their hooks.

The keys are PyTorch's (``"features.0.weight"``), so weights can be exchanged key for key
with the same PyTorch model. A failed ``load_state_dict`` changes nothing: every key is
checked before any value is copied.
"""

from __future__ import annotations

import contextvars
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Mapping
from typing import Any

import autograd_core
from autograd_core import Tensor

from ._hooks import RemovableHandle
from .parameter import Parameter

# While load_state_dict runs, _load_from_state_dict queues its changes here instead of
# applying them, so that nothing changes unless the whole load succeeds.
_pending_loads: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "_pending_loads", default=None)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it could not match."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")

    __str__ = __repr__


class _StateDictMixin:
    """The state-dict part of `Module` (the hook dicts are created by ``Module.__init__``)."""

    def get_extra_state(self) -> Any:
        """Extra (non-tensor) state for ``state_dict``; override with `set_extra_state`."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. "
            "Override get_extra_state() and set_extra_state() together to save extra state."
        )

    def set_extra_state(self, state: Any) -> None:
        """Restore what `get_extra_state` returned."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. "
            "Override get_extra_state() and set_extra_state() together to load extra state."
        )

    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before ``state_dict`` saves this module."""
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after this module is
        saved; it may edit ``state_dict`` in place."""
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    _register_state_dict_hook = register_state_dict_post_hook

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module reads its entries."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook: Callable,
                                           with_module: bool = False) -> RemovableHandle:
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = (hook, with_module)
        return handle

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` after ``load_state_dict``; the hook may
        remove keys from ``incompatible_keys.missing_keys`` / ``unexpected_keys``."""
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """Put this module's own parameters and persistent buffers (no submodules) into
        ``destination``; override to customise, as ``_load_from_state_dict`` reads back."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if type(self).get_extra_state is not _StateDictMixin.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def state_dict(self, *args: Any, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Any]:
        """An ``OrderedDict`` of every parameter and persistent buffer by path
        (``"features.0.weight"``), values detached (``keep_vars=True`` keeps them as is).

        The values share memory with the model: save or clone them to keep a snapshot.
        """
        if args:  # the old positional form state_dict(destination, prefix, keep_vars)
            names = ("destination", "prefix", "keep_vars")
            if len(args) > len(names):
                raise TypeError(
                    f"state_dict() takes at most 3 positional arguments, got {len(args)}")
            values = dict(zip(names, args))
            destination = values.get("destination", destination)
            prefix = values.get("prefix", prefix)
            keep_vars = values.get("keep_vars", keep_vars)
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if result is not None:
                destination = result
        return destination

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list[str],
                              unexpected_keys: list[str], error_msgs: list[str]) -> None:
        """Read this module's own entries (no submodules) from ``state_dict``.

        Appends to ``missing_keys`` / ``unexpected_keys`` / ``error_msgs`` instead of
        raising. Subclasses override it to convert old layouts (``local_metadata["version"]``
        is the ``_version`` the checkpoint was saved with) and then call ``super()``.
        Inside ``load_state_dict`` the copies are only queued: they happen once every
        module has been checked.
        """
        for hook, with_module in self._load_state_dict_pre_hooks.values():
            hook_args = (state_dict, prefix, local_metadata, strict, missing_keys,
                         unexpected_keys, error_msgs)
            hook(self, *hook_args) if with_module else hook(*hook_args)

        local_state = {name: p for name, p in self._parameters.items() if p is not None}
        local_state.update((name, b) for name, b in self._buffers.items()
                           if b is not None and name not in self._non_persistent_buffers_set)
        assign = local_metadata.get("assign_to_params_buffers", False)

        for name, current in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected Tensor or Tensor-like '
                    f"object from checkpoint but received {type(value)}"
                )
                continue
            if tuple(value.shape) != tuple(current.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {list(value.shape)} "
                    f"from checkpoint, the shape in current model is {list(current.shape)}."
                )
                continue
            try:
                _queue(self._prepare_load(name, current, value, assign))
            except Exception as exc:
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model '
                    f"are {list(current.shape)} and whose dimensions in the checkpoint are "
                    f"{list(value.shape)}, an exception occurred : {exc.args}."
                )

        extra_key = prefix + "_extra_state"
        if type(self).set_extra_state is not _StateDictMixin.set_extra_state:
            if extra_key in state_dict:
                extra = state_dict[extra_key]
                _queue(lambda: self.set_extra_state(extra))
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)

        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    head = key[len(prefix):].split(".", 1)[0]
                    if head not in self._modules and head not in local_state:
                        unexpected_keys.append(key)

    def _prepare_load(self, name: str, current: Tensor, value: Tensor,
                      assign: bool) -> Callable[[], None]:
        """Check and convert ``value`` now; return the change to make once all is checked."""
        if assign:
            if isinstance(current, Parameter):
                requires_grad = current.requires_grad
                if isinstance(value, Parameter):
                    new = value
                else:
                    with autograd_core.no_grad():
                        new = Parameter(value.detach(), requires_grad=requires_grad)

                def assign_param() -> None:
                    new.requires_grad_(requires_grad)
                    setattr(self, name, new)

                return assign_param
            return lambda: setattr(self, name, value)
        with autograd_core.no_grad():
            source = value.detach().to(device=current.device, dtype=current.dtype)

        def copy_in() -> None:
            with autograd_core.no_grad():
                current.copy_(source)

        return copy_in

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy parameters and buffers from ``state_dict`` into this module, in place.

        Values are cast to each parameter's dtype and moved to its device. With
        ``strict=True`` every key must match; missing, unexpected and mis-shaped keys are
        reported together in one ``RuntimeError``, and then the module is left unchanged.
        ``assign=True`` makes the module hold the given tensors instead of copying them.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing: list[str] = []
        unexpected: list[str] = []
        error_msgs: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata

        pending: list[Callable[[], None]] = []
        visited: list[_StateDictMixin] = []  # children before parents, for the post hooks

        def load(module: _StateDictMixin, local: dict, prefix: str = "") -> None:
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = True
            module._load_from_state_dict(local, prefix, local_metadata, True, missing,
                                         unexpected, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_local = {k: v for k, v in local.items() if k.startswith(child_prefix)}
                    load(child, child_local, child_prefix)
            visited.append(module)

        token = _pending_loads.set(pending)
        try:
            load(self, state_dict)
        finally:
            _pending_loads.reset(token)

        keys = _IncompatibleKeys(missing, unexpected)
        hooked = [m for m in visited if m._load_state_dict_post_hooks]

        def run_post_hooks() -> None:
            for module in hooked:
                for hook in list(module._load_state_dict_post_hooks.values()):
                    if hook(module, keys) is not None:
                        raise RuntimeError("load_state_dict post hooks must return None")

        def failed() -> bool:
            return bool(error_msgs) or (strict and bool(missing or unexpected))

        hooks_done = False
        if failed() and hooked:  # the hooks may excuse keys; they see the unchanged model
            run_post_hooks()
            hooks_done = True
        if failed():
            messages = list(error_msgs)
            if strict and unexpected:
                messages.insert(0, "Unexpected key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if strict and missing:
                messages.insert(0, "Missing key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in missing) + ". ")
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(messages))
        for change in pending:
            change()
        if not hooks_done:
            run_post_hooks()
        return keys


def _queue(change: Callable[[], None]) -> None:
    """Run ``change`` now, or queue it when a ``load_state_dict`` is checking keys."""
    pending = _pending_loads.get()
    if pending is None:
        change()
    else:
        pending.append(change)
