"""The LSTM layer as one node over the sequence (`autograd_core.fused.lstm_sequence`).

It must give the numbers of the per-step cells (forward bit for bit, gradients to rounding),
pass float64 gradcheck and gradgradcheck in both directions, be what `nn.LSTM` runs (one
node per layer and direction), and run on the fake CUDA device with the CPU's numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck, gradgradcheck
from autograd_core.ops.fused.lstm_sequence import _lstm_cells

STEPS, BATCH, INPUT, HIDDEN = 5, 3, 4, 6


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def _operands(seed: int = 0, dtype=ag.float64, bias: bool = True, device: str = "cpu"):
    rng = np.random.default_rng(seed)

    def leaf(*shape):
        return ag.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True,
                         device=device)

    return [leaf(STEPS, BATCH, INPUT), leaf(BATCH, HIDDEN), leaf(BATCH, HIDDEN),
            leaf(4 * HIDDEN, INPUT), leaf(4 * HIDDEN, HIDDEN),
            leaf(4 * HIDDEN) if bias else None]


def _grads(outputs, inputs, seed: int = 5):
    """d(sum of outputs weighted by fixed random tensors)/d(inputs)."""
    rng = np.random.default_rng(seed)
    weights = [ag.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype, device=o.device)
               for o in outputs]
    total = sum((o * w).sum() for o, w in zip(outputs, weights))
    return ag.autograd.grad(total, [t for t in inputs if t is not None], allow_unused=True)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_matches_the_per_step_cells(reverse, bias):
    args = _operands(bias=bias)
    fused = ag.fused.lstm_sequence(*args, reverse=reverse)
    cells = _lstm_cells(*args, reverse)
    for a, b in zip(fused, cells):
        np.testing.assert_array_equal(_np(a), _np(b))  # the same operations in the same order
    for a, b in zip(_grads(fused, args), _grads(cells, args)):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reverse", [False, True])
def test_gradcheck_and_gradgradcheck(reverse):
    args = _operands(seed=1)

    def run(*operands):
        return ag.fused.lstm_sequence(*operands, reverse=reverse)

    assert gradcheck(run, args)
    assert gradgradcheck(run, args)


def test_only_some_outputs_and_inputs_need_gradients():
    x, h0, c0, w_ih, w_hh, b = _operands(seed=2)
    x, c0 = x.detach(), c0.detach()  # data and a fixed state: no gradient for them
    out, h_n, c_n = ag.fused.lstm_sequence(x, h0, c0, w_ih, w_hh, b)
    h_n.sum().backward()  # out and c_n unused: their gradients stay None in the node
    cells = _lstm_cells(x, h0, c0, w_ih, w_hh, b, False)
    expected = ag.autograd.grad(cells[1].sum(), [h0, w_ih, w_hh, b])
    for t, g in zip([h0, w_ih, w_hh, b], expected):
        np.testing.assert_allclose(_np(t.grad), _np(g), rtol=1e-12, atol=1e-12)
    assert x.grad is None and c0.grad is None


def test_nn_lstm_runs_one_node_per_layer_and_direction_with_the_cells_numbers():
    ag.manual_seed(0)
    layer = nn.LSTM(INPUT, HIDDEN, num_layers=2, bidirectional=True).double()
    x = ag.randn(STEPS, BATCH, INPUT, dtype=ag.float64, requires_grad=True)
    out, (h, c) = layer(x)
    names: dict = {}
    seen, stack = set(), [out.grad_fn, h.grad_fn, c.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names[node.name()] = names.get(node.name(), 0) + 1
        stack.extend(fn for fn, _ in node.next_functions)
    assert names["LSTMSequenceBackward0"] == 4  # 2 layers x 2 directions
    assert "LSTMCellBackward0" not in names

    results = []
    for sequence in (True, False):
        layer._sequence_nodes = sequence
        layer.zero_grad()
        x.grad = None
        out, (h, c) = layer(x)
        (out.sum() + (h * h).sum() + (c * 3).sum()).backward()
        results.append([_np(out), _np(h), _np(c), _np(x.grad)]
                       + [_np(p.grad) for p in layer.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32():
    args = _operands(dtype=ag.float32)
    outs = ag.fused.lstm_sequence(*args)
    assert all(o.dtype == ag.float32 for o in outs)
    grads = _grads(outs, args)
    assert all(g.dtype == ag.float32 for g in grads)


def test_fake_gpu_gives_the_cpu_numbers(fake_cuda):  # noqa: F811
    cpu = _operands(seed=3, dtype=ag.float32)
    gpu = [t.detach().to("cuda").requires_grad_() for t in cpu]
    out_cpu, out_gpu = ag.fused.lstm_sequence(*cpu), ag.fused.lstm_sequence(*gpu)
    for a, b in zip(out_cpu, out_gpu):
        assert b.device.type == "cuda"
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-6)
    for a, b in zip(_grads(out_cpu, cpu), _grads(out_gpu, gpu)):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6)


def test_shape_and_dtype_errors_name_the_shapes():
    x, h0, c0, w_ih, w_hh, b = _operands()
    with pytest.raises(RuntimeError, match=r"input must be 3-D .* got shape \[5, 4\]"):
        ag.fused.lstm_sequence(x[:, 0], h0, c0, w_ih, w_hh, b)
    with pytest.raises(RuntimeError, match=r"h0 must have shape \[3, 6\]"):
        ag.fused.lstm_sequence(x, h0[:2], c0, w_ih, w_hh, b)
    with pytest.raises(RuntimeError, match=r"w_ih must have shape \[24, 4\]"):
        ag.fused.lstm_sequence(x, h0, c0, w_ih[:, :3], w_hh, b)
    with pytest.raises(RuntimeError, match=r"w_hh must have shape"):
        ag.fused.lstm_sequence(x, h0, c0, w_ih, w_hh[:, :5], b)
    with pytest.raises(RuntimeError, match=r"bias must have shape \[24\]"):
        ag.fused.lstm_sequence(x, h0, c0, w_ih, w_hh, b[:5])
    with pytest.raises(RuntimeError, match="expected all operands to have dtype"):
        ag.fused.lstm_sequence(x, h0.float(), c0, w_ih, w_hh, b)
    with pytest.raises(TypeError, match="argument 'h0' must be Tensor"):
        ag.fused.lstm_sequence(x, None, c0, w_ih, w_hh, b)


@pytest.mark.parametrize("batch_first", [False, True])
def test_zero_length_sequence_raises_like_pytorch(batch_first):
    lstm = nn.LSTM(3, 4, batch_first=batch_first)
    x = ag.zeros((2, 0, 3) if batch_first else (0, 2, 3))
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        lstm(x)
    # batch 0 is allowed, as in PyTorch
    out, _ = lstm(ag.zeros((0, 5, 3) if batch_first else (5, 0, 3)))
    assert out.shape == ((0, 5, 4) if batch_first else (5, 0, 4))


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("grads", ["all", "out", "state"])
def test_the_buffered_bptt_kernel_equals_the_rule(reverse, grads):
    """The array kernel offered as ``lstm_through_time`` is the composed rule, number for
    number (both on float64 arrays)."""
    import importlib

    import numpy as np

    from autograd_core import _rule_math

    ls = importlib.import_module("autograd_core.ops.fused.lstm_sequence")

    rng = np.random.default_rng(5)
    T, B, I, H = 5, 3, 4, 6
    x = ag.tensor(rng.standard_normal((T, B, I)))
    h0, c0 = ag.tensor(rng.standard_normal((B, H))), ag.tensor(rng.standard_normal((B, H)))
    w_ih = ag.tensor(rng.standard_normal((4 * H, I)) * 0.3)
    w_hh = ag.tensor(rng.standard_normal((4 * H, H)) * 0.3)
    bias = ag.tensor(rng.standard_normal(4 * H) * 0.1)
    node = ls.lstm_sequence(*(t.requires_grad_() for t in (x, h0, c0, w_ih, w_hh, bias)),
                            reverse=reverse)[0].grad_fn
    saved = node._saved_arrays()
    arrays = [a for a in saved[:5]] + list(saved[6:])
    dout = rng.standard_normal((T, B, H)) if grads in ("all", "out") else None
    dh_n = rng.standard_normal((B, H)) if grads in ("all", "state") else None
    dc_n = rng.standard_normal((B, H)) if grads in ("all", "state") else None
    needs = (True,) * 6
    kernel = ls._through_time_kernel(np, needs, reverse, *arrays, dout, dh_n, dc_n)
    rule = ls._through_time(_rule_math.for_arrays(np), needs, reverse, *arrays, dout, dh_n, dc_n)
    for k, r in zip(kernel, rule):
        np.testing.assert_allclose(k, r, rtol=1e-12, atol=1e-12)
