"""An LSTM layer (one direction) over the whole sequence as ONE graph node: what `nn.LSTM`
runs. The gate arithmetic is the per-step `LSTMCell`'s (see `recurrent.py` for the rules and
the layout choices); here it runs in a loop over time inside one node, so the engine sees one
node per layer instead of one per step, and the backward is backpropagation through time on
the cell's rule per step, with the weight and input gradients as one matrix product each.
"""

from __future__ import annotations

from ... import _rule_math
from ..._backend import KERNEL_BACKENDS
from ...function import Function
from ...tensor import Tensor
from .recurrent import _quiet, lstm_cell
from .sequence_layout import _project, input_projection, stack_columns

__all__ = ["lstm_sequence"]


# ----------------------------------------------------------------------------- LSTM layer
class LSTMSequence(Function):
    """A whole LSTM layer (one direction) over the sequence as ONE node.

    Forward: the input projection of every step in one batched product, then per step one
    ``W_hh h`` and the gate arithmetic of `LSTMCell`, in the same order (so the numbers are
    the cells' numbers), writing into arrays allocated once for the sequence.

    Backward: backpropagation through time, the cell's rules per step (``da_t`` from
    ``dh_t = dout_t + W_hh^T da_{t+1}`` and ``dc_t``), then the parameter gradients as single
    products over all steps at once:

        dW_hh = sum_t da_t h_{t-1}^T    dW_ih = sum_t da_t x_t    db = sum_{t,b} da_t
        dx_t = (W_ih^T da_t)^T          dh_0 = W_hh^T da_first    dc_0 = dc* f at the first step

    The rule is written once (`_through_time`, against ``ctx.math``): arrays in a plain
    backward; under ``create_graph=True`` the saved states enter through `_LSTMStates`, whose
    own rule is this one again, so the gradient is itself differentiable.

    Saved: the inputs, the activated gates (T, 4H, B), c_t, tanh(c_t) and h_t (T, H, B).
    """

    materialize_grads = False

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, bias, reverse):
        xp = ctx.xp
        steps, batch = x.shape[0], x.shape[1]
        hidden = w_hh.shape[1]
        h2, h3 = 2 * hidden, 3 * hidden
        dtype = x.dtype
        kernels = KERNEL_BACKENDS.get(xp)  # CUDA: the gate arithmetic in one launch a step
        gates = kernels and kernels.fused_kernel("lstm_gates_forward", dtype)
        if not gates:
            # sigmoid(z) = 1 / (1 + e^{-z}) and tanh(z) = 2 sigmoid(2z) - 1: with the rows of
            # the weights and bias scaled by -1 (-2 for the g gate), exact in floating point,
            # the pre-activations come out as -z (-2z) and one exp pass serves all four gates.
            scale = xp.full((4 * hidden, 1), -1.0, dtype)
            scale[h2:h3] = -2.0
            w_in, w_rec = w_ih * scale, w_hh * scale
            b = None if bias is None else bias * scale[:, 0]
        else:
            w_in, w_rec, b = w_ih, w_hh, bias
        acts = _project(xp, x, w_in, b)  # (T, 4H, B): x_proj, activated in place per step
        cs = xp.empty((steps, hidden, batch), dtype)
        tcs = xp.empty((steps, hidden, batch), dtype)
        hs = xp.empty((steps, hidden, batch), dtype)
        rec = xp.empty((4 * hidden, batch), dtype)
        ig = xp.empty((hidden, batch), dtype)
        h, c = h0.T, c0.T  # columns (H, B)
        with _quiet(xp):
            for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
                a = acts[t]
                xp.matmul(w_rec, h, out=rec)
                if gates:
                    gates(rec[:hidden], rec[hidden:h2], rec[h2:h3], rec[h3:], c, a[:hidden],
                          a[hidden:h2], a[h2:h3], a[h3:], cs[t], tcs[t], hs[t])
                    c, h = cs[t], hs[t]
                    continue
                a += rec  # -z (-2z for g)
                xp.exp(a, out=a)
                a += 1.0
                xp.divide(1.0, a, out=a)  # sigmoid of each gate's z (2z for g)
                i, f, g, o = a[:hidden], a[hidden:h2], a[h2:h3], a[h3:]
                g *= 2.0
                g -= 1.0
                c_new = cs[t]
                xp.multiply(f, c, out=c_new)
                xp.multiply(i, g, out=ig)
                c_new += ig
                c = c_new
                xp.tanh(c, out=tcs[t])
                h = hs[t]
                xp.multiply(o, tcs[t], out=h)
        ctx.reverse = reverse
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, bias, acts, cs, tcs, hs)
        return (xp.ascontiguousarray(hs.transpose(0, 2, 1)), xp.ascontiguousarray(h.T),
                xp.ascontiguousarray(c.T))

    @staticmethod
    def backward(ctx, dout, dh_n, dc_n):
        x, h0, c0, w_ih, w_hh, bias, acts, cs, tcs, hs = ctx.saved
        if dout is None and dh_n is None and dc_n is None:
            return (None,) * 7
        m, reverse = ctx.math, ctx.reverse
        states = m.apply(_LSTMStates, x, h0, c0, w_ih, w_hh, bias, acts, cs, tcs, hs, reverse)
        return m.lstm_through_time(ctx.needs_input_grad[:6], reverse, x, h0, c0, w_ih, w_hh,
                                   *states, dout, dh_n, dc_n) + (None,)


class _LSTMStates(Function):
    """The states of the layer kept from the forward (activated gates, c_t, tanh(c_t), h_t):
    on arrays the kept arrays, under ``create_graph`` a node of the layer's inputs whose rule
    is backpropagation through time again, so `LSTMSequence`'s rule is differentiable."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, bias, acts, cs, tcs, hs, reverse):
        ctx.reverse = reverse
        out = tuple(a.view() for a in (acts, cs, tcs, hs))  # saved as this node's outputs
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, *out)
        return out

    @staticmethod
    def backward(ctx, g_acts, g_cs, g_tcs, g_hs):
        x, h0, c0, w_ih, w_hh, acts, cs, tcs, hs = ctx.saved
        grads = _through_time(ctx.math, ctx.needs_input_grad[:6], ctx.reverse, x, h0, c0, w_ih,
                              w_hh, acts, cs, tcs, hs, None, None, None,
                              (g_acts, g_cs, g_tcs, g_hs))
        return grads + (None,) * 5


def _through_time(m, needs, reverse, x, h0, c0, w_ih, w_hh, acts, cs, tcs, hs, dout, dh_n,
                  dc_n, direct=None):
    """Backpropagation through time (arrays or Tensors): the cell's rule per step, with
    dh_t = dout_t + W_hh^T da_{t+1} and dc_t, then the parameter gradients as one product
    each over all steps. ``direct``: gradients on the states themselves (acts, c_t,
    tanh(c_t), h_t), for `_LSTMStates`. Returns (dx, dh0, dc0, dW_ih, dW_hh, db).

    Per step, on (H, B) blocks that stay in cache (s' = s (1 - s), tanh' = 1 - g^2)::

        dc*_t = (dh_t o_t + d tanh(c_t)) (1 - tanh(c_t)^2) + dc_t
        da_t  = [dc*_t, dc*_t, dc*_t, dh_t] * [g, c_{t-1}, i, tanh(c_t)] * [s_i', s_f', 1 - g^2, s_o']
        dc_{t-1} = dc*_t f_t        dh_{t-1} = W_hh^T da_t
    """
    need_x, need_h0, need_c0, need_wih, need_whh, need_b = needs
    d_acts, d_cs, d_tcs, d_hs = direct if direct is not None else (None,) * 4
    steps, gates, batch = acts.shape
    n = gates // 4
    order = range(steps) if reverse else range(steps - 1, -1, -1)  # backward in time
    das = [None] * steps
    dh = None if dh_n is None else dh_n.T  # dL/dh_t, columns
    dc = None if dc_n is None else dc_n.T  # dL/dc_t
    w_hh_t = w_hh.T
    for t in order:
        if dout is not None:
            dh = dout[t].T if dh is None else dh + dout[t].T
        if d_hs is not None:
            dh = d_hs[t] if dh is None else dh + d_hs[t]
        a, tc = acts[t], tcs[t]
        if dh is None:
            dh = m.zeros_like(tc)
        i, f, g, o = a[:n], a[n:2 * n], a[2 * n:3 * n], a[3 * n:]
        first = t == (steps - 1 if reverse else 0)
        c_prev = c0.T if first else cs[t + 1 if reverse else t - 1]
        # (in-place operators below only ever update values this loop just made)
        dcs = dh * o
        if d_tcs is not None:
            dcs += d_tcs[t]
        dcs *= 1.0 - tc * tc
        if dc is not None:
            dcs += dc
        if d_cs is not None:
            dcs += d_cs[t]
        da = m.concatenate([dcs, dcs, dcs, dh], 0)
        da *= m.concatenate([g, c_prev, i, tc], 0)
        if d_acts is not None:
            da += d_acts[t]
        slope = 1.0 - a
        slope *= a
        da *= m.concatenate([slope[:2 * n], 1.0 - g * g, slope[3 * n:]], 0)
        das[t] = da
        dc = dcs * f
        dh = w_hh_t @ da
    flat = m.concatenate(das, 1)  # (4H, T*B), columns in (t, b) order
    dx = dw_ih = dw_hh = db = None
    if need_whh:  # against h_{t-1} of every step as (T*B, H) rows in the same order
        prev = _previous(m, reverse, hs, h0.T)
        dw_hh = flat @ m.permute(prev, (0, 2, 1)).reshape((steps * batch, n))
    if need_wih:
        dw_ih = flat @ x.reshape((steps * batch, x.shape[2]))
    if need_x:
        dx = (flat.T @ w_ih).reshape(x.shape)
    if need_b:
        db = m.sum(flat, 1)
    return (dx, dh.T if need_h0 else None, dc.T if need_c0 else None, dw_ih, dw_hh, db)


def _through_time_kernel(xp, needs, reverse, x, h0, c0, w_ih, w_hh, acts, cs, tcs, hs, dout,
                         dh_n, dc_n):
    """`_through_time` on arrays, as a kernel: the same step arithmetic written into buffers
    made once per call (``out=`` ufuncs), which the shared vocabulary cannot express. Offered
    through the rule namespace as ``lstm_through_time``; tests compare it with the rule."""
    need_x, need_h0, need_c0, need_wih, need_whh, need_b = needs
    steps, gates, batch = acts.shape
    n = gates // 4
    order = range(steps) if reverse else range(steps - 1, -1, -1)
    das = xp.empty((steps, gates, batch), acts.dtype)
    dcs = xp.empty((n, batch), acts.dtype)
    tmp = xp.empty((n, batch), acts.dtype)
    dh = None if dh_n is None else dh_n.T
    dc = None if dc_n is None else dc_n.T
    kernels = KERNEL_BACKENDS.get(xp)  # CUDA: a step's gate gradients in one launch
    step = kernels and kernels.fused_kernel("lstm_gates_backward", acts.dtype)
    if step:
        zero = xp.zeros((n, batch), acts.dtype)
        dc_bufs = (xp.empty((n, batch), acts.dtype), xp.empty((n, batch), acts.dtype))
    else:
        w_hh_t = xp.ascontiguousarray(w_hh.T)  # (a contiguous operand: a faster product)
        slope = xp.empty((gates, batch), acts.dtype)
        dc_buf = xp.empty((n, batch), acts.dtype)
        dh_buf = xp.empty((n, batch), acts.dtype)
    for t in order:
        if dout is not None:
            dh = dout[t].T if dh is None else dh + dout[t].T
        a, tc, da = acts[t], tcs[t], das[t]
        i, f, g, o = a[:n], a[n:2 * n], a[2 * n:3 * n], a[3 * n:]
        first = t == (steps - 1 if reverse else 0)
        c_prev = c0.T if first else cs[t + 1 if reverse else t - 1]
        if step:
            dc_prev = dc_bufs[t % 2]  # never the buffer dc is read from
            step(zero if dh is None else dh, zero if dc is None else dc, i, f, g, o, tc, c_prev,
                 da[:n], da[n:2 * n], da[2 * n:3 * n], da[3 * n:], dc_prev)
            dc, dh = dc_prev, w_hh.T @ da
            continue
        if dh is not None:
            xp.multiply(dh, tc, out=da[3 * n:])
            xp.multiply(dh, o, out=dcs)
            xp.multiply(dcs, tc, out=tmp)
            tmp *= tc
            dcs -= tmp  # dh o (1 - tanh(c)^2)
            if dc is not None:
                dcs += dc
        else:
            da[3 * n:] = 0
            dcs[...] = dc
        xp.multiply(dcs, g, out=da[:n])
        xp.multiply(dcs, c_prev, out=da[n:2 * n])
        xp.multiply(dcs, i, out=da[2 * n:3 * n])
        xp.subtract(1.0, a, out=slope)
        slope *= a
        sg = slope[2 * n:3 * n]
        xp.multiply(g, g, out=sg)
        xp.subtract(1.0, sg, out=sg)
        da *= slope
        dc = xp.multiply(dcs, f, out=dc_buf)  # (the old dc is used up: dcs holds it)
        dh = xp.matmul(w_hh_t, da, out=dh_buf)  # (and so is the old dh)
    flat = xp.ascontiguousarray(das.transpose(1, 0, 2)).reshape(gates, steps * batch)
    dx = dw_ih = dw_hh = db = None
    if need_whh:
        prev = _previous(_rule_math.for_arrays(xp), reverse, hs, h0.T)
        dw_hh = flat @ prev.transpose(0, 2, 1).reshape(steps * batch, n)
    if need_wih:
        dw_ih = flat @ x.reshape(steps * batch, x.shape[2])
    if need_x:
        dx = (flat.T @ w_ih).reshape(x.shape)
    if need_b:
        db = flat.sum(1)
    return (dx, dh.T if need_h0 else None, dc.T if need_c0 else None, dw_ih, dw_hh, db)


_rule_math.register_override(
    "lstm_through_time", _through_time_kernel,
    lambda *args: _through_time(_rule_math.for_tensors(), *args))


def _previous(m, reverse: bool, states, start):
    """The state before each step, (T, H, B): ``start`` at the first step, then the states
    of the steps before (in time order, or against it for ``reverse``)."""
    if reverse:
        return m.concatenate([states[1:], start[None]], 0)
    return m.concatenate([start[None], states[:-1]], 0)


def _lstm_cells(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor, bias,
                reverse: bool) -> tuple:
    """The layer of `LSTMSequence` as per-step cells (a recorded graph when grad is on):
    returns (out (T, B, H), h_n (B, H), c_n (B, H)). The reference the fused node is tested
    against."""
    steps = x.shape[0]
    inputs = input_projection(x, w_ih, bias).unbind(0)
    h, c, w = h0.mT, c0.mT, w_hh
    hs = [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        h, c, w = lstm_cell(inputs[t], h, c, w, columns=True, chain_weight=True)
        hs[t] = h
    return stack_columns(hs), h.mT, c.mT


def lstm_sequence(input: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor,
                  bias: Tensor | None = None, *, reverse: bool = False) -> tuple:
    """One LSTM layer (one direction) over a whole sequence as one node.

    ``input`` (T, B, in); ``h0``, ``c0`` (B, H); ``w_ih`` (4H, in); ``w_hh`` (4H, H);
    ``bias`` (4H,) = ``b_ih + b_hh`` or None; ``reverse`` runs from the last step to the
    first. Returns (out (T, B, H), h_n (B, H), c_n (B, H)), the numbers of the per-step
    `lstm_cell` loop (see `LSTMSequence` for the backward)."""
    for label, t in (("input", input), ("h0", h0), ("c0", c0), ("w_ih", w_ih), ("w_hh", w_hh)):
        if not isinstance(t, Tensor):
            raise TypeError(f"lstm_sequence(): argument '{label}' must be Tensor, not "
                            f"{type(t).__name__}")
    xs, ws = input._data.shape, w_hh._data.shape
    if len(xs) != 3:
        raise RuntimeError(f"lstm_sequence(): input must be 3-D (seq_len, batch, input_size), "
                           f"got shape {list(xs)}")
    if len(ws) != 2 or ws[0] != 4 * ws[1]:
        raise RuntimeError(f"lstm_sequence(): w_hh must have shape (4 * hidden_size, "
                           f"hidden_size), got {list(ws)}")
    hidden = ws[1]
    if w_ih._data.shape != (4 * hidden, xs[2]):
        raise RuntimeError(f"lstm_sequence(): w_ih must have shape {[4 * hidden, xs[2]]} "
                           f"(4 * hidden_size, input_size), got {list(w_ih._data.shape)}")
    for label, t in (("h0", h0), ("c0", c0)):
        if t._data.shape != (xs[1], hidden):
            raise RuntimeError(f"lstm_sequence(): {label} must have shape {[xs[1], hidden]} "
                               f"(batch, hidden_size), got {list(t._data.shape)}")
    if bias is not None and bias._data.shape != (4 * hidden,):
        raise RuntimeError(f"lstm_sequence(): bias must have shape {[4 * hidden]}, got "
                           f"{list(bias._data.shape)}")
    dtype = input._data.dtype
    for t in (h0, c0, w_ih, w_hh, bias):
        if t is not None and t._data.dtype != dtype:
            raise RuntimeError(f"lstm_sequence(): expected all operands to have dtype "
                               f"{input.dtype}, got {t.dtype}; convert them, e.g. with "
                               f".to({input.dtype})")
    return LSTMSequence.apply(input, h0, c0, w_ih, w_hh, bias, bool(reverse))
