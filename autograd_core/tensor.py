"""`Tensor`: an array plus what autograd needs to differentiate through it.

A tensor holds a NumPy or CuPy array (its device is the kind of array it holds), and,
when it was produced by a recorded operation, ``grad_fn``: the graph node that knows how
to send a gradient back to that operation's inputs. Leaves (tensors made by the user)
have no ``grad_fn``; when they require grad, backward accumulates into their ``.grad``.

Operations are attached to the class by the modules in `autograd_core.ops`, next to the
`Function` that implements each one, so this file holds only the tensor itself.
"""

from __future__ import annotations

import weakref

import numpy as np

from . import dtypes as _dt
from . import layout as _layout
from ._backend import backend_of
from .grad_mode import _state as _grad_state


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    __slots__ = (
        "_data",
        "_requires_grad",
        "_grad",
        "grad_fn",
        "_output_nr",
        "_version_counter",
        "__weakref__",
        "__dict__",
    )

    # Set on few tensors (leaves that require grad, views, named tensors): class defaults,
    # so that making a tensor, which happens for every operation, sets only the slots above.
    _grad_accumulator = None
    _backward_hooks = None
    _retains_grad = False
    _base = None
    name = None

    # NumPy must defer to our reflected operators (np.float64(2) * t calls t.__rmul__).
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, data=None, *, dtype=None, device=None, requires_grad: bool = False):
        """``Tensor(data)`` makes a tensor of the default float dtype, as ``torch.Tensor``
        does; prefer `autograd_core.tensor`, which infers the dtype from the data."""
        from .factories import _array_from_data

        if dtype is None and not isinstance(data, Tensor):
            dtype = _dt.get_default_dtype()
        array = _array_from_data([] if data is None else data, dtype, device)
        _init(self, array)
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make_subclass(cls, data: Tensor, require_grad: bool = False):
        """A tensor of subclass ``cls`` sharing ``data``'s array and version counter (no copy),
        outside the graph: how `nn.Parameter` is made (PyTorch's name for the same thing)."""
        if not isinstance(data, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(data).__name__}")
        out = object.__new__(cls)
        _init(out, data._data)
        out._version_counter = data._version_counter
        if require_grad:
            out.requires_grad_(True)
        return out

    # -------------------------------------------------------------- basic attributes
    @property
    def data(self) -> Tensor:
        """The same array, detached from the graph (changes through it are not tracked)."""
        return _wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        if self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_normalize_dim(dim, self._data.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def nelement(self) -> int:
        return int(self._data.size)

    def element_size(self) -> int:
        return self._data.dtype.itemsize

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return backend_of(self._data).device_of(self._data)

    @property
    def layout(self):
        """Always ``autograd_core.strided`` (dense): there are no sparse tensors here."""
        return _layout.strided

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def is_cuda(self) -> bool:
        return backend_of(self._data).device_type == "cuda"

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def is_floating_point(self) -> bool:
        return _dt.is_floating_array(self._data.dtype)

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    @property
    def _version(self) -> int:
        return self._version_counter[0]

    def _bump_version(self) -> None:
        self._version_counter[0] += 1

    # -------------------------------------------------------------- requires_grad / grad
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; returns ``self``."""
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and not (_dt.is_floating_array(self._data.dtype)
                                   or self._data.dtype.kind == "c"):
            raise RuntimeError(
                f"only Tensors of floating point and complex dtype can require gradients "
                f"(got {self.dtype}); convert first, e.g. x.float()"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: grad shape "
                    f"{tuple(value.shape)}, tensor shape {tuple(self.shape)}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: grad {value.dtype}, "
                    f"tensor {self.dtype}"
                )
            if type(value._data) is not type(self._data) or value.device != self.device:
                raise RuntimeError(
                    f"assigned grad has data located on a different device: grad on "
                    f"{value.device}, tensor on {self.device}"
                )
        self._grad = value

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        self.grad_fn._retain_grad_for(self._output_nr, weakref.ref(self))

    @property
    def retains_grad(self) -> bool:
        return bool(self._retains_grad)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when the gradient for this tensor is computed; a non-None
        return value replaces the gradient. Returns a handle with ``.remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_hook(self._output_nr, hook)
        if self._backward_hooks is None:
            self._backward_hooks = {}
        return _HookHandle(self._backward_hooks, hook)

    def detach(self) -> Tensor:
        """A tensor sharing this one's array, outside the graph."""
        out = _wrap(self._data)
        out._version_counter = self._version_counter
        return out

    def detach_(self) -> Tensor:
        """Detach this tensor from the graph in place, making it a leaf."""
        self.grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see `autograd.backward`)."""
        from .engine import backward  # (the engine imports this module, so not at the top)

        if gradient is None and self._data.dtype.kind == "c":
            raise RuntimeError(
                f"grad can be implicitly created only for real scalar outputs but got {self.dtype}; "
                "pass gradient= or reduce to a real loss first (e.g. z.abs().sum())")
        backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph,
                 inputs=inputs)

    # -------------------------------------------------------------- conversions
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._host().reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The NumPy array (shared, not copied) of a CPU tensor that does not require grad."""
        backend = backend_of(self._data)
        if backend.device_type != "cpu" and not force:
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to "
                "copy the tensor to host memory first."
            )
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return backend.to_numpy(self._data)

    def _host(self) -> np.ndarray:
        return backend_of(self._data).to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()  # refuses device tensors and tensors that require grad
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def _scalar_value(self, kind: str):
        size = self._data.size
        if size != 1:
            if kind == "bool":
                amount = "no values" if size == 0 else "more than one value"
                raise RuntimeError(f"Boolean value of Tensor with {amount} is ambiguous")
            raise ValueError(
                f"only one element tensors can be converted to Python scalars (got {size} "
                f"elements)"
            )
        return self.item()

    def __bool__(self) -> bool:
        return bool(self._scalar_value("bool"))

    def __float__(self) -> float:
        return float(self._scalar_value("float"))

    def __int__(self) -> int:
        return int(self._scalar_value("int"))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from ._formatting import tensor_repr

        return tensor_repr(self)

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def share_memory_(self) -> Tensor:
        """Move this CPU tensor's memory into shared memory (in place; no-op if already there).

        A tensor in shared memory passed to another process (`autograd_core.multiprocessing`)
        is the same memory there: in-place writes on either side are seen by both. Views made
        before the move keep the old memory. CUDA tensors cannot be shared here.
        """
        from .multiprocessing import _shared_storage, reductions

        if self.device.type != "cpu":
            raise RuntimeError(
                f"share_memory_: cannot share a tensor on {self.device} between processes here "
                "(only CPU tensors can be shared); move it with .cpu() first"
            )
        reductions.init_reductions()  # a Tensor subclass defined since then (nn.Parameter)
        if _shared_storage.segment_of(self._data) is None:
            self._data = _shared_storage.move_to_shared(self._data)
        return self

    def is_shared(self) -> bool:
        """Whether this tensor's memory is shared memory (after `share_memory_`)."""
        from .multiprocessing import _shared_storage

        return _shared_storage.segment_of(self._data) is not None

    def __reduce_ex__(self, protocol):
        raise TypeError(
            "Tensors are not pickled by this library; use autograd_core.save / load "
            "(a format that never executes code) or tensor.tolist()"
        )

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment"
            )
        out = _wrap(self._data.copy())
        out._requires_grad = self._requires_grad
        out.name = self.name
        if self._grad is not None:
            out._grad = _wrap(self._grad._data.copy())
        memo[id(self)] = out
        return out


class Size(tuple):
    """A tensor's shape: a tuple of ints (PyTorch's ``torch.Size``)."""

    def __repr__(self) -> str:
        return f"autograd_core.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class _HookHandle:
    """Removes a registered hook."""

    _next_id = 0

    def __init__(self, hooks: dict, hook) -> None:
        _HookHandle._next_id += 1
        self.id = _HookHandle._next_id
        self._hooks_ref = weakref.ref(hooks) if hasattr(hooks, "__weakref__") else (lambda: hooks)
        hooks[self.id] = hook

    def remove(self) -> None:
        hooks = self._hooks_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _init(t: Tensor, array) -> None:
    t._data = array
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._version_counter = [0]


_new = object.__new__


def _wrap(array, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor around ``array`` (no copy)."""
    t = _new(Tensor)
    t._data = array
    t._requires_grad = True if requires_grad else False
    t._grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._version_counter = [0]
    return t


def _normalize_dim(dim: int, ndim: int) -> int:
    """Turn a possibly negative ``dim`` into an index, with PyTorch's IndexError."""
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if dim < lo or dim > hi:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})"
        )
    return int(dim) % ndim if ndim > 0 else 0


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def grad_enabled() -> bool:
    return _grad_state.enabled
