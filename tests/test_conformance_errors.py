"""Bad inputs raise PyTorch's exception class (checked against torch itself), and the
calls PyTorch accepts keep working."""

from __future__ import annotations

import pytest

import autograd_core as ag
import nn.functional as F

torch = pytest.importorskip("torch")

# name -> call(lib, functional): each raises in PyTorch; ours must raise the same class.
REFUSED = {
    "atan2(t, 2)": lambda t, f: t.atan2(t.tensor([1.0, 2.0]), 2),
    "atan2(2, t)": lambda t, f: t.atan2(2, t.tensor([1.0, 2.0])),
    "t.atan2(2)": lambda t, f: t.tensor([1.0]).atan2(2),
    "maximum(t, 2)": lambda t, f: t.maximum(t.tensor([1, 2]), 2),
    "t.maximum(2)": lambda t, f: t.tensor([1, 2]).maximum(2),
    "fmin(2, t)": lambda t, f: t.fmin(2, t.tensor([1.0])),
    "max(2, t)": lambda t, f: t.max(2, t.tensor([1, 2])),
    "eq(2, t)": lambda t, f: t.eq(2, t.tensor([1, 2])),
    "lt(2, 3)": lambda t, f: t.lt(2, 3),
    "logical_and(t, 2)": lambda t, f: t.logical_and(t.tensor([1, 0]), 2),
    "t.logical_or(True)": lambda t, f: t.tensor([1, 0]).logical_or(True),
    "isclose(t, 2)": lambda t, f: t.isclose(t.tensor([2.0]), 2),
    "pow(2, 3)": lambda t, f: t.pow(2, 3),
    "remainder(2, 3)": lambda t, f: t.remainder(2, 3),
    "fmod(2, t)": lambda t, f: t.fmod(2, t.tensor([3])),
    "Tensor.__radd__(2, t)": lambda t, f: t.Tensor.__radd__(2, t.tensor([1])),
    "Tensor.__rmul__(2, 3)": lambda t, f: t.Tensor.__rmul__(2, 3),
    "-bool": lambda t, f: -t.tensor([True, False]),
    "hstack([])": lambda t, f: t.hstack([]),
    "vstack([])": lambda t, f: t.vstack([]),
    "dstack([])": lambda t, f: t.dstack([]),
    "adaptive_avg_pool2d 2-D": lambda t, f: f.adaptive_avg_pool2d(t.ones(2, 2), (2, 2)),
    "adaptive_max_pool2d 2-D": lambda t, f: f.adaptive_max_pool2d(t.ones(2, 2), (2, 2)),
    "adaptive_avg_pool3d 3-D": lambda t, f: f.adaptive_avg_pool3d(t.ones(2, 2, 2), (2, 2, 2)),
    "adaptive_max_pool3d 2-D": lambda t, f: f.adaptive_max_pool3d(t.ones(2, 2), (1, 2, 2)),
    "nextafter(t, 2)": lambda t, f: t.nextafter(t.tensor([1.0]), 2),
    "heaviside(2, t)": lambda t, f: t.heaviside(2, t.tensor([1.0])),
    "float_power(2, 3)": lambda t, f: t.float_power(2, 3),
    "allclose(t, 1.0)": lambda t, f: t.allclose(t.ones(2), 1.0),
    "dist(t, 2)": lambda t, f: t.dist(t.ones(2), 2),
    "linspace float steps": lambda t, f: t.linspace(0, 3, 1.0),
    "logspace 1-D start": lambda t, f: t.logspace(t.tensor([0, 1]), t.tensor([2, 3]), 3),
    "masked_fill complex": lambda t, f: t.ones(2).masked_fill(t.tensor(True), 1j),
    "conv3d negative padding": lambda t, f: f.conv3d(t.ones(1, 1, 4, 4, 4), t.ones(1, 1, 2, 2, 2),
                                                     padding=-1),
    "max_pool1d empty channels": lambda t, f: f.max_pool1d(t.ones(0, 10), 1),
    "max_pool3d empty depth": lambda t, f: f.max_pool3d(t.ones(2, 1, 0, 1, 2), 1),
    "prelu 2-D weight": lambda t, f: f.prelu(t.ones(2, 8, 3), t.ones(2, 4)),
    "narrow_copy dim past the end": lambda t, f: t.narrow_copy(t.ones(2, 3), 2, 0, 1),
    "narrow_copy negative dim": lambda t, f: t.narrow_copy(t.ones(2, 3), -3, 0, 1),
    "aminmax over an empty dim": lambda t, f: t.aminmax(t.ones(5, 0, 5), dim=1),
    "gather out= float64": lambda t, f: t.gather(t.ones(2, 2), 1, t.zeros(2, 2, dtype=t.long),
                                                 out=t.empty(2, 2, dtype=t.float64)),
    "amax out= int32": lambda t, f: t.amax(t.ones(4, 3), 0, out=t.empty(3, dtype=t.int32)),
    "multinomial out= float": lambda t, f: t.multinomial(t.ones(1, 2), 2,
                                                         out=t.empty(1, 2)),
    "cat out= expanded": lambda t, f: t.cat([t.ones(2, 2), t.ones(2, 2)],
                                            out=t.ones(1, 2).expand(4, 2)),
    "take out= is input": lambda t, f: (lambda x: t.take(x, t.tensor([0, 1]), out=x))(
        t.ones(2)),
}

ACCEPTED = {
    "t.eq(2)": lambda t, f: t.tensor([1, 2]).eq(2),
    "2 == t": lambda t, f: 2 == t.tensor([1, 2]),
    "2 < t": lambda t, f: 2 < t.tensor([1, 2]),
    "lt(t, 2.5)": lambda t, f: t.lt(t.tensor([1, 2]), 2.5),
    "pow(2, t)": lambda t, f: t.pow(2, t.tensor([1, 2])),
    "pow(t, 2)": lambda t, f: t.pow(t.tensor([1, 2]), 2),
    "remainder(2, t)": lambda t, f: t.remainder(2, t.tensor([3, 4])),
    "fmod(t, 2)": lambda t, f: t.fmod(t.tensor([3, -4]), 2),
    "add(2, 3)": lambda t, f: t.add(2, 3),
    "2 + t": lambda t, f: 2 + t.tensor([1]),
    "2 * t": lambda t, f: 2.5 * t.tensor([1.0]),
    "maximum of tensors": lambda t, f: t.maximum(t.tensor([1, 5]), t.tensor(2)),
    "adaptive_avg_pool2d int size": lambda t, f: f.adaptive_avg_pool2d(t.ones(1, 4, 4), 2),
    "float_power(2, t)": lambda t, f: t.float_power(2, t.tensor([1.0, 2.0])),
    "xlogy(2, t)": lambda t, f: t.xlogy(2, t.tensor([1.0, 2.0])),
    "linspace 0-d tensors": lambda t, f: t.linspace(t.tensor(0.0), t.tensor(1.0), 3),
    "max_pool1d empty batch": lambda t, f: f.max_pool1d(t.ones(0, 2, 5), 2),
    "sum out= float64": lambda t, f: t.sum(t.ones(2, 3), 0, out=t.empty(3, dtype=t.float64)),
    "add out= float64": lambda t, f: t.add(t.ones(2), t.ones(2), out=t.empty(2, dtype=t.float64)),
    "gather out= same dtype": lambda t, f: t.gather(t.ones(2, 2), 1, t.zeros(2, 2, dtype=t.long),
                                                    out=t.empty(2, 2)),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_pytorchs_exception_class(name):
    call = REFUSED[name]
    with pytest.raises(Exception) as theirs:  # noqa: PT011  (the class is PyTorch's, below)
        call(torch, torch.nn.functional)
    with pytest.raises(type(theirs.value)):
        call(ag, F)


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_as_in_pytorch(name):
    call = ACCEPTED[name]
    theirs = call(torch, torch.nn.functional)
    ours = call(ag, F)
    assert ours.tolist() == theirs.tolist()
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
