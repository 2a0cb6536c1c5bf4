"""Converters of the tensor operations: arithmetic, elementwise functions, matmul, shape
changes, slicing, reductions, concatenation, softmax."""

from __future__ import annotations

import numpy as np

from ..ops import arithmetic, joining, linalg, reduction, shape, softmax, trig, unary
from ..ops.indexing import Slice
from ._registry import converts

INT64_MAX, INT64_MIN = np.iinfo(np.int64).max, np.iinfo(np.int64).min

_BINARY = {arithmetic.Add: "Add", arithmetic.Sub: "Sub", arithmetic.Mul: "Mul", arithmetic.Div: "Div",
           arithmetic.Pow: "Pow"}
_UNARY = {arithmetic.Neg: "Neg", unary.Exp: "Exp", unary.Log: "Log", unary.Sqrt: "Sqrt",
          unary.Abs: "Abs", unary.Reciprocal: "Reciprocal", unary.Sigmoid: "Sigmoid",
          unary.Relu: "Relu", trig.Tanh: "Tanh", trig.Sin: "Sin", trig.Cos: "Cos"}


@converts(*_BINARY)
def _binary(g, step):
    a, b = step.args[:2]
    like = step.outputs[0]
    return [g.one(_BINARY[step.fn], [g.operand(a, like), g.operand(b, like)])]


@converts(*_UNARY)
def _unary(g, step):
    return [g.one(_UNARY[step.fn], [g.value(step.args[0])])]


@converts(linalg.MatMul, linalg.Mm, linalg.Bmm, linalg.Mv, linalg.Dot)
def _matmul(g, step):
    return [g.one("MatMul", [g.value(step.args[0]), g.value(step.args[1])])]


def reshape_target(g, in_shape, target) -> list[int]:
    """The Reshape shape. With dynamic axes, leading dimensions kept from the input are
    written 0 ("copy from the input"), so a batch dimension stays free."""
    target = [int(d) for d in target]
    if not g.dynamic:
        return target
    k = 0
    while k < min(len(in_shape), len(target)) and in_shape[k] == target[k]:
        k += 1
    return [0] * k + target[k:]


def reshape(g, name: str, in_shape, target) -> str:
    if tuple(in_shape) == tuple(target):
        return name
    return g.one("Reshape", [name, g.ints(reshape_target(g, in_shape, target), "shape")])


@converts(shape.Reshape)
def _reshape(g, step):
    x = step.args[0]
    return [reshape(g, g.value(x), x.shape, step.outputs[0].shape)]


@converts(shape.Permute)
def _permute(g, step):
    return [g.one("Transpose", [g.value(step.args[0])], perm=[int(a) for a in step.args[1]])]


@converts(Slice)
def _slice(g, step):
    """Basic indexing ``x[key]`` (slices, ints, None, ...): one Slice, then a Reshape to the
    result's shape (which drops the int-indexed axes and adds the None ones)."""
    x, key = step.args[0], step.args[1]
    key = key if isinstance(key, tuple) else (key,)
    ndim = x.ndim
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    axis, starts, ends, axes, steps, kept = 0, [], [], [], [], list(x.shape)
    for k in key:
        if k is Ellipsis:
            axis += ndim - used
        elif k is None:
            continue
        elif isinstance(k, slice):
            size = x.shape[axis]
            if k != slice(None):
                start, stop, stride = k.indices(size)
                step_ = stride
                begin = (0 if step_ > 0 else -1) if k.start is None else start
                end = (INT64_MAX if step_ > 0 else INT64_MIN) if k.stop is None else stop
                if step_ < 0 and k.stop is not None and stop < 0:
                    end = INT64_MIN
                starts.append(begin), ends.append(end), axes.append(axis), steps.append(step_)
                kept[axis] = len(range(start, stop, stride))
            axis += 1
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            i = int(k) % x.shape[axis]
            starts.append(i), ends.append(i + 1), axes.append(axis), steps.append(1)
            kept[axis] = 1
            axis += 1
        else:
            from .errors import UnsupportedOperatorError

            raise UnsupportedOperatorError(
                f"onnx.export: indexing with {type(k).__name__} ({k!r}) is not supported; "
                "use slices and ints, or index_select/gather"
            )
    name = g.value(x)
    if axes:
        name = g.one("Slice", [name, g.ints(starts, "starts"), g.ints(ends, "ends"), g.ints(axes, "axes"),
                               g.ints(steps, "steps")])
    return [reshape(g, name, kept, step.outputs[0].shape)]


@converts(reduction.Mean)
def _mean(g, step):
    x, axes, keepdim = step.args[:3]
    return [g.reduce("ReduceMean", g.value(x), axes, keepdim)]


@converts(reduction.Sum)
def _sum(g, step):
    x, axes, keepdim = step.args[:3]
    return [g.reduce("ReduceSum", g.value(x), axes, keepdim)]


@converts(joining.Cat)
def _cat(g, step):
    dim, skipped, *tensors = step.args
    names = [g.value(t) for t, s in zip(tensors, skipped) if not s]
    return [g.one("Concat", names, axis=int(dim))]


@converts(softmax.Softmax)
def _softmax(g, step):
    return [g.one("Softmax", [g.value(step.args[0])], axis=int(step.args[1]))]


@converts(softmax.LogSoftmax)
def _log_softmax(g, step):
    return [g.one("LogSoftmax", [g.value(step.args[0])], axis=int(step.args[1]))]
