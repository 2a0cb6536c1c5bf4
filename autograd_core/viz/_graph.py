"""The backward graph as plain data: nodes with stable ids, and one edge per use of an operand.

`build_graph` walks from the outputs' ``grad_fn`` through ``next_functions``, breadth first
and without recursion. Ids come from that walk order (``t0, t1, ...`` for tensors,
``f0, f1, ...`` for functions), never from memory addresses, so the same computation
built twice gives the same ids. A leaf's ``AccumulateGrad`` node and the leaf tensor are
one drawn node. Reading the graph changes nothing: no backward runs, saved tensors are
only looked at (and may already be freed).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..function import AccumulateGrad
from ..tensor import Tensor

# Ops whose inputs are smaller than their output without any gradient being summed back.
_JOINS = ("Cat", "Stack")


@dataclass
class GraphNode:
    """One drawn node: a function (``obj`` is the Node) or a tensor (``tensor`` is set)."""

    id: str
    kind: str  # "function", "leaf", "parameter", "output" or "saved"
    obj: object
    tensor: Tensor | None = None
    data: object = None  # the array shown (a saved output has an array but no tensor)
    name: str | None = None
    is_output: bool = False
    output_shapes: dict = field(default_factory=dict)  # function nodes: {output_nr: shape}


@dataclass
class GraphEdge:
    """``src -> dst`` in the forward direction. Data edges carry ``consumer`` and ``index``
    (the edge from ``consumer.next_functions[index]``'s producer into ``consumer``)."""

    src: str
    dst: str
    kind: str  # "data", "output" or "saved"
    consumer: object = None
    index: int = 0
    output_nr: int = 0
    broadcast: tuple | None = None  # (input shape, output shape) when a gradient is summed back


class Graph:
    """Nodes in walk order, edges in walk order, and ``id_of(obj)`` for any graph object."""

    def __init__(self) -> None:
        self.nodes: list[GraphNode] = []
        self.edges: list[GraphEdge] = []
        self._ids: dict[int, str] = {}
        self._keep: list = []  # aliased objects stay alive, so their ids stay theirs
        self._by_id: dict[str, GraphNode] = {}
        self._counts = {"t": 0, "f": 0}

    def id_of(self, obj) -> str | None:
        """The id of a Node, an AccumulateGrad, a Tensor or an array drawn in this graph."""
        return self._ids.get(id(obj))

    def node(self, node_id: str) -> GraphNode:
        return self._by_id[node_id]

    def _add(self, prefix: str, kind: str, obj, **fields) -> GraphNode:
        node_id = f"{prefix}{self._counts[prefix]}"
        self._counts[prefix] += 1
        gnode = GraphNode(node_id, kind, obj, **fields)
        self.nodes.append(gnode)
        self._by_id[node_id] = gnode
        self._ids[id(obj)] = node_id
        return gnode

    def _alias(self, obj, node_id: str) -> None:
        self._ids[id(obj)] = node_id
        self._keep.append(obj)


def _as_named_outputs(outputs) -> list[tuple[str | None, Tensor]]:
    if isinstance(outputs, Tensor):
        return [(None, outputs)]
    if isinstance(outputs, Mapping):
        items = [(str(k), v) for k, v in outputs.items()]
    else:
        items = [(None, v) for v in outputs]
    for name, t in items:
        if not isinstance(t, Tensor):
            where = f"outputs[{name!r}]" if name is not None else "an output"
            raise TypeError(f"make_dot: {where} is a {type(t).__name__}; pass Tensors "
                            "(one, a sequence, or a dict name -> Tensor)")
    return items


def build_graph(outputs, params: Mapping | None = None, saved: bool = False) -> Graph:
    """Walk the backward graph of ``outputs`` (a Tensor, a sequence or a dict of them).

    ``params`` (name -> Tensor) names leaves; a named non-leaf tensor names the function
    node that produced it (``{"u1": u1}`` labels ``u1``'s ``LinearBackward0``)."""
    named = _as_named_outputs(outputs)
    names: dict[int, str] = {}  # leaves: id(tensor) -> name
    result_names: dict[int, dict[int, list[str]]] = {}  # non-leaves: id(grad_fn) -> {output_nr: names}
    for n, t in (params or {}).items():
        if isinstance(t, Tensor) and t.grad_fn is not None:
            result_names.setdefault(id(t.grad_fn), {}).setdefault(t._output_nr, []).append(str(n))
        else:
            names[id(t)] = str(n)
    graph = Graph()

    def tensor_name(t: Tensor) -> str | None:
        return names.get(id(t)) or t.name

    queue: deque = deque()

    def visit(node) -> str:
        node_id = graph.id_of(node)
        if node_id is not None:
            return node_id
        if type(node) is AccumulateGrad:
            t = node.variable
            node_id = graph.id_of(t)
            if node_id is None:
                kind = "parameter" if id(t) in names else "leaf"
                node_id = graph._add("t", kind, t, tensor=t, data=t._data, name=tensor_name(t)).id
            graph._alias(node, node_id)
            return node_id
        queue.append(node)
        named_outputs = result_names.get(id(node), {})
        name = " / ".join(", ".join(named_outputs[nr]) for nr in sorted(named_outputs)) or None
        return graph._add("f", "function", node, name=name).id

    # Outputs first (t0, t1, ...), then the walk.
    several = len(named) > 1
    for i, (key, t) in enumerate(named):
        if graph.id_of(t) is not None:
            continue
        name = key or t.name or names.get(id(t)) or (f"output {i}" if several else "output")
        out = graph._add("t", "output", t, tensor=t, data=t._data, name=name, is_output=True)
        if t.grad_fn is None:
            acc = t._grad_accumulator() if t._grad_accumulator is not None else None
            if acc is not None:
                graph._alias(acc, out.id)
    for _, t in named:
        if t.grad_fn is not None:
            fid = visit(t.grad_fn)
            graph.edges.append(GraphEdge(fid, graph.id_of(t), "output", output_nr=t._output_nr))
            graph.node(fid).output_shapes[t._output_nr] = tuple(t._data.shape)
    while queue:
        node = queue.popleft()
        dst = graph.id_of(node)
        for i, (child, nr) in enumerate(node.next_functions):
            if child is None:
                continue
            src = visit(child)
            graph.edges.append(GraphEdge(src, dst, "data", consumer=node, index=i, output_nr=nr))

    _learn_shapes(graph)
    _mark_broadcasts(graph)
    if saved:
        _add_saved(graph, tensor_name)
    return graph


def _learn_shapes(graph: Graph) -> None:
    """A function's output shapes, from its consumers' recorded input shapes."""
    for e in graph.edges:
        if e.kind != "data":
            continue
        producer = graph.node(e.src)
        if producer.kind != "function":
            continue
        meta = e.consumer.input_metadata
        if e.index < len(meta) and meta[e.index] is not None:
            producer.output_shapes.setdefault(e.output_nr, tuple(meta[e.index][0]))
    for gnode in graph.nodes:
        if gnode.kind == "function":
            for nr, m in enumerate(gnode.obj.output_metadata):
                if m is not None:
                    gnode.output_shapes.setdefault(nr, tuple(m[0]))


def is_broadcast(in_shape: tuple, out_shape: tuple, op_name: str = "") -> bool:
    """Whether an input of ``in_shape`` was stretched to ``out_shape`` (so its gradient is
    summed back): broadcast-compatible, with fewer elements, and not a join (cat/stack)."""
    if in_shape == out_shape or op_name.startswith(_JOINS):
        return False
    if int(np.prod(in_shape, dtype=np.int64)) >= int(np.prod(out_shape, dtype=np.int64)):
        return False
    try:
        return tuple(np.broadcast_shapes(in_shape, out_shape)) == tuple(out_shape)
    except ValueError:
        return False


def _mark_broadcasts(graph: Graph) -> None:
    for e in graph.edges:
        if e.kind != "data":
            continue
        consumer = graph.node(e.dst)
        if len(consumer.output_shapes) != 1 or 0 not in consumer.output_shapes:
            continue  # several outputs: no single shape to compare with
        meta = e.consumer.input_metadata
        if e.index >= len(meta) or meta[e.index] is None:
            continue
        in_shape, out_shape = tuple(meta[e.index][0]), consumer.output_shapes[0]
        if is_broadcast(in_shape, out_shape, e.consumer.name()):
            e.broadcast = (in_shape, out_shape)


def _add_saved(graph: Graph, tensor_name) -> None:
    """Saved tensors as nodes with an edge into the function that saved them."""
    outputs_by_array = {id(n.data): n.id for n in graph.nodes if n.is_output}
    for fnode in [n for n in graph.nodes if n.kind == "function"]:
        for j, item in enumerate(fnode.obj.saved_values):
            if isinstance(item, Tensor):
                src = graph.id_of(item)
                if src is None:
                    src = graph._add("t", "saved", item, tensor=item, data=item._data,
                                     name=tensor_name(item)).id
            elif hasattr(item, "shape"):  # the node's own output, saved as its array
                src = graph.id_of(item) or outputs_by_array.get(id(item))
                if src is None:
                    src = graph._add("t", "saved", item, data=item).id
            else:
                continue  # a Python number or None
            graph.edges.append(GraphEdge(src, fnode.id, "saved", consumer=fnode.obj, index=j))
