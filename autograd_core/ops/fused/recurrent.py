"""The recurrent cells as fused nodes (one graph node per time step). The LSTM layer as one
node over the whole sequence (`lstm_sequence`, what `nn.LSTM` runs) is in
`lstm_sequence.py`; it uses the same gate arithmetic and array helpers.

A recurrent layer spends its time in a loop over the sequence, so each step must be cheap.
The layers (`nn.RNN`, `nn.LSTM`, `nn.GRU`) therefore split the work in two:

1. `input_projection` (`sequence_layout.py`): ``x_t W_ih^T + b`` for *all* time steps at
   once, before the loop;
2. per step, ONE node that does the recurrent product ``h W_hh^T`` and all the gate
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
    dx_proj = da    dh_prev = da W_hh    dW_hh = da^T h    db_hh = sum over the batch of da

Backward (GRU; ``dh`` the gradient of h'):

    dn* = dh (1 - z)(1 - n^2)      dz* = dh (h - n) z(1-z)      dr* = dn* h_n r(1-r)
    dx_proj = [dr*, dz*, dn*]      da_h = [dr*, dz*, dn* r]
    dh_prev = dh z + da_h W_hh     dW_hh = da_h^T h             db_hh = sum of da_h

Layouts. By default the cells take PyTorch's layout: ``x_proj`` (B, G*H), ``h``, ``c``
(B, H). With ``columns=True`` every operand is transposed: ``x_proj`` (G*H, B), ``h``,
``c`` (H, B). The layers use columns: each gate is then a block of contiguous *rows*, so the
dozen elementwise operations of a step run on contiguous arrays (in rows, each gate is a
strided block of columns, about three times slower per element in NumPy).

Speed choices (the point of this file, so written down):

- Each rule is written once against the rule namespace ``ctx.math``: a plain backward
  (the usual ``loss.backward()``) runs it on arrays with the activations saved by the
  forward, no Tensor objects in between. The saved activations enter the rule through a
  small node (`_LSTMGates`, `_GRUGates`) that is the saved arrays themselves on arrays and,
  under ``create_graph=True``, a node of the inputs whose rule is the step's derivative, so
  the backward is itself differentiable (gradgradcheck passes).
- sigmoid(x) = 1 / (1 + e^{-x}) from ``exp`` (about half the cost of NumPy's float32
  ``tanh``), and the LSTM's g gate as tanh(x) = 2 sigmoid(2x) - 1, so all four gates go
  through one sigmoid pass. Overflow of ``exp`` is intended there (it gives exactly 0 or
  1) and its warning is silenced.
- A missing output gradient (the last step's ``dc``) is not materialised as zeros
  (``materialize_grads = False``): the rules skip its terms instead.
- ``chain_weight=True``: the cell also returns ``w_hh`` itself (the same array) and the
  next step takes that output as its ``w_hh``. The weight's gradient then flows back along
  the chain of steps, each step adding its ``da h^T`` to it in place, instead of the engine
  summing T weight-sized gradients with T tensor additions. The gradients are the same
  (and, with ``create_graph=True``, still differentiable).
"""

from __future__ import annotations

import contextlib

from ..._backend import KERNEL_BACKENDS
from ...function import Function
from ...tensor import Tensor
from .._kernel_overrides import offer

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
    xp.divide(1.0, a, out=a)
    return a


def _mm(w, v, rows: bool):
    """``w @ v`` for column operands. For row operands (``v`` a transposed view) the product
    is computed as ``(v^T w^T)^T``, so results keep the rows' memory layout."""
    return (v.T @ w.T).T if rows else w @ v


def _t(array, rows: bool):
    return array.T if rows and array is not None else array


def _cell_grads(m, rows: bool, needs, da, h, w_hh, dw):
    """(dx_proj, dh_prev, dW_hh, db_hh) of a cell from its pre-activation gradient ``da``
    (columns): da, W_hh^T da, da h^T (plus the chained ``dw``) and the batch sum of da."""
    need_x, need_h, need_w, need_b = needs
    dwh = None
    if need_w:
        dwh = da @ _t(h, rows).T
        if dw is not None:
            dwh += dw  # the chained gradient, added into the fresh product
    return (_t(da, rows) if need_x else None,
            _t(_mm(w_hh.T, da, rows), rows) if need_h else None,
            dwh,
            m.sum(da, 1) if need_b else None)


def _lstm_step_grads(m, act, tc, c_prev, dh, dc, d_act=None, d_tc=None):
    """One LSTM step backward in columns (arrays or Tensors): the pre-activation gradient
    da (4H, B) and dL/dc_prev, from dh = dL/dh', dc = dL/dc' (either may be None) and, for
    `_LSTMGates`, direct gradients ``d_act`` on the activated gates and ``d_tc`` on t."""
    n = tc.shape[0]
    i, f, g, o = act[:n], act[n:2 * n], act[2 * n:3 * n], act[3 * n:]
    # (in-place operators below only ever update values this function just made)
    dt = None if dh is None else dh * o
    if d_tc is not None:
        if dt is None:
            dt = d_tc
        else:
            dt += d_tc
    dcs = None if dt is None else dt * (1.0 - tc * tc)
    if dc is not None:
        if dcs is None:
            dcs = dc
        else:
            dcs += dc
    if dcs is None:
        dcs = m.zeros_like(tc)
    di, df, dg = dcs * g, dcs * c_prev, dcs * i
    do = None if dh is None else dh * tc
    if d_act is not None:
        di += d_act[:n]
        df += d_act[n:2 * n]
        dg += d_act[2 * n:3 * n]
        if do is None:
            do = d_act[3 * n:] * 1.0
        else:
            do += d_act[3 * n:]
    di *= i * (1.0 - i)  # sigmoid' = s (1 - s)
    df *= f * (1.0 - f)
    dg *= 1.0 - g * g  # tanh' = 1 - g^2
    if do is None:
        do = m.zeros_like(o)
    else:
        do *= o * (1.0 - o)
    return m.concatenate([di, df, dg, do], 0), dcs * f


def _gru_step_grads(m, rz, n, hn, dr, dz, dn, dhn):
    """One GRU step backward in columns: (dx_proj, da_h) from gradients on r, z, n and
    h_n = (W_hh h + b_hh)_n (``dr``, ``dhn`` may be None)."""
    k = n.shape[0]
    r, z = rz[:k], rz[k:]
    # (in-place operators below only ever update values this function just made)
    dnp = dn * (1.0 - n * n)  # through tanh
    dr_pre = dnp * hn
    if dr is not None:
        dr_pre += dr
    dr_pre *= r * (1.0 - r)  # sigmoid' = s (1 - s)
    dz_pre = dz * (z * (1.0 - z))
    dah_n = dnp * r
    if dhn is not None:
        dah_n += dhn
    return (m.concatenate([dr_pre, dz_pre, dnp], 0),
            m.concatenate([dr_pre, dz_pre, dah_n], 0))


def _check(name: str, gates: int, x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh, c,
           columns: bool) -> None:
    """Shapes and dtypes of a cell's operands, with the shapes in the message."""
    for label, t in (("x_proj", x_proj), ("h", h), ("w_hh", w_hh)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{label}' must be Tensor, not {type(t).__name__}")
    hs = h._data.shape
    layout = "(hidden_size, batch)" if columns else "(batch, hidden_size)"
    if len(hs) != 2:
        raise RuntimeError(f"{name}(): h must be 2-D {layout}, got shape {list(hs)}")
    hidden, batch = hs if columns else hs[::-1]
    expect = (gates * hidden, batch) if columns else (batch, gates * hidden)
    if x_proj._data.shape != expect:
        raise RuntimeError(f"{name}(): x_proj must have shape {list(expect)} ({gates} gates of "
                           f"hidden_size {hidden}) to match h of shape {list(hs)}, got "
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
    """h' = act(x_proj + W_hh h + b_hh) (columns); da = dh act'(a), read off the output h'."""

    relu = False
    materialize_grads = False

    @staticmethod
    def forward(ctx, x_proj, h, w_hh, b_hh, rows, chain):
        xp = ctx.xp
        ctx.rows = rows
        a = _mm(w_hh, _t(h, rows), rows)
        a += _t(x_proj, rows)
        if b_hh is not None:
            a += b_hh[:, None]
        if type(ctx).relu:
            xp.maximum(a, 0, out=a)
        else:
            xp.tanh(a, out=a)
        out = _t(a, rows)
        ctx.save_for_backward(h, w_hh, out)
        return (out, w_hh) if chain else out

    @staticmethod
    def backward(ctx, dh, dw=None):
        h, w_hh, out = ctx.saved
        needs = ctx.needs_input_grad[:4]
        if dh is None:  # only the chained weight has a gradient
            return None, None, dw, None, None, None
        m, rows = ctx.math, ctx.rows
        if type(ctx).relu:  # relu' is a step function: a selection of dh
            da = m.where(out > 0, dh, 0.0)
        else:
            da = dh * (1.0 - out * out)
        return _cell_grads(m, rows, needs, _t(da, rows), h, w_hh, dw) + (None, None)


class RNNTanhCell(_RNNCell):
    relu = False


class RNNReLUCell(_RNNCell):
    relu = True


# ----------------------------------------------------------------------------- LSTM
class LSTMCell(Function):
    """(h', c') from (x_proj, h, c, W_hh, b_hh); see the module docstring for the rules.

    Saved for backward: the four activated gates and tanh(c') (plus the inputs)."""

    materialize_grads = False

    @staticmethod
    def forward(ctx, x_proj, h, c, w_hh, b_hh, rows, chain):
        xp = ctx.xp
        ctx.rows = rows
        hc, cc = _t(h, rows), _t(c, rows)
        hidden = cc.shape[0]
        h2, h3 = 2 * hidden, 3 * hidden
        a = _mm(w_hh, hc, rows)
        if b_hh is not None:
            a += b_hh[:, None]
        kernels = KERNEL_BACKENDS.get(xp)  # CUDA: the gate arithmetic in one launch
        gates = kernels and kernels.fused_kernel("lstm_gates_forward", a.dtype)
        if gates:
            xc = _t(x_proj, rows)
            c_new, t, h_new = xp.empty_like(cc), xp.empty_like(cc), xp.empty_like(cc)
            gates(xc[:hidden], xc[hidden:h2], xc[h2:h3], xc[h3:], cc, a[:hidden],
                  a[hidden:h2], a[h2:h3], a[h3:], c_new, t, h_new)
            ctx.save_for_backward(x_proj, h, c, w_hh, b_hh, a, t)
            if chain:
                return _t(h_new, rows), _t(c_new, rows), w_hh
            return _t(h_new, rows), _t(c_new, rows)
        a += _t(x_proj, rows)
        i, f, g, o = a[:hidden], a[hidden:h2], a[h2:h3], a[h3:]
        g *= 2.0  # tanh(x) = 2 sigmoid(2x) - 1: one sigmoid pass over all four gates
        with _quiet(xp):
            _sigmoid_(xp, a)
        g *= 2.0
        g -= 1.0
        c_new = f * cc
        c_new += i * g
        t = xp.tanh(c_new)
        h_new = o * t
        ctx.save_for_backward(x_proj, h, c, w_hh, b_hh, a, t)
        if chain:
            return _t(h_new, rows), _t(c_new, rows), w_hh
        return _t(h_new, rows), _t(c_new, rows)

    @staticmethod
    def backward(ctx, dh, dc, dw=None):
        x_proj, h, c, w_hh, b_hh, act, t = ctx.saved
        need_x, need_h, need_c, need_w, need_b = ctx.needs_input_grad[:5]
        if dh is None and dc is None:  # only the chained weight has a gradient
            return None, None, None, dw, None, None, None
        m, rows = ctx.math, ctx.rows
        act, t = m.apply(_LSTMGates, x_proj, h, c, w_hh, b_hh, act, t, rows)
        da, dc_prev = m.lstm_cell_grads(act, t, _t(c, rows), _t(dh, rows), _t(dc, rows))
        dx, dh_prev, dwh, db = _cell_grads(m, rows, (need_x, need_h, need_w, need_b), da, h,
                                           w_hh, dw)
        return dx, dh_prev, (_t(dc_prev, rows) if need_c else None), dwh, db, None, None


class _LSTMGates(Function):
    """The activated gates (4H, B) and t = tanh(c') (H, B) of an LSTM step, kept from the
    forward: on arrays the kept arrays, under ``create_graph`` a node of (x_proj, h, c,
    W_hh, b_hh) whose rule is the step's own derivative, so `LSTMCell`'s rule is
    differentiable again."""

    @staticmethod
    def forward(ctx, x_proj, h, c, w_hh, b_hh, act, t, rows):
        ctx.rows = rows
        act, t = act.view(), t.view()  # new arrays: saved as this node's outputs
        ctx.save_for_backward(h, c, w_hh, act, t)
        return act, t

    @staticmethod
    def backward(ctx, g_act, g_t):
        h, c, w_hh, act, t = ctx.saved
        need_x, need_h, need_c, need_w, need_b = ctx.needs_input_grad[:5]
        m, rows = ctx.math, ctx.rows
        da, dc_prev = _lstm_step_grads(m, act, t, _t(c, rows), None, None, g_act, g_t)
        dx, dh_prev, dwh, db = _cell_grads(m, rows, (need_x, need_h, need_w, need_b), da, h,
                                           w_hh, None)
        return (dx, dh_prev, (_t(dc_prev, rows) if need_c else None), dwh, db, None, None,
                None)


# ----------------------------------------------------------------------------- GRU
class GRUCell(Function):
    """h' from (x_proj, h, W_hh, b_hh) with PyTorch's GRU formula (see the module docstring)."""

    materialize_grads = False

    @staticmethod
    def forward(ctx, x_proj, h, w_hh, b_hh, rows, chain):
        xp = ctx.xp
        ctx.rows = rows
        xc, hc = _t(x_proj, rows), _t(h, rows)
        hidden = hc.shape[0]
        h2 = 2 * hidden
        ah = _mm(w_hh, hc, rows)
        if b_hh is not None:
            ah += b_hh[:, None]
        hn = ah[h2:]
        kernels = KERNEL_BACKENDS.get(xp)  # CUDA: the gate arithmetic in one launch
        gates = kernels and kernels.fused_kernel("gru_gates_forward", hc.dtype)
        if gates:
            rz, n, h_new = (xp.empty((h2,) + hc.shape[1:], hc.dtype),
                            xp.empty_like(hn), xp.empty_like(hn))
            gates(xc[:hidden], xc[hidden:h2], xc[h2:], ah[:hidden], ah[hidden:h2], hn, hc,
                  rz[:hidden], rz[hidden:], n, h_new)
            ctx.save_for_backward(x_proj, h, w_hh, b_hh, rz, n, hn)
            return (_t(h_new, rows), w_hh) if chain else _t(h_new, rows)
        rz = xc[:h2] + ah[:h2]
        with _quiet(xp):
            _sigmoid_(xp, rz)
        n = rz[:hidden] * hn
        n += xc[h2:]
        xp.tanh(n, out=n)
        h_new = hc - n
        h_new *= rz[hidden:]
        h_new += n
        ctx.save_for_backward(x_proj, h, w_hh, b_hh, rz, n, hn)
        return (_t(h_new, rows), w_hh) if chain else _t(h_new, rows)

    @staticmethod
    def backward(ctx, dh, dw=None):
        x_proj, h, w_hh, b_hh, rz, n, hn = ctx.saved
        need_x, need_h, need_w, need_b = ctx.needs_input_grad[:4]
        if dh is None:  # only the chained weight has a gradient
            return None, None, dw, None, None, None
        m, rows = ctx.math, ctx.rows
        rz, n, hn = m.apply(_GRUGates, x_proj, h, w_hh, b_hh, rz, n, hn, rows)
        dx, dah, dh_direct = m.gru_cell_grads(_t(dh, rows), _t(h, rows), rz, n, hn)
        _, dh_prev, dwh, db = _cell_grads(m, rows, (False, need_h, need_w, need_b), dah, h,
                                          w_hh, dw)
        if need_h:
            dh_prev = dh_prev + _t(dh_direct, rows)
        return (_t(dx, rows) if need_x else None), dh_prev, dwh, db, None, None


def _lstm_cell_grads(m, act, tc, c_prev, dh, dc):
    """`LSTMCell`'s step backward: (da, dL/dc_prev) from dh, dc (either may be None)."""
    return _lstm_step_grads(m, act, tc, c_prev, dh, dc)


def _lstm_cell_grads_kernel(backend, xp, act, tc, c_prev, dh, dc):
    """`_lstm_cell_grads` as one fused CUDA launch (None: no kernel for the dtype)."""
    kernel = backend.fused_kernel("lstm_gates_backward", act.dtype)
    if not kernel:
        return None
    k = tc.shape[0]
    zero = xp.zeros(tc.shape, tc.dtype) if dh is None or dc is None else None
    da, dc_prev = xp.empty(act.shape, act.dtype), xp.empty(tc.shape, tc.dtype)
    kernel(zero if dh is None else dh, zero if dc is None else dc, act[:k], act[k:2 * k],
           act[2 * k:3 * k], act[3 * k:], tc, c_prev, da[:k], da[k:2 * k], da[2 * k:3 * k],
           da[3 * k:], dc_prev)
    return da, dc_prev


offer("lstm_cell_grads", _lstm_cell_grads, launch=_lstm_cell_grads_kernel)


def _gru_cell_grads(m, g, hv, rz, n, hn):
    """`GRUCell`'s step backward from g = dL/dh': (dx_proj, da_h, g z), columns."""
    z = rz[n.shape[0]:]
    dx, dah = _gru_step_grads(m, rz, n, hn, None, g * (hv - n), g * (1.0 - z), None)
    return dx, dah, g * z


def _gru_cell_grads_kernel(backend, xp, g, hv, rz, n, hn):
    """`_gru_cell_grads` as one fused CUDA launch (None: no kernel for the dtype)."""
    kernel = backend.fused_kernel("gru_gates_backward", g.dtype)
    if not kernel:
        return None
    k = n.shape[0]
    dx, dah = xp.empty((3 * k,) + n.shape[1:], n.dtype), xp.empty((3 * k,) + n.shape[1:], n.dtype)
    dh_direct = xp.empty_like(n)
    kernel(g, hv, rz[:k], rz[k:], n, hn, dx[:k], dx[k:2 * k], dx[2 * k:], dah[:k],
           dah[k:2 * k], dah[2 * k:], dh_direct)
    return dx, dah, dh_direct


offer("gru_cell_grads", _gru_cell_grads, launch=_gru_cell_grads_kernel)


class _GRUGates(Function):
    """(r z, n, h_n) of a GRU step (columns), kept from the forward: on arrays the kept
    arrays, under ``create_graph`` a node of (x_proj, h, W_hh, b_hh) whose rule is the
    step's own derivative, so `GRUCell`'s rule is differentiable again."""

    @staticmethod
    def forward(ctx, x_proj, h, w_hh, b_hh, rz, n, hn, rows):
        ctx.rows = rows
        rz, n, hn = rz.view(), n.view(), hn.view()  # saved as this node's outputs
        ctx.save_for_backward(h, w_hh, rz, n, hn)
        return rz, n, hn

    @staticmethod
    def backward(ctx, g_rz, g_n, g_hn):
        h, w_hh, rz, n, hn = ctx.saved
        need_x, need_h, need_w, need_b = ctx.needs_input_grad[:4]
        m, rows = ctx.math, ctx.rows
        k = n.shape[0]
        dx, dah = _gru_step_grads(m, rz, n, hn, g_rz[:k], g_rz[k:], g_n, g_hn)
        _, dh_prev, dwh, db = _cell_grads(m, rows, (False, need_h, need_w, need_b), dah, h,
                                          w_hh, None)
        return ((_t(dx, rows) if need_x else None), dh_prev, dwh, db, None, None, None,
                None)


# ----------------------------------------------------------------------------- functions
def rnn_tanh_cell(x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None = None, *,
                  columns: bool = False, chain_weight: bool = False):
    """h' = tanh(x_proj + h W_hh^T + b_hh) as one node.

    ``x_proj`` (B, H) is the input's projection ``x W_ih^T + b_ih``; ``h`` (B, H);
    ``w_hh`` (H, H); ``b_hh`` (H,) or None. With ``columns=True``: ``x_proj``, ``h`` and
    the result are (H, B). With ``chain_weight=True`` it returns (h', w_hh) (see the
    module docstring)."""
    _check("rnn_tanh_cell", 1, x_proj, h, w_hh, b_hh, None, columns)
    return RNNTanhCell.apply(x_proj, h, w_hh, b_hh, not columns, chain_weight)


def rnn_relu_cell(x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None = None, *,
                  columns: bool = False, chain_weight: bool = False):
    """h' = relu(x_proj + h W_hh^T + b_hh) as one node (shapes as `rnn_tanh_cell`)."""
    _check("rnn_relu_cell", 1, x_proj, h, w_hh, b_hh, None, columns)
    return RNNReLUCell.apply(x_proj, h, w_hh, b_hh, not columns, chain_weight)


def lstm_cell(x_proj: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None = None,
              *, columns: bool = False, chain_weight: bool = False) -> tuple:
    """One LSTM step as one node: returns (h', c').

    ``x_proj`` (B, 4H) holds the gate pre-activations from the input, ``x W_ih^T + b_ih``
    (the layers add ``b_hh`` there too and pass ``b_hh=None``); ``h``, ``c`` (B, H);
    ``w_hh`` (4H, H); gates in PyTorch's order i, f, g, o. With ``columns=True`` every
    batch operand is transposed: ``x_proj`` (4H, B), ``h``, ``c`` and the results (H, B).
    With ``chain_weight=True`` it returns (h', c', w_hh): pass that ``w_hh`` to the next
    step (see the module docstring)."""
    _check("lstm_cell", 4, x_proj, h, w_hh, b_hh, c, columns)
    return LSTMCell.apply(x_proj, h, c, w_hh, b_hh, not columns, chain_weight)


def gru_cell(x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None = None, *,
             columns: bool = False, chain_weight: bool = False):
    """One GRU step as one node: returns h'.

    ``x_proj`` (B, 3H) = ``x W_ih^T + b_ih`` (gates r, z, n); ``b_hh`` (3H,) stays inside
    the cell because its n part is scaled by r: n = tanh(x_n + r (h W_hn^T + b_hn)).
    ``columns=True`` transposes the batch operands as in `lstm_cell`; with
    ``chain_weight=True`` it returns (h', w_hh)."""
    _check("gru_cell", 3, x_proj, h, w_hh, b_hh, None, columns)
    return GRUCell.apply(x_proj, h, w_hh, b_hh, not columns, chain_weight)
