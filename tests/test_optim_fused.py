"""The fused optimiser primitives, including the CUDA kernel sources (run on NumPy here).

CI has no GPU, so the elementwise-kernel bodies of `autograd_core.ops.fused_optim` are
run by a small interpreter: each statement (``T x = expr;``, ``x = expr;``, ``x op=
expr;``) is evaluated with NumPy, in the arrays' dtype. Every optimiser must then give
the same trajectory through its kernel as through the NumPy in-place path, with exactly
one kernel launch per parameter and step.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_core as ag
import optim
from autograd_core.ops import fused_optim

_STATEMENT = re.compile(r"^(T )?([A-Za-z_]\w*) (=|\+=|-=|\*=) (.+);$")
_FUNCTIONS = {"sqrt": np.sqrt, "fabs": np.abs, "fmax": np.fmax, "max_nan": np.maximum}


class InterpretedKernel:
    """``ElementwiseKernel`` for NumPy arrays: parses the parameters, runs the body."""

    launches = 0

    def __init__(self, in_params: str, out_params: str, operation: str, name: str,
                 preamble: str = "") -> None:
        def names(params: str) -> list:
            out = []
            for item in params.split(","):
                type_name, name_ = item.split()
                assert type_name == "T", f"parameter {item!r} should use the type placeholder T"
                out.append(name_)
            return out

        self.inputs, self.outputs = names(in_params), names(out_params)
        self.statements = []
        for line in operation.split("\n"):
            match = _STATEMENT.match(line.strip())
            assert match, f"kernel {name}: statement not in the interpreted subset: {line!r}"
            self.statements.append(match.groups()[1:])
        for reserved in ("i", "n"):
            assert reserved not in self.inputs + self.outputs, "CuPy reserves i and n"

    def __call__(self, *args):
        InterpretedKernel.launches += 1
        assert len(args) == len(self.inputs) + len(self.outputs)
        outputs = args[len(self.inputs):]
        dtype = outputs[0].dtype
        namespace = {}
        for name, value in zip(self.inputs, args):
            if isinstance(value, np.ndarray):
                assert value.dtype == dtype
                namespace[name] = value.copy()
            else:  # scalars must come already cast to the arrays' dtype
                assert isinstance(value, np.generic) and value.dtype == dtype, (name, value)
                namespace[name] = value
        for name, value in zip(self.outputs, outputs):
            assert value.dtype == dtype
            namespace[name] = value.copy()
        for target, op, expr in self.statements:
            value = eval(expr, dict(_FUNCTIONS), namespace)  # noqa: S307  (test-only)
            if op == "=":
                namespace[target] = np.asarray(value).astype(dtype)
            elif op == "+=":
                namespace[target] = (namespace[target] + value).astype(dtype)
            elif op == "-=":
                namespace[target] = (namespace[target] - value).astype(dtype)
            else:
                namespace[target] = (namespace[target] * value).astype(dtype)
        for name, array in zip(self.outputs, outputs):
            array[...] = namespace[name]


class KernelModule:
    """An array module offering only ``ElementwiseKernel`` (what fused_optim asks for)."""

    ElementwiseKernel = InterpretedKernel


@pytest.fixture
def kernels(monkeypatch):
    module = KernelModule()
    monkeypatch.setattr(fused_optim, "_kernel_module", lambda array: module)
    saved = dict(fused_optim._kernel_cache)
    fused_optim._kernel_cache.clear()
    InterpretedKernel.launches = 0
    yield module
    fused_optim._kernel_cache.clear()
    fused_optim._kernel_cache.update(saved)


CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05, amsgrad=True)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, maximize=True)),
    ("Adadelta", dict(weight_decay=0.1, maximize=True)),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]
STEPS = 8


def _trajectory(name: str, kwargs: dict, dtype) -> np.ndarray:
    rng = np.random.default_rng(7)
    params = [ag.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)
              for shape in [(5,), (3, 2)]]
    opt = getattr(optim, name)(params, **kwargs)
    for k in range(STEPS):
        for i, p in enumerate(params):
            g = np.cos(np.arange(p.numel()) * 0.7 + k + 2 * i).reshape(tuple(p.shape))
            p.grad = ag.tensor(g + 0.3 * p.detach().numpy(), dtype=dtype)
        opt.step()
    return np.concatenate([p.detach().numpy().ravel() for p in params])


@pytest.mark.parametrize("dtype", [ag.float64, ag.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_kernel_matches_numpy_path(name, kwargs, dtype, kernels):
    through_kernels = _trajectory(name, kwargs, dtype)
    assert InterpretedKernel.launches == 2 * STEPS  # one fused kernel per parameter and step
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fused_optim, "_kernel_module", lambda array: None)
        through_numpy = _trajectory(name, kwargs, dtype)
    assert through_kernels.dtype == through_numpy.dtype == dtype.numpy
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == ag.float64 else dict(rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(through_kernels, through_numpy, **tol)


def test_kernels_are_built_lazily_and_cached(kernels):
    assert fused_optim._kernel_cache == {}
    _trajectory("Adam", dict(lr=0.1), ag.float32)
    assert len(fused_optim._kernel_cache) == 1  # one source for both parameters, all steps
    _trajectory("Adam", dict(lr=0.1, amsgrad=True), ag.float32)
    assert len(fused_optim._kernel_cache) == 2  # a flag change is its own small kernel


def test_numpy_module_has_no_kernels():
    p = ag.zeros(3)
    assert fused_optim._kernel_module(p._data) is None


def test_step_functions_check_devices_and_shapes():
    p = ag.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="does not match the parameter's shape"):
        fused_optim.sgd_step_(p, ag.zeros(4), None, 0.1, 0.0, 0.0, 0.0, False, False)


def test_damped_solve_positive_definite_and_indefinite():
    h = ag.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=ag.float64)
    g = ag.tensor([1.0, -1.0], dtype=ag.float64)
    x, lam = fused_optim.damped_solve(h, g)
    assert lam == 0.0
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(h.numpy(), g.numpy()))
    indefinite = ag.tensor([[1.0, 0.0], [0.0, -2.0]], dtype=ag.float64)
    x, lam = fused_optim.damped_solve(indefinite, g)
    assert lam > 2.0
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(indefinite.numpy() + lam * np.eye(2),
                                                          g.numpy()))


def test_adam_benchmark_runs_and_agrees():
    """bench/adam_step.py (not timed here): the contenders compute the same step."""
    from bench import adam_step

    timings = adam_step.run(size=3 * adam_step.BLOCK + 5, repeats=1, device="cpu")
    assert set(timings) == {"optim.Adam.step", "numpy whole arrays", "numpy cache-blocked"}
