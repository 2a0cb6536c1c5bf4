"""Higher-level derivatives of functions of tensors: vjp, jvp, jacobian, hessian, hvp, vhp.

All are built from reverse mode (`autograd.grad`) alone. For f: R^n -> R^m with Jacobian J:

    vjp(f, x, v)  = (f(x), v^T J)           one backward pass
    jvp(f, x, v)  = (f(x), J v)             the *double-backward trick*: u -> u^T J is
                                            linear in u, so differentiating it w.r.t. u
                                            along v gives J v
    jacobian(f, x) = J                      one backward pass per output element
    hessian(f, x)  = d^2 f / dx^2           the jacobian of the gradient
    vhp(f, x, v)  = v^T H,   hvp(f, x, v) = H v   (hvp by the double-backward trick)

As in ``torch.autograd.functional``: ``inputs`` (and ``v``) is a Tensor or a tuple of
Tensors, and the results mirror that structure; ``create_graph=True`` keeps the results
differentiable; ``strict=True`` raises when an output does not depend on an input instead
of returning zeros.
"""

from __future__ import annotations

from ..engine import grad as _grad
from ..function import Function
from ..grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from ..tensor import Tensor, _wrap

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ----------------------------------------------------------------------------- helpers
def _as_tuple(x, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """``(was it a tuple, the tensors as a tuple)``; TypeError for anything else."""
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f" but the value at index {i} has" if is_tuple else " but the given one has"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors{where} type {type(el).__name__}."
            )
    return is_tuple, items


def _unpack(res, is_tuple: bool):
    return res if is_tuple else res[0]


def _unpack2(res, outputs_tuple: bool, inputs_tuple: bool):
    """A tuple (over outputs) of tuples (over inputs), unpacked where they were single."""
    if not inputs_tuple:
        res = tuple(row[0] for row in res)
    return res if outputs_tuple else res[0]


class _Alias(Function):
    """The same values as a new node, so gradients w.r.t. it reach the caller's tensor."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad


def _preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh tensors to differentiate with respect to: attached to the caller's graph when
    ``create_graph`` (so results stay differentiable), detached otherwise."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            alias = _Alias.apply(t)
            alias._version_counter = t._version_counter  # same memory, same versions
            out.append(alias)
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _postprocess(x, create_graph: bool):
    if isinstance(x, Tensor):
        return x if create_graph else x.detach()
    return tuple(_postprocess(el, create_graph) for el in x)


def _validate_v(v: tuple, other: tuple, other_is_tuple: bool) -> None:
    if len(v) != len(other):
        raise RuntimeError(
            f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
        )
    for i, (el_v, el_o) in enumerate(zip(v, other)):
        if el_v.shape != el_o.shape:
            prefix = f"Entry {i} in v" if other_is_tuple else "v"
            raise RuntimeError(
                f"{prefix} has invalid size: should be {tuple(el_o.shape)} but got "
                f"{tuple(el_v.shape)}."
            )


def _check_requires_grad(tensors, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None or not t.requires_grad:
            if kind == "outputs":
                raise RuntimeError(
                    f"Output {i} of the user-provided function does not require gradients. "
                    f"The outputs must be computed in a differentiable manner from the input "
                    f"when running in strict mode."
                )
            if kind == "grad_inputs":
                raise RuntimeError(
                    f"The gradient with respect to input {i} is independent of the inputs of "
                    f"the user-provided function. This is not allowed in strict mode."
                )
            if kind == "jacobian":
                raise RuntimeError(
                    f"The jacobian of the user-provided function with respect to input {i} is "
                    f"independent of the input. This is not allowed in strict mode. Make sure "
                    f"the function is twice differentiable and its gradient depends on the "
                    f"input."
                )
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is "
                f"independent of the input. This is not allowed in strict mode."
            )


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """`autograd.grad` over the outputs that require grad (None for unreachable inputs)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
             if o is not None and o.requires_grad]
    wanted = [i for i, t in enumerate(inputs) if t.requires_grad]
    result = [None] * len(inputs)
    if not pairs or not wanted:
        return tuple(result)
    outs = [o for o, _ in pairs]
    seeds = [g for _, g in pairs]
    if all(g is None for g in seeds):
        seeds = None
    elif any(g is None for g in seeds):
        seeds = [_ones_like(o) if g is None else g for o, g in pairs]
    grads = _grad(outs, [inputs[i] for i in wanted], grad_outputs=seeds,
                  create_graph=create_graph, retain_graph=retain_graph, allow_unused=True)
    for i, g in zip(wanted, grads):
        result[i] = g
    return tuple(result)


def _dummy(like: Tensor) -> Tensor:
    """Zeros shaped like ``like``, requiring grad (when floating point): the ``u`` of the
    double-backward trick."""
    z = _zeros_like(like)
    return z.requires_grad_(True) if z._data.dtype.kind == "f" else z


_STRICT_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward "
                         "mode AD.",
}


def _fill_in_zeros(grads, refs, strict: bool, create_graph: bool, stage: str) -> tuple:
    """Zeros where an input was unused (or, with ``strict``, the PyTorch error)."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT_MESSAGES[stage].format(i=i))
            g = _zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(
                _STRICT_MESSAGES[stage].format(i=i).replace(
                    "This is not allowed in strict mode",
                    "This is not allowed in strict mode when create_graph=True")
            )
        out.append(g)
    return tuple(out)


def _zeros_like(t: Tensor) -> Tensor:
    from .._backend import backend_of

    return _wrap(backend_of(t._data).xp.zeros(t._data.shape, dtype=t._data.dtype))


def _ones_like(t: Tensor) -> Tensor:
    from .._backend import backend_of

    return _wrap(backend_of(t._data).xp.ones(t._data.shape, dtype=t._data.dtype))


def _one_hot(like: Tensor, k: int) -> Tensor:
    """A tensor shaped like ``like``, 1 at flat index ``k`` and 0 elsewhere."""
    t = _zeros_like(like)
    t._data.reshape(-1)[k] = 1
    return t


# Stacking rows into a Jacobian, differentiably (for create_graph=True).
class _Stack(Function):
    @staticmethod
    def forward(ctx, *arrays):
        return ctx.xp.stack(arrays)

    @staticmethod
    def backward(ctx, grad):
        m = ctx.math
        return tuple(m.apply(_Select, grad, k) for k in range(len(ctx.next_functions)))


class _Select(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k_index, ctx.in_shape = k, x.shape
        return x[k].copy()

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(_Place, grad, ctx.k_index, ctx.in_shape), None


class _Place(Function):
    """Zeros of ``shape`` with ``x`` at row ``k`` (the gradient of selecting row ``k``)."""

    @staticmethod
    def forward(ctx, x, k, shape):
        ctx.k_index = k
        out = ctx.xp.zeros(shape, dtype=x.dtype)
        out[k] = x
        return out

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(_Select, grad, ctx.k_index), None, None


def _stack(rows: list, shape: tuple) -> Tensor:
    """``rows`` (each shaped like an input) stacked and reshaped to ``shape``."""
    if not any(r.requires_grad for r in rows):
        from .._backend import backend_of

        xp = backend_of(rows[0]._data).xp
        return _wrap(xp.stack([r._data for r in rows]).reshape(shape))
    return _Stack.apply(*rows).reshape(shape)


# ----------------------------------------------------------------------------- vjp / jvp
def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass.

    ``v`` has the outputs' shapes; it may be omitted when ``func`` returns one element.
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _preprocess(v, create_graph, need_graph=False)
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element."
            )
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (_unpack(_postprocess(outputs, create_graph), is_outputs_tuple),
            _unpack(_postprocess(result, create_graph), is_inputs_tuple))


def _call_with_input_vector(func, inputs, v, create_graph: bool, strict: bool, name: str):
    """Check ``inputs`` and a vector ``v`` shaped like them (jvp, hvp, vhp), then call
    ``func``; returns ``(is_inputs_tuple, inputs, v, is_outputs_tuple, outputs)``."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _preprocess(inputs, create_graph, need_graph=True)
    if v is not None:
        _, v = _as_tuple(v, "v", name)
        v = _preprocess(v, create_graph, need_graph=False)
        _validate_v(v, inputs, is_inputs_tuple)
    elif len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is "
            "a single Tensor with a single element."
        )
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", name)
    _check_requires_grad(outputs, "outputs", strict)
    return is_inputs_tuple, inputs, v, is_outputs_tuple, outputs


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick.

    With a dummy ``u`` (requiring grad) one backward pass gives ``g(u) = u^T J`` as a
    function of ``u``; a second, of ``g`` along ``v``, gives ``d(u^T J v)/du = J v``.
    ``v`` has the inputs' shapes; it may be omitted for a single one-element input.
    """
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs = _call_with_input_vector(
            func, inputs, v, create_graph, strict, "jvp")
        # u^T J is linear in u, so u's value does not matter; zeros keep nan/inf out.
        dummies = tuple(_dummy(o) for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, dummies, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(grad_inputs, dummies, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    return (_unpack(_postprocess(outputs, create_graph), is_outputs_tuple),
            _unpack(_postprocess(result, create_graph), is_outputs_tuple))


# ----------------------------------------------------------------------------- jacobian
def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: entry ``[i][j]`` has shape
    ``outputs[i].shape + inputs[j].shape`` (tuples unpacked where single, as in PyTorch).

    Reverse mode: one backward pass per output element (row). ``vectorize=True`` is
    accepted and computes the same thing by the same loop. ``strategy='forward-mode'``
    (with ``vectorize=True``) builds it column by column with `jvp`'s double-backward trick.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more '
            'performant. Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "jacobian: `create_graph=True` and `strategy=\"forward-mode\"` are not "
                "supported together (yet). Please either set `create_graph=False` or "
                "`strategy=\"reverse-mode\"`."
            )
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is only "
                "implemented for `vectorize=True`."
            )
    if vectorize and strict:
        raise RuntimeError(
            "jacobian: `strict=True` and `vectorized=True` are not supported together. "
            "Please either set `strict=False` or `vectorize=False`."
        )
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if strategy == "forward-mode":
            result = _jacobian_forward(inputs, outputs)
        else:
            result = _jacobian_reverse(inputs, outputs, create_graph, strict)
    return _unpack2(_postprocess(result, create_graph), is_outputs_tuple, is_inputs_tuple)


def _jacobian_reverse(inputs, outputs, create_graph: bool, strict: bool) -> tuple:
    result = []
    for i, out in enumerate(outputs):
        rows = [[] for _ in inputs]
        for k in range(out.numel()):
            seed = _one_hot(out, k)
            grads = _autograd_grad((out,), inputs, (seed,), retain_graph=True,
                                   create_graph=create_graph)
            for j, (g, inp) in enumerate(zip(grads, inputs)):
                if g is None:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of "
                            f"input {j}. This is not allowed in strict mode."
                        )
                    g = _zeros_like(inp)
                elif strict and create_graph and not g.requires_grad:
                    raise RuntimeError(
                        f"The jacobian of the user-provided function is independent of input "
                        f"{j}. This is not allowed in strict mode when create_graph=True."
                    )
                rows[j].append(g)
        result.append(tuple(
            _stack(r, tuple(out.shape) + tuple(inp.shape)) if r
            else _zeros_like_shape(inp, tuple(out.shape) + tuple(inp.shape))
            for r, inp in zip(rows, inputs)
        ))
    return tuple(result)


def _jacobian_forward(inputs, outputs) -> tuple:
    """Columns J e_k by the double-backward trick, one per input element."""
    dummies = tuple(_dummy(o) for o in outputs)
    grad_inputs = _autograd_grad(outputs, inputs, dummies, create_graph=True)
    columns = [[[] for _ in inputs] for _ in outputs]
    for j, inp in enumerate(inputs):
        for k in range(inp.numel()):
            v = [_zeros_like(t) for t in inputs]
            v[j] = _one_hot(inp, k)
            pairs = [(g, vv) for g, vv in zip(grad_inputs, v) if g is not None]
            cols = _autograd_grad([g for g, _ in pairs], dummies, [vv for _, vv in pairs],
                                  retain_graph=True)
            for i, (c, out) in enumerate(zip(cols, outputs)):
                columns[i][j].append(_zeros_like(out) if c is None else c)
    result = []
    for i, out in enumerate(outputs):
        row = []
        for j, inp in enumerate(inputs):
            shape = tuple(out.shape) + tuple(inp.shape)
            cols = columns[i][j]
            if not cols:
                row.append(_zeros_like_shape(inp, shape))
                continue
            stacked = _stack(cols, (inp.numel(), out.numel()))  # (n_in, n_out)
            row.append(_wrap(stacked._data.T.reshape(shape).copy()))
        result.append(tuple(row))
    return tuple(result)


def _zeros_like_shape(like: Tensor, shape: tuple) -> Tensor:
    from .._backend import backend_of

    return _wrap(backend_of(like._data).xp.zeros(shape, dtype=like._data.dtype))


# ----------------------------------------------------------------------------- hessian
def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar function: the jacobian of its gradient. Entry ``[i][j]``
    has shape ``inputs[i].shape + inputs[j].shape`` (unpacked for a single input)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                f"The Tensor returned by the function given to hessian should contain a "
                f"single element (got shape {tuple(out.shape)})"
            )
        return out.reshape(())

    def gradient(*inp):
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                      vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _unpack2(result, is_inputs_tuple, is_inputs_tuple)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: the gradient, then one backward pass
    of ``grad . v``."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a scalar ``func``, by the double-backward trick (equal to
    `vhp` since H is symmetric for twice continuously differentiable functions)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, name: str):
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs = _call_with_input_vector(
            func, inputs, v, create_graph, strict, name)
        if is_outputs_tuple or not isinstance(outputs[0], Tensor):
            raise RuntimeError(f"The function given to {name} should return a single Tensor")
        if outputs[0].numel() != 1:
            raise RuntimeError(
                f"The Tensor returned by the function given to {name} should contain a single "
                f"element (got shape {tuple(outputs[0].shape)})"
            )
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        if name == "hvp":
            dummies = tuple(_dummy(t) for t in inputs)
            double_back = _autograd_grad(jac, inputs, dummies, create_graph=True)
            _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        if name == "hvp":
            grads = _autograd_grad(double_back, dummies, v, create_graph=create_graph)
            result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
        else:
            grads = _autograd_grad(jac, inputs, v, create_graph=create_graph)
            result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return (_unpack(_postprocess(outputs, create_graph), is_outputs_tuple),
            _unpack(_postprocess(result, create_graph), is_inputs_tuple))
