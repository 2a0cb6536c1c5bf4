"""Finite-difference checks of backward rules, with PyTorch's ``gradcheck`` semantics.

For each input x_j that requires grad and each output y_i, the analytical Jacobian
(rows from backward with one-hot output gradients) must match the numerical one from
central differences

    dy/dx_k  ~  (f(x + eps e_k) - f(x - eps e_k)) / (2 eps)

within ``|analytical - numerical| <= atol + rtol |numerical|``. Use float64 inputs.

Complex inputs and outputs are checked as pairs of reals, as PyTorch's gradcheck does: each
complex input becomes a real (..., 2) leaf read through ``view_as_complex``, each complex
output is read through ``view_as_real``, so the whole real Jacobian is compared (and with it
the convention that a complex gradient is dL/dRe z + i dL/dIm z). Use complex128.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._backend import backend_of
from ..engine import grad as _grad
from ..grad_mode import enable_grad
from ..tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    """Raised by `gradcheck` / `gradgradcheck` when the Jacobians differ."""


def _as_tuple(x):
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _differentiable_outputs(outputs):
    return [o for o in outputs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _host(t: Tensor) -> np.ndarray:
    return np.array(t._host(), dtype=np.float64)


def _numerical_jacobians(func, inputs, index: int, eps: float):
    """For input ``index``: one (n_out_i, n_in) array per differentiable output."""
    x = inputs[index]
    array = x._data
    n = array.size
    outputs = _differentiable_outputs(_as_tuple(func(*inputs)))
    jac = [np.zeros((o._data.size, n)) for o in outputs]
    for k in range(n):
        idx = np.unravel_index(k, array.shape) if array.ndim else ()
        original = array[idx].item()
        # Evaluated with grad mode on: ``func`` may itself differentiate (gradgradcheck).
        array[idx] = original + eps
        plus = [_host(o).ravel() for o in _differentiable_outputs(_as_tuple(func(*inputs)))]
        array[idx] = original - eps
        minus = [_host(o).ravel() for o in _differentiable_outputs(_as_tuple(func(*inputs)))]
        array[idx] = original
        for i in range(len(outputs)):
            jac[i][:, k] = (plus[i] - minus[i]) / (2 * eps)
    return jac


def _analytical_jacobians(func, inputs, wrt: list[int]):
    """One (n_out_i, n_in_j) array per (output i, input j in ``wrt``)."""
    with enable_grad():
        outputs = _differentiable_outputs(_as_tuple(func(*inputs)))
    result = [[np.zeros((o._data.size, inputs[j]._data.size)) for j in wrt] for o in outputs]
    targets = [inputs[j] for j in wrt]
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        xp = backend_of(out._data).xp
        for r in range(out._data.size):
            seed = xp.zeros(out._data.shape, dtype=out._data.dtype)
            idx = np.unravel_index(r, seed.shape) if seed.ndim else ()
            seed[idx] = 1
            grads = _grad(out, targets, grad_outputs=_wrap(seed), retain_graph=True,
                          allow_unused=True)
            for c, g in enumerate(grads):
                if g is not None:
                    result[i][c][r, :] = _host(g).ravel()
    return result, outputs


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, fast_mode: bool = False,
              masked: bool | None = None) -> bool:
    """Check ``func``'s backward against finite differences for every input requiring grad.

    Returns True, or raises `GradcheckError` (``raise_exception=True``) naming the output,
    the input, and showing both Jacobians.
    """
    inputs = _as_tuple(inputs)
    func, inputs = _as_real_problem(func, inputs)
    wrt = [j for j, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    for j in wrt:
        if inputs[j]._data.dtype != np.float64:
            warnings.warn(
                f"Input #{j} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point.", stacklevel=2)
    analytical, outputs = _analytical_jacobians(func, inputs, wrt)
    for c, j in enumerate(wrt):
        numerical = _numerical_jacobians(func, inputs, j, eps)
        for i in range(len(outputs)):
            a, n = analytical[i][c], numerical[i]
            if a.shape != n.shape or not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                message = (
                    f"Jacobian mismatch for output {i} with respect to input {j},\n"
                    f"(output shape {tuple(outputs[i].shape)}, input shape "
                    f"{tuple(inputs[j].shape)}; atol={atol}, rtol={rtol})\n"
                    f"numerical:{_show(n)}\nanalytical:{_show(a)}\n"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def _is_complex(x) -> bool:
    return isinstance(x, Tensor) and x._data.dtype.kind == "c"


def _as_real_problem(func, inputs: tuple):
    """``func`` and ``inputs`` with complex inputs and outputs as (..., 2) real pairs
    (unchanged when nothing is complex)."""
    from ..ops.complex import view_as_complex, view_as_real

    is_c = [_is_complex(x) for x in inputs]
    if not any(is_c):
        with enable_grad():
            outs = _as_tuple(func(*inputs))
        if not any(_is_complex(o) for o in outs):
            return func, inputs

    def pair(x: Tensor) -> Tensor:
        xp = backend_of(x._data).xp
        real = _wrap(xp.stack([xp.real(x._data), xp.imag(x._data)], axis=-1))
        return real.requires_grad_(x.requires_grad)

    def as_real(o):
        return view_as_real(o) if _is_complex(o) else o

    def real_func(*xs):
        outs = func(*(view_as_complex(x) if c else x for x, c in zip(xs, is_c)))
        if isinstance(outs, (tuple, list)):
            return tuple(as_real(o) for o in outs)
        return as_real(outs)

    return real_func, tuple(pair(x) if c else x for x, c in zip(inputs, is_c))


def _show(m: np.ndarray) -> str:
    with np.printoptions(precision=6, suppress=True, threshold=200, linewidth=100):
        return "\n" + str(m)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """Check second derivatives: `gradcheck` applied to the map
    (inputs, v) -> v^T J(inputs), i.e. to backward itself (``create_graph=True``)."""
    inputs = _as_tuple(inputs)
    func, inputs = _as_real_problem(func, inputs)
    wrt = [j for j, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    with enable_grad():
        outputs = _differentiable_outputs(_as_tuple(func(*inputs)))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = []
        for o in outputs:
            g = _from_host(rng.standard_normal(o._data.shape), o)
            g.requires_grad_(True)
            grad_outputs.append(g)
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        outs = [o for o in _differentiable_outputs(_as_tuple(func(*xs)))]
        pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        grads = _grad([o for o, _ in pairs], [xs[j] for j in wrt],
                      grad_outputs=[v for _, v in pairs], create_graph=True, allow_unused=True)
        return tuple(g if g is not None else xs[j] * 0 for g, j in zip(grads, wrt))

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)


def _from_host(values: np.ndarray, like: Tensor) -> Tensor:
    from .._backend import backend_of

    backend = backend_of(like._data)
    host = values.astype(like._data.dtype)
    return _wrap(backend.from_numpy(host, None) if backend.device_type != "cpu" else host)
