"""Property-based bad input: factories, binary operators, losses and layers driven with
invalid arguments raise PyTorch's exception class (compared with torch when installed),
with a message naming what was wrong, and leave every tensor and model as it was.

Bounded: a few dozen examples per property, so the file runs in seconds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
import nn

try:
    import torch
except ImportError:  # the properties still run; only the comparison is skipped
    torch = None

FAST = settings(max_examples=40, deadline=None)


def _outcome(fn, lib):
    """``(exception class name or 'OK', message, result)`` of ``fn(lib)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = fn(lib)
        except Exception as exc:  # the class is what is compared
            return type(exc).__name__, str(exc), None
    return "OK", "", result


def _same_as_torch(fn):
    """Run ``fn`` on both libraries; ours must end as PyTorch's does. Returns ours."""
    ours = _outcome(fn, ag)
    if torch is not None:
        theirs = _outcome(fn, torch)
        # where PyTorch checks an argument with a bare ``assert`` (Embedding's padding_idx,
        # Hardtanh's bounds), we raise ValueError: asserts vanish under ``python -O``
        same = ours[0] == theirs[0] or (ours[0], theirs[0]) == ("ValueError", "AssertionError")
        assert same, f"ours: {ours[:2]}, PyTorch: {theirs[:2]}"
    return ours


# ----------------------------------------------------------------------------- factories
BAD_SIZES = st.one_of(st.integers(-(2 ** 40), -1), st.integers(2 ** 63, 2 ** 80),
                      st.floats(0.5, 9.5).filter(lambda v: v != int(v)))
SIZED = {
    "zeros": lambda t, s: t.zeros(2, s),
    "ones": lambda t, s: t.ones(s),
    "empty": lambda t, s: t.empty((s, 3)),
    "full": lambda t, s: t.full((s,), 1.5),
    "rand": lambda t, s: t.rand(s),
    "randn": lambda t, s: t.randn(1, s),
    "randint": lambda t, s: t.randint(0, 5, (s,)),
}


@FAST
@given(name=st.sampled_from(sorted(SIZED)), size=BAD_SIZES)
def test_factories_refuse_bad_sizes(name, size):
    kind, message, _ = _same_as_torch(lambda t: SIZED[name](t, size))
    assert kind in ("RuntimeError", "TypeError"), kind
    assert str(size) in message or type(size).__name__ in message, message


@FAST
@given(start=st.integers(-50, 50), end=st.integers(-50, 50), step=st.integers(-5, 5))
def test_arange_refuses_a_step_pointing_away(start, end, step):
    kind, message, result = _same_as_torch(lambda t: t.arange(start, end, step))
    if kind != "OK":
        assert kind == "RuntimeError" and ("step" in message), message
    else:
        assert result.tolist() == list(range(start, end, step))


@FAST
@given(which=st.sampled_from(["linspace", "logspace", "eye", "eye_m", "randperm"]),
       n=st.integers(-(2 ** 20), -1))
def test_counts_must_not_be_negative(which, n):
    calls = {"linspace": lambda t: t.linspace(0, 1, n), "logspace": lambda t: t.logspace(0, 1, n),
             "eye": lambda t: t.eye(n), "eye_m": lambda t: t.eye(2, n),
             "randperm": lambda t: t.randperm(n)}
    kind, message, _ = _same_as_torch(calls[which])
    assert kind == "RuntimeError" and str(n) in message, message


@FAST
@given(value=st.one_of(st.integers(2 ** 63, 2 ** 90), st.integers(-(2 ** 90), -(2 ** 63) - 1)),
       nested=st.booleans())
def test_integers_beyond_int64_are_refused_not_wrapped(value, nested):
    data = [[1, value]] if nested else [value, 2]
    kind, message, _ = _same_as_torch(lambda t: t.tensor(data))
    assert kind == "ValueError" and str(value) in message, message


@FAST
@given(std=st.floats(-1e6, -1e-6), as_tensor=st.booleans())
def test_normal_refuses_a_negative_std(std, as_tensor):
    def call(t):
        if as_tensor:
            return t.normal(t.zeros(3), t.full((3,), std))
        return t.normal(0.0, std, size=(3,))
    kind, message, _ = _same_as_torch(call)
    assert kind == "RuntimeError" and "std" in message, message


@FAST
@given(fn=st.sampled_from(["rand", "randn"]),
       dtype=st.sampled_from(["int64", "int32", "bool"]))
def test_continuous_samples_need_a_floating_dtype(fn, dtype):
    kind, message, _ = _same_as_torch(lambda t: getattr(t, fn)(4, dtype=getattr(t, dtype)))
    assert kind == "NotImplementedError" and dtype in message, message


# ----------------------------------------------------------------------------- binary operators
SHAPES = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
BINARY = {
    "add": lambda t, a, b: a + b, "sub": lambda t, a, b: a - b, "mul": lambda t, a, b: a * b,
    "div": lambda t, a, b: a / b, "pow": lambda t, a, b: a ** b,
    "floordiv": lambda t, a, b: a // b, "mod": lambda t, a, b: a % b,
    "lt": lambda t, a, b: a < b, "eq": lambda t, a, b: a == b,
    "maximum": lambda t, a, b: t.maximum(a, b), "minimum": lambda t, a, b: t.minimum(a, b),
    "atan2": lambda t, a, b: t.atan2(a, b), "where": lambda t, a, b: t.where(a > 0, a, b),
    "lerp": lambda t, a, b: t.lerp(a, b, 0.5), "isclose": lambda t, a, b: t.isclose(a, b),
    "clamp": lambda t, a, b: t.clamp(a, b, None),
}


@FAST
@given(name=st.sampled_from(sorted(BINARY)), sa=SHAPES, sb=SHAPES)
def test_binary_operators_broadcast_or_name_both_shapes(name, sa, sb):
    op = BINARY[name]
    kind, message, result = _same_as_torch(
        lambda t: op(t, t.full(sa, 2.0), t.full(sb, 3.0)))
    if kind == "OK":
        assert tuple(result.shape) == np.broadcast_shapes(sa, sb)
    else:
        assert kind == "RuntimeError", kind
        assert str(list(sa)) in message and str(list(sb)) in message, message


INPLACE = ["add_", "sub_", "mul_", "div_"]


@FAST
@given(name=st.sampled_from(INPLACE), sa=SHAPES, sb=SHAPES)
def test_failed_in_place_ops_leave_the_tensor_as_it_was(name, sa, sb):
    a = ag.full(sa, 2.0)
    version = a._version
    kind, message, _ = _same_as_torch(
        lambda t: getattr(t.full(sa, 2.0), name)(t.full(sb, 3.0)))
    _, _, _ = _outcome(lambda t: getattr(a, name)(ag.full(sb, 3.0)), ag)
    if kind != "OK":
        assert kind == "RuntimeError" and str(list(sa)) in message, message
        assert np.all(a.numpy() == 2.0) and a._version == version


@FAST
@given(dtype_a=st.sampled_from(["float32", "float64", "float16", "int64"]),
       dtype_b=st.sampled_from(["float32", "float64", "float16", "int64"]))
def test_matrix_products_never_promote(dtype_a, dtype_b):
    kind, message, result = _same_as_torch(
        lambda t: t.ones(2, 3, dtype=getattr(t, dtype_a)) @ t.ones(3, 2, dtype=getattr(t, dtype_b)))
    if dtype_a == dtype_b:
        assert kind == "OK" and result.dtype == getattr(ag, dtype_a)
    else:
        assert kind == "RuntimeError" and dtype_a in message and dtype_b in message, message


# ----------------------------------------------------------------------------- losses
LOSSES = {
    "mse_loss": lambda F, x, y: F.mse_loss(x, y),
    "l1_loss": lambda F, x, y: F.l1_loss(x, y),
    "smooth_l1_loss": lambda F, x, y: F.smooth_l1_loss(x, y),
    "huber_loss": lambda F, x, y: F.huber_loss(x, y),
    "kl_div": lambda F, x, y: F.kl_div(x, y, reduction="sum"),
    "binary_cross_entropy": lambda F, x, y: F.binary_cross_entropy(x, y),
    "binary_cross_entropy_with_logits": lambda F, x, y: F.binary_cross_entropy_with_logits(x, y),
}


@FAST
@given(name=st.sampled_from(sorted(LOSSES)), sx=SHAPES, sy=SHAPES,
       target=st.sampled_from([0.25, 1.0, 2.0, -1.0]))
def test_losses_refuse_bad_shapes_and_values(name, sx, sy, target):
    loss = LOSSES[name]
    kind, message, _ = _same_as_torch(
        lambda t: loss(t.nn.functional, t.full(sx, 0.5), t.full(sy, target)))
    if kind != "OK":
        assert kind in ("RuntimeError", "ValueError"), kind
        named = str(list(sx)) in message or str(sx) in message.replace("Size(", "(")
        assert named or "between 0 and 1" in message, message


@FAST
@given(classes=st.integers(2, 5), label=st.integers(-3, 8), batch=st.integers(1, 3))
def test_class_losses_refuse_labels_out_of_range(classes, label, batch):
    def call(t):
        logits = t.zeros(batch, classes)
        labels = t.full((batch,), label, dtype=t.int64)
        return t.nn.functional.cross_entropy(logits, labels)
    kind, message, _ = _same_as_torch(call)
    if 0 <= label < classes:
        assert kind == "OK"
    else:
        assert kind in ("IndexError", "RuntimeError") and str(label) in message, message


# ----------------------------------------------------------------------------- layers
BAD_ARGS = ["-1", "0", "-7", "2.5", "'3'", "None"]
# constructor (the bad argument as {a}) and what to run it on
LAYERS = {
    "Linear.in": ("nn.Linear({a}, 3)", (2, 4)), "Linear.out": ("nn.Linear(4, {a})", (2, 4)),
    "Conv2d.kernel_size": ("nn.Conv2d(3, 2, {a})", (1, 3, 6, 6)),
    "Conv2d.out_channels": ("nn.Conv2d(3, {a}, 3)", (1, 3, 6, 6)),
    "Conv2d.stride": ("nn.Conv2d(3, 2, 3, stride={a})", (1, 3, 6, 6)),
    "Conv2d.padding": ("nn.Conv2d(3, 2, 3, padding={a})", (1, 3, 6, 6)),
    "Conv2d.groups": ("nn.Conv2d(4, 4, 3, groups={a})", (1, 4, 6, 6)),
    "Conv2d.dilation": ("nn.Conv2d(3, 2, 3, dilation={a})", (1, 3, 6, 6)),
    "Conv1d.in_channels": ("nn.Conv1d({a}, 2, 3)", (1, 3, 6)),
    "ConvTranspose2d.kernel_size": ("nn.ConvTranspose2d(3, 2, {a})", (1, 3, 4, 4)),
    "RNN.hidden_size": ("nn.RNN(3, {a})", (5, 1, 3)),
    "LSTM.num_layers": ("nn.LSTM(3, 4, {a})", (5, 1, 3)),
    "GRU.dropout": ("nn.GRU(3, 4, 2, dropout={a})", (5, 1, 3)),
    "RNNCell.hidden_size": ("nn.RNNCell(3, {a})", (2, 3)),
    "LSTMCell.input_size": ("nn.LSTMCell({a}, 3)", (2, 3)),
    "Embedding.embedding_dim": ("nn.Embedding(5, {a})", "indices"),
    "Embedding.padding_idx": ("nn.Embedding(5, 3, padding_idx={a})", "indices"),
    "Dropout.p": ("nn.Dropout({a})", (2, 3)), "Dropout2d.p": ("nn.Dropout2d({a})", (1, 2, 3, 3)),
    "BatchNorm1d.num_features": ("nn.BatchNorm1d({a})", (4, 3)),
    "BatchNorm2d.eps": ("nn.BatchNorm2d(3, eps={a})", (2, 3, 2, 2)),
    "LayerNorm.normalized_shape": ("nn.LayerNorm({a})", (2, 3)),
    "LayerNorm.eps": ("nn.LayerNorm(3, eps={a})", (2, 3)),
    "GroupNorm.num_groups": ("nn.GroupNorm({a}, 4)", (2, 4, 3)),
    "GroupNorm.num_channels": ("nn.GroupNorm(2, {a})", (2, 4, 3)),
    "MaxPool2d.kernel_size": ("nn.MaxPool2d({a})", (1, 2, 6, 6)),
    "MaxPool2d.stride": ("nn.MaxPool2d(2, stride={a})", (1, 2, 6, 6)),
    "MaxPool2d.padding": ("nn.MaxPool2d(3, padding={a})", (1, 2, 6, 6)),
    "AvgPool1d.kernel_size": ("nn.AvgPool1d({a})", (1, 2, 6)),
    "AdaptiveAvgPool2d.output_size": ("nn.AdaptiveAvgPool2d({a})", (1, 2, 6, 6)),
    "Softmax.dim": ("nn.Softmax({a})", (2, 3)), "GLU.dim": ("nn.GLU({a})", (2, 4)),
    "Flatten.start_dim": ("nn.Flatten({a})", (2, 3, 4)),
    "Upsample.scale_factor": ("nn.Upsample(scale_factor={a})", (1, 2, 3, 3)),
    "PReLU.num_parameters": ("nn.PReLU({a})", (2, 3)),
    "MSELoss.reduction": ("nn.MSELoss(reduction={a})", "pair"),
    "HuberLoss.delta": ("nn.HuberLoss(delta={a})", "pair"),
    "SmoothL1Loss.beta": ("nn.SmoothL1Loss(beta={a})", "pair"),
    "KLDivLoss.reduction": ("nn.KLDivLoss(reduction={a})", "pair"),
    "NLLLoss.weight": ("nn.NLLLoss(weight={a})", "classes"),
    "CrossEntropyLoss.ignore_index": ("nn.CrossEntropyLoss(ignore_index={a})", "classes"),
    "Bilinear.in1_features": ("nn.Bilinear({a}, 2, 3)", "bilinear"),
    "Upsample.size": ("nn.Upsample(size={a})", (1, 2, 3, 3)),
    "BatchNorm2d.momentum": ("nn.BatchNorm2d(3, momentum={a})", (2, 3, 2, 2)),
    "LeakyReLU.negative_slope": ("nn.LeakyReLU({a})", (2, 3)),
    "ELU.alpha": ("nn.ELU({a})", (2, 3)), "Softplus.beta": ("nn.Softplus({a})", (2, 3)),
    "Threshold.threshold": ("nn.Threshold({a}, 0.)", (2, 3)),
}


def _construct_and_run(t, template: str, arg: str, data):
    layer = eval(template.format(a=arg), {"nn": t.nn})
    if data == "indices":
        return layer(t.tensor([0, 4]))
    if data == "pair":
        return layer(t.ones(2, 3), t.zeros(2, 3))
    if data == "bilinear":
        return layer(t.ones(2, 3), t.ones(2, 2))
    if data == "classes":
        return layer(t.zeros(2, 3), t.tensor([0, 2]))
    return layer(t.ones(*data))


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(LAYERS)), arg=st.sampled_from(BAD_ARGS))
def test_layers_refuse_bad_constructor_arguments(name, arg):
    template, data = LAYERS[name]
    kind, message, _ = _same_as_torch(lambda t: _construct_and_run(t, template, arg, data))
    if kind != "OK":
        assert kind in ("TypeError", "ValueError", "RuntimeError", "IndexError",
                        "ZeroDivisionError", "AssertionError"), kind  # as PyTorch's
        assert message, (name, arg)


@FAST
@given(batch=st.integers(1, 3), features=st.sampled_from([2, 5]))
def test_a_failed_forward_leaves_the_model_unchanged(batch, features):
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    model.train()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    with pytest.raises(RuntimeError, match=str(features)):
        model(ag.ones(batch, features))
    after = model.state_dict()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key].numpy(), value, err_msg=key)

