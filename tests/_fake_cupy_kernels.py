"""``ElementwiseKernel`` and ``RawKernel`` for the fake CuPy: CUDA C bodies run by a small
interpreter on NumPy, so fake-CUDA takes the same code path as a GPU (the library builds
the kernel, passes the same arguments, reads the same outputs).

The interpreted subset is what a per-element body needs: statements ``T x = expr;``,
``x = expr;`` and ``x op= expr;`` (``op`` one of ``+ - * /``), expressions of numbers, names,
``+ - * / %``, single comparisons, ``&``/``|`` of parenthesised conditions, one top-level
``c ? a : b``, parentheses, calls of CUDA math functions, and ``x[k]`` on a ``raw`` parameter
(the whole array, read by its logical C-order index, as CuPy's ``CArray::operator[]``).
A body outside it fails loudly (``NotImplementedError``), never silently. CUDA's semantics
where they differ from NumPy's:

- ``fmax``/``fmin`` (and ``max``/``min`` on floats) drop a NaN operand: ``fmax(NaN, 1) = 1``
  (NumPy's ``fmax``, not ``maximum``, which propagates NaN);
- arithmetic is in the kernel's type ``T`` (float32 stays float32), every statement's result
  cast to its variable's type, as C assignment does;
- integer ``/`` and ``%`` truncate toward zero (C), not toward minus infinity (Python);
  ``%`` on floats is refused (C has none: ``fmod``);
- ``a < b < c`` is refused (C compares the 0/1 of ``a < b`` with ``c``);
- a ``raw`` read outside the array is refused even in the branch a ternary does not take
  (stricter than CUDA, which would not evaluate it): a kernel clamps its indices.

``RawKernel`` takes arbitrary CUDA (threads, blocks, pointers): the fake keeps the source and
refuses to launch it, naming the kernel, so library code that needs one is seen here.
"""

from __future__ import annotations

import ast
import re

import numpy as np
from _fake_cupy_array import FakeArray

_STATEMENT = re.compile(r"^(?:(T|float|double|int|bool|long long)\s+)?([A-Za-z_]\w*)\s*"
                        r"(=|\+=|-=|\*=|/=)\s*(.+)$")
_C_TYPES = {"float": np.float32, "double": np.float64, "int": np.int32, "bool": np.bool_,
            "long long": np.int64, "float32": np.float32, "float64": np.float64,
            "int32": np.int32, "int64": np.int64, "float16": np.float16}
_FUNCTIONS = {
    "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x), "fabs": np.abs, "abs": np.abs,
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "tanh": np.tanh,
    "erf": None, "pow": np.power, "floor": np.floor, "ceil": np.ceil,
    "fmax": np.fmax, "fmin": np.fmin, "max": np.fmax, "min": np.fmin,  # CUDA: NaN dropped
    "fmaxf": np.fmax, "fminf": np.fmin, "sqrtf": np.sqrt, "expf": np.exp, "logf": np.log,
    # device functions of the library's preambles (fused_optim._kernels.MAX_NAN_PREAMBLE)
    "max_nan": np.maximum,
    "_where": np.where,  # C's ternary c ? a : b
}
_PREAMBLE_FUNCTIONS = {"max_nan": "__device__ T max_nan("}
_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Load,
                  ast.Constant, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.USub,
                  ast.UAdd, ast.Compare, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq,
                  ast.BitAnd, ast.BitOr, ast.Subscript)


def _c_divide(a, b):
    """C's ``a / b``: truncated toward zero for two integers, true division otherwise."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        if np.any(b == 0):
            raise ZeroDivisionError("integer division by zero in a kernel")
        q = np.abs(a) // np.abs(b)
        return np.where((a < 0) != (b < 0), -q, q)
    return a / b


def _c_modulo(a, b):
    """C's ``a % b`` on integers (the sign of ``a``)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind not in "iub" or b.dtype.kind not in "iub":
        raise NotImplementedError("% on floating-point values is not C (use fmod)")
    return np.fmod(a, b)


class _Raw:
    """A ``raw`` parameter: the whole array, indexed by the logical C-order position."""

    def __init__(self, flat: np.ndarray, name: str) -> None:
        self.flat, self.name = flat, name

    def __getitem__(self, k):
        k = np.asarray(k)
        if k.dtype.kind not in "iu":
            raise TypeError(f"raw {self.name}[...]: the index must be an integer, got {k.dtype}")
        if k.size and (k.min() < 0 or k.max() >= self.flat.size):
            raise IndexError(f"raw {self.name}[...] reads outside the array (size "
                             f"{self.flat.size}): index {int(k.min())}..{int(k.max())}")
        return self.flat[k]


class _CSemantics(ast.NodeTransformer):
    """``/`` and ``%`` as C's (`_c_divide`, `_c_modulo`)."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        name = {ast.Div: "_c_divide", ast.Mod: "_c_modulo"}.get(type(node.op))
        if name is None:
            return node
        return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), [node.left, node.right],
                                          []), node)


def _parse_params(params: str) -> list[tuple[str, str]]:
    """``"T grad, float32 lr, raw T x"`` -> ``[("T", "grad"), ("float32", "lr"),
    ("raw T", "x")]``."""
    out = []
    for item in params.split(","):
        words = item.split()
        if not words:
            continue
        *type_words, name = words
        out.append((" ".join(type_words), name))
    return out


def _is_raw(type_name: str) -> bool:
    return type_name.startswith("raw ")


def _ternary(expr: str) -> str:
    """C's ``c ? a : b`` (one, at the top level) as ``_where(c, a, b)``."""
    depth, question = 0, None
    for k, ch in enumerate(expr):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch == "?" and question is None:
            question = k
        elif depth == 0 and ch == ":" and question is not None:
            return f"_where({expr[:question]}, {expr[question + 1:k]}, {expr[k + 1:]})"
    return expr


def _compile_expression(expr: str, where: str):
    tree = ast.parse(_ternary(expr), mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise NotImplementedError(f"{where}: {type(node).__name__} in {expr!r} is outside "
                                      "the interpreted CUDA subset")
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None)
            if _FUNCTIONS.get(name) is None:
                raise NotImplementedError(f"{where}: function {name!r} is not interpreted")
        if isinstance(node, ast.Compare) and len(node.ops) > 1:
            raise NotImplementedError(f"{where}: chained comparison in {expr!r} (C would "
                                      "compare the 0/1 of the first)")
        if isinstance(node, ast.Subscript) and not isinstance(node.value, ast.Name):
            raise NotImplementedError(f"{where}: only a raw parameter can be indexed ({expr!r})")
    tree = ast.fix_missing_locations(_CSemantics().visit(tree))
    return compile(tree, where, "eval")


class ElementwiseKernel:
    """``cupy.ElementwiseKernel(in_params, out_params, operation, name)``, interpreted."""

    launches = 0  # every launch of every kernel (tests count them)

    def __init__(self, in_params: str, out_params: str, operation: str,
                 name: str = "kernel", reduce_dims: bool = True, preamble: str = "",
                 no_return: bool = False, return_tuple: bool = False, **kwargs) -> None:
        self.name = name
        for function, declaration in _PREAMBLE_FUNCTIONS.items():  # as NVRTC would refuse
            if f"{function}(" in operation and declaration not in preamble:
                raise NotImplementedError(f"kernel {name}: {function}() is called but not "
                                          "defined in the preamble")
        self.inputs = _parse_params(in_params)
        self.outputs = _parse_params(out_params)
        self.no_return, self.return_tuple = no_return, return_tuple
        names = [n for _, n in self.inputs + self.outputs]
        for reserved in ("i", "n", "_ind"):
            if reserved in names:
                raise ValueError(f"{name}: {reserved!r} is reserved by ElementwiseKernel")
        self.statements = []
        for line in operation.replace("\n", " ").split(";"):
            line = line.strip()
            if not line:
                continue
            match = _STATEMENT.match(line)
            if match is None:
                raise NotImplementedError(f"kernel {name}: statement {line!r} is outside the "
                                          "interpreted CUDA subset")
            decl, target, op, expr = match.groups()
            self.statements.append((decl, target, op, _compile_expression(expr, f"kernel {name}")))

    def _type_of(self, type_name: str, bound: dict):
        type_name = type_name.removeprefix("raw ")
        if type_name in _C_TYPES:
            return np.dtype(_C_TYPES[type_name])
        if type_name not in bound:
            raise TypeError(f"{self.name}: the type {type_name!r} is not determined by any "
                            "array argument")
        return bound[type_name]

    def __call__(self, *args, size=None, block_size=None, stream=None):
        n_in, n_out = len(self.inputs), len(self.outputs)
        if len(args) not in (n_in, n_in + n_out):
            raise TypeError(f"Wrong number of arguments for {self.name!r}: expected {n_in} or "
                            f"{n_in + n_out}, got {len(args)}")
        for a in args:
            if isinstance(a, np.ndarray):
                raise TypeError(f"Unsupported type {type(a)} in kernel {self.name!r}: device "
                                "arrays only (upload with asarray)")
        bound: dict = {}  # type placeholder -> dtype, from the array arguments
        for (type_name, _), a in zip(self.inputs + self.outputs, args):
            type_name = type_name.removeprefix("raw ")
            if isinstance(a, FakeArray) and type_name not in _C_TYPES:
                if bound.setdefault(type_name, a.dtype) != a.dtype:
                    raise TypeError(f"{self.name}: type {type_name} is both {bound[type_name]} "
                                    f"and {a.dtype}")
        # the iteration space: the broadcast shape of the non-raw arrays (CuPy's rule)
        arrays = [a._a for (t, _), a in zip(self.inputs + self.outputs, args)
                  if isinstance(a, FakeArray) and not _is_raw(t)]
        if arrays:
            shape = np.broadcast_shapes(*[a.shape for a in arrays])
        elif size is not None:
            shape = (int(size),)
        else:
            raise ValueError(f"{self.name}: loop size is undecided (only raw or scalar "
                             "arguments: pass an output or size=)")
        env: dict = {"i": np.arange(int(np.prod(shape))).reshape(shape),
                     "n": int(np.prod(shape)), "_c_divide": _c_divide, "_c_modulo": _c_modulo}
        for (type_name, name), a in zip(self.inputs, args[:n_in]):
            dtype = self._type_of(type_name, bound)
            value = a._a if isinstance(a, FakeArray) else a
            if _is_raw(type_name):
                if not isinstance(a, FakeArray):
                    raise TypeError(f"{self.name}: raw parameter {name} needs a device array")
                env[name] = _Raw(np.ascontiguousarray(value).reshape(-1), name)
                continue
            env[name] = np.broadcast_to(np.asarray(value).astype(dtype), shape).copy()
        outs = list(args[n_in:])
        if not outs:
            outs = [FakeArray(np.empty(shape, self._type_of(t, bound))) for t, _ in self.outputs]
        types = {}
        for (type_name, name), out in zip(self.outputs, outs):
            if _is_raw(type_name):
                raise NotImplementedError(f"{self.name}: raw outputs (scattered writes) are "
                                          "not interpreted")
            if out.shape != shape:
                raise ValueError(f"{self.name}: output {name} has shape {out.shape}, the "
                                 f"broadcast shape is {shape}")
            types[name] = out.dtype
            env[name] = out._a.copy()
        types.update({name: env[name].dtype for t, name in self.inputs if not _is_raw(t)})
        for decl, target, op, code in self.statements:
            with np.errstate(all="ignore"):  # CUDA raises no floating-point exceptions
                value = eval(code, dict(_FUNCTIONS), env)  # noqa: S307  (the checked subset)
                if decl is not None:
                    types[target] = self._type_of(decl, bound)
                elif target not in types:
                    raise NameError(f"kernel {self.name}: {target!r} assigned before declared")
                if op != "=":
                    value = {"+=": np.add, "-=": np.subtract, "*=": np.multiply,
                             "/=": np.divide}[op](env[target], value)
                env[target] = np.broadcast_to(np.asarray(value), shape).astype(types[target])
        for (_, name), out in zip(self.outputs, outs):
            out._a[...] = env[name]
        ElementwiseKernel.launches += 1
        if self.no_return:
            return None
        return tuple(outs) if (self.return_tuple or len(outs) > 1) else outs[0]


class RawKernel:
    """``cupy.RawKernel(code, name)``: kept, but the fake cannot launch arbitrary CUDA."""

    def __init__(self, code: str, name: str, options=(), backend: str = "nvrtc", **kwargs):
        self.code, self.name = code, name

    def __call__(self, grid, block, args, **kwargs):
        raise NotImplementedError(
            f"fake_cupy cannot run the RawKernel {self.name!r} (threads and pointers are not "
            "interpreted); offer an ElementwiseKernel, or compile-test it with NVRTC "
            "(tests/test_gpu_kernels_compile.py)")
