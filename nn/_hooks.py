"""Module hooks (per module and global), and the handle that removes a hook.

``module(x)`` with hooks registered runs, in order: the forward pre-hooks (each may
replace the arguments), ``forward``, then the forward hooks (each may replace the output;
those registered with ``always_call=True`` run even when forward raises). The global hooks
(``register_module_forward_hook`` and family, reached as ``nn.modules.module.*``) apply to
every module and run before the module's own. Backward hooks are in `_backward_hooks`.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

from autograd_core import Tensor

from ._backward_hooks import BackwardHook


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``handle.remove()`` unregisters the hook.

    Also a context manager: the hook is removed when the ``with`` block ends.
    """

    _next_id = itertools.count()

    def __init__(self, hooks_dict: dict, *, extra_dict: dict | list[dict] | None = None) -> None:
        self.id = next(RemovableHandle._next_id)
        self.hooks_dict = hooks_dict
        if extra_dict is None:
            self.extra_dicts: tuple = ()
        elif isinstance(extra_dict, dict):
            self.extra_dicts = (extra_dict,)
        else:
            self.extra_dicts = tuple(extra_dict)

    def remove(self) -> None:
        for d in (self.hooks_dict, *self.extra_dicts):
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _add_hook(hooks: dict, key: int, hook: Callable, prepend: bool) -> None:
    """Insert ``hook`` at the end (or the front) of an ordered hooks dict, in place."""
    if not prepend:
        hooks[key] = hook
        return
    rest = list(hooks.items())
    hooks.clear()
    hooks[key] = hook
    hooks.update(rest)


# ----------------------------------------------------------------------------- global hooks
_global_forward_pre_hooks: dict = {}
_global_forward_hooks: dict = {}
_global_forward_hooks_with_kwargs: dict = {}
_global_forward_hooks_always_called: dict = {}
_global_backward_pre_hooks: dict = {}
_global_backward_hooks: dict = {}
_global_buffer_registration_hooks: dict = {}
_global_module_registration_hooks: dict = {}
_global_parameter_registration_hooks: dict = {}


def _any_global_call_hooks() -> bool:
    return bool(_global_forward_pre_hooks or _global_forward_hooks
                or _global_backward_pre_hooks or _global_backward_hooks)


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, args)`` before the forward of EVERY module (before its own
    pre-hooks); a non-None return value replaces the arguments."""
    handle = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """``hook(module, args, output)`` after the forward of EVERY module (before its own
    forward hooks); see `Module.register_forward_hook` for the options."""
    handle = RemovableHandle(_global_forward_hooks,
                             extra_dict=[_global_forward_hooks_with_kwargs,
                                         _global_forward_hooks_always_called])
    _global_forward_hooks[handle.id] = hook
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, grad_output)`` for EVERY module (see
    `Module.register_full_backward_pre_hook`)."""
    handle = RemovableHandle(_global_backward_pre_hooks)
    _global_backward_pre_hooks[handle.id] = hook
    return handle


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, grad_input, grad_output)`` for EVERY module (see
    `Module.register_full_backward_hook`)."""
    handle = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[handle.id] = hook
    return handle


def register_module_backward_hook(hook: Callable) -> RemovableHandle:
    """PyTorch's deprecated non-full global backward hook: not provided (see
    `Module.register_backward_hook`)."""
    raise NotImplementedError(_NON_FULL_MESSAGE.format(name="register_module_backward_hook",
                                                       full="register_module_full_backward_hook"))


_NON_FULL_MESSAGE = (
    "{name} (PyTorch's deprecated non-full backward hook, whose grad_input is that of the "
    "last operation inside the module) is not supported here: it needs hooks on graph nodes, "
    "which the engine does not offer yet. Use {full}, whose grad_input is the gradient "
    "w.r.t. the module's inputs.")


def register_module_buffer_registration_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, name, buffer)`` whenever any module registers a buffer; a non-None
    return value is registered instead."""
    handle = RemovableHandle(_global_buffer_registration_hooks)
    _global_buffer_registration_hooks[handle.id] = hook
    return handle


def register_module_module_registration_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, name, submodule)`` whenever any module registers a submodule."""
    handle = RemovableHandle(_global_module_registration_hooks)
    _global_module_registration_hooks[handle.id] = hook
    return handle


def register_module_parameter_registration_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, name, param)`` whenever any module registers a parameter."""
    handle = RemovableHandle(_global_parameter_registration_hooks)
    _global_parameter_registration_hooks[handle.id] = hook
    return handle


def _registration_hooks(hooks: dict, module: Any, name: str, value: Any) -> Any:
    """Run registration hooks; each may return a replacement for ``value``."""
    for hook in list(hooks.values()):
        out = hook(module, name, value)
        if out is not None:
            value = out
    return value


# ----------------------------------------------------------------------------- per module
class _ForwardHooksMixin:
    """The hook part of `Module` (the hook dicts are created by ``Module.__init__``)."""

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        called: set = set()
        result = None
        try:
            for hook_id, hook in (*_global_forward_pre_hooks.items(),
                                  *self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    out = hook(self, args, kwargs)
                    if out is not None:
                        if not (isinstance(out, tuple) and len(out) == 2):
                            raise RuntimeError(
                                "forward pre-hook must return None or a tuple of (new_args, "
                                f"new_kwargs), but got {out}.")
                        args, kwargs = out
                else:
                    out = hook(self, args)
                    if out is not None:
                        args = out if isinstance(out, tuple) else (out,)
            backward_hook = None
            hooks = [*_global_backward_hooks.values(), *self._backward_hooks.values()]
            pre_hooks = [*_global_backward_pre_hooks.values(),
                         *self._backward_pre_hooks.values()]
            if hooks or pre_hooks:
                backward_hook = BackwardHook(self, hooks, pre_hooks)
                args = backward_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
                called.add(hook_id)
                if (hook_id in self._forward_hooks_with_kwargs
                        or hook_id in _global_forward_hooks_with_kwargs):
                    out = hook(self, args, kwargs, result)
                else:
                    out = hook(self, args, result)
                if out is not None:
                    result = out
            if backward_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a "
                                  f"Tensor or a tuple of Tensors but received {type(result)}",
                                  stacklevel=2)
                result = backward_hook.setup_output_hook(result)
        except Exception:
            for hook_id, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
                always = (hook_id in self._forward_hooks_always_called
                          or hook_id in _global_forward_hooks_always_called)
                if not always or hook_id in called:
                    continue
                try:
                    if (hook_id in self._forward_hooks_with_kwargs
                            or hook_id in _global_forward_hooks_with_kwargs):
                        out = hook(self, args, kwargs, result)
                    else:
                        out = hook(self, args, result)
                    if out is not None:
                        result = out
                except Exception as error:  # the original error is the one to report
                    warnings.warn("module forward hook with ``always_call=True`` raised an "
                                  "exception that was silenced as another error was raised "
                                  f"in forward: {error}", stacklevel=2)
            raise
        return result

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each forward (``hook(module, args, kwargs)``
        with ``with_kwargs=True``). A non-None return value replaces the arguments."""
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        _add_hook(self._forward_pre_hooks, handle.id, hook, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each forward (``hook(module, args,
        kwargs, output)`` with ``with_kwargs=True``). A non-None return value replaces the
        output. ``always_call=True`` runs the hook even when forward raises."""
        handle = RemovableHandle(
            self._forward_hooks,
            extra_dict=[self._forward_hooks_with_kwargs, self._forward_hooks_always_called])
        _add_hook(self._forward_hooks, handle.id, hook, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        return handle

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False
                                        ) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients w.r.t. the module's outputs
        are known, before they flow into the module; a non-None return value (a tuple as
        long as ``grad_output``) replaces them."""
        handle = RemovableHandle(self._backward_pre_hooks)
        _add_hook(self._backward_pre_hooks, handle.id, hook, prepend)
        return handle

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """PyTorch's deprecated non-full backward hook: not provided (the message says
        why); use `register_full_backward_hook`."""
        raise NotImplementedError(_NON_FULL_MESSAGE.format(
            name="register_backward_hook", full="register_full_backward_hook"))

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False
                                    ) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` once the gradients w.r.t. the
        module's positional inputs are computed; a non-None return value (a tuple as long
        as ``grad_input``) replaces ``grad_input``."""
        handle = RemovableHandle(self._backward_hooks)
        _add_hook(self._backward_hooks, handle.id, hook, prepend)
        return handle
