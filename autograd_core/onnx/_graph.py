"""`GraphBuilder`: the ONNX graph under construction, and the names of the traced tensors.

A traced tensor is found by the value it held when the step used it (`_trace.key_of`): a
tensor in the graph by its ``grad_fn`` and output number (so a tensor changed in place stands
for the op's new result from then on), any other by its identity (inputs, parameters, outputs
of integer ops). A tensor found neither way was made
inside the forward without a primitive (``torch.ones(...)``): it becomes a constant.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..tensor import Tensor
from ._trace import key_of


class GraphBuilder:
    def __init__(self, opset: int) -> None:
        self.opset = opset
        self.nodes: list = []
        self.initializers: list = []
        self._by_key: dict = {}  # key_of(tensor) at its step -> name
        self.step = None  # the Step being converted (its tensors' keys and frozen values)
        self._keep: list = []  # everything whose id is a key above stays alive
        self._used: set[str] = set()
        self._counter = 0
        self._pending: dict = {}  # name -> array: initializers written once a node reads them
        self.parameter_inputs: list = []  # (name, tensor) of parameters not written (export_params=False)
        self.dynamic = False  # any dynamic axes: reshapes keep leading input dims free

    # ------------------------------------------------------------------ names
    def fresh(self, hint: str) -> str:
        self._counter += 1
        name = f"{hint}_{self._counter}"
        while name in self._used:
            self._counter += 1
            name = f"{hint}_{self._counter}"
        self._used.add(name)
        return name

    def bind(self, t: Tensor, name: str) -> None:
        """From now on ``t`` (the value it holds in the current step) is called ``name``."""
        self._keep.append(t)
        self._used.add(name)
        self._by_key[self._key(t)] = name

    def _key(self, t: Tensor) -> tuple:
        step = self.step
        if step is not None and id(t) in step.keys:
            return step.keys[id(t)]
        return key_of(t)

    def lookup(self, t: Tensor) -> str | None:
        return self._by_key.get(self._key(t))

    def parameter(self, t: Tensor, name: str, array) -> None:
        """Bind ``t`` to ``name``, an initializer written when (if ever) a node reads it."""
        self.bind(t, name)
        self._pending[name] = array

    def value(self, t: Tensor) -> str:
        """The name of tensor ``t``; a tensor not seen before becomes a constant."""
        name = self.lookup(t)
        if name in self._pending:
            array = self._pending.pop(name)
            if array is not None:
                self.initializer(array, name)
            else:
                self.parameter_inputs.append((name, t))
        elif name is None:
            frozen = None if self.step is None else self.step.frozen.get(id(t))
            name = self.constant(t.detach().numpy() if frozen is None else frozen, "const")
            self.bind(t, name)
        return name

    # ------------------------------------------------------------------ building
    def initializer(self, array: np.ndarray, name: str) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        self._used.add(name)
        return name

    def constant(self, array, hint: str = "const", dtype=None) -> str:
        array = np.asarray(array, dtype=dtype)
        return self.initializer(array, self.fresh(hint))

    def ints(self, values, hint: str = "ints") -> str:
        return self.constant(np.asarray(list(values), dtype=np.int64), hint)

    def operand(self, a, like: Tensor) -> str:
        """A tensor's name, or a Python number as a constant of ``like``'s dtype."""
        if isinstance(a, Tensor):
            return self.value(a)
        return self.constant(np.asarray(a, dtype=like._data.dtype), "scalar")

    def node(self, op: str, inputs: list, n_out: int = 1, **attrs) -> list[str]:
        """Add an ``op`` node; return the names of its outputs."""
        outputs = [self.fresh(op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, list(inputs), outputs, name=self.fresh(f"/{op}"), **attrs))
        return outputs

    def one(self, op: str, inputs: list, **attrs) -> str:
        return self.node(op, inputs, **attrs)[0]

    def reduce(self, op: str, x: str, axes, keepdims: bool) -> str:
        """``ReduceMean``/``ReduceSum`` over ``axes`` (None: all); the axes are an input from
        opset 18 (ReduceSum: 13), an attribute before."""
        axes_as_input = self.opset >= (13 if op == "ReduceSum" else 18)  # ReduceMean, ReduceMax: 18
        if axes is None:
            return self.one(op, [x], keepdims=int(keepdims))
        axes = [int(a) for a in (axes if isinstance(axes, (tuple, list)) else (axes,))]
        if axes_as_input:
            return self.one(op, [x, self.ints(axes, "axes")], keepdims=int(keepdims))
        return self.one(op, [x], axes=axes, keepdims=int(keepdims))


def value_info(name: str, array: np.ndarray, dynamic: dict | None = None):
    """An input/output declaration: dtype and shape, with named dimensions for dynamic axes."""
    dims: list = list(array.shape)
    for axis, label in (dynamic or {}).items():
        dims[axis] = label
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(array.dtype), dims)


def make_model(builder: GraphBuilder, inputs: list, outputs: list, name: str) -> onnx.ModelProto:
    graph = helper.make_graph(builder.nodes, name, inputs, outputs, builder.initializers)
    opsets = [helper.make_opsetid("", builder.opset)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="autograd_core")
    # the oldest IR version that has this opset: readable by the most runtimes
    model.ir_version = helper.find_min_ir_version_for(opsets)
    return model
