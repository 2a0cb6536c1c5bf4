"""The step-by-step path of the recurrent layers, for what the whole-sequence nodes do not
cover: packed input (`PackedSequence`, a batch that shrinks as sequences end) and the
LSTM with projections (``proj_size > 0``).

States are rows (B, H). Going forward in time, step t runs on the first ``batch_sizes[t]``
rows (the batch is sorted by decreasing length), and the rows of the sequences that just
ended are kept as their final states. Going backward in time the batch grows instead: a
sequence joins at its own last step, starting from its initial state.

The LSTM with projections (Sak et al., 2014) replaces the state h by a projection of it:

    i, f, g, o = split(x_t W_ih^T + b_ih + r_{t-1} W_hh^T + b_hh)
    c_t = sigma(f) c_{t-1} + sigma(i) tanh(g)
    r_t = (sigma(o) tanh(c_t)) W_hr^T          (W_hr: proj_size x hidden_size)

so ``h_n`` and the output have ``proj_size`` features while ``c_n`` keeps ``hidden_size``.
It is composed of ordinary tensor ops (the fused cells assume square ``W_hh``); every
other step uses the fused cells of ``autograd_core.fused``.
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

from .. import functional as F

__all__ = ["run_layers"]


def _lstm_projected_step(x_proj: Tensor, h: Tensor, c: Tensor, w_hh: Tensor,
                         w_hr: Tensor) -> tuple[Tensor, Tensor]:
    gates = x_proj + h.matmul(w_hh.t())
    i, f, g, o = gates.chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = (o.sigmoid() * c.tanh()).matmul(w_hr.t())
    return h, c


def _step(mode: str, x_proj: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor,
          b_hh: Tensor | None, w_hr: Tensor | None) -> tuple[Tensor, Tensor | None]:
    fused = ag.fused
    if mode == "LSTM":
        if w_hr is not None:
            return _lstm_projected_step(x_proj, h, c, w_hh, w_hr)
        return fused.lstm_cell(x_proj, h, c, w_hh)
    if mode == "GRU":
        return fused.gru_cell(x_proj, h, w_hh, b_hh), None
    cell = fused.rnn_tanh_cell if mode == "RNN_TANH" else fused.rnn_relu_cell
    return cell(x_proj, h, w_hh, None), None


def _direction(mode: str, x_proj: list[Tensor], sizes: list[int], h0: Tensor,
               c0: Tensor | None, w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None,
               reverse: bool) -> tuple[list[Tensor], Tensor, Tensor | None]:
    """One direction of one layer: (per-step outputs in time order, h_n, c_n)."""
    steps = len(sizes)
    outputs: list = [None] * steps
    if not reverse:
        h, c = h0, c0
        ended_h, ended_c = [], []
        for t in range(steps):
            size = sizes[t]
            if h.shape[0] > size:  # sequences that ended at step t-1 keep their state
                ended_h.append(h[size:])
                h = h[:size]
                if c is not None:
                    ended_c.append(c[size:])
                    c = c[:size]
            h, c = _step(mode, x_proj[t], h, c, w_hh, b_hh, w_hr)
            outputs[t] = h
        h_n = ag.cat([h, *reversed(ended_h)], 0) if ended_h else h
        c_n = None if c is None else (ag.cat([c, *reversed(ended_c)], 0) if ended_c else c)
        return outputs, h_n, c_n
    h, c = h0[:sizes[-1]], None if c0 is None else c0[:sizes[-1]]
    for t in range(steps - 1, -1, -1):
        size = sizes[t]
        if h.shape[0] < size:  # sequences whose last step is t join here
            h = ag.cat([h, h0[h.shape[0]:size]], 0)
            if c is not None:
                c = ag.cat([c, c0[c.shape[0]:size]], 0)
        h, c = _step(mode, x_proj[t], h, c, w_hh, b_hh, w_hr)
        outputs[t] = h
    return outputs, h, c


def run_layers(module, data: Tensor, sizes: list[int] | None, h0: list[Tensor],
               c0: list[Tensor] | None) -> tuple[Tensor, list[Tensor], list[Tensor] | None]:
    """Every layer and direction of ``module`` (an `RNNBase`) step by step.

    ``data`` is packed (N, in) with ``sizes`` the batch sizes, or padded (T, B, in) with
    ``sizes=None``; ``h0``/``c0`` hold one (B, H) state per layer and direction. Returns the
    last layer's output (in ``data``'s layout) and the final states per layer and direction.
    """
    mode = module.mode
    packed = sizes is not None
    if not packed:
        sizes = [data.shape[1]] * data.shape[0]
    directions = 2 if module.bidirectional else 1
    h_n, c_n = [], [] if c0 is not None else None
    layer_input = data
    for layer in range(module.num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            names = module._all_weights[k]
            weights = {name.split("_l")[0]: getattr(module, name) for name in names}
            w_ih, w_hh = weights["weight_ih"], weights["weight_hh"]
            b_ih, b_hh = weights.get("bias_ih"), weights.get("bias_hh")
            if b_ih is not None and mode != "GRU":  # both biases at once
                b_ih, b_hh = b_ih + b_hh, None
            proj = F.linear(layer_input, w_ih, b_ih)
            steps = proj.split(sizes, 0) if packed else proj.unbind(0)
            out, h, c = _direction(mode, list(steps), sizes, h0[k],
                                   None if c0 is None else c0[k], w_hh, b_hh,
                                   weights.get("weight_hr"), direction == 1)
            outputs.append(ag.cat(out, 0) if packed else ag.stack(out, 0))
            h_n.append(h)
            if c_n is not None:
                c_n.append(c)
        layer_input = outputs[0] if directions == 1 else ag.cat(outputs, -1)
        if module.dropout > 0 and module.training and layer < module.num_layers - 1:
            layer_input = F.dropout(layer_input, module.dropout, True)
    return layer_input, h_n, c_n
