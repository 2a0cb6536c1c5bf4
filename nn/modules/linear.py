"""Affine layers: `Linear` (y = x W^T + b) and `Bilinear` (y_k = x1^T A_k x2 + b_k).

Initialised as PyTorch's ``reset_parameters``: W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
(Kaiming uniform with a = sqrt(5)) and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
(`Identity` lives in `nn.containers`.)
"""

from __future__ import annotations

import math

import autograd_core as ag
from autograd_core import Tensor

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Linear", "Bilinear"]

_linear = ag.fused.linear  # = F.linear, one call less on the hot path


class Linear(Module):
    """y = x W^T + b for x of shape (..., in_features); one fused graph node.

    Parameters: ``weight`` (out_features, in_features), ``bias`` (out_features,) or None.
    Backward (G the output gradient, X the input, as matrices over all leading dims):
    dX = G W, dW = G^T X, db = sum of the rows of G.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(ag.empty((out_features, in_features), device=device,
                                         dtype=dtype))
        if bias:
            self.bias = Parameter(ag.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        params = self._parameters
        try:  # straight from the parameter dict: `self.weight` goes through __getattr__
            weight, bias = params["weight"], params["bias"]
        except KeyError:  # a parameter replaced by a plain attribute
            weight, bias = self.weight, self.bias
        return _linear(input, weight, bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x1^T A_k x2 + b_k: ``weight`` (out, in1, in2), ``bias`` (out,) or None."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        for name, n in (("in1_features", in1_features), ("in2_features", in2_features),
                        ("out_features", out_features)):
            if n == 0:  # as PyTorch (negative sizes fail in the allocation, as there)
                raise ValueError(f"{name} must be > 0, but got ({name}={n}): a bilinear form "
                                 f"needs both inputs and an output")
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(ag.empty((out_features, in1_features, in2_features),
                                         device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(ag.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
