"""The recurrent cells as fused nodes (one graph node per time step). The LSTM layer as one
node over the whole sequence (`lstm_sequence`, what `nn.LSTM` runs) is in
`lstm_sequence.py`; it uses the same gate arithmetic and array helpers.

A recurrent layer spends its time in a loop over the sequence, so each step must be cheap.
The layers (`nn.RNN`, `nn.LSTM`, `nn.GRU`) therefore split the work in two:

1. `input_projection`: ``x_t W_ih^T + b`` for *all* time steps at once, before the loop;
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

- A plain backward (the usual ``loss.backward()``) works on arrays with the activations
  saved by the forward: no Tensor objects in between. With ``create_graph=True`` the same
  rules run as Tensor operations recomputed from the saved inputs, so the backward is itself
  differentiable (gradgradcheck passes).
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

from ...function import Function
from ...grad_mode import _state as _grad_state
from ...tensor import Tensor, _wrap

__all__ = ["input_projection", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell",
           "stack_columns"]


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


def _empty(xp, n: int, batch: int, dtype, rows: bool):
    """An (n, batch) array laid out like the operands (transposed storage for rows)."""
    return xp.empty((batch, n), dtype=dtype).T if rows else xp.empty((n, batch), dtype=dtype)


def _t(array, rows: bool):
    return array.T if rows and array is not None else array


def _tt(t, rows: bool):
    """A Tensor in column layout (``.mT`` of a row operand)."""
    return t.mT if rows and t is not None else t


def _weight_grad(da, h, dw):
    """dW_hh = da h^T, plus the gradient ``dw`` chained from the later steps (in place)."""
    out = da @ h.T
    if dw is not None:
        out += dw._data
    return out


def _weight_grad_graph(da: Tensor, h: Tensor, dw) -> Tensor:
    out = da @ h.mT
    return out if dw is None else out + dw


def _block(t: Tensor, k: int, n: int) -> Tensor:
    """Rows k n .. (k+1) n of a column-layout Tensor (one gate block)."""
    return t[k * n:(k + 1) * n]


def _cat(blocks: list) -> Tensor:
    import autograd_core

    return autograd_core.cat(blocks, dim=0)


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


# ----------------------------------------------------------------------------- projection
class InputProjection(Function):
    """X_t W^T + b for every step t, as columns: (T, B, in) -> (T, G*H, B), computed as
    W X_t^T by one batched matrix product (one call, writing the columns layout directly).

    Backward (G_t the (G*H, B) output gradient of step t):
    dW = sum_t G_t X_t,  db = sum of G over t and the batch,  dX_t = (W^T G_t)^T."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        return _project(ctx.xp, x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        if not _grad_state.enabled:
            xp, g = ctx.xp, grad._data
            return (_wrap((weight._data.T @ g).transpose(0, 2, 1)) if need_x else None,
                    _wrap(xp.matmul(g, x._data).sum(0)) if need_w else None,
                    _wrap(_sum_steps_and_batch(g)) if need_b else None)
        return ((weight.mT @ grad).transpose(1, 2) if need_x else None,
                (grad @ x).sum(0) if need_w else None,
                grad.sum((0, 2)) if need_b else None)


def _project(xp, x, weight, bias):
    """W X_t^T + b for every step, (T, B, in) -> (T, G*H, B). The transposed input is made
    contiguous first (a small copy): the batched product then runs as one BLAS call per
    step instead of NumPy's generic loop for strided operands."""
    out = xp.matmul(weight, xp.ascontiguousarray(x.transpose(0, 2, 1)))
    if bias is not None:
        out += bias[:, None]
    return out


def _sum_steps_and_batch(g):
    """``g.sum(axis=(0, 2))`` for a C-contiguous (T, N, B) array, as two fast reductions
    (NumPy reduces over non-adjacent axes several times slower)."""
    steps, n, batch = g.shape
    return g.reshape(steps, n * batch).sum(0).reshape(n, batch).sum(1)


def input_projection(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x_t W^T + b`` for all steps of ``input`` (T, B, in) in one node, laid out as the
    columns the cells take with ``columns=True``: shape (T, G*H, B) for ``weight``
    (G*H, in) and ``bias`` (G*H,) or None."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("input_projection(): input and weight must be Tensors")
    if input._data.ndim != 3:
        raise RuntimeError(f"input_projection(): input must be 3-D (seq_len, batch, "
                           f"input_size), got shape {list(input._data.shape)}")
    if weight._data.ndim != 2 or weight._data.shape[1] != input._data.shape[2]:
        raise RuntimeError(f"input_projection(): weight of shape {list(weight._data.shape)} "
                           f"does not match input_size {input._data.shape[2]} (expected "
                           f"(gates * hidden_size, input_size))")
    if bias is not None and bias._data.shape != weight._data.shape[:1]:
        raise RuntimeError(f"input_projection(): bias must have shape "
                           f"{[weight._data.shape[0]]}, got {list(bias._data.shape)}")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"input_projection(): input is {input.dtype} but weight is "
                           f"{weight.dtype}; convert one, e.g. input.to({weight.dtype})")
    return InputProjection.apply(input, weight, bias)


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
        h, w_hh, out = ctx.saved_tensors
        need_x, need_h, need_w, need_b = ctx.needs_input_grad[:4]
        relu = type(ctx).relu
        if dh is None:
            dh = _wrap(ctx.xp.zeros(out._data.shape, dtype=out._data.dtype))
        if not _grad_state.enabled:  # plain backward: arrays only (row operands as .T views)
            xp = ctx.xp
            g, y = dh._data, out._data
            if relu:
                da = g * (y > 0)
            else:
                da = y * y
                xp.subtract(1.0, da, out=da)
                da *= g
            rows = ctx.rows
            dac = _t(da, rows)
            return (_wrap(da) if need_x else None,
                    _wrap(_t(_mm(w_hh._data.T, dac, rows), rows)) if need_h else None,
                    _wrap(_weight_grad(dac, _t(h._data, rows), dw)) if need_w else None,
                    _wrap(dac.sum(1)) if need_b else None, None, None)
        if relu:  # a constant mask: relu' is a step function
            da = dh * (out > 0).to(dh.dtype)
        else:
            da = dh * (1.0 - out * out)
        dac, hc = _tt(da, ctx.rows), _tt(h, ctx.rows)
        return (da if need_x else None,
                _tt(w_hh.mT @ dac, ctx.rows) if need_h else None,
                _weight_grad_graph(dac, hc, dw) if need_w else None,
                dac.sum(1) if need_b else None, None, None)


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
        a += _t(x_proj, rows)
        if b_hh is not None:
            a += b_hh[:, None]
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
        x_proj, h, c, w_hh, b_hh, act, t = ctx.saved_tensors
        rows = ctx.rows
        if _grad_state.enabled:
            return _lstm_backward_graph(ctx, dh, dc, dw, x_proj, h, c, w_hh, b_hh)
        need_x, need_h, need_c, need_w, need_b = ctx.needs_input_grad[:5]
        if dh is None and dc is None:  # only the chained weight has a gradient
            return None, None, None, dw, None, None, None
        xp = ctx.xp
        a, t = act._data, t._data
        hidden = t.shape[0]
        h2, h3 = 2 * hidden, 3 * hidden
        i, f, g, o = a[:hidden], a[hidden:h2], a[h2:h3], a[h3:]
        da = xp.empty_like(a)
        if dh is not None:
            dh = _t(dh._data, rows)
            xp.multiply(dh, t, out=da[h3:])  # dL/do
            dcs = dh * o
            tmp = dcs * t
            tmp *= t
            dcs -= tmp  # dh o (1 - t^2)
            if dc is not None:
                dcs += _t(dc._data, rows)
        else:
            da[h3:] = 0
            dcs = _t(dc._data, rows)
        xp.multiply(dcs, g, out=da[:hidden])
        xp.multiply(dcs, _t(c._data, rows), out=da[hidden:h2])
        xp.multiply(dcs, i, out=da[h2:h3])
        slope = 1.0 - a  # sigmoid' = s (1 - s) ...
        slope *= a
        sg = slope[h2:h3]  # ... and tanh' = 1 - g^2
        xp.multiply(g, g, out=sg)
        xp.subtract(1.0, sg, out=sg)
        da *= slope
        return (_wrap(_t(da, rows)) if need_x else None,
                _wrap(_t(_mm(w_hh._data.T, da, rows), rows)) if need_h else None,
                _wrap(_t(dcs * f, rows)) if need_c else None,
                _wrap(_weight_grad(da, _t(h._data, rows), dw)) if need_w else None,
                _wrap(da.sum(1)) if need_b else None, None, None)


def _lstm_backward_graph(ctx, dh, dc, dw, x_proj, h, c, w_hh, b_hh):
    """The LSTM rules with Tensor operations, recomputed from the inputs (differentiable)."""
    need_x, need_h, need_c, need_w, need_b = ctx.needs_input_grad[:5]
    if dh is None and dc is None:
        return None, None, None, dw, None, None, None
    rows = ctx.rows
    x_proj, h, c, dh, dc = (_tt(v, rows) for v in (x_proj, h, c, dh, dc))
    a = x_proj + w_hh @ h
    if b_hh is not None:
        a = a + b_hh.unsqueeze(1)
    n = c.shape[0]
    i, f, g, o = (_block(a, k, n) for k in range(4))
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
    return (_tt(da, rows) if need_x else None,
            _tt(w_hh.mT @ da, rows) if need_h else None,
            _tt(dcs * f, rows) if need_c else None,
            _weight_grad_graph(da, h, dw) if need_w else None,
            da.sum(1) if need_b else None, None, None)


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
        rz = xc[:h2] + ah[:h2]
        hn = ah[h2:]
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
        x_proj, h, w_hh, b_hh, rz, n, hn = ctx.saved_tensors
        if dh is None:
            dh = _wrap(ctx.xp.zeros(h._data.shape, dtype=h._data.dtype))
        if _grad_state.enabled:
            return _gru_backward_graph(ctx, dh, dw, x_proj, h, w_hh, b_hh)
        need_x, need_h, need_w, need_b = ctx.needs_input_grad[:4]
        xp, rows = ctx.xp, ctx.rows
        g, hv = _t(dh._data, rows), _t(h._data, rows)
        s, n, hn = rz._data, n._data, hn._data
        hidden, batch = hv.shape
        h2 = 2 * hidden
        r, z = s[:hidden], s[hidden:]
        dx = _empty(xp, 3 * hidden, batch, g.dtype, rows)
        slope = 1.0 - s  # sigmoid' for r and z at once
        slope *= s
        dn = dx[h2:]
        xp.multiply(n, n, out=dn)
        xp.subtract(1.0, dn, out=dn)
        dn *= 1.0 - z
        dn *= g  # dn* = dh (1 - z)(1 - n^2)
        dz = dx[hidden:h2]
        xp.subtract(hv, n, out=dz)
        dz *= g  # dL/dz = dh (h - n)
        xp.multiply(dn, hn, out=dx[:hidden])  # dL/dr = dn* h_n
        dx[:h2] *= slope
        dah = xp.empty_like(dx)
        dah[:h2] = dx[:h2]
        xp.multiply(dn, r, out=dah[h2:])
        dh_prev = None
        if need_h:
            dh_prev = _mm(w_hh._data.T, dah, rows)
            dh_prev += g * z
        return (_wrap(_t(dx, rows)) if need_x else None,
                _wrap(_t(dh_prev, rows)) if need_h else None,
                _wrap(_weight_grad(dah, hv, dw)) if need_w else None,
                _wrap(dah.sum(1)) if need_b else None, None, None)


def _gru_backward_graph(ctx, dh, dw, x_proj, h, w_hh, b_hh):
    """The GRU rules with Tensor operations, recomputed from the inputs (differentiable)."""
    need_x, need_h, need_w, need_b = ctx.needs_input_grad[:4]
    rows = ctx.rows
    x_proj, h, dh = (_tt(v, rows) for v in (x_proj, h, dh))
    ah = w_hh @ h
    if b_hh is not None:
        ah = ah + b_hh.unsqueeze(1)
    n_ = h.shape[0]
    xr, xz, xn = (_block(x_proj, k, n_) for k in range(3))
    hr, hz, hn = (_block(ah, k, n_) for k in range(3))
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    dn = dh * (1.0 - z) * (1.0 - n * n)
    dr = dn * hn * r * (1.0 - r)
    dz = dh * (h - n) * z * (1.0 - z)
    dx = _cat([dr, dz, dn])
    dah = _cat([dr, dz, dn * r])
    return (_tt(dx, rows) if need_x else None,
            _tt(w_hh.mT @ dah + dh * z, rows) if need_h else None,
            _weight_grad_graph(dah, h, dw) if need_w else None,
            dah.sum(1) if need_b else None, None, None)


# ----------------------------------------------------------------------------- stacking
class StackColumns(Function):
    """T column states (H, B) -> one (T, B, H) tensor (the layer's output), one node."""

    @staticmethod
    def forward(ctx, *states):
        return ctx.xp.stack([s.T for s in states])

    @staticmethod
    def backward(ctx, grad):
        if not _grad_state.enabled:
            g = grad._data
            return tuple(_wrap(g[k].T) for k in range(g.shape[0]))
        return tuple(g.mT for g in grad.unbind(0))


def stack_columns(states) -> Tensor:
    """Stack column states (each (H, B)) into PyTorch's (T, B, H) layout in one node."""
    states = list(states)
    if not states:
        raise RuntimeError("stack_columns expects a non-empty list of (hidden_size, batch) "
                           "tensors")
    shape = states[0]._data.shape
    for k, s in enumerate(states):
        if s._data.ndim != 2 or s._data.shape != shape:
            raise RuntimeError(f"stack_columns expects equal 2-D (hidden_size, batch) tensors, "
                               f"got {list(s._data.shape)} at entry {k} and {list(shape)} at "
                               f"entry 0")
    return StackColumns.apply(*states)


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
