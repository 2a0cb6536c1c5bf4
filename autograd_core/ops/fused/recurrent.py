"""The recurrent cells as fused nodes: one graph node per time step.

A recurrent layer spends its time in a loop over the sequence, so each step must be cheap.
The layers (`nn.RNN`, `nn.LSTM`, `nn.GRU`) therefore split the work in two:

1. the input projection of *all* time steps, ``X W_ih^T + b`` for X of shape
   (T, B, in): one GEMM, outside the loop (``x_proj``);
2. per step, ONE node that does the recurrent GEMM ``h W_hh^T`` and all the gate
   arithmetic: the cells below.

With ``a = x_proj_t + h W_hh^T (+ b_hh)`` the pre-activations (PyTorch's gate order):

    RNN   h' = tanh(a)  or  relu(a)
    LSTM  a = [a_i, a_f, a_g, a_o]      i, f, o = sigmoid(a_i, a_f, a_o),  g = tanh(a_g)
          c' = f c + i g                h' = o tanh(c')
    GRU   x_proj = [x_r, x_z, x_n],  a_h = h W_hh^T + b_hh = [h_r, h_z, h_n]
          r = sigmoid(x_r + h_r),  z = sigmoid(x_z + h_z),  n = tanh(x_n + r h_n)
          h' = (1 - z) n + z h

Backward (LSTM; ``dh``, ``dc`` the gradients of h', c', ``t = tanh(c')``):

    do = dh t                 dc* = dc + dh o (1 - t^2)
    di = dc* g    df = dc* c    dg = dc* i    dc_prev = dc* f
    da = [di i(1-i), df f(1-f), dg (1-g^2), do o(1-o)]
    dx_proj = da    dh_prev = da W_hh    dW_hh = da^T h    db_hh = sum_rows da

Backward (GRU; ``dh`` the gradient of h'):

    dn* = dh (1 - z)(1 - n^2)      dz* = dh (h - n) z(1-z)      dr* = dn* h_n r(1-r)
    dx_proj = [dr*, dz*, dn*]      da_h = [dr*, dz*, dn* r]
    dh_prev = dh z + da_h W_hh     dW_hh = da_h^T h             db_hh = sum_rows da_h

Speed choices (documented here because they are the point of this file):

- A plain backward (the usual ``loss.backward()``) runs on arrays with the activations
  saved by the forward: about a dozen array operations and two GEMMs per step, no
  Tensor objects in between. With ``create_graph=True`` the same rules are written with
  Tensor operations, recomputed from the saved inputs, so the backward is itself
  differentiable (gradgradcheck passes).
- sigmoid(x) = 1 / (1 + e^{-x}) and tanh(x) = 2 sigmoid(2x) - 1, both from ``exp``: one
  ``exp`` is about half the cost of NumPy's ``tanh`` on float32. Overflow of ``exp`` is
  intended there (it gives exactly 0 or 1) and its warning is silenced. The absolute error
  is at the dtype's rounding level.
- A missing output gradient (the last step's ``dc``) is not materialised as zeros
  (``materialize_grads = False``): the rules skip its terms instead.
"""

from __future__ import annotations

import contextlib

from ...function import Function
from ...grad_mode import _state as _grad_state
from ...tensor import Tensor, _wrap

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]


# ----------------------------------------------------------------------------- array helpers
_QUIET: dict = {}


def _quiet(xp):
    """A context that silences overflow warnings of ``exp`` (NumPy only; CuPy never warns)."""
    make = _QUIET.get(xp)
    if make is None:
        errstate = getattr(xp, "errstate", None)
        if errstate is not None:
            def make():
                return errstate(over="ignore")
        else:
            make = contextlib.nullcontext
        _QUIET[xp] = make
    return make()


def _sigmoid_(xp, a):
    """sigmoid(a) = 1 / (1 + e^{-a}), in place (``a`` may be a view)."""
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1.0
    xp.reciprocal(a, out=a)
    return a


def _tanh_(xp, a):
    """tanh(a) = 2 / (1 + e^{-2a}) - 1, in place."""
    a *= -2.0
    xp.exp(a, out=a)
    a += 1.0
    xp.divide(2.0, a, out=a)
    a -= 1.0
    return a


def _split(t: Tensor, parts: int) -> list:
    """The gate blocks of a (B, parts * H) tensor, as differentiable slices."""
    n = t.shape[-1] // parts
    return [t[:, k * n:(k + 1) * n] for k in range(parts)]


def _cat(blocks: list) -> Tensor:
    import autograd_core

    return autograd_core.cat(blocks, dim=-1)


def _check(name: str, gates: int, x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh, c=None):
    """Shapes of a cell's operands (2-D batches), with the shapes in the message."""
    for label, t in (("x_proj", x_proj), ("h", h), ("w_hh", w_hh)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{label}' must be Tensor, not {type(t).__name__}")
    hs = h._data.shape
    if len(hs) != 2:
        raise RuntimeError(f"{name}(): h must be 2-D (batch, hidden_size), got shape {list(hs)}")
    batch, hidden = hs
    expect = (batch, gates * hidden)
    if x_proj._data.shape != expect:
        raise RuntimeError(f"{name}(): x_proj must have shape {list(expect)} (batch, {gates} * "
                           f"hidden_size) to match h of shape {list(hs)}, got "
                           f"{list(x_proj._data.shape)}")
    if w_hh._data.shape != (gates * hidden, hidden):
        raise RuntimeError(f"{name}(): w_hh must have shape {[gates * hidden, hidden]} "
                           f"({gates} * hidden_size, hidden_size), got {list(w_hh._data.shape)}")
    if b_hh is not None and b_hh._data.shape != (gates * hidden,):
        raise RuntimeError(f"{name}(): b_hh must have shape {[gates * hidden]}, got "
                           f"{list(b_hh._data.shape)}")
    if c is not None and c._data.shape != hs:
        raise RuntimeError(f"{name}(): c must have h's shape {list(hs)}, got {list(c._data.shape)}")
    dtype = h._data.dtype
    for t in (x_proj, w_hh, b_hh, c):
        if t is not None and t._data.dtype != dtype:
            raise RuntimeError(f"{name}(): expected all operands to have dtype {h.dtype}, got "
                               f"{t.dtype}; convert them, e.g. with .to({h.dtype})")


# ----------------------------------------------------------------------------- RNN
class _RNNCell(Function):
    """h' = act(x_proj + h W_hh^T + b_hh); da = dh act'(a), read off the output h'."""

    relu = False

    @staticmethod
    def forward(ctx, x_proj, h, w_hh, b_hh):
        xp = ctx.xp
        a = h @ w_hh.T
        a += x_proj
        if b_hh is not None:
            a += b_hh
        if type(ctx).relu:
            xp.maximum(a, 0, out=a)
        else:
            with _quiet(xp):
                _tanh_(xp, a)
        ctx.save_for_backward(h, w_hh, a)
        return a

    @staticmethod
    def backward(ctx, dh):
        h, w_hh, out = ctx.saved_tensors
        need_x, need_h, need_w, need_b = ctx.needs_input_grad
        relu = type(ctx).relu
        if not _grad_state.enabled:  # plain backward: arrays only
            xp, g, y = ctx.xp, dh._data, out._data
            if relu:
                da = g * (y > 0)
            else:
                da = y * y
                xp.subtract(1.0, da, out=da)
                da *= g
            return (_wrap(da) if need_x else None,
                    _wrap(da @ w_hh._data) if need_h else None,
                    _wrap(da.T @ h._data) if need_w else None,
                    _wrap(da.sum(0)) if need_b else None)
        if relu:  # a constant mask: relu' is a step function
            da = dh * (out > 0).to(dh.dtype)
        else:
            da = dh * (1.0 - out * out)
        return (da if need_x else None,
                da @ w_hh if need_h else None,
                da.mT @ h if need_w else None,
                da.sum(0) if need_b else None)


class RNNTanhCell(_RNNCell):
    relu = False


class RNNReLUCell(_RNNCell):
    relu = True


# ----------------------------------------------------------------------------- LSTM
class LSTMCell(Function):
    """(h', c') from (x_proj, h, c, W_hh, b_hh); see the module docstring for the rules."""

    materialize_grads = False

    @staticmethod
    def forward(ctx, x_proj, h, c, w_hh, b_hh):
        xp = ctx.xp
        hidden = c.shape[-1]
        h2, h3 = 2 * hidden, 3 * hidden
        act = h @ w_hh.T
        act += x_proj
        if b_hh is not None:
            act += b_hh
        g = act[:, h2:h3]
        g *= 2.0  # tanh(x) = 2 sigmoid(2x) - 1: one sigmoid pass over all four gates
        with _quiet(xp):
            _sigmoid_(xp, act)
            g *= 2.0
            g -= 1.0
            c_new = act[:, hidden:h2] * c
            c_new += act[:, :hidden] * g
            t = _tanh_(xp, c_new.copy())
        h_new = act[:, h3:] * t
        ctx.save_for_backward(x_proj, h, c, w_hh, b_hh, act, t)
        return h_new, c_new

    @staticmethod
    def backward(ctx, dh, dc):
        x_proj, h, c, w_hh, b_hh, act, t = ctx.saved_tensors
        if _grad_state.enabled:
            return _lstm_backward_graph(ctx, dh, dc, x_proj, h, c, w_hh, b_hh)
        need_x, need_h, need_c, need_w, need_b = ctx.needs_input_grad
        xp = ctx.xp
        a, t = act._data, t._data
        hidden = t.shape[-1]
        h2, h3 = 2 * hidden, 3 * hidden
        i, f, g, o = a[:, :hidden], a[:, hidden:h2], a[:, h2:h3], a[:, h3:]
        da = xp.empty_like(a)
        if dh is not None:
            dh = dh._data
            xp.multiply(dh, t, out=da[:, h3:])  # dL/do
            dcs = dh * o
            tmp = dcs * t
            tmp *= t
            dcs -= tmp  # dh o (1 - t^2)
            if dc is not None:
                dcs += dc._data
        else:
            da[:, h3:] = 0
            dcs = dc._data
        xp.multiply(dcs, g, out=da[:, :hidden])
        xp.multiply(dcs, c._data, out=da[:, hidden:h2])
        xp.multiply(dcs, i, out=da[:, h2:h3])
        slope = 1.0 - a  # sigmoid' = s (1 - s) ...
        slope *= a
        sg = slope[:, h2:h3]  # ... and tanh' = 1 - g^2
        xp.multiply(g, g, out=sg)
        xp.subtract(1.0, sg, out=sg)
        da *= slope
        return (_wrap(da) if need_x else None,
                _wrap(da @ w_hh._data) if need_h else None,
                _wrap(dcs * f) if need_c else None,
                _wrap(da.T @ h._data) if need_w else None,
                _wrap(da.sum(0)) if need_b else None)


def _lstm_backward_graph(ctx, dh, dc, x_proj, h, c, w_hh, b_hh):
    """The LSTM rules with Tensor operations, recomputed from the inputs (differentiable)."""
    need_x, need_h, need_c, need_w, need_b = ctx.needs_input_grad
    a = x_proj + h @ w_hh.mT
    if b_hh is not None:
        a = a + b_hh
    i, f, g, o = _split(a, 4)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    t = (f * c + i * g).tanh()
    if dh is None:
        dcs = dc
        do = dc * 0.0
    else:
        do = dh * t
        dcs = dh * o * (1.0 - t * t)
        if dc is not None:
            dcs = dcs + dc
    da = _cat([dcs * g * i * (1.0 - i), dcs * c * f * (1.0 - f), dcs * i * (1.0 - g * g),
              do * o * (1.0 - o)])
    return (da if need_x else None,
            da @ w_hh if need_h else None,
            dcs * f if need_c else None,
            da.mT @ h if need_w else None,
            da.sum(0) if need_b else None)


# ----------------------------------------------------------------------------- GRU
class GRUCell(Function):
    """h' from (x_proj, h, W_hh, b_hh) with PyTorch's GRU formula (see the module docstring)."""

    @staticmethod
    def forward(ctx, x_proj, h, w_hh, b_hh):
        xp = ctx.xp
        hidden = h.shape[-1]
        h2 = 2 * hidden
        ah = h @ w_hh.T
        if b_hh is not None:
            ah += b_hh
        rz = x_proj[:, :h2] + ah[:, :h2]
        hn = ah[:, h2:]
        with _quiet(xp):
            _sigmoid_(xp, rz)
            n = rz[:, :hidden] * hn
            n += x_proj[:, h2:]
            _tanh_(xp, n)
        z = rz[:, hidden:]
        h_new = h - n
        h_new *= z
        h_new += n
        ctx.save_for_backward(x_proj, h, w_hh, b_hh, rz, n, hn)
        return h_new

    @staticmethod
    def backward(ctx, dh):
        x_proj, h, w_hh, b_hh, rz, n, hn = ctx.saved_tensors
        if _grad_state.enabled:
            return _gru_backward_graph(ctx, dh, x_proj, h, w_hh, b_hh)
        need_x, need_h, need_w, need_b = ctx.needs_input_grad
        xp = ctx.xp
        g, hv, s, n, hn = dh._data, h._data, rz._data, n._data, hn._data
        hidden = hv.shape[-1]
        h2 = 2 * hidden
        r, z = s[:, :hidden], s[:, hidden:]
        dx = xp.empty(g.shape[:-1] + (3 * hidden,), dtype=g.dtype)
        slope = 1.0 - s  # sigmoid' for r and z at once
        slope *= s
        dn = dx[:, h2:]
        xp.multiply(n, n, out=dn)
        xp.subtract(1.0, dn, out=dn)
        dn *= 1.0 - z
        dn *= g  # dn* = dh (1 - z)(1 - n^2)
        xp.subtract(hv, n, out=dx[:, hidden:h2])
        dx[:, hidden:h2] *= g  # dz = dh (h - n)
        xp.multiply(dn, hn, out=dx[:, :hidden])  # dr = dn* h_n
        dx[:, :h2] *= slope
        dah = dx.copy()
        dah[:, h2:] *= r
        dh_prev = None
        if need_h:
            dh_prev = dah @ w_hh._data
            dh_prev += g * z
        return (_wrap(dx) if need_x else None,
                _wrap(dh_prev) if need_h else None,
                _wrap(dah.T @ hv) if need_w else None,
                _wrap(dah.sum(0)) if need_b else None)


def _gru_backward_graph(ctx, dh, x_proj, h, w_hh, b_hh):
    """The GRU rules with Tensor operations, recomputed from the inputs (differentiable)."""
    need_x, need_h, need_w, need_b = ctx.needs_input_grad
    ah = h @ w_hh.mT
    if b_hh is not None:
        ah = ah + b_hh
    xr, xz, xn = _split(x_proj, 3)
    hr, hz, hn = _split(ah, 3)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    dn = dh * (1.0 - z) * (1.0 - n * n)
    dr = dn * hn * r * (1.0 - r)
    dz = dh * (h - n) * z * (1.0 - z)
    dx = _cat([dr, dz, dn])
    dah = _cat([dr, dz, dn * r])
    return (dx if need_x else None,
            dah @ w_hh + dh * z if need_h else None,
            dah.mT @ h if need_w else None,
            dah.sum(0) if need_b else None)


# ----------------------------------------------------------------------------- functions
def rnn_tanh_cell(x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None = None) -> Tensor:
    """h' = tanh(x_proj + h W_hh^T + b_hh) as one node.

    ``x_proj`` (B, H) is the input's projection ``x W_ih^T + b_ih`` (computed for all steps
    at once by the layer), ``h`` (B, H), ``w_hh`` (H, H), ``b_hh`` (H,) or None."""
    _check("rnn_tanh_cell", 1, x_proj, h, w_hh, b_hh)
    return RNNTanhCell.apply(x_proj, h, w_hh, b_hh)


def rnn_relu_cell(x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None = None) -> Tensor:
    """h' = relu(x_proj + h W_hh^T + b_hh) as one node (shapes as `rnn_tanh_cell`)."""
    _check("rnn_relu_cell", 1, x_proj, h, w_hh, b_hh)
    return RNNReLUCell.apply(x_proj, h, w_hh, b_hh)


def lstm_cell(x_proj: Tensor, h: Tensor, c: Tensor, w_hh: Tensor,
              b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step as one node: returns (h', c').

    ``x_proj`` (B, 4H) holds the gate pre-activations from the input, ``x W_ih^T + b_ih``
    (the layer adds ``b_hh`` there too and passes ``b_hh=None``); ``h``, ``c`` (B, H);
    ``w_hh`` (4H, H); gates in PyTorch's order i, f, g, o."""
    _check("lstm_cell", 4, x_proj, h, w_hh, b_hh, c)
    return LSTMCell.apply(x_proj, h, c, w_hh, b_hh)


def gru_cell(x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step as one node: returns h'.

    ``x_proj`` (B, 3H) = ``x W_ih^T + b_ih`` (gates r, z, n); ``b_hh`` (3H,) stays inside
    the cell because its n part is scaled by r: n = tanh(x_n + r (h W_hn^T + b_hn))."""
    _check("gru_cell", 3, x_proj, h, w_hh, b_hh)
    return GRUCell.apply(x_proj, h, w_hh, b_hh)
