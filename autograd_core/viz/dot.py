"""`make_dot`: draw the backward graph of one or more tensors with Graphviz.

Tensors (inputs, parameters, outputs, saved tensors) are boxes showing name, shape, dtype,
device, a few values and, after backward, a few values of ``.grad``; backward functions
are rounded boxes named like PyTorch's (``MulBackward0``). Edges follow the forward
computation, one per use of an operand (``a * a`` has two edges into ``MulBackward0``:
two gradient contributions). An edge where the operand was broadcast, so its gradient is
summed back to the smaller shape, is coloured and labelled with both shapes.

Drawing reads the graph and changes nothing: no gradient, no saved tensor, no node.
"""

from __future__ import annotations

import html
from collections import Counter, deque
from collections.abc import Mapping

from .._backend import backend_of
from ._graph import Graph, GraphNode, build_graph
from ._preview import has_nonfinite, preview
from ._style import (
    default_edge_attrs,
    default_node_attrs,
    graph_attrs,
    legend,
    node_style,
    resolve_palette,
)
from .modules import ModuleScopes
from .render import Drawing

_RANKDIRS = ("TB", "LR", "BT", "RL")
_BOXES = ("module", "elided")


def make_dot(outputs, params: Mapping | None = None, show_data: bool = True, show_grad: bool = True,
             show_saved: bool = False, rankdir: str = "TB", max_preview: int = 6, *,
             modules: ModuleScopes | None = None, collapse_modules: bool | int = False,
             max_nodes: int | None = None, highlight: Mapping | None = None,
             edge_labels: Mapping | None = None, legend: bool = True, title: str | None = None,
             palette: Mapping[str, str] | None = None) -> Drawing:
    """Draw the backward graph of ``outputs`` (a Tensor, a sequence, or a dict name -> Tensor).

    ``params`` names tensors (e.g. ``dict(model.named_parameters())``; otherwise a tensor's
    ``.name`` is used). ``show_data``/``show_grad`` add a preview of ``max_preview`` values
    and of ``.grad``; ``show_saved`` draws the tensors saved for backward. ``modules``
    (from `module_scopes`) groups nodes in one cluster per module; ``collapse_modules``
    (True, or a depth) draws each module of that depth as one box. ``max_nodes`` summarises
    larger graphs: long chains become one "⋯ N nodes ⋯" box, and beyond that the nodes
    farthest from the outputs are left out. ``highlight`` maps a graph object (Node,
    AccumulateGrad or Tensor) to Graphviz attributes overriding its style;
    ``edge_labels`` maps ``(consumer_node, input_index)`` to text added to that edge.
    """
    if rankdir not in _RANKDIRS:
        raise ValueError(f"make_dot: rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"make_dot: max_nodes must be a positive number of nodes, got {max_nodes}")
    if collapse_modules is not False and modules is None:
        raise ValueError("make_dot: collapse_modules needs modules= (record them with "
                         "`with viz.module_scopes(model) as scopes:` around the forward)")
    pal = resolve_palette(palette)
    graph = build_graph(outputs, params, saved=show_saved)
    view = _View(graph, pal)
    for gnode in graph.nodes:
        view.add_graph_node(gnode, show_data, show_grad, show_saved, max_preview)
    view.add_graph_edges(edge_labels or {})

    if modules is not None:
        view.assign_clusters(modules)
        if collapse_modules is not False:
            depth = 1 if collapse_modules is True else int(collapse_modules)
            view.collapse(modules, depth)
    highlighted = view.resolve_highlight(highlight or {})
    if max_nodes is not None and len(view.nodes) > max_nodes:
        view.elide_chains(max_nodes, protected=set(highlighted))
        if len(view.nodes) > max_nodes:
            view.cut(max_nodes, protected=set(highlighted))
    for node_id, attrs in highlighted.items():
        if node_id in view.nodes:
            view.nodes[node_id].update(attrs)

    drawing = Drawing(graph_attr=graph_attrs(rankdir), node_attr=default_node_attrs(),
                      edge_attr=default_edge_attrs(pal))
    if title:
        drawing.attr(label=title, labelloc="t", fontsize="14")
    view.emit(drawing, modules)
    if legend:
        _style_legend(drawing, view, pal)
    drawing.graph = graph  # the walked graph: nodes, edges, id_of(obj)
    drawing.drawn_nodes = view.nodes  # id -> Graphviz attributes, as drawn
    drawing.drawn_edges = [(src, dst, {k: v for k, v in attrs.items() if not k.startswith("_")})
                           for src, dst, attrs in view.edges]
    return drawing


def _style_legend(drawing: Drawing, view: _View, palette) -> None:
    broadcast = any(e[2].get("_broadcast") for e in view.edges)
    legend(drawing, set(view.style_of.values()), palette, broadcast)


# ---------------------------------------------------------------------------- labels
def _shape_text(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _small(text: str, color: str | None = None) -> str:
    colour = f' color="{color}"' if color else ""
    return f'<font point-size="9"{colour}>{text}</font>'


def _tensor_label(gnode: GraphNode, show_data: bool, show_grad: bool, max_preview: int,
                  palette) -> tuple[str, bool]:
    """The HTML label of a tensor node, and whether its values or grad hold NaN/Inf."""
    data = gnode.data
    lines = []
    title = gnode.name or {"leaf": "input", "saved": "saved"}.get(gnode.kind, gnode.kind)
    lines.append(f"<b>{html.escape(title)}</b>")
    device = backend_of(data).device_of(data)
    lines.append(_small(f"{_shape_text(data.shape)} {data.dtype} {device}"))
    where = ["data"] if has_nonfinite(data) else []
    if show_data and max_preview > 0:
        lines.append(_small("data " + html.escape(preview(data, max_preview))))
    grad = gnode.tensor.grad if gnode.tensor is not None else None
    if grad is not None:
        if has_nonfinite(grad._data):
            where.append("grad")
        if show_grad and max_preview > 0:
            lines.append(_small("grad " + html.escape(preview(grad._data, max_preview)), palette["grad"]))
    if where:
        lines.append(_small(f"<b>NaN/Inf in {' and '.join(where)}</b>", palette["alert"]))
    bad = bool(where)
    return "<" + "<br/>".join(lines) + ">", bad


def _function_label(gnode: GraphNode, show_grad: bool, show_saved: bool, max_preview: int,
                    palette) -> tuple[str, bool]:
    node = gnode.obj
    lines = [html.escape(node.name())]
    if gnode.name:
        lines.insert(0, f"<b>{html.escape(gnode.name)}</b>")
    shapes = gnode.output_shapes
    if len(shapes) == 1 and 0 in shapes:
        lines.append(_small(_shape_text(shapes[0]), "#666666"))
    bad = False
    retained = node.retained_outputs
    for nr in sorted(retained):
        t = retained[nr]
        if t.grad is None:
            continue
        bad = bad or has_nonfinite(t.grad._data)
        if show_grad and max_preview > 0:
            which = f"grad[{nr}]" if len(retained) > 1 else "grad"
            text = f"{which} {html.escape(preview(t.grad._data, max_preview))}"
            lines.append(_small(text, palette["grad"]))
    if show_saved and node.is_freed:
        lines.append(_small("<i>saved tensors freed</i>", "#666666"))
    return "<" + "<br/>".join(lines) + ">", bad


# ---------------------------------------------------------------------------- the view
class _View:
    """What will be drawn: node attributes by id, edges, clusters; summarised in place."""

    def __init__(self, graph: Graph, palette) -> None:
        self.graph = graph
        self.palette = palette
        self.nodes: dict[str, dict] = {}
        self.kind_of: dict[str, str] = {}
        self.edges: list[tuple[str, str, dict]] = []
        self.cluster_of: dict[str, str] = {}
        self.redirect: dict[str, str] = {}  # hidden id -> the box that stands for it
        self.style_of: dict[str, str] = {}

    # ------------------------------------------------------------------ building
    def _put(self, node_id: str, kind: str, label: str, style_kind: str | None = None) -> None:
        attrs = node_style(style_kind or kind, self.palette)
        attrs["label"] = label
        self.nodes[node_id] = attrs
        self.kind_of[node_id] = kind
        self.style_of[node_id] = style_kind or kind

    def add_graph_node(self, gnode: GraphNode, show_data, show_grad, show_saved, max_preview) -> None:
        if gnode.kind == "function":
            label, bad = _function_label(gnode, show_grad, show_saved, max_preview, self.palette)
        else:
            label, bad = _tensor_label(gnode, show_data, show_grad, max_preview, self.palette)
        self._put(gnode.id, gnode.kind, label, "nonfinite" if bad else None)

    def add_graph_edges(self, edge_labels: Mapping) -> None:
        extra: dict[tuple[str, int], str] = {}
        for (consumer, index), text in edge_labels.items():
            consumer_id = self.graph.id_of(consumer)
            if consumer_id is not None:
                extra[(consumer_id, int(index))] = str(text)
        for e in self.graph.edges:
            attrs: dict = {}
            texts = []
            if e.kind == "saved":
                attrs.update(style="dashed", color=self.palette["saved_edge"], arrowhead="odot")
            else:
                producer = self.graph.node(e.src)
                if producer.kind == "function" and producer.obj.num_outputs > 1:
                    texts.append(f"[{e.output_nr}]")
            if e.broadcast is not None:
                texts.append(f"{_shape_text(e.broadcast[0])} → {_shape_text(e.broadcast[1])}")
                attrs.update(color=self.palette["broadcast"], fontcolor=self.palette["broadcast"],
                             penwidth="2", _broadcast="1")
            if e.kind == "data" and (e.dst, e.index) in extra:
                texts.append(extra[(e.dst, e.index)])
            if texts:
                attrs["label"] = "\\n".join(t.replace("\\", "\\\\").replace("\n", "\\n") for t in texts)
            self.edges.append((e.src, e.dst, attrs))

    # ------------------------------------------------------------------ modules
    def assign_clusters(self, scopes: ModuleScopes) -> None:
        for gnode in self.graph.nodes:
            if gnode.kind == "function":
                path = scopes.owner_of(gnode.obj)
            elif gnode.kind in ("leaf", "parameter") and gnode.tensor is not None:
                path = scopes.owner_of(gnode.tensor)
            else:
                path = None
            if path is not None:
                self.cluster_of[gnode.id] = path

    def collapse(self, scopes: ModuleScopes, depth: int) -> None:
        """Replace every module at ``depth`` (and everything inside it) by one box."""
        members: dict[str, list[str]] = {}
        for node_id, path in self.cluster_of.items():
            if scopes.depth(path) >= depth:
                top = ".".join(path.split(".")[:depth]) if depth > 0 else ""
                members.setdefault(top, []).append(node_id)
        index = {p: i for i, p in enumerate(scopes.paths)}
        groups = []
        for top in sorted(members, key=lambda p: index.get(p, len(index))):
            ids = members[top]
            ops = Counter(self.graph.node(i).obj.name() for i in ids if self.kind_of[i] == "function")
            n_params = sum(1 for i in ids if self.kind_of[i] in ("parameter", "leaf"))
            top_ops = ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in ops.most_common(3))
            if len(ops) > 3:
                top_ops += ", …"
            lines = [f"<b>{html.escape(scopes.label(top))}</b>",
                     _small(f"{_count(sum(ops.values()), 'op')}, {_count(n_params, 'parameter')}")]
            if top_ops:
                lines.append(_small(html.escape(top_ops), "#666666"))
            groups.append((ids, f"m{index.get(top, len(index))}", "module", "<" + "<br/>".join(lines) + ">",
                           scopes.parent(top)))
        self._replace(groups)

    def _replace(self, groups: list[tuple[list[str], str, str, str, str | None]]) -> None:
        """Each group ``(ids, box, kind, label, cluster)``: one ``box`` node stands where
        ``ids`` were (at the first one's place); edges into or out of a box are merged."""
        box_of = {i: box for ids, box, *_ in groups for i in ids}
        new_nodes = {}
        for node_id, attrs in self.nodes.items():
            box = box_of.get(node_id)
            if box is None:
                new_nodes[node_id] = attrs
            elif box not in new_nodes:
                new_nodes[box] = {}
        self.nodes = new_nodes
        for ids, box, kind, label, cluster in groups:
            self._put(box, kind, label)
            for node_id in ids:
                self.kind_of.pop(node_id, None)
                self.style_of.pop(node_id, None)
                self.cluster_of.pop(node_id, None)
            if cluster is not None:
                self.cluster_of[box] = cluster
        for node_id, box in box_of.items():
            self.redirect[node_id] = box
        for node_id, target in self.redirect.items():  # boxes inside boxes
            if target in box_of:
                self.redirect[node_id] = box_of[target]
        merged: dict[tuple[str, str], dict] = {}
        edges = []
        for src, dst, attrs in self.edges:
            src = box_of.get(src, src)
            dst = box_of.get(dst, dst)
            if src == dst:
                continue
            if self.kind_of[src] in _BOXES or self.kind_of[dst] in _BOXES:
                key = (src, dst)
                if key in merged:
                    merged[key]["_count"] = merged[key].get("_count", 1) + 1
                    continue
                attrs = {k: v for k, v in attrs.items() if k in ("style", "color", "arrowhead", "_count")}
                merged[key] = attrs
            edges.append((src, dst, attrs))
        for attrs in merged.values():
            n = attrs.pop("_count", 1)
            if n > 1:
                attrs["label"] = f"×{n}"
        self.edges = edges

    # ------------------------------------------------------------------ highlight
    def resolve_highlight(self, highlight: Mapping) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for obj, attrs in highlight.items():
            node_id = self.graph.id_of(obj)
            if node_id is None:
                continue
            node_id = self.redirect.get(node_id, node_id)
            out.setdefault(node_id, {}).update({str(k): str(v) for k, v in dict(attrs).items()})
        return out

    # ------------------------------------------------------------------ summarising
    def elide_chains(self, max_nodes: int, protected: set[str]) -> None:
        """Replace the middle of the longest chains by "⋯ N nodes ⋯" boxes until the drawing
        has at most ``max_nodes`` nodes (or no chain is left to shorten)."""
        preds: dict[str, list[str]] = {i: [] for i in self.nodes}
        succs: dict[str, list[str]] = {i: [] for i in self.nodes}
        for src, dst, _ in self.edges:
            succs[src].append(dst)
            preds[dst].append(src)
        # Tensors feeding only one op travel with it (a layer's weight with its matmul).
        riders = {i for i in self.nodes if self.kind_of.get(i) in ("leaf", "parameter", "saved")
                  and not preds[i] and len(succs[i]) == 1 and i not in protected}

        def main_pred(i: str) -> str | None:
            main = [p for p in preds[i] if p not in riders]
            return main[0] if len(main) == 1 else None

        link = {i for i in self.nodes if self.kind_of.get(i) == "function" and i not in protected
                and len(succs[i]) == 1 and main_pred(i) is not None}
        runs = []
        for i in self.nodes:
            if i not in link:
                continue
            p = main_pred(i)
            if p in link and succs[p] == [i]:
                continue  # not the start of its run
            run = [i]
            while True:
                nxt = succs[run[-1]][0]
                if nxt in link and main_pred(nxt) == run[-1]:
                    run.append(nxt)
                else:
                    break
            if len(run) >= 4:
                runs.append(run)
        runs.sort(key=len, reverse=True)
        groups = []
        total = len(self.nodes)
        for run in runs:
            if total <= max_nodes:
                break
            middle = run[1:-1]
            ids = middle + [r for m in middle for r in preds[m] if r in riders]
            ops = Counter(self.graph.node(i).obj.name() for i in middle)
            names = ", ".join(f"{name} ×{n}" for name, n in ops.most_common(2))
            if len(ops) > 2:
                names += ", …"
            tensors = len(ids) - len(middle)
            count = _count(len(middle), "op") + (f" and {_count(tensors, 'tensor')}" if tensors else "")
            label = f"<⋯ {count} ⋯<br/>{_small(html.escape(names), '#666666')}>"
            paths = {self.cluster_of.get(i) for i in ids}
            groups.append((ids, f"e{len(groups)}", "elided", label, paths.pop() if len(paths) == 1 else None))
            total -= len(ids) - 1
        self._replace(groups)

    def cut(self, max_nodes: int, protected: set[str]) -> None:
        """Keep the ``max_nodes - 1`` nodes nearest the outputs; one box stands for the rest."""
        preds: dict[str, list[str]] = {i: [] for i in self.nodes}
        has_succ = set()
        for src, dst, _ in self.edges:
            preds[dst].append(src)
            has_succ.add(src)
        order = [i for i in self.nodes if i not in has_succ]
        keep = set(order)
        queue = deque(order)
        budget = max(max_nodes - 1, len(keep))
        while queue and len(keep) < budget:
            for p in preds[queue.popleft()]:
                if p not in keep and len(keep) < budget:
                    keep.add(p)
                    queue.append(p)
        keep |= protected & set(self.nodes)
        dropped = [i for i in self.nodes if i not in keep]
        if not dropped:
            return
        hint = _small("raise max_nodes= to see them", "#666666")
        label = f"<⋯ {len(dropped)} more nodes not drawn ⋯<br/>{hint}>"
        self._replace([(dropped, "more", "elided", label, None)])

    # ------------------------------------------------------------------ output
    def emit(self, drawing: Drawing, scopes: ModuleScopes | None) -> None:
        by_cluster: dict[str | None, list[str]] = {}
        for node_id in self.nodes:
            by_cluster.setdefault(self.cluster_of.get(node_id), []).append(node_id)
        for node_id in by_cluster.pop(None, []):
            drawing.node(node_id, **self.nodes[node_id])
        if by_cluster and scopes is not None:
            self._emit_clusters(drawing, scopes, by_cluster)
        for src, dst, attrs in self.edges:
            drawing.edge(src, dst, **{k: v for k, v in attrs.items() if not k.startswith("_")})

    def _emit_clusters(self, drawing: Drawing, scopes: ModuleScopes, by_cluster: dict) -> None:
        """Nested ``subgraph cluster_mK`` blocks, one per module that holds drawn nodes."""
        used = set()
        for path in by_cluster:
            while path is not None and path not in used:
                used.add(path)
                path = scopes.parent(path)
        index = {p: i for i, p in enumerate(scopes.paths)}
        children: dict[str | None, list[str]] = {}
        for path in sorted(used, key=lambda p: index.get(p, len(index))):
            parent = scopes.parent(path)
            children.setdefault(parent if parent in used else None, []).append(path)

        def emit_cluster(parent_drawing, path: str) -> None:
            with parent_drawing.subgraph(name=f"cluster_m{index.get(path, len(index))}") as c:
                c.attr(label=scopes.label(path), style="rounded,filled", fillcolor=self.palette["cluster"],
                       color="#B9A3B0", fontsize="10", labeljust="l")
                for node_id in by_cluster.get(path, []):
                    c.node(node_id, **self.nodes[node_id])
                for child in children.get(path, []):
                    emit_cluster(c, child)  # module nesting depth: a few levels

        for path in children.get(None, []):
            emit_cluster(drawing, path)
