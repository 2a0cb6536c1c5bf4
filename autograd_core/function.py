"""`Function`: one differentiable primitive, and the graph node that records it.

A primitive is a pair of rules, like a lecture slide::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):           # raw arrays in, raw array out
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):          # d(ab)/da = b, d(ab)/db = a
            a, b = ctx.saved
            return grad * b, grad * a

``Mul.apply(x, y)`` unwraps the tensors, runs ``forward`` on their arrays (array module
``ctx.xp``) and, when grad mode is on and an input requires grad, makes ``ctx`` the output's
``grad_fn``: the node of the graph.

**One backward rule, two kinds of values.** ``backward`` is written once, in a vocabulary that
raw arrays and Tensors share: operators, ``[..., None]``, ``.reshape``, and the math
functions of ``ctx.math`` (``exp``, ``where``, ``sum``, ``sum_to``, ``mT``, ...). In a plain
``loss.backward()`` the engine runs it on raw arrays (``grad`` and ``ctx.saved`` are arrays,
``ctx.math`` is the array module's namespace): array speed, no graph. With
``create_graph=True`` the engine runs the very same rule on Tensors, so the gradient is
recorded and can be differentiated again (Hessians, Newton's method). A gradient may come back
with its input's broadcast shape: the engine sums it back to the input's shape, in one place.

User-defined Functions (subclasses outside this package) behave as PyTorch's: ``forward``
receives the Tensors themselves (run without recording), ``backward`` receives and returns
Tensors, and ``ctx.saved_tensors`` holds Tensors.

Saving: ``ctx.save_for_backward`` takes the forward's own inputs or outputs (saved as the
tensors they belong to, with their history and version) or any other value (saved as a
constant). Every saved tensor, differentiable or not (class targets, masks, indices), is
version-checked: one changed in place before backward raises PyTorch's error naming the op and
both versions.
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np

from . import _anomaly, _rule_math
from ._backend import as_array, backend_of
from ._saved_values import (
    _NUMBERS,
    _resolve_saved,
    _SavedOutput,
    _version_message,
)
from .grad_mode import _state as _grad_state
from .tensor import Tensor, _HookHandle, _new, _wrap

# NumPy kinds of outputs that can require grad: floating point, and "V" for bfloat16
# (ml_dtypes' bfloat16 is a kind-"V" type; no other kind-"V" dtype is a tensor dtype).
# Complex outputs ("c") are differentiable too, from the primitives that declare it
# (``_complex_ok``: the complex ones and the linear ones whose rule needs no conjugate); any
# other built-in primitive refuses to make a complex result; a user's Function may make one.
_DIFFERENTIABLE_KINDS = ("f", "V", "c")


def _refuse_complex(cls) -> None:
    raise NotImplementedError(
        f"{cls.__name__} does not support complex tensors here; complex numbers have "
        f"arithmetic, matmul, sum, mean, exp, log, sqrt, abs, angle, views, indexing and "
        f"autograd_core.fft; work on z.real / z.imag / z.abs() otherwise")

_sequence = itertools.count()

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Node:
    """A node of the backward graph.

    ``next_functions`` holds, for each input of the forward, the pair ``(node, output_nr)``
    that its gradient goes to (``(None, 0)`` for inputs that need no gradient).
    """

    _sequence_nr = 0
    # The edges, kept as two flat tuples (the nodes, and the output numbers) rather than a
    # tuple of pairs: fewer objects per node for the cyclic garbage collector to walk.
    _next_nodes: tuple = ()
    _next_nrs: tuple = ()
    _tensor_hooks = None  # {output_nr: {id: hook}}
    _retained = None  # {output_nr: weakref(tensor)}
    _anomaly_trace = None

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        """``((node, output_nr), ...)``, one pair per input (``(None, 0)``: no gradient)."""
        return tuple(zip(self._next_nodes, self._next_nrs))

    @next_functions.setter
    def next_functions(self, edges) -> None:
        self._next_nodes = tuple(node for node, _ in edges)
        self._next_nrs = tuple(nr for _, nr in edges)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    def _register_tensor_hook(self, output_nr: int, hook):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        return _HookHandle(self._tensor_hooks.setdefault(output_nr, {}), hook)

    def _retain_grad_for(self, output_nr: int, ref) -> None:
        if self._retained is None:
            self._retained = {}
        self._retained[output_nr] = ref

    # ------------------------------------------------------------ read-only views (viz)
    @property
    def sequence_nr(self) -> int:
        """Creation order of the node (leaves' accumulators: -1)."""
        return self._sequence_nr

    @property
    def input_metadata(self) -> tuple:
        """``(shape, numpy dtype)`` of each input that gets a gradient (None for the others)."""
        return self.__dict__.get("_input_meta", ())

    @property
    def output_metadata(self) -> tuple:
        """``(shape, numpy dtype)`` of each output of a multi-output node (else ``()``)."""
        return self.__dict__.get("_output_meta", ())

    @property
    def is_freed(self) -> bool:
        """Whether backward has already freed what this node saved."""
        return bool(self.__dict__.get("_freed"))

    @property
    def saved_values(self) -> tuple:
        """What the node saved, for display, without checks: Tensors (inputs and constants),
        raw arrays (its own outputs) and Python numbers; ``()`` once freed."""
        saved = self.__dict__.get("_saved") or ()
        return tuple(item.data if type(item) is _SavedOutput else item for item in saved)

    @property
    def retained_outputs(self) -> dict:
        """``{output_nr: tensor}`` of the outputs that called ``retain_grad()``."""
        retained = self._retained or {}
        return {nr: ref() for nr, ref in retained.items() if ref() is not None}

    def register_hook(self, hook):
        """Node hooks (``hook(grad_inputs, grad_outputs)``) are not supported yet."""
        raise NotImplementedError("Node.register_hook is not supported; use Tensor.register_hook")


class AccumulateGrad(Node):
    """The node at a leaf that requires grad: adds the incoming gradient into ``.grad``."""

    num_outputs = 1

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable
        self._sequence_nr = -1  # leaves run last among ready nodes

    def name(self) -> str:
        return "AccumulateGrad"

    def _release(self) -> None:
        pass


class Function(Node):
    """Base class of differentiable primitives (and of user-defined ones)."""

    _builtin = False
    _complex_ok = False  # may this primitive produce complex outputs (see _DIFFERENTIABLE_KINDS)
    _backward_name = "FunctionBackward"
    materialize_grads = True
    _saved = None
    _freed = False
    _saved_versions = ()
    _to_save = None  # set by save_for_backward, taken (and cleared) by apply
    needs_input_grad: tuple = ()
    num_outputs = 1
    xp = None
    _non_differentiable = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._builtin = cls.__module__.startswith("autograd_core.")
        cls._backward_name = cls.__name__ + ("Backward0" if cls._builtin else "Backward")

    # -------------------------------------------------------------- user API
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function subclasses must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            f"{type(ctx).__name__} does not implement backward, so it cannot be differentiated"
        )

    def name(self) -> str:
        return self._backward_name

    def __getattr__(self, key: str):
        # Only reached for missing attributes: after release, say the graph was freed.
        if self.__dict__.get("_freed"):
            raise RuntimeError(_FREED_MESSAGE)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    def save_for_backward(self, *items) -> None:
        """Keep arrays (or tensors) for backward; see the module docstring."""
        self._to_save = items

    def mark_non_differentiable(self, *arrays) -> None:
        """Outputs that get no gradient (indices, masks): arrays in a built-in forward,
        Tensors in a user-defined one."""
        self._non_differentiable = {id(a) for a in arrays}

    def mark_dirty(self, *arrays) -> None:
        """Accepted for compatibility; in-place Functions are handled by the tensor methods."""

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        """The saved tensors, after checking none was freed or changed in place."""
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(_FREED_MESSAGE)
            return ()
        versions = self._saved_versions
        out = []
        for i, item in enumerate(saved):
            if type(item) is _SavedOutput:
                item = item.unpack(self)
            v = versions[i]
            if v is not None and item._version_counter[0] != v:
                raise RuntimeError(_version_message(self, i, item, versions[i]))
            out.append(item)
        return tuple(out)

    def _saved_arrays(self) -> tuple:
        """The saved values as raw arrays, with the same checks as `saved_tensors`."""
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(_FREED_MESSAGE)
            return ()
        versions = self._saved_versions
        out = []
        for i, item in enumerate(saved):
            v = versions[i]
            if type(item) is _SavedOutput:
                if v is not None and item.version_counter[0] != v:
                    raise RuntimeError(_version_message(self, i, item.unpack(self), v))
                out.append(item.data)
                continue
            if isinstance(item, Tensor):
                if v is not None and item._version_counter[0] != v:
                    raise RuntimeError(_version_message(self, i, item, v))
                out.append(item._data)
            else:
                out.append(item)
        return tuple(out)

    @property
    def saved(self) -> tuple:
        """The saved values in the form the backward rule runs on: raw arrays in a plain
        backward, Tensors when the gradient is recorded (``create_graph=True``)."""
        return self.saved_tensors if _grad_state.enabled else self._saved_arrays()

    @property
    def math(self):
        """The math namespace of the backward rule: the array module's functions in a plain
        backward, Tensor operations when the gradient is recorded."""
        return _rule_math.for_tensors() if _grad_state.enabled else _rule_math.for_arrays(self.xp)

    @property
    def saved_variables(self) -> tuple:
        return self.saved_tensors

    @property
    def variable(self):  # pragma: no cover - only AccumulateGrad has one
        raise AttributeError("only AccumulateGrad nodes have .variable")

    # -------------------------------------------------------------- applying
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the primitive on tensors, recording the node when grad is needed."""
        if not cls._builtin:
            return _apply_custom(cls, args, kwargs)
        if len(args) == 2 and not kwargs:
            a, b = args
            if isinstance(a, Tensor) and (type(b) in _NUMBERS or (
                    isinstance(b, Tensor) and type(b._data) is type(a._data))):
                return _apply_two(cls, a, b)
        ctx = cls()
        arrays = []
        first = None
        mask = 0  # bit i: input i requires grad
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                data = a._data
                if first is None:
                    first = a
                    array_type = type(data)
                elif type(data) is not array_type:
                    _device_mismatch(cls, first, a)
                arrays.append(data)
                if a._requires_grad:
                    mask |= 1 << i
            else:
                arrays.append(a)
        if first is None:
            raise TypeError(f"{cls.__name__}.apply needs at least one Tensor argument")
        xp = _XP_BY_TYPE.get(array_type)
        if xp is None:
            xp = _XP_BY_TYPE[array_type] = backend_of(first._data).xp
        ctx.xp = xp
        if not mask or not _grad_state.enabled:
            # Fast path (no_grad, or nothing requires grad): no node, nothing kept.
            ctx.needs_input_grad = _NO_GRADS.get(len(args)) or (False,) * len(args)
            raw = cls.forward(ctx, *arrays, **kwargs)
            if type(raw) is tuple:
                return _plain_outputs(cls, raw, array_type, xp)
            out = _wrap(raw if type(raw) is array_type else _as_array(raw, xp))
            if out._data.dtype.kind == "c" and not cls._complex_ok:
                _refuse_complex(cls)
            return out

        n = len(args)
        nodes = [None] * n
        nrs = None
        meta = [None] * n
        for i in range(n):
            if mask >> i & 1:
                a = args[i]
                fn = a.grad_fn
                if fn is None:
                    fn = _accumulator_of(a)
                elif a._output_nr:
                    if nrs is None:
                        nrs = [0] * n
                    nrs[i] = a._output_nr
                nodes[i] = fn
                data = arrays[i]
                meta[i] = (data.shape, data.dtype)
        ctx.needs_input_grad = _needs(n, mask)
        raw = cls.forward(ctx, *arrays, **kwargs)
        ctx._sequence_nr = next(_sequence)
        ctx._next_nodes = tuple(nodes)
        ctx._next_nrs = _ZERO_NRS[n] if nrs is None and n < 8 else tuple(nrs or (0,) * n)
        ctx._input_meta = _shared_meta(tuple(meta))
        non_diff = ctx._non_differentiable
        if type(raw) is not tuple:  # one output: the common case
            array = raw if type(raw) is array_type else _as_array(raw, xp)
            out = _wrap(array)
            kind = array.dtype.kind
            if kind == "c" and not cls._complex_ok:
                _refuse_complex(cls)
            if kind in _DIFFERENTIABLE_KINDS and not (non_diff and id(array) in non_diff):
                out.grad_fn = ctx
                out._requires_grad = True
            to_save = ctx._to_save
            if to_save is not None:
                ctx._to_save = None
                _resolve_saved(ctx, to_save, args, arrays, (out,), (raw,))
            if _anomaly.state.enabled:
                ctx._anomaly_trace = _anomaly.capture()
            return out
        return _record_outputs(ctx, raw, args, arrays, array_type, xp)

    # -------------------------------------------------------------- engine hooks
    def _release(self) -> None:
        """Free what backward needed (called after backward unless retain_graph)."""
        self._saved = None
        self.__dict__["_freed"] = True


def _plain_outputs(cls, raw: tuple, array_type, xp) -> tuple:
    """The outputs of a multi-output forward that records nothing, as tensors."""
    outs = tuple(None if o is None else _wrap(o if type(o) is array_type else _as_array(o, xp))
                 for o in raw)
    if not cls._complex_ok and any(o is not None and o._data.dtype.kind == "c" for o in outs):
        _refuse_complex(cls)
    return outs


def _record_outputs(ctx: Function, outs: tuple, args, arrays, array_type, xp) -> tuple:
    """The outputs of a multi-output forward as tensors whose ``grad_fn`` is ``ctx`` (its
    edges already set), and what it saved."""
    non_diff = ctx._non_differentiable
    results = [None if o is None else _wrap(o if type(o) is array_type else _as_array(o, xp))
               for o in outs]
    ctx.num_outputs = len(results)
    ctx._output_meta = tuple(None if r is None else (r._data.shape, r._data.dtype)
                             for r in results)
    for nr, r in enumerate(results):
        if r is None:
            continue
        kind = r._data.dtype.kind
        if kind == "c" and not ctx._complex_ok:
            _refuse_complex(type(ctx))
        if kind not in _DIFFERENTIABLE_KINDS or (non_diff and id(r._data) in non_diff):
            continue
        r.grad_fn = ctx
        r._output_nr = nr
        r._requires_grad = True
    if _anomaly.state.enabled:
        ctx._anomaly_trace = _anomaly.capture()
    to_save = ctx._to_save
    if to_save is not None:
        ctx._to_save = None
        _resolve_saved(ctx, to_save, args, arrays, results, outs)
    return tuple(results)


def _apply_two(cls, a: Tensor, b):
    """`Function.apply` for the most common call: two operands, a Tensor and a Tensor on the
    same device or a Python number, no keyword arguments. The same steps as the general path,
    without its loops over the arguments."""
    ctx = cls()
    da = a._data
    array_type = type(da)
    xp = _XP_BY_TYPE.get(array_type)
    if xp is None:
        xp = _XP_BY_TYPE[array_type] = backend_of(da).xp
    ctx.xp = xp
    if type(b) in _NUMBERS:
        db = b
        need_b = False
    else:
        db = b._data
        need_b = b._requires_grad
    need_a = a._requires_grad
    if not (need_a or need_b) or not _grad_state.enabled:
        ctx.needs_input_grad = _NO_GRADS[2]
        raw = cls.forward(ctx, da, db)
        if type(raw) is tuple:
            return _plain_outputs(cls, raw, array_type, xp)
        out = _wrap(raw if type(raw) is array_type else _as_array(raw, xp))
        if out._data.dtype.kind == "c" and not cls._complex_ok:
            _refuse_complex(cls)
        return out
    ctx.needs_input_grad = _NEEDS_TWO[need_a, need_b]
    raw = cls.forward(ctx, da, db)
    ctx._sequence_nr = next(_sequence)
    node_a = node_b = meta_a = meta_b = None
    nr_a = nr_b = 0
    if need_a:
        node_a = a.grad_fn
        if node_a is None:
            node_a = _accumulator_of(a)
        else:
            nr_a = a._output_nr
        meta_a = (da.shape, da.dtype)
    if need_b:
        node_b = b.grad_fn
        if node_b is None:
            node_b = _accumulator_of(b)
        else:
            nr_b = b._output_nr
        meta_b = (db.shape, db.dtype)
    ctx._next_nodes = (node_a, node_b)
    ctx._next_nrs = (nr_a, nr_b) if nr_a or nr_b else _ZERO_NRS[2]
    meta = (meta_a, meta_b)
    last = _LAST_META[0]
    ctx._input_meta = last if meta == last else _shared_meta(meta)
    if type(raw) is tuple:
        return _record_outputs(ctx, raw, (a, b), (da, db), array_type, xp)
    array = raw if type(raw) is array_type else _as_array(raw, xp)
    out = _new(Tensor)  # (`_wrap`, inlined)
    out._data = array
    out._grad = None
    out._output_nr = 0
    out._version_counter = [0]
    non_diff = ctx._non_differentiable
    kind = array.dtype.kind
    if kind == "c" and not cls._complex_ok:
        _refuse_complex(cls)
    if kind in _DIFFERENTIABLE_KINDS and not (non_diff and id(array) in non_diff):
        out.grad_fn = ctx
        out._requires_grad = True
    else:
        out.grad_fn = None
        out._requires_grad = False
    to_save = ctx._to_save
    if to_save is not None:
        ctx._to_save = None
        _resolve_saved(ctx, to_save, (a, b), (da, db), (out,), (raw,))
    if _anomaly.state.enabled:
        ctx._anomaly_trace = _anomaly.capture()
    return out


_XP_BY_TYPE: dict = {}
_SCALAR_TYPES = (np.generic, int, float, bool)


_as_array = as_array  # a forward's result as an array (another device's is kept as it is)

_NO_GRADS = {n: (False,) * n for n in range(8)}
_NEEDS_TWO = {(x, y): (x, y) for x in (False, True) for y in (False, True)}
_NEEDS: dict = {}  # (n, mask) -> needs_input_grad, so nodes share these tuples


def _needs(n: int, mask: int) -> tuple:
    """``needs_input_grad`` for ``n`` inputs whose bit ``i`` of ``mask`` says input i needs a
    gradient (one shared tuple per pattern: no allocation per node)."""
    key = (n, mask)
    needs = _NEEDS.get(key)
    if needs is None:
        needs = tuple(bool(mask >> i & 1) for i in range(n))
        if len(_NEEDS) < 4096:
            _NEEDS[key] = needs
    return needs


_NO_EDGE = (None, 0)
_ZERO_NRS = {n: (0,) * n for n in range(8)}
_META: dict = {}  # input metadata tuples, shared between nodes (see _shared_meta)


def _shared_meta(meta: tuple) -> tuple:
    """One shared ``_input_meta`` tuple per pattern of input shapes and dtypes: a node then
    keeps a long-lived tuple instead of a new one, which the garbage collector would walk.
    The pattern of the previous node is tried first: comparing tuples whose items are the
    same objects (small ints, NumPy's dtype singletons) is cheaper than hashing them."""
    last = _LAST_META[0]
    if meta == last:
        return last
    shared = _META.get(meta)
    if shared is None:
        if len(_META) < 4096:
            _META[meta] = meta
        shared = meta
    _LAST_META[0] = shared
    return shared


_LAST_META = [None]


def _edge_of(t: Tensor):
    """Where the gradient for tensor ``t`` goes: its grad_fn, or its leaf accumulator."""
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (_accumulator_of(t), 0)


def _accumulator_of(t: Tensor) -> AccumulateGrad:
    """The leaf's `AccumulateGrad` node (one per leaf while the graph holds it)."""
    acc = t._grad_accumulator
    node = acc() if acc is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t._grad_accumulator = weakref.ref(node)
    return node


def _device_mismatch(cls, a: Tensor, b: Tensor):
    name = cls.__name__.lower()
    raise RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, "
        f"{a.device} and {b.device}! (in {name}: move one with .to(), e.g. "
        f"x.to('{a.device}'))"
    )


# user-defined Functions (their own apply), once_differentiable: a file of their own
from ._custom_function import _apply_custom, once_differentiable  # noqa: E402, F401
