"""`export`: run a model once, record its primitives, write them as an ONNX model."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import IO, Any

import onnx

from ..grad_mode import enable_grad
from ..tensor import Tensor
from . import _convert_layers, _convert_more, _convert_tensor_ops  # noqa: F401  (register the converters)
from ._graph import GraphBuilder, make_model, value_info
from ._registry import CONVERTERS
from ._trace import key_of, record
from .errors import OnnxExporterError, UnsupportedOperatorError

DEFAULT_OPSET = 18
MIN_OPSET = 17  # LayerNormalization


def _flatten(out) -> list[Tensor]:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, Sequence):
        return [t for o in out for t in _flatten(o)]
    if isinstance(out, Mapping):
        return [t for o in out.values() for t in _flatten(o)]
    raise OnnxExporterError(f"onnx.export: the model returned a {type(out).__name__}; expected tensors "
                            "(or tuples, lists, dicts of them)")


def _named_tensors(model) -> list[tuple[str, Tensor]]:
    if not hasattr(model, "named_parameters"):
        return []
    return list(model.named_parameters()) + [(n, b) for n, b in model.named_buffers() if b is not None]


def _trace_inputs(args: tuple) -> list[Tensor]:
    """Copies of the inputs to trace with; floating ones require grad, so that every step
    taken from them is in the graph (a tensor changed in place is then found by its node)."""
    copies = []
    for a in args:
        if not isinstance(a, Tensor):
            raise OnnxExporterError(f"onnx.export: model inputs must be tensors, got {type(a).__name__}; "
                                    "give constants to the model's constructor instead")
        c = a.detach().clone()
        if c.is_floating_point():
            c.requires_grad_(True)
        copies.append(c)
    return copies


def export(model, args: Tensor | tuple = (), f: str | os.PathLike | IO[bytes] | None = None, *,
           kwargs: dict | None = None, export_params: bool = True, verbose: bool = False,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           opset_version: int | None = None,
           dynamic_axes: Mapping[str, Mapping[int, str] | Sequence[int]] | None = None,
           do_constant_folding: bool = True, training: Any = None, dynamo: bool = False,
           **unused: Any) -> onnx.ModelProto:
    """Write ``model``'s forward on ``args`` as an ONNX model to ``f`` (a path or binary file;
    None: only return it).

    The model runs once (in eval mode, as PyTorch's default ``training=EVAL``); each primitive
    it applies becomes ONNX nodes, parameters and buffers become initializers named by their
    state-dict keys. ``input_names``/``output_names`` name the graph's inputs and outputs;
    ``dynamic_axes`` (``{"input": {0: "batch"}}`` or ``{"input": [0]}``) leaves those
    dimensions free. Control flow is not recorded: the graph is the path the example input
    took. An operation without an ONNX translation raises `UnsupportedOperatorError` naming it.
    Returns the ``onnx.ModelProto`` (also written to ``f``).
    """
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    latest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= latest:
        raise ValueError(f"onnx.export: opset_version={opset_version} is not supported; use {MIN_OPSET} to {latest}")
    args = (args,) if isinstance(args, Tensor) else tuple(args)
    if args and isinstance(args[-1], dict) and kwargs is None:  # PyTorch's trailing kwargs dict
        args, kwargs = args[:-1], args[-1]
    if any(isinstance(a, Tensor) and a.device.type != "cpu" for a in args):
        raise OnnxExporterError("onnx.export: give CPU example inputs (and a CPU model): "
                                "the initializers are written from host memory")
    inputs = _trace_inputs(args)
    input_names = list(input_names or [f"input_{i}" for i in range(len(inputs))])
    if len(input_names) > len(inputs):
        raise ValueError(f"onnx.export: {len(input_names)} input_names for {len(inputs)} inputs")
    input_names += [f"input_{i}" for i in range(len(input_names), len(inputs))]
    dynamic = {name: ({int(a): f"{name}_dim_{a}" for a in axes} if not isinstance(axes, Mapping)
                      else {int(a): str(label) for a, label in axes.items()})
               for name, axes in (dynamic_axes or {}).items()}

    g = GraphBuilder(opset)
    g.dynamic = bool(dynamic)
    output_names = list(output_names or [])
    g._used.update(output_names)
    for name, t in zip(input_names, inputs):
        g.bind(t, name)
    for name, t in _named_tensors(model):
        if g.lookup(t) is None:
            g.parameter(t, name, t.detach().numpy() if export_params else None)

    was_training = getattr(model, "training", False)
    if was_training:
        model.eval()
    _exporting[0] = True
    try:
        with enable_grad(), record() as steps:
            out = model(*inputs, **(kwargs or {}))
    finally:
        _exporting[0] = False
        if was_training:
            model.train()
    outputs = _flatten(out)

    for step in _needed(steps, outputs):
        convert = CONVERTERS.get(step.fn)
        if convert is None:
            raise UnsupportedOperatorError(
                f"onnx.export: the operation {step.fn.__name__} ({step.fn.__module__}) has no ONNX "
                f"translation here; supported: {', '.join(sorted({c.__name__ for c in CONVERTERS}))}"
            )
        g.step = step
        names = convert(g, step)
        for t, name in zip(step.outputs, names):
            if t is not None and name is not None:
                g.bind(t, name)
    g.step = None

    output_names += [f"output_{i}" for i in range(len(output_names), len(outputs))]
    for t, name in zip(outputs, output_names):
        g.nodes.append(onnx.helper.make_node("Identity", [g.value(t)], [name], name=g.fresh("/output")))

    graph_inputs = [value_info(n, t.detach().numpy(), dynamic.get(n))
                    for n, t in list(zip(input_names, inputs)) + g.parameter_inputs]
    graph_outputs = [value_info(n, t.detach().numpy(), dynamic.get(n)) for n, t in zip(output_names, outputs)]
    proto = make_model(g, graph_inputs, graph_outputs, type(model).__name__)
    onnx.checker.check_model(proto)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if isinstance(f, (str, os.PathLike)):
        onnx.save(proto, os.fspath(f))
    elif f is not None:
        f.write(proto.SerializeToString())
    return proto


def _needed(steps: list, outputs: list[Tensor]) -> list:
    """The steps the outputs depend on, in order (what the forward computed and threw away,
    such as a comparison inside a library function, is not translated)."""
    wanted = {key_of(t) for t in outputs}
    kept = []
    for step in reversed(steps):
        if any(step.keys.get(id(o)) in wanted for o in step.outputs if o is not None):
            kept.append(step)
            wanted.update(step.keys[id(a)] for a in step.args if isinstance(a, Tensor))
    return kept[::-1]


_exporting = [False]


def is_in_onnx_export() -> bool:
    """Whether `export` is running the model now (a forward may branch on it)."""
    return _exporting[0]
