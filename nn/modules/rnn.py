"""Recurrent layers: `RNN` (tanh or relu), `LSTM`, `GRU` (their single-step cells are in
`rnn_cell`).

A layer runs, for each layer and direction:

1. ONE node for the input projection of every time step, ``x_proj = X W_ih^T + b`` with
   X of shape (T, B, in) (``autograd_core.fused.input_projection``);
2. a loop over time calling the fused cell of ``autograd_core.fused`` (one graph node per
   step: ``h W_hh^T`` plus all the gate arithmetic), with the states laid out as columns
   (H, B) so that each gate is a contiguous block, and ``W_hh`` chained from step to step
   so that its gradient is summed in place (see ``autograd_core/ops/fused/recurrent.py``);
3. one ``stack`` of the per-step states into the output (T, B, H).

For RNN and LSTM both biases are added once in step 1 (``b_ih + b_hh``); the GRU keeps
``b_hh`` inside the cell, where its n part is multiplied by the reset gate.

The LSTM does all three in ONE node per layer and direction
(``autograd_core.fused.lstm_sequence``): the same arithmetic, and a backward through time
over raw arrays whose parameter gradients are single products over all steps. The per-step
cells remain for `LSTMCell`, for `RNN` and `GRU`, and for an LSTM whose
``_sequence_nodes`` is set to False.

Shapes, parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...), gate orders
(LSTM i, f, g, o; GRU r, z, n), initialisation U(-1/sqrt(H), 1/sqrt(H)) and results are
PyTorch's, so weights load from a PyTorch state dict key for key.

A `PackedSequence` input, and the LSTM with projections (``proj_size > 0``, extra weights
``weight_hr_l{k}``), run step by step instead (see `_rnn_steps`).
"""

from __future__ import annotations

import math
import numbers
import warnings

import autograd_core as ag
from autograd_core import Tensor

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from ._rnn_steps import run_layers
from .rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_CELLS = {"RNN_TANH": "rnn_tanh_cell", "RNN_RELU": "rnn_relu_cell", "LSTM": "lstm_cell",
          "GRU": "gru_cell"}


def _check_int(name: str, value) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")


class RNNBase(Module):
    """The shared machinery of `RNN`, `LSTM` and `GRU` (``mode`` picks the cell).

    The LSTM runs each layer and direction as one node over the whole sequence
    (``_sequence_nodes = True``, the default); set it to False on a layer to run the
    per-step cells instead (one node per step: the same numbers, a longer graph to look at).
    """

    _sequence_nodes = True

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        _check_int("input_size", input_size)
        _check_int("hidden_size", hidden_size)
        _check_int("num_layers", num_layers)
        for name, flag in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(flag, bool):  # bias=1 would silently mean True
                raise TypeError(f"{name} should be of type bool, got: {type(flag).__name__} "
                                f"(pass True or False)")
        if input_size <= 0:
            raise ValueError(f"input_size must be greater than zero, got {input_size}")
        if dropout is None or not isinstance(dropout, (numbers.Number, str)):
            raise TypeError(f"dropout must be a number in [0, 1], got {type(dropout).__name__}")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        for flag, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{flag} should be of type bool, got: {type(value).__name__}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        _check_int("proj_size", proj_size)
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size has to be smaller than hidden_size (got proj_size="
                             f"{proj_size}, hidden_size={hidden_size})")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for stem, shape in shapes:
                    name = stem + suffix
                    setattr(self, name, Parameter(ag.empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Kept for PyTorch compatibility: nothing to flatten here."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ forward
    def _check_input(self, input: Tensor) -> bool:
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__}: input must be a Tensor, got "
                            f"{type(input).__name__}")
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or "
                             f"convert model: model.to({input.dtype})")
        batched = input.dim() == 3
        seq_dim = 1 if batched and self.batch_first else 0
        if input.shape[seq_dim] == 0:
            raise RuntimeError(f"Expected sequence length to be larger than 0 in RNN (input shape "
                               f"{list(input.shape)}, batch_first={self.batch_first})")
        return batched

    def _check_hidden(self, hx: Tensor, expected: tuple, label: str = "hidden") -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected {label} size {expected}, got {list(hx.shape)}")

    def _initial_states(self, hx, batched: bool, batch: int, like: Tensor, count: int,
                        columns: bool = True):
        """The initial states per layer and direction, as columns (H, B) (or as rows (B, H)
        with ``columns=False``): ``count`` lists."""
        layers = self.num_layers * (2 if self.bidirectional else 1)
        sizes = [self.proj_size or self.hidden_size, self.hidden_size][:count]
        if hx is None:
            result = []
            for size in sizes:
                shape = (size, batch) if columns else (batch, size)
                result.append([ag.zeros(shape, dtype=like.dtype, device=like.device)] * layers)
            return result
        states = tuple(hx) if count > 1 else (hx,)
        if count > 1 and len(states) != count:
            raise TypeError(f"{type(self).__name__} expects hx as a tuple (h_0, c_0), got "
                            f"{len(states)} tensors")
        want = 3 if batched else 2
        dims = [s.dim() for s in states]
        if any(d != want for d in dims):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if count > 1:
                got = ", ".join(f"{d}-D" for d in dims)
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({got}) tensors")
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                               f"{dims[0]}-D tensor")
        result = []
        for k, s in enumerate(states):
            if not batched:
                s = s.unsqueeze(1)
            self._check_hidden(s, (layers, batch, sizes[k]),
                               f"hidden[{k}]" if count > 1 else "hidden")
            result.append(list((s.transpose(1, 2) if columns else s).unbind(0)))
        return result

    def forward(self, input: Tensor | PackedSequence, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        batched = self._check_input(input)
        x = input if batched else input.unsqueeze(1)
        if self.batch_first and batched:
            x = x.transpose(0, 1)
        lstm = self.mode == "LSTM"
        if self.proj_size:
            states = self._initial_states(hx, batched, x.shape[1], x, 2, columns=False)
            output, h_n, c_n = run_layers(self, x, None, *states)
            h_n, c_n = ag.stack(h_n), ag.stack(c_n)
        elif lstm and self._sequence_nodes:
            # one node per layer and direction (``autograd_core.fused.lstm_sequence``): the
            # same numbers as the per-step cells
            states = self._initial_states(hx, batched, x.shape[1], x, 2, columns=False)
            output, finals = self._layers(x, lambda inp, k, w, reverse: self._lstm_layer(inp, k, w, reverse, states))
            h_n, c_n = ag.stack([f[0] for f in finals]), ag.stack([f[1] for f in finals])
        else:
            states = self._initial_states(hx, batched, x.shape[1], x, 2 if lstm else 1)
            output, finals = self._layers(x, lambda inp, k, w, reverse: self._cells(inp, k, w, reverse, states))
            h_n = ag.fused.stack_columns([f[0] for f in finals])
            c_n = ag.fused.stack_columns([f[1] for f in finals]) if lstm else None
        if self.batch_first and batched:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _forward_packed(self, input: PackedSequence, hx):
        """A packed batch, step by step (see `_rnn_steps`); returns a `PackedSequence`."""
        data, batch_sizes, sorted_indices, unsorted_indices = input
        if data.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {data.dim()} (the data of a "
                               f"PackedSequence is (sum of lengths, input_size))")
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {data.shape[-1]}")
        sizes = [int(s) for s in batch_sizes.tolist()]
        lstm = self.mode == "LSTM"
        if hx is not None and sorted_indices is not None:  # into the sorted batch order
            hx = (tuple(s.index_select(1, sorted_indices) for s in hx) if lstm
                  else hx.index_select(1, sorted_indices))
        states = self._initial_states(hx, True, sizes[0], data, 2 if lstm else 1,
                                      columns=False)
        output, h_n, c_n = run_layers(self, data, sizes, states[0],
                                      states[1] if lstm else None)
        h_n = ag.stack(h_n)
        c_n = ag.stack(c_n) if lstm else None
        if unsorted_indices is not None:  # back to the caller's batch order
            h_n = h_n.index_select(1, unsorted_indices)
            c_n = c_n.index_select(1, unsorted_indices) if lstm else None
        packed = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        return (packed, (h_n, c_n)) if lstm else (packed, h_n)

    def _layers(self, x: Tensor, run) -> tuple:
        """Layer by layer, each direction through ``run(input, k, weights, reverse)`` ->
        (output (T, B, H), final h, final c or None); directions concatenated, dropout between
        layers. Returns the last layer's output and the finals of every layer and direction."""
        directions = 2 if self.bidirectional else 1
        finals = []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                weights = [getattr(self, name) for name in self._all_weights[k]]
                out, *final = run(layer_input, k, weights, direction == 1)
                outputs.append(out)
                finals.append(final)
            layer_input = outputs[0] if directions == 1 else ag.cat(outputs, 2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, finals

    def _lstm_layer(self, layer_input: Tensor, k: int, weights: list, reverse: bool, states) -> tuple:
        """One direction of one LSTM layer as one node, states in rows (B, H)."""
        bias = weights[2] + weights[3] if self.bias else None
        return ag.fused.lstm_sequence(layer_input, states[0][k], states[1][k], weights[0], weights[1], bias,
                                      reverse=reverse)

    def _cells(self, layer_input: Tensor, k: int, weights: list, reverse: bool, states) -> tuple:
        """One direction of one layer as a loop of fused cells (one node per step), states in
        columns (H, B): returns (output (T, B, H), final h, final c or None)."""
        fused = ag.fused
        cell = getattr(fused, _CELLS[self.mode])
        steps = layer_input.shape[0]
        w_ih, w_hh = weights[0], weights[1]
        b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
        if b_ih is not None and self.mode != "GRU":  # both biases in one
            b_ih, b_hh = b_ih + b_hh, None
        # one GEMM for every step's input, laid out as columns (T, G*H, B)
        inputs = fused.input_projection(layer_input, w_ih, b_ih).unbind(0)
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        h, c = states[0][k], None
        hs = [None] * steps
        w = w_hh  # passed along the steps, so its gradient is summed in place
        if self.mode == "LSTM":
            c = states[1][k]
            for t in order:
                h, c, w = cell(inputs[t], h, c, w, columns=True, chain_weight=True)
                hs[t] = h
        else:
            for t in order:
                h, w = cell(inputs[t], h, w, b_hh, columns=True, chain_weight=True)
                hs[t] = h
        return fused.stack_columns(hs), h, c


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             f"'relu'.")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o; c_t = f c_{t-1} + i g, h_t = o tanh(c_t).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0)``; ``forward(input, (h_0, c_0)=None)``
    returns (output, (h_n, c_n)). With ``proj_size > 0`` h_t = (o tanh(c_t)) W_hr^T has
    ``proj_size`` features (see `_rnn_steps`)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = sigmoid(...), n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    h_t = (1 - z) n + z h_{t-1}. Returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)
