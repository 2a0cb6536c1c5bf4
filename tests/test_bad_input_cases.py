"""One test per case of the bad-input issue that is not a factory or a broadcast: each
used to give a silent wrong answer (or a NumPy exception) where PyTorch raises."""

import warnings

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
import nn

F = nn.functional


def _torch_raises(code: str, error):
    torch = pytest.importorskip("torch")
    with pytest.raises(error), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eval(code, {"t": torch, "nn": torch.nn, "F": torch.nn.functional})


CASES = [
    ("t.tensor(1.5).squeeze(10)", IndexError, "got 10"),
    ("t.tensor(1.5).squeeze((0, 3))", IndexError, "got 3"),
    ("t.tensor(1.5).flatten(2)", IndexError, "got 2"),
    ("t.tensor(1.5).transpose(0, 1)", IndexError, "got 1"),
    ("nn.RNN(4, 8, bias=1)", TypeError, "bias"),
    ("nn.LSTM(4, 8, batch_first=1)", TypeError, "batch_first"),
    ("nn.GRU(0, 8)", ValueError, "input_size"),
    ("t.ones(2) @ t.ones(2, dtype=t.float64)", RuntimeError, "float64"),
    ("t.ones(2, 3) @ t.ones(3, 2, dtype=t.float64)", RuntimeError, "float32"),
    ("t.ones(2, 2, 3) @ t.ones(2, 3, 2, dtype=t.float64)", RuntimeError, "same dtype"),
    ("t.ones(2, 2, dtype=t.float16) @ t.ones(2, 2)", RuntimeError, "float16"),
    ("t.ones(2, 2) @ t.ones(2, 2, dtype=t.int64)", RuntimeError, "int64"),
    ("F.binary_cross_entropy(t.tensor([0.5, 0.5]), t.tensor([2., -1.]))", RuntimeError,
     "target should be between 0 and 1"),
    ("F.binary_cross_entropy(t.tensor([0.5, 0.5]), t.tensor([1., float('nan')]))",
     RuntimeError, "target"),
    ("F.binary_cross_entropy(t.tensor([1.5, 0.5]), t.tensor([1., 0.]))", RuntimeError,
     "input should be between 0 and 1"),
    ("nn.Conv2d(3, 2, 2.5)", TypeError, "2.5"),
    ("nn.Conv2d(3, 2, '3')", TypeError, "'3'"),
    ("nn.Conv2d(3, 0, 3)(t.ones(1, 3, 5, 5))", RuntimeError, "[0, 3, 3, 3]"),
    ("nn.LayerNorm('3')", TypeError, "'3'"),
    ("nn.GRU(3, 4, 2, dropout=None)", TypeError, "NoneType"),
    ("nn.MaxPool2d(2.5)(t.ones(1, 2, 6, 6))", TypeError, "float"),
    ("nn.AvgPool1d('3')(t.ones(1, 2, 6))", TypeError, "str"),
    ("nn.AdaptiveAvgPool2d(None)(t.ones(1, 2, 6, 6))", TypeError, "None"),
    ("nn.BatchNorm2d(3, eps=-1)(t.ones(2, 3, 2, 2))", ValueError, "-1"),
    ("nn.BatchNorm2d(3, eps=None)(t.ones(2, 3, 2, 2))", TypeError, "NoneType"),
    ("nn.LayerNorm(3, eps='3')(t.ones(2, 3))", TypeError, "str"),
    ("nn.LeakyReLU('3')(t.ones(2))", TypeError, "negative_slope"),
    ("nn.Softplus('3')(t.ones(2))", TypeError, "beta"),
    ("nn.Threshold('3', 0.)(t.ones(2))", TypeError, "threshold"),
    ("nn.CrossEntropyLoss(ignore_index=2.5)(t.zeros(2, 3), t.tensor([0, 2]))", TypeError,
     "ignore_index"),
]


@pytest.mark.parametrize("code, error, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_what_pytorch_raises(code, error, words):
    with pytest.raises(error) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eval(code, {"t": ag, "nn": nn, "F": F})
    assert words in str(info.value), str(info.value)
    _torch_raises(code, error)


def test_valid_neighbours_still_work():
    assert ag.tensor(1.5).squeeze(0).shape == () and ag.tensor(1.5).squeeze(-1).shape == ()
    assert ag.tensor(1.5).flatten(0, -1).shape == (1,)
    assert nn.RNN(4, 8, bias=False).bias is False
    assert (ag.ones(2, 3, dtype=ag.float64) @ ag.ones(3, dtype=ag.float64)).dtype == ag.float64
    assert (ag.ones(3) @ [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).tolist() == [9.0, 12.0]
    loss = F.binary_cross_entropy(ag.tensor([0.25, 1.0]), ag.tensor([0.0, 1.0]))
    assert np.isclose(loss.item(), -np.log(0.75) / 2)


@pytest.mark.usefixtures("fake_cuda")
def test_bce_targets_are_checked_on_a_device_at_the_next_synchronisation():
    x = ag.tensor([0.5, 0.5], device="cuda")
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        F.binary_cross_entropy(x, ag.tensor([2.0, 0.0], device="cuda")).item()


@pytest.mark.parametrize("code", ["F.conv2d(t.ones(1, 3, 5, 5), t.ones(2, 3, 0, 0))",
                                  "F.conv1d(t.ones(1, 3, 5), t.ones(2, 3, 0))",
                                  "F.conv_transpose2d(t.ones(1, 3, 5, 5), t.ones(3, 2, 0, 0))"])
def test_a_kernel_of_size_zero_is_refused(code):
    with pytest.raises(RuntimeError, match="kernel size should be greater than zero") as info:
        eval(code, {"t": ag, "F": F})
    assert "weight of shape" in str(info.value)
    _torch_raises(code, RuntimeError)


@pytest.mark.parametrize("op, x_shape, w_shape, kwargs", [
    ("conv2d", (0, 3, 5, 5), (2, 3, 3, 3), {}),
    ("conv2d", (0, 4, 9, 9), (2, 2, 3, 3), {"groups": 2, "stride": 2, "padding": 1}),
    ("conv2d", (0, 3, 5, 5), (2, 3, 1, 1), {}),
    ("conv1d", (0, 3, 7), (2, 3, 3), {}),
    ("conv_transpose2d", (0, 4, 5, 5), (4, 1, 3, 3), {"groups": 2}),
])
def test_an_empty_batch_convolves_to_an_empty_batch(op, x_shape, w_shape, kwargs):
    rng = np.random.default_rng(0)
    x, w = rng.random(x_shape), rng.random(w_shape)
    ax, aw = ag.tensor(x, requires_grad=True), ag.tensor(w, requires_grad=True)
    y = getattr(F, op)(ax, aw, **kwargs)
    (y * 2.0).sum().backward()
    assert ax.grad.shape == x_shape and aw.grad.shape == w_shape
    assert not aw.grad.numpy().any()  # no samples: no gradient
    torch = pytest.importorskip("torch")
    ty = getattr(torch.nn.functional, op)(torch.tensor(x), torch.tensor(w), **kwargs)
    assert tuple(y.shape) == tuple(ty.shape)


def test_conv2d_module_accepts_an_empty_batch():
    layer = nn.Conv2d(3, 2, 3)
    assert layer(ag.zeros(0, 3, 5, 5)).shape == (0, 2, 3, 3)


@pytest.mark.parametrize("layer, shape, expected", [
    ("AdaptiveMaxPool1d(0)", (1, 2, 6), (1, 2, 0)),
    ("AdaptiveMaxPool2d((0, 3))", (1, 2, 6, 6), (1, 2, 0, 3)),
])
def test_adaptive_max_pooling_to_size_zero_is_an_empty_result(layer, shape, expected):
    x = ag.ones(*shape, requires_grad=True)
    out = eval(f"nn.{layer}", {"nn": nn})(x)
    assert out.shape == expected
    out.sum().backward()
    assert x.grad.shape == shape and x.grad.sum().item() == 0.0
    torch = pytest.importorskip("torch")
    assert tuple(eval(f"torch.nn.{layer}", {"torch": torch})(torch.ones(*shape)).shape) == expected
