"""An LSTM layer (one direction) over the whole sequence as ONE graph node: what `nn.LSTM`
runs. The gate arithmetic is the per-step `LSTMCell`'s (see `recurrent.py` for the rules and
the layout choices); here it runs in a loop over time inside one node, so the engine sees one
node per layer instead of one per step, and the backward is backpropagation through time on
raw arrays with the weight and input gradients as one matrix product each.
"""

from __future__ import annotations

from ...function import Function
from ...tensor import Tensor
from .recurrent import _project, _quiet, _sigmoid_, input_projection, lstm_cell, stack_columns

__all__ = ["lstm_sequence"]


# ----------------------------------------------------------------------------- LSTM layer
class LSTMSequence(Function):
    """A whole LSTM layer (one direction) over the sequence as ONE node.

    Forward: the input projection of every step in one batched product, then per step one
    ``W_hh h`` and the gate arithmetic of `LSTMCell`, in the same order (so the numbers are
    the cells' numbers), writing into arrays allocated once for the sequence.

    Backward (plain): backpropagation through time over raw arrays, the cell's rules per step
    (``da_t`` from ``dh_t = dout_t + W_hh^T da_{t+1}`` and ``dc_t``), then the parameter
    gradients as single products over all steps at once:

        dW_hh = sum_t da_t h_{t-1}^T    dW_ih = sum_t da_t x_t    db = sum_{t,b} da_t
        dx_t = (W_ih^T da_t)^T          dh_0 = W_hh^T da_first    dc_0 = dc* f at the first step

    With ``create_graph=True`` the sequence is replayed with the per-step cells (a recorded
    graph) and differentiated, so the gradient is itself differentiable.

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
        acts = _project(xp, x, w_ih, bias)  # (T, 4H, B): x_proj, activated in place per step
        cs = xp.empty((steps, hidden, batch), dtype)
        tcs = xp.empty((steps, hidden, batch), dtype)
        hs = xp.empty((steps, hidden, batch), dtype)
        rec = xp.empty((4 * hidden, batch), dtype)
        ig = xp.empty((hidden, batch), dtype)
        h, c = h0.T, c0.T  # columns (H, B)
        with _quiet(xp):
            for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
                a = acts[t]
                xp.matmul(w_hh, h, out=rec)
                a += rec
                i, f, g, o = a[:hidden], a[hidden:h2], a[h2:h3], a[h3:]
                g *= 2.0  # tanh(x) = 2 sigmoid(2x) - 1: one sigmoid pass over all four gates
                _sigmoid_(xp, a)
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
    def backward_arrays(ctx, dout, dh_n, dc_n):
        x, h0, c0, w_ih, w_hh, _, acts, cs, tcs, hs = ctx.saved_arrays
        need_x, need_h0, need_c0, need_wih, need_whh, need_b = ctx.needs_input_grad[:6]
        if dout is None and dh_n is None and dc_n is None:
            return (None,) * 7
        xp = ctx.xp
        steps, gates, batch = acts.shape
        hidden = gates // 4
        h2, h3 = 2 * hidden, 3 * hidden
        dtype = acts.dtype
        reverse = ctx.reverse
        order = range(steps) if reverse else range(steps - 1, -1, -1)  # backward in time
        das = xp.empty((steps, gates, batch), dtype)
        dcs = xp.empty((hidden, batch), dtype)
        tmp = xp.empty((hidden, batch), dtype)
        dh = None if dh_n is None else dh_n.T  # dL/dh_t, columns
        dc = None if dc_n is None else dc_n.T  # dL/dc_t
        for t in order:
            if dout is not None:
                dh = dout[t].T if dh is None else dh + dout[t].T
            a, tc, da = acts[t], tcs[t], das[t]
            i, f, g, o = a[:hidden], a[hidden:h2], a[h2:h3], a[h3:]
            first = t == (steps - 1 if reverse else 0)
            c_prev = c0.T if first else cs[t + 1 if reverse else t - 1]
            if dh is not None:
                xp.multiply(dh, tc, out=da[h3:])  # dL/do
                xp.multiply(dh, o, out=dcs)
                xp.multiply(dcs, tc, out=tmp)
                tmp *= tc
                dcs -= tmp  # dh o (1 - t^2)
                if dc is not None:
                    dcs += dc
            else:
                da[h3:] = 0
                dcs[...] = dc
            xp.multiply(dcs, g, out=da[:hidden])
            xp.multiply(dcs, c_prev, out=da[hidden:h2])
            xp.multiply(dcs, i, out=da[h2:h3])
            slope = 1.0 - a  # sigmoid' = s (1 - s) ...
            slope *= a
            sg = slope[h2:h3]  # ... and tanh' = 1 - g^2
            xp.multiply(g, g, out=sg)
            xp.subtract(1.0, sg, out=sg)
            da *= slope
            dc = dcs * f
            dh = w_hh.T @ da
        # every step at once: da as (4H, T*B) against the (T*B, .) stacks of h_{t-1} and x_t
        flat = xp.ascontiguousarray(das.transpose(1, 0, 2)).reshape(gates, steps * batch)
        dx = dw_ih = dw_hh = db = None
        if need_whh:
            prev = xp.empty((hidden, steps, batch), dtype)  # h_{t-1} for every t
            start = h0.T
            if reverse:
                prev[:, :-1] = hs[1:].transpose(1, 0, 2)
                prev[:, -1] = start
            else:
                prev[:, 1:] = hs[:-1].transpose(1, 0, 2)
                prev[:, 0] = start
            dw_hh = flat @ prev.reshape(hidden, steps * batch).T
        if need_wih or need_x:
            x2 = x.reshape(steps * batch, x.shape[2])  # rows in (t, b) order, as flat's columns
            if need_wih:
                dw_ih = flat @ x2
            if need_x:
                dx = (flat.T @ w_ih).reshape(x.shape)
        if need_b:
            db = flat.sum(1)
        return (dx, dh.T if need_h0 else None, dc.T if need_c0 else None, dw_ih, dw_hh, db,
                None)

    @staticmethod
    def backward(ctx, dout, dh_n, dc_n):
        x, h0, c0, w_ih, w_hh, bias = ctx.saved_tensors[:6]
        inputs = [(k, v) for k, v in enumerate((x, h0, c0, w_ih, w_hh, bias))
                  if ctx.needs_input_grad[k]]
        pairs = [(o, g) for o, g in zip(_lstm_cells(x, h0, c0, w_ih, w_hh, bias, ctx.reverse),
                                        (dout, dh_n, dc_n)) if g is not None]
        result = [None] * 7
        if not pairs or not inputs:
            return tuple(result)
        from ...engine import grad

        grads = grad([o for o, _ in pairs], [v for _, v in inputs], [g for _, g in pairs],
                     create_graph=True, allow_unused=True)
        for (k, _), g in zip(inputs, grads):
            result[k] = g
        return tuple(result)


def _lstm_cells(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor, bias,
                reverse: bool) -> tuple:
    """The layer of `LSTMSequence` as per-step cells (a recorded graph when grad is on):
    returns (out (T, B, H), h_n (B, H), c_n (B, H))."""
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
