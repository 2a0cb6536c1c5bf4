"""Small models shared by the ``nn.Module`` tests (test_nn_module, test_nn_state_dict,
test_nn_containers): a nested model built alike in ``nn`` and ``torch.nn``, a tiny
linear layer, and a module with persistent and non-persistent buffers."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

import autograd_core as ag
import nn
from nn import Parameter


def _values(t) -> np.ndarray:
    return np.array(t.detach().cpu().tolist())


def _build(nnlib, lib):
    """The same nested model in ``nn`` (lib=autograd_core) or ``torch.nn`` (lib=torch)."""

    class Leaf(nnlib.Module):
        def __init__(self, n_in: int, n_out: int) -> None:
            super().__init__()
            self.weight = nnlib.Parameter(lib.ones(n_out, n_in))
            self.register_parameter("bias", None)
            self.register_buffer("running", lib.zeros(n_out))
            self.register_buffer("scratch", lib.zeros(1), persistent=False)
            self.register_buffer("absent", None)

        def forward(self, x):
            return x @ self.weight.t()

        def extra_repr(self) -> str:
            return f"n_in={self.weight.shape[1]}, n_out={self.weight.shape[0]}"

    class Net(nnlib.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nnlib.Parameter(lib.ones(1))
            self.features = nnlib.Sequential(Leaf(2, 3), nnlib.Identity(), Leaf(3, 3))
            self.blocks = nnlib.ModuleList([Leaf(3, 3), nnlib.Sequential(Leaf(3, 4))])
            self.heads = nnlib.ModuleDict({"b": Leaf(4, 1), "a": Leaf(4, 2)})
            self.register_buffer("steps", lib.zeros((), dtype=lib.int64))
            self.extras = nnlib.ParameterList([nnlib.Parameter(lib.ones(2)), lib.zeros(3)])
            self.named = nnlib.ParameterDict(OrderedDict(z=nnlib.Parameter(lib.ones(1)),
                                                         y=nnlib.Parameter(lib.ones(2))))
            self.shared = self.features[0]  # the same module twice

        def forward(self, x):
            x = self.features(x) * self.scale
            for block in self.blocks:
                x = block(x)
            return self.heads["a"](x)

    return Net()


class Linear(nn.Module):
    """A tiny linear layer for these tests (the real layers live elsewhere)."""

    def __init__(self, n_in: int, n_out: int, bias: bool = True) -> None:
        super().__init__()
        self.weight = Parameter(ag.randn(n_out, n_in) * 0.5)
        if bias:
            self.bias = Parameter(ag.zeros(n_out))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        out = x @ self.weight.t()
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return (f"in_features={self.weight.shape[1]}, out_features={self.weight.shape[0]}, "
                f"bias={self.bias is not None}")


class Norm(nn.Module):
    """Parameters plus a persistent and a non-persistent buffer (like batch norm)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.weight = Parameter(ag.ones(n))
        self.register_buffer("running_mean", ag.zeros(n))
        self.register_buffer("num_batches_tracked", ag.tensor(0))
        self.register_buffer("cache", ag.zeros(n), persistent=False)

    def forward(self, x):
        return x * self.weight
