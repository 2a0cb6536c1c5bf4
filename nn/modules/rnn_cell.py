"""The single-step recurrent cells: `RNNCell`, `LSTMCell`, `GRUCell` (one time step each,
one fused graph node from ``autograd_core.fused``; see `rnn` for the layers that run them
over a sequence). Parameter names, gate orders and checks are PyTorch's."""

from __future__ import annotations

import math
import numbers

import autograd_core as ag
from autograd_core import Tensor

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _check_int(name: str, value) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")


def _zeros(batch: int, hidden: int, like: Tensor) -> Tensor:
    return ag.zeros((batch, hidden), dtype=like.dtype, device=like.device)


class RNNCellBase(Module):
    """The parameters of a single-step cell: weight_ih, weight_hh, bias_ih, bias_hh."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        _check_int("input_size", input_size)
        _check_int("hidden_size", hidden_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = num_chunks * hidden_size
        self.weight_ih = Parameter(ag.empty((gate_size, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(ag.empty((gate_size, hidden_size), device=device,
                                            dtype=dtype))
        if bias:
            self.bias_ih = Parameter(ag.empty(gate_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(ag.empty(gate_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx, count: int):
        """(x (B, in), [states (B, H)], batched) after PyTorch's checks."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             f"instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected "
                               f"{self.input_size}")
        batch = x.shape[0]
        if hx is None:
            return x, [_zeros(batch, self.hidden_size, x) for _ in range(count)], batched
        states = list(hx) if count > 1 else [hx]
        if count > 1 and len(states) != count:
            raise TypeError(f"{name} expects hx as a tuple (h_0, c_0), got {len(states)} tensors")
        for k, s in enumerate(states):
            if s.dim() not in (1, 2):
                label = f"hx[{k}]" if count > 1 else "hidden"
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {s.dim()}D "
                                 f"instead")
        out = []
        for k, s in enumerate(states):
            if s.dim() != input.dim():
                raise RuntimeError(f"{name}: Expected hidden to be {input.dim()}D like the "
                                   f"input, got {s.dim()}D instead")
            s = s if batched else s.unsqueeze(0)
            if s.shape[0] != batch:
                raise RuntimeError(f"Input batch size {batch} doesn't match hidden{k} batch "
                                   f"size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.shape[1]}, "
                                   f"expected {self.hidden_size}")
            out.append(s)
        return x, out, batched


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu), one step."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, hx, 1)
        cell = ag.fused.rnn_tanh_cell if self.nonlinearity == "tanh" else ag.fused.rnn_relu_cell
        h = cell(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c') (see `LSTM`)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx=None) -> tuple[Tensor, Tensor]:
        x, (h, c), batched = self._prepare(input, hx, 2)
        bias = self.bias_ih + self.bias_hh if self.bias else None
        h, c = ag.fused.lstm_cell(F.linear(x, self.weight_ih, bias), h, c, self.weight_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns h' (see `GRU`)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, hx, 1)
        h = ag.fused.gru_cell(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                              self.bias_hh)
        return h if batched else h.squeeze(0)
