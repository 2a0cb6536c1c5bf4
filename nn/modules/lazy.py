"""Lazy modules: layers whose input size is read from the first input (as PyTorch's
``LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm1d``, ...).

``nn.LazyLinear(10)`` has no ``in_features`` yet: its weight is an `UninitializedParameter`
(a parameter with no shape). The first call runs ``initialize_parameters(input)``, which
reads the missing size from ``input``, gives the parameters their shapes, initialises
them as the eager layer would, and turns the module into that eager layer
(``cls_to_become``: ``Linear``), so after one forward it is an ordinary ``Linear``.
Loading a state dict into a lazy module gives its parameters the stored shapes instead.
Create the optimiser after the first forward (or after loading), once the shapes exist.
"""

from __future__ import annotations

from typing import Any

import autograd_core as ag
from autograd_core import Tensor

from ..parameter import Parameter
from . import conv, normalization
from .linear import Linear

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear",
           "LazyConv1d", "LazyConv2d", "LazyConvTranspose1d", "LazyConvTranspose2d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"]


class _Uninitialized:
    """What the placeholders share: ``materialize(shape)`` gives them their data."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocate the data (``shape``, on ``device``/``dtype``, defaults: as created)
        and become a plain `Parameter` (or tensor)."""
        if isinstance(shape, int):
            shape = (shape,)
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        with ag.no_grad():
            self.data = ag.empty(tuple(shape), device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo: dict):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape is not known yet (see the module docstring)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        return Parameter.__new__(cls, ag.empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is not known yet (e.g. the running statistics of a lazy
    batch norm)."""

    __slots__ = ()

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None):
        return Tensor._make_subclass(cls, ag.empty(0, device=device, dtype=dtype),
                                     requires_grad)

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        pass

    # ``module.double()`` / ``.to(...)`` replace buffers by converted copies: keep them lazy
    def _like(self, converted: Tensor) -> UninitializedBuffer:
        return UninitializedBuffer(self.requires_grad, converted.device, converted.dtype)

    def to(self, *args: Any, **kwargs: Any) -> UninitializedBuffer:
        return self._like(Tensor.to(self, *args, **kwargs))

    def type(self, *args: Any, **kwargs: Any):
        return self._like(Tensor.type(self, *args, **kwargs)) if args or kwargs \
            else Tensor.type(self)

    def double(self) -> UninitializedBuffer:
        return self._like(Tensor.double(self))

    def float(self) -> UninitializedBuffer:
        return self._like(Tensor.float(self))

    def half(self) -> UninitializedBuffer:
        return self._like(Tensor.half(self))

    def cpu(self) -> UninitializedBuffer:
        return self._like(Tensor.cpu(self))

    def cuda(self, *args: Any, **kwargs: Any) -> UninitializedBuffer:
        return self._like(Tensor.cuda(self, *args, **kwargs))


def _is_lazy(t: Any) -> bool:
    return isinstance(t, _Uninitialized)


class LazyModuleMixin:
    """Mixed into a layer before its eager class: registers the forward pre-hook that
    initialises the parameters on the first call and the load hook that shapes them from
    a state dict."""

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer still waits for its shape."""
        return any(_is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs) -> None:
        for name, t in (*self._parameters.items(), *self._buffers.items()):
            key = prefix + name
            if key in state_dict and _is_lazy(t):
                t.materialize(state_dict[key].shape)

    @staticmethod
    def _infer_parameters(module, args: tuple, kwargs: dict | None = None) -> None:
        with ag.no_grad():
            module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        del module._initialize_hook
        del module._load_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


# ----------------------------------------------------------------------------- layers
class LazyLinear(LazyModuleMixin, Linear):
    """`Linear` with ``in_features`` read from the first input's last dim."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    """``in_channels`` from the first input: dim 1 when batched, dim 0 when not."""

    def _lazy_setup(self, out_channels: int, bias: bool, device, dtype) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if not self.has_uninitialized_params():
            return
        unbatched = len(self.kernel_size) + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D "
                               f"(batched) input to {type(self).__name__}, but got input of "
                               f"size: {list(input.shape)}")
        self.in_channels = input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]
        if self.in_channels % self.groups != 0:
            raise ValueError(f"in_channels must be divisible by groups (in_channels="
                             f"{self.in_channels}, groups={self.groups})")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        else:
            shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight.materialize(shape)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class _LazyConvForward(_LazyConvMixin):
    """``Lazy<Conv>(out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros')``: the eager arguments minus ``in_channels``."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode)
        self.groups = groups
        self._lazy_setup(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvMixin):
    """``Lazy<ConvTranspose>(out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros')``."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode)
        self._lazy_setup(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConvForward, conv.Conv1d):
    """`Conv1d` with ``in_channels`` read from the first input."""

    cls_to_become = conv.Conv1d


class LazyConv2d(_LazyConvForward, conv.Conv2d):
    """`Conv2d` with ``in_channels`` read from the first input."""

    cls_to_become = conv.Conv2d


class LazyConvTranspose1d(_LazyConvTranspose, conv.ConvTranspose1d):
    """`ConvTranspose1d` with ``in_channels`` read from the first input."""

    cls_to_become = conv.ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, conv.ConvTranspose2d):
    """`ConvTranspose2d` with ``in_channels`` read from the first input."""

    cls_to_become = conv.ConvTranspose2d


def lazy_variants(namespace: dict) -> dict:
    """``LazyConv3d`` / ``LazyConvTranspose3d`` for the 3-D convolutions found in
    ``namespace`` (``nn.modules`` passes its own, so they appear whichever file defines
    the eager layers)."""
    made = {}
    for eager_name, base in (("Conv3d", _LazyConvForward),
                             ("ConvTranspose3d", _LazyConvTranspose)):
        eager = namespace.get(eager_name)
        name = "Lazy" + eager_name
        if eager is None or name in namespace:
            continue
        made[name] = type(name, (base, eager), {
            "cls_to_become": eager, "__module__": __name__,
            "__doc__": f"`{eager_name}` with ``in_channels`` read from the first input."})
    return made


class _LazyNormBase(LazyModuleMixin):
    """``num_features`` from the first input's dim 1."""

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, eps, momentum, False, False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = ag.tensor(0, dtype=ag.int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        for name in ("weight", "bias", "running_mean", "running_var"):
            t = getattr(self, name)
            if _is_lazy(t):
                t.materialize((self.num_features,))
        self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, normalization.BatchNorm1d):
    """`BatchNorm1d` with ``num_features`` read from the first input."""

    cls_to_become = normalization.BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, normalization.BatchNorm2d):
    """`BatchNorm2d` with ``num_features`` read from the first input."""

    cls_to_become = normalization.BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, normalization.BatchNorm3d):
    """`BatchNorm3d` with ``num_features`` read from the first input."""

    cls_to_become = normalization.BatchNorm3d
