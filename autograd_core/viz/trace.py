"""A recording of the backward pass, step by step, for teaching.

The engine visits the graph in reverse topological order. At each node ``y = f(a, b, ...)``
it takes the gradient that arrived, ``g = dJ/dy`` (the sum of every consumer's
contribution), and sends to each input the chain-rule contribution

.. math::  \\bar a \\mathrel{+}= \\Big(\\frac{\\partial y}{\\partial a}\\Big)^{\\!\\top} g .

At a leaf the sum of the contributions is added into ``.grad``. `BackwardTrace` listens to
the engine and keeps, for every step: the node, the incoming gradient, the local rule
(text and LaTeX), each contribution with the running total at its target, and each
accumulation into a leaf. For an MLP, the gradient arriving at a pre-activation
``u^m`` is the lectures' sensitivity ``delta^m = dJ/du^m`` (`BackwardTrace.grad_of`).

    trace = trace_backward(loss, params=dict(model.named_parameters()))
    print(trace)                       # a text table
    trace                              # in Jupyter: a step-through with a slider
    trace.save_gif("backprop.gif")     # one frame per step
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import engine as _engine
from .._backend import as_array, backend_of
from ..function import AccumulateGrad
from ..tensor import Tensor, _wrap
from ._rules import LocalRule, rule_for

__all__ = ["BackwardTrace", "Contribution", "GradRecord", "TraceStep", "trace_backward"]


class GradRecord:
    """A copy of one gradient array, taken when the engine handed it over.

    Arrays larger than ``max_elements`` keep only their first elements (``complete`` is
    False), so tracing a big network does not hold a second copy of every gradient.
    """

    __slots__ = ("shape", "dtype", "device", "complete", "_data", "_host")

    def __init__(self, array, max_elements: int, keep: int = 16) -> None:
        self.shape = tuple(array.shape)
        self.dtype = array.dtype
        self.device = backend_of(array).device_of(array)
        self.complete = array.size <= max_elements
        self._data = array.copy() if self.complete else array.reshape(-1)[:keep].copy()
        self._host = None

    @classmethod
    def of(cls, tensor, max_elements: int) -> GradRecord | None:
        return None if tensor is None else cls(tensor._data, max_elements)

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def numpy(self) -> np.ndarray:
        """The gradient as a NumPy array (copied from the device if needed)."""
        self._require_complete()
        return self._host_array()

    def tensor(self) -> Tensor:
        """The gradient as a new tensor on its original device."""
        self._require_complete()
        return _wrap(self._data.copy())

    def head(self) -> np.ndarray:
        """The first elements (row-major) as a flat NumPy array, complete or not."""
        return self._host_array().reshape(-1)

    def _host_array(self) -> np.ndarray:
        if self._host is None:
            self._host = np.asarray(backend_of(self._data).to_numpy(self._data))
        return self._host

    def _require_complete(self) -> None:
        if not self.complete:
            raise RuntimeError(
                f"this gradient of shape {self.shape} has {self.size} elements, more than the trace's "
                f"max_elements; only its first values were kept. Trace with a larger max_elements "
                f"(e.g. BackwardTrace(max_elements={self.size}))"
            )

    def preview(self, max_items: int = 6) -> str:
        """A short text of the values: nested brackets when small, else the first values."""
        return _preview(self.head(), self.shape, max_items, self.complete)

    def __repr__(self) -> str:
        return f"GradRecord(shape={self.shape}, {self.preview()})"


def _add(a, b):
    """``a + b`` kept an array: NumPy turns the sum of two 0-d arrays into a scalar."""
    total = a + b
    return as_array(total, backend_of(a).xp)


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if not np.isfinite(v):
        return str(v)
    a = abs(v)
    if 1e-3 <= a < 1e4:
        return f"{v:.4g}"
    return f"{v:.3e}"


def _preview(flat: np.ndarray, shape: tuple, max_items: int, complete: bool = True) -> str:
    values = flat.astype(np.float64) if flat.dtype.kind in "fiub" else flat
    size = 1
    for s in shape:
        size *= s
    if len(shape) == 0:
        return _fmt(float(values[0]))
    if size <= max_items and complete:
        return _nested(values.reshape(shape).tolist())
    head = ", ".join(_fmt(float(v)) for v in values[:max_items])
    dims = "x".join(str(s) for s in shape)
    return f"[{head}, ...] ({dims})"


def _nested(x) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_nested(v) for v in x) + "]"
    return _fmt(float(x))


@dataclass
class Contribution:
    """One gradient sent along one edge: from input ``input_index`` of the node run at
    step ``step`` to output ``target_nr`` of node ``target``; ``total`` is the sum of the
    contributions that target has received so far, this one included (``count`` of them)."""

    step: int
    input_index: int
    symbol: str
    target: object
    target_nr: int
    target_label: str
    grad: GradRecord | None
    total: GradRecord | None
    count: int


@dataclass
class TraceStep:
    """One step of the backward pass.

    ``kind`` is ``"node"`` (a Function's backward ran: ``grads_in`` arrived, ``rule`` was
    applied, ``contributions`` were sent) or ``"accumulate"`` (a leaf's ``.grad`` went from
    ``grad_before`` to ``grad_after`` by adding ``grads_in[0]``). ``received`` lists the
    contributions whose sum arrived here; ``output_name`` names the node's output when
    ``params`` listed it (``"u1"``), and ``node_id`` is the node's id in `make_dot`.
    """

    index: int
    kind: str
    node: object
    name: str
    label: str
    grads_in: tuple
    rule: LocalRule | None = None
    contributions: list = field(default_factory=list)
    received: list = field(default_factory=list)
    leaf: Tensor | None = None
    grad_before: GradRecord | None = None
    grad_after: GradRecord | None = None
    node_id: str | None = None
    output_name: str | None = None
    finished: bool = False

    def __repr__(self) -> str:
        return f"TraceStep({self.index}, {self.kind}, {self.label})"


class _Recorder:
    """The engine observer; it forwards to its trace (kept apart from the public API)."""

    def __init__(self, trace: BackwardTrace) -> None:
        self.trace = trace

    def before_node(self, node, grads) -> None:
        self.trace._before(node, grads)

    def after_node(self, node, grads_in, grads_out) -> None:
        self.trace._after(node, grads_out)

    def accumulate(self, node, g) -> None:
        self.trace._accumulate(node, g)


class BackwardTrace:
    """Records the backward passes run inside ``with BackwardTrace(...) as trace:``.

    ``params`` names tensors, as in `make_dot`: a dict ``name -> tensor`` (or pairs, e.g.
    ``model.named_parameters()``). Leaves are named after it, and so are intermediate
    tensors listed there (``{"u1": u1}``), whose gradient the table then labels.
    ``outputs`` (the tensors backward starts from) is needed only to draw frames.
    ``max_elements``: gradients with more elements keep only their first values.
    """

    def __init__(self, params=None, *, outputs=None, max_elements: int = 100_000) -> None:
        if int(max_elements) < 1:
            raise ValueError(f"max_elements must be at least 1, got {max_elements}")
        self.max_elements = int(max_elements)
        self.params = _named(params)
        self.outputs = _as_tuple(outputs)
        self.steps: list[TraceStep] = []
        self._leaf_names = {id(t): name for name, t in self.params.items() if t.grad_fn is None}
        self._output_names = {(t.grad_fn, t._output_nr): name for name, t in self.params.items()
                              if t.grad_fn is not None}
        self._recorder = _Recorder(self)
        self._active = False
        self._pending: dict = {}
        self._totals: dict = {}
        self._arrived: dict = {}

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> BackwardTrace:
        if self._active:
            raise RuntimeError("this BackwardTrace is already recording; use a new one for a nested trace")
        _engine.add_observer(self._recorder)
        self._active = True
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._stop()
        if exc_type is None and self.outputs:
            self._assign_ids()
        return False

    def _assign_ids(self) -> None:
        """Each step's ``node_id``: the stable id `make_dot` gives its node (``f3``, ``t1``)."""
        from ._graph import build_graph

        outputs = self.outputs[0] if len(self.outputs) == 1 else self.outputs
        graph = build_graph(outputs, self.params or None)
        for step in self.steps:
            step.node_id = graph.id_of(step.node)

    def _stop(self) -> None:
        if self._active:
            _engine.remove_observer(self._recorder)
            self._active = False
        self._pending.clear()
        self._totals.clear()

    # ------------------------------------------------------------------ recording
    def _record(self, t) -> GradRecord | None:
        return GradRecord.of(t, self.max_elements)

    def _label(self, node, nr: int = 0) -> str:
        if type(node) is AccumulateGrad:
            return self.leaf_name(node.variable)
        name = self._output_names.get((node, nr))
        return f"{node.name()} ({name})" if name else node.name()

    def leaf_name(self, tensor: Tensor) -> str:
        """The name of a leaf: from ``params``, else ``tensor.name``, else its shape."""
        name = self._leaf_names.get(id(tensor)) or getattr(tensor, "name", None)
        if name:
            return str(name)
        shape = tuple(tensor.shape)
        return f"leaf {shape}" if shape else "leaf (scalar)"

    def _before(self, node, grads) -> None:
        records = tuple(self._record(g) for g in grads)
        shapes = tuple(None if g is None else tuple(g._data.shape) for g in grads)
        step = TraceStep(len(self.steps), "node", node, node.name(), self._label(node), records,
                         rule=rule_for(node, shapes), received=self._arrived.pop(node, []))
        step.output_name = self._output_names.get((node, 0))
        self._forget(node)
        self.steps.append(step)
        self._pending[node] = step

    def _after(self, node, grads_out) -> None:
        step = self._pending.pop(node, None)
        if step is None:
            return
        for i, ((target, nr), g) in enumerate(zip(node.next_functions, grads_out)):
            if target is None:
                continue
            record = self._record(g)
            total = self._add_total(target, nr, g)
            previous = self._arrived.setdefault(target, [])
            rule = step.rule.for_input(i) if step.rule is not None else None
            c = Contribution(step.index, i, rule.symbol if rule is not None else f"x_{i + 1}", target, nr,
                             self._label(target, nr), record, total, 1 + sum(p.target_nr == nr for p in previous))
            previous.append(c)
            step.contributions.append(c)
        step.finished = True

    def _add_total(self, target, nr: int, g) -> GradRecord | None:
        key = (target, nr)
        if g is None:
            previous = self._totals.get(key)
            return previous[1] if previous else None
        previous = self._totals.get(key)
        if previous is None:
            total = g._data
        elif previous[0] is None:
            total = None
        else:
            total = _add(previous[0], g._data)
        complete = total is not None and total.size <= self.max_elements
        record = GradRecord(total, self.max_elements) if total is not None else None
        self._totals[key] = (total if complete else None, record)
        return record

    def _forget(self, node) -> None:
        for nr in range(getattr(node, "num_outputs", 1)):
            self._totals.pop((node, nr), None)

    def _accumulate(self, node, g) -> None:
        variable = node.variable
        before = variable._grad
        record = self._record(g)
        step = TraceStep(len(self.steps), "accumulate", node, node.name(), self.leaf_name(variable),
                         (record,), received=self._arrived.pop(node, []), leaf=variable,
                         grad_before=self._record(before))
        if before is None:
            step.grad_after = record
        elif before._data.shape == g._data.shape:
            step.grad_after = GradRecord(_add(before._data, g._data), self.max_elements)
        self._forget(node)
        step.finished = True
        self.steps.append(step)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __getitem__(self, index):
        return self.steps[index]

    @property
    def node_steps(self) -> list[TraceStep]:
        """The steps where a Function's backward ran (leaf accumulations left out)."""
        return [s for s in self.steps if s.kind == "node"]

    def steps_of(self, tensor: Tensor) -> list[TraceStep]:
        """The steps at the node that receives ``tensor``'s gradient (its grad_fn or leaf)."""
        if tensor.grad_fn is not None:
            return [s for s in self.steps if s.node is tensor.grad_fn]
        return [s for s in self.steps if s.kind == "accumulate" and s.leaf is tensor]

    def grad_of(self, tensor: Tensor) -> Tensor:
        """The gradient dJ/dt that arrived at ``tensor`` in the (last) traced backward.

        For a pre-activation ``u^m`` of an MLP this is the sensitivity ``delta^m``; for a
        leaf it is what was added into its ``.grad``.
        """
        if not isinstance(tensor, Tensor):
            raise TypeError(f"grad_of expects a Tensor, got {type(tensor).__name__}")
        steps = self.steps_of(tensor)
        nr = tensor._output_nr if tensor.grad_fn is not None else 0
        if steps:
            record = steps[-1].grads_in[nr]
            if record is None:
                raise RuntimeError(f"no gradient reached this tensor (shape {tuple(tensor.shape)}) "
                                   "in the traced backward")
            return record.tensor()
        # A leaf reached by autograd.grad (no accumulation): the contributions' total.
        edge = tensor.grad_fn if tensor.grad_fn is not None else None
        for step in reversed(self.steps):
            for c in reversed(step.contributions):
                hit = (c.target is edge and c.target_nr == nr) if edge is not None else (
                    type(c.target) is AccumulateGrad and c.target.variable is tensor)
                if hit and c.total is not None:
                    return c.total.tensor()
        raise RuntimeError(
            f"the traced backward never reached this tensor (shape {tuple(tensor.shape)}, "
            f"grad_fn={tensor.grad_fn.name() if tensor.grad_fn is not None else None}); trace the backward "
            "of a loss that depends on it"
        )

    def contributions_to(self, tensor: Tensor) -> list[Contribution]:
        """Every contribution sent to ``tensor`` (``a * a`` gives two)."""
        out = []
        for step in self.steps:
            for c in step.contributions:
                if tensor.grad_fn is not None:
                    if c.target is tensor.grad_fn and c.target_nr == tensor._output_nr:
                        out.append(c)
                elif type(c.target) is AccumulateGrad and c.target.variable is tensor:
                    out.append(c)
        return out

    # ------------------------------------------------------------------ renderings
    def table(self, max_preview: int = 4, width: int = 120) -> str:
        """A text table of the steps, for terminals."""
        from .trace_render import table

        return table(self, max_preview=max_preview, width=width)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<BackwardTrace: {_summary(self)}>"

    def frames(self, outputs=None, **make_dot_kwargs) -> list:
        """One drawing per step: the graph with the current node highlighted and the
        contributions sent so far written on the edges (see `trace_render.frames`)."""
        from .trace_render import frames

        return frames(self, outputs=outputs, **make_dot_kwargs)

    def save_frames(self, directory, format: str = "svg", outputs=None, **make_dot_kwargs) -> list:
        """Write one ``step_NNN.<format>`` file per step into ``directory``; returns the paths."""
        from .trace_render import save_frames

        return save_frames(self, directory, format=format, outputs=outputs, **make_dot_kwargs)

    def save_gif(self, path, duration_ms: int = 1200, outputs=None, **make_dot_kwargs):
        """An animated GIF with one frame per step (needs Pillow and graphviz's ``dot``)."""
        from .trace_render import save_gif

        return save_gif(self, path, duration_ms=duration_ms, outputs=outputs, **make_dot_kwargs)

    def to_html(self, outputs=None, frames: bool = True, **make_dot_kwargs) -> str:
        """A self-contained step-through (slider, previous/next) in HTML and JavaScript."""
        from .trace_render import to_html

        return to_html(self, outputs=outputs, frames=frames, **make_dot_kwargs)

    def _repr_html_(self) -> str:
        return self.to_html()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _summary(trace: BackwardTrace) -> str:
    """'9 steps (5 nodes, 4 leaf accumulations)'."""
    n = len(trace.node_steps)
    leaves = len(trace.steps) - n
    return f"{_count(len(trace.steps), 'step')} ({_count(n, 'node')}, {_count(leaves, 'leaf accumulation')})"


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _named(params) -> dict:
    if params is None:
        return {}
    items = params.items() if isinstance(params, dict) else params
    out = {}
    for pair in items:
        try:
            name, t = pair
            if not isinstance(name, str):
                raise TypeError
        except (TypeError, ValueError):
            raise TypeError("params must be a dict name -> Tensor or (name, Tensor) pairs, "
                            f"e.g. dict(model.named_parameters()); got an item {type(pair).__name__}") from None
        if not isinstance(t, Tensor):
            raise TypeError(f"params[{name!r}] is a {type(t).__name__}, expected a Tensor")
        out[name] = t
    return out


def trace_backward(loss, params=None, retain_graph=None, gradient=None, *, max_elements: int = 100_000,
                   create_graph: bool = False) -> BackwardTrace:
    """Run ``loss.backward(gradient, retain_graph, create_graph)`` while recording each step.

    The gradients are exactly those of a plain backward; the returned `BackwardTrace`
    keeps ``loss`` to draw its frames.
    """
    trace = BackwardTrace(params, outputs=loss, max_elements=max_elements)
    with trace:
        if isinstance(loss, Tensor):
            loss.backward(gradient, retain_graph=retain_graph, create_graph=create_graph)
        else:
            _engine.backward(loss, gradient, retain_graph=retain_graph, create_graph=create_graph)
    return trace
