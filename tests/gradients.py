"""Finite-difference gradient checks shared by the test files: first (``gradcheck``) and
second (``gradgradcheck``) order, with 0-d inputs and outputs carried as (1,) tensors."""

from __future__ import annotations

import autograd_core as ag
from autograd_core.autograd import gradcheck, gradgradcheck


def check_gradients(fn, inputs, twice: bool = True) -> None:
    """`gradcheck` (and `gradgradcheck`) of ``fn`` at ``inputs``.

    ``fn`` runs with grad mode on (gradgradcheck differentiates it inside its numerical
    pass), and a 0-d input is passed as a (1,) tensor summed back to 0-d inside, with a
    0-d output broadcast to (1,): the checkers seed outputs element by element.
    """
    zero_d = [isinstance(x, ag.Tensor) and x.ndim == 0 for x in inputs]
    inputs = tuple(x.reshape(1).detach().requires_grad_(x.requires_grad) if z else x
                   for x, z in zip(inputs, zero_d))

    def wrapped(*xs):
        with ag.enable_grad():
            xs = [x.sum() if z else x for x, z in zip(xs, zero_d)]
            out = fn(*xs)
            if isinstance(out, ag.Tensor) and out.ndim == 0:
                out = out * ag.ones(1, dtype=out.dtype)
            return out

    assert gradcheck(wrapped, inputs)
    if twice:
        assert gradgradcheck(wrapped, inputs)


def _flat(fn, in_shapes):
    """``fn`` on 1-element stand-ins for 0-d inputs, with 0-d outputs seen as 1-element
    vectors, under grad mode (so the second order check builds the inner graph)."""
    def wrapped(*args):
        with ag.enable_grad():
            args = [a.reshape(s) if len(s) == 0 else a for a, s in zip(args, in_shapes)]
            out = fn(*args)
            outs = out if isinstance(out, (tuple, list)) else (out,)
            outs = tuple(o.reshape(1) if o.ndim == 0 else o for o in outs)
        return outs if isinstance(out, (tuple, list)) else outs[0]
    return wrapped


def check(fn, *inputs, second: bool = True) -> None:
    """First (and second) order finite-difference checks of ``fn`` at ``inputs``; ``fn`` may
    return a tuple or list of tensors."""
    in_shapes = [tuple(t.shape) for t in inputs]
    inputs = tuple(t.detach().reshape(1).requires_grad_(t.requires_grad) if t.ndim == 0 else t
                   for t in inputs)
    f = _flat(fn, in_shapes)
    assert gradcheck(f, inputs)
    if second:
        assert gradgradcheck(f, inputs)


def check_grads(fn, x, second=True, **kw):
    """gradcheck (and, by default, gradgradcheck) of ``fn`` at ``x``."""
    assert gradcheck(fn, (x,), **kw)
    if second:
        assert gradgradcheck(fn, (x,), **kw)
