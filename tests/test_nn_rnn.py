"""Recurrent layers: the fused cells, `RNN` / `LSTM` / `GRU` and the single-step cells.

The fused cells (both layouts, with and without bias, with the weight chained from step to
step) pass float64 gradcheck and gradgradcheck. The modules match PyTorch (weights copied by
name through the state dict) in outputs, final states and the gradients of the input, the
initial states and every parameter, for every option (layers, directions, bias,
batch_first, unbatched input, initial states); state_dict keys, reprs, initialisation and
errors are PyTorch's. A step is one graph node; float32 stays float32; the layers train on
the fake CUDA device with the CPU's numbers.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck, gradgradcheck

fused = ag.fused
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
CELL_FUNCTIONS = {"lstm": fused.lstm_cell, "gru": fused.gru_cell,
                  "rnn_tanh": fused.rnn_tanh_cell, "rnn_relu": fused.rnn_relu_cell}


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def _leaf(rng, shape, dtype=ag.float64) -> ag.Tensor:
    return ag.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)


def _copy_weights(ours: nn.Module, theirs) -> None:
    """PyTorch's weights into our module, key by key."""
    ours.load_state_dict({k: ag.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


# ----------------------------------------------------------------------------- fused cells
def _cell_call(kind: str, columns: bool, chain: bool, with_bias: bool):
    """A function of (x_proj, h, [c,] w_hh, [b_hh]) returning the cell's outputs."""
    cell = CELL_FUNCTIONS[kind]

    def run(*args):
        args = list(args)
        b = args.pop() if with_bias else None
        if kind == "lstm":
            x, h, c, w = args
            return cell(x, h, c, w, b, columns=columns, chain_weight=chain)
        x, h, w = args
        return cell(x, h, w, b, columns=columns, chain_weight=chain)

    return run


@pytest.mark.parametrize("kind", sorted(GATES))
@pytest.mark.parametrize("columns", [False, True])
@pytest.mark.parametrize("with_bias", [True, False])
def test_cells_gradcheck_and_gradgradcheck(kind, columns, with_bias):
    rng = np.random.default_rng(1)
    batch, hidden = 2, 3
    gates = GATES[kind]
    x_shape = (gates * hidden, batch) if columns else (batch, gates * hidden)
    h_shape = (hidden, batch) if columns else (batch, hidden)
    args = [_leaf(rng, x_shape), _leaf(rng, h_shape)]
    if kind == "lstm":
        args.append(_leaf(rng, h_shape))
    args.append(_leaf(rng, (gates * hidden, hidden)))
    if with_bias:
        args.append(_leaf(rng, (gates * hidden,)))
    for chain in (False, True):
        run = _cell_call(kind, columns, chain, with_bias)
        assert gradcheck(run, args)
        assert gradgradcheck(run, args)


@pytest.mark.parametrize("kind", sorted(GATES))
def test_cells_match_pytorch_formulas(kind):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    batch, n_in, hidden = 3, 4, 5
    mode = {"lstm": "LSTMCell", "gru": "GRUCell", "rnn_tanh": "RNNCell", "rnn_relu": "RNNCell"}
    kwargs = {"nonlinearity": "relu"} if kind == "rnn_relu" else {}
    cell = getattr(torch.nn, mode[kind])(n_in, hidden, **kwargs).double()
    w = {k: v.detach().numpy() for k, v in cell.state_dict().items()}
    x, h, c = (rng.standard_normal(s) for s in ((batch, n_in), (batch, hidden), (batch, hidden)))
    bias_in = w["bias_ih"] + (w["bias_hh"] if kind == "lstm" else 0)
    x_proj = ag.tensor(x @ w["weight_ih"].T + bias_in)
    w_hh = ag.tensor(w["weight_hh"])
    b_hh = None if kind == "lstm" else ag.tensor(w["bias_hh"])
    for columns in (False, True):
        tr = (lambda a: a.mT) if columns else (lambda a: a)
        if kind == "lstm":
            ours = fused.lstm_cell(tr(x_proj), tr(ag.tensor(h)), tr(ag.tensor(c)), w_hh,
                                   columns=columns)
            theirs = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(_np(tr(a)), b.detach().numpy(), atol=1e-12)
        else:
            ours = CELL_FUNCTIONS[kind](tr(x_proj), tr(ag.tensor(h)), w_hh, b_hh,
                                        columns=columns)
            theirs = cell(torch.tensor(x), torch.tensor(h))
            np.testing.assert_allclose(_np(tr(ours)), theirs.detach().numpy(), atol=1e-12)


def test_lstm_cell_extreme_preactivations_stay_finite():
    x = ag.tensor([[1000.0, -1000.0, 1000.0, -1000.0], [-1000.0, 1000.0, -1000.0, 1000.0]],
                  requires_grad=True)
    h = ag.zeros(2, 1, requires_grad=True)
    c = ag.ones(2, 1, requires_grad=True)
    w = ag.zeros(4, 1, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h2, c2 = fused.lstm_cell(x, h, c, w)
        (h2.sum() + c2.sum()).backward()
    # row 0: i = 1, f = 0, g = 1, o = 0; row 1: i = 0, f = 1, g = -1, o = 1
    np.testing.assert_allclose(_np(c2), [[1.0], [1.0]])
    np.testing.assert_allclose(_np(h2), [[0.0], [math.tanh(1.0)]], atol=1e-7)
    for t in (x, h, c, w):
        assert np.isfinite(t.grad.numpy()).all()


def test_chained_weight_gives_the_same_gradients():
    rng = np.random.default_rng(3)
    steps, batch, hidden = 4, 2, 3
    x = _leaf(rng, (steps, 4 * hidden, batch))
    w = _leaf(rng, (4 * hidden, hidden))
    grads = []
    for chain in (False, True):
        h = c = ag.zeros(hidden, batch, dtype=ag.float64)
        ww = w
        for t in range(steps):
            if chain:
                h, c, ww = fused.lstm_cell(x[t], h, c, ww, columns=True, chain_weight=True)
            else:
                h, c = fused.lstm_cell(x[t], h, c, w, columns=True)
        grads.append(ag.autograd.grad((h * h).sum() + c.sum(), [x, w]))
    for a, b in zip(*grads):
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-12)


def test_input_projection_and_stack_columns_gradcheck():
    rng = np.random.default_rng(4)
    x, w, b = _leaf(rng, (3, 2, 4)), _leaf(rng, (6, 4)), _leaf(rng, (6,))
    out = fused.input_projection(x, w, b)
    expected = np.einsum("tbi,gi->tgb", _np(x), _np(w)) + _np(b)[:, None]
    np.testing.assert_allclose(_np(out), expected, atol=1e-12)
    assert gradcheck(fused.input_projection, (x, w, b))
    assert gradgradcheck(fused.input_projection, (x, w, b))
    states = [_leaf(rng, (3, 2)) for _ in range(3)]
    stacked = fused.stack_columns(states)
    np.testing.assert_array_equal(_np(stacked), np.stack([_np(s).T for s in states]))
    assert gradcheck(lambda *s: fused.stack_columns(s), states)
    assert gradgradcheck(lambda *s: fused.stack_columns(s), states)


def test_cell_shape_errors_name_the_shapes():
    h = ag.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"x_proj must have shape \[2, 12\]"):
        fused.lstm_cell(ag.zeros(2, 9), h, h, ag.zeros(12, 3))
    with pytest.raises(RuntimeError, match=r"w_hh must have shape \[9, 3\]"):
        fused.gru_cell(ag.zeros(2, 9), h, ag.zeros(9, 2))
    with pytest.raises(RuntimeError, match=r"x_proj must have shape \[3, 2\]"):
        fused.rnn_tanh_cell(ag.zeros(2, 3), h.mT.contiguous(), ag.zeros(3, 3), columns=True)
    with pytest.raises(RuntimeError, match="dtype"):
        fused.rnn_relu_cell(ag.zeros(2, 3), h, ag.zeros(3, 3, dtype=ag.float64))
    with pytest.raises(TypeError):
        fused.lstm_cell(np.zeros((2, 12)), h, h, ag.zeros(12, 3))


# ----------------------------------------------------------------------------- modules
MODES = {"LSTM": {}, "GRU": {}, "RNN": {}, "RNN_relu": {"nonlinearity": "relu"}}
OPTIONS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "bias": False},
    {"batch_first": True},
    {"bias": False, "batch_first": True, "num_layers": 2},
]


def _pair(torch, mode: str, options: dict, n_in: int = 3, hidden: int = 4):
    name = mode.split("_")[0]
    kwargs = dict(MODES[mode], **options)
    theirs = getattr(torch.nn, name)(n_in, hidden, **kwargs).double()
    ours = getattr(nn, name)(n_in, hidden, **kwargs).double()
    _copy_weights(ours, theirs)
    return ours, theirs


def _states(rng, mode, layers, batch, hidden, batched=True):
    shape = (layers, batch, hidden) if batched else (layers, hidden)
    if mode == "LSTM":
        return rng.standard_normal(shape), rng.standard_normal(shape)
    return rng.standard_normal(shape)


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in
                                                                   o.items()) or "default")
@pytest.mark.parametrize("with_hx", [False, True])
def test_modules_match_pytorch(mode, options, with_hx):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    steps, batch, n_in, hidden = 4, 2, 3, 4
    ours, theirs = _pair(torch, mode, options, n_in, hidden)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    shape = (batch, steps, n_in) if options.get("batch_first") else (steps, batch, n_in)
    x = rng.standard_normal(shape)
    layers = ours.num_layers * (2 if ours.bidirectional else 1)
    ox, tx = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    o_hx = t_hx = None
    if with_hx:
        hx = _states(rng, mode, layers, batch, hidden)
        if mode == "LSTM":
            o_hx = tuple(ag.tensor(v, requires_grad=True) for v in hx)
            t_hx = tuple(torch.tensor(v, requires_grad=True) for v in hx)
        else:
            o_hx, t_hx = ag.tensor(hx, requires_grad=True), torch.tensor(hx, requires_grad=True)
    o_out, o_h = ours(ox, o_hx)
    t_out, t_h = theirs(tx, t_hx)
    assert tuple(o_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(_np(o_out), t_out.detach().numpy(), atol=1e-10)
    o_states = o_h if mode == "LSTM" else (o_h,)
    t_states = t_h if mode == "LSTM" else (t_h,)
    for a, b in zip(o_states, t_states):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(_np(a), b.detach().numpy(), atol=1e-10)
    # a loss that uses the output and every final state
    up = rng.standard_normal(tuple(t_out.shape))
    o_loss = (o_out * ag.tensor(up)).sum() + sum(((s * s).sum() for s in o_states), ag.tensor(0.0))
    t_loss = (t_out * torch.tensor(up)).sum() + sum((s * s).sum() for s in t_states)
    o_loss.backward()
    t_loss.backward()
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    if with_hx:
        o_list = o_hx if mode == "LSTM" else (o_hx,)
        t_list = t_hx if mode == "LSTM" else (t_hx,)
        for a, b in zip(o_list, t_list):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-10)
    t_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), atol=1e-10,
                                   err_msg=name)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_modules_unbatched_input_matches_pytorch(mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    ours, theirs = _pair(torch, mode, {"num_layers": 2, "bidirectional": True})
    x = rng.standard_normal((5, 3))
    hx = _states(rng, mode, 4, 1, 4, batched=False)
    if mode == "LSTM":
        o_hx, t_hx = tuple(ag.tensor(v) for v in hx), tuple(torch.tensor(v) for v in hx)
    else:
        o_hx, t_hx = ag.tensor(hx), torch.tensor(hx)
    for a_hx, b_hx in ((None, None), (o_hx, t_hx)):
        o_out, o_h = ours(ag.tensor(x), a_hx)
        t_out, t_h = theirs(torch.tensor(x), b_hx)
        assert tuple(o_out.shape) == tuple(t_out.shape) == (5, 8)
        np.testing.assert_allclose(_np(o_out), t_out.detach().numpy(), atol=1e-10)
        o_states = o_h if mode == "LSTM" else (o_h,)
        t_states = t_h if mode == "LSTM" else (t_h,)
        for a, b in zip(o_states, t_states):
            assert tuple(a.shape) == tuple(b.shape) == (4, 4)
            np.testing.assert_allclose(_np(a), b.detach().numpy(), atol=1e-10)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_module_gradcheck_and_gradgradcheck(name):
    ag.manual_seed(0)
    layer = getattr(nn, name)(2, 2, num_layers=2, bidirectional=True).double()
    x = ag.randn(3, 2, 2, dtype=ag.float64, requires_grad=True)
    params = list(layer.parameters())

    def run(x, *_):  # the parameters are the module's own: gradcheck perturbs them in place
        out, h = layer(x)
        h = h[0] * h[1] if name == "LSTM" else h
        return out, h

    assert gradcheck(run, (x, *params))
    small = getattr(nn, name)(2, 2).double()
    x = ag.randn(3, 1, 2, dtype=ag.float64, requires_grad=True)
    assert gradgradcheck(lambda x, *_: small(x)[0], (x, *small.parameters()))


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_cells_match_pytorch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for bias in (True, False):
        for kwargs in ([{}, {"nonlinearity": "relu"}] if name == "RNN" else [{}]):
            theirs = getattr(torch.nn, name + "Cell")(3, 4, bias=bias, **kwargs).double()
            ours = getattr(nn, name + "Cell")(3, 4, bias=bias, **kwargs).double()
            _copy_weights(ours, theirs)
            assert list(ours.state_dict()) == list(theirs.state_dict())
            assert repr(ours) == repr(theirs)
            for batched in (True, False):
                xs = (2, 3) if batched else (3,)
                hs = (2, 4) if batched else (4,)
                x = rng.standard_normal(xs)
                ox, tx = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
                if name == "LSTM":
                    hx = [rng.standard_normal(hs) for _ in range(2)]
                    o_hx = tuple(ag.tensor(v, requires_grad=True) for v in hx)
                    t_hx = tuple(torch.tensor(v, requires_grad=True) for v in hx)
                    o_out, t_out = ours(ox, o_hx), theirs(tx, t_hx)
                    o_loss = (o_out[0] * o_out[1]).sum()
                    t_loss = (t_out[0] * t_out[1]).sum()
                else:
                    hx = rng.standard_normal(hs)
                    o_hx = (ag.tensor(hx, requires_grad=True),)
                    t_hx = (torch.tensor(hx, requires_grad=True),)
                    o_out, t_out = (ours(ox, o_hx[0]),), (theirs(tx, t_hx[0]),)
                    o_loss, t_loss = (o_out[0] ** 2).sum(), (t_out[0] ** 2).sum()
                for a, b in zip(o_out, t_out):
                    assert tuple(a.shape) == tuple(b.shape)
                    np.testing.assert_allclose(_np(a), b.detach().numpy(), atol=1e-12)
                o_loss.backward()
                t_loss.backward()
                np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), atol=1e-12)
                for a, b in zip(o_hx, t_hx):
                    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)
                t_params = dict(theirs.named_parameters())
                for pname, p in ours.named_parameters():
                    np.testing.assert_allclose(p.grad.numpy(), t_params[pname].grad.numpy(),
                                               atol=1e-12)
                    p.grad = None
                    t_params[pname].grad = None
            # no initial state: zeros
            x = rng.standard_normal((2, 3))
            o = ours(ag.tensor(x))
            t = theirs(torch.tensor(x))
            for a, b in zip(o if name == "LSTM" else (o,), t if name == "LSTM" else (t,)):
                np.testing.assert_allclose(_np(a), b.detach().numpy(), atol=1e-12)


def test_cell_gradcheck():
    ag.manual_seed(0)
    for cell in (nn.LSTMCell(2, 2), nn.GRUCell(2, 2), nn.RNNCell(2, 2, nonlinearity="relu")):
        cell = cell.double()
        x = ag.randn(2, 2, dtype=ag.float64, requires_grad=True)

        def run(x, *_, cell=cell):
            out = cell(x)
            return out if isinstance(out, ag.Tensor) else out[0] * out[1]

        assert gradcheck(run, (x, *cell.parameters()))


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_state_dict_keys_and_repr_match_pytorch_for_every_option(name):
    torch = pytest.importorskip("torch")
    for layers in (1, 2):
        for bidirectional in (False, True):
            for bias in (True, False):
                kw = dict(num_layers=layers, bidirectional=bidirectional, bias=bias,
                          batch_first=bidirectional, dropout=0.25 if layers > 1 else 0.0)
                theirs = getattr(torch.nn, name)(5, 3, **kw)
                ours = getattr(nn, name)(5, 3, **kw)
                assert list(ours.state_dict()) == list(theirs.state_dict())
                assert repr(ours) == repr(theirs)
                for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
                    assert tuple(p.shape) == tuple(q.shape), k


def test_initialisation_is_uniform_in_plus_minus_one_over_sqrt_hidden():
    ag.manual_seed(0)
    layer = nn.LSTM(10, 16, num_layers=2, bidirectional=True)
    bound = 1 / math.sqrt(16)
    values = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.9 * bound
    assert abs(values.mean()) < 0.01
    assert len(layer.all_weights) == 4 and len(layer.all_weights[0]) == 4
    layer.flatten_parameters()  # accepted, nothing to do


def test_dropout_between_layers_only_while_training():
    ag.manual_seed(0)
    x = ag.randn(4, 2, 3)
    layer = nn.GRU(3, 5, num_layers=2, dropout=0.5)
    plain = nn.GRU(3, 5, num_layers=2)
    plain.load_state_dict(layer.state_dict())
    out_train, _ = layer(x)
    out_plain, _ = plain(x)
    assert not np.allclose(_np(out_train), _np(out_plain))
    layer.eval()
    np.testing.assert_allclose(_np(layer(x)[0]), _np(out_plain), atol=1e-6)
    ag.manual_seed(1)
    layer.train()
    first = _np(layer(x)[0])
    ag.manual_seed(1)
    np.testing.assert_array_equal(_np(layer(x)[0]), first)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


def test_one_graph_node_per_step():
    layer = nn.LSTM(3, 4, num_layers=2)
    layer._sequence_nodes = False  # the per-step cells (the default is one node per layer)
    out, (h, c) = layer(ag.randn(6, 2, 3))
    names: dict = {}
    seen, stack = set(), [out.grad_fn, h.grad_fn, c.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names[node.name()] = names.get(node.name(), 0) + 1
        stack.extend(fn for fn, _ in node.next_functions)
    assert names["LSTMCellBackward0"] == 12  # 6 steps x 2 layers
    assert names["InputProjectionBackward0"] == 2  # one per layer


def test_float32_stays_float32_and_gradients_flow(device):
    layer = nn.LSTM(3, 4, bidirectional=True).to(device)
    x = ag.randn(5, 2, 3, device=device, requires_grad=True)
    out, (h, c) = layer(x)
    assert out.dtype == h.dtype == c.dtype == ag.float32
    (out.sum() + c.sum()).backward()
    assert x.grad.dtype == ag.float32
    assert all(p.grad is not None and p.grad.dtype == ag.float32 for p in layer.parameters())


def test_errors_match_pytorch():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        lstm(ag.zeros(2, 2, 2, 3))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 3, got 5"):
        lstm(ag.zeros(2, 2, 5))
    with pytest.raises(RuntimeError,
                       match=r"Expected hidden\[0\] size \(1, 2, 4\), got \[1, 3, 4\]"):
        lstm(ag.zeros(2, 2, 3), (ag.zeros(1, 3, 4), ag.zeros(1, 2, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size"):
        lstm(ag.zeros(2, 2, 3), (ag.zeros(1, 2, 4), ag.zeros(1, 3, 4)))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx and cx should also be 2-D"):
        lstm(ag.zeros(2, 3), (ag.zeros(1, 2, 4), ag.zeros(1, 2, 4)))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D"):
        nn.GRU(3, 4)(ag.zeros(2, 2, 3), ag.zeros(2, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        nn.GRU(3, 4)(ag.zeros(2, 2, 3), ag.zeros(1, 3, 4))
    with pytest.raises(ValueError,
                       match="Unknown nonlinearity 'foo'. Select from 'tanh' or 'relu'."):
        nn.RNN(3, 4, nonlinearity="foo")
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNN(3, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        nn.RNN(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.RNN(3, 4, dropout=2)
    with pytest.raises(TypeError, match="input_size should be of type int, got: float"):
        nn.RNN(3.0, 4)
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D instead"):
        cell(ag.zeros(2, 2, 3))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected 3"):
        cell(ag.zeros(2, 5))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        cell(ag.zeros(2, 3), (ag.zeros(3, 4), ag.zeros(3, 4)))
    with pytest.raises(RuntimeError,
                       match="hidden0 has inconsistent hidden_size: got 5, expected 4"):
        nn.RNNCell(3, 4)(ag.zeros(2, 3), ag.zeros(2, 5))
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="x")


@pytest.mark.usefixtures("fake_cuda")
@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_training_step_on_the_fake_gpu_equals_the_cpu(name):
    import optim

    results = []
    for device in ("cpu", "cuda"):
        ag.manual_seed(0)
        layer = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True, batch_first=True)
        head = nn.Linear(8, 1)
        layer.to(device)
        head.to(device)
        params = list(layer.parameters()) + list(head.parameters())
        opt = optim.SGD(params, lr=0.1)
        rng = np.random.default_rng(0)
        x = ag.tensor(rng.standard_normal((2, 5, 3)).astype(np.float32), device=device)
        y = ag.tensor(rng.standard_normal((2, 5, 1)).astype(np.float32), device=device)
        losses = []
        for _ in range(2):
            out, _ = layer(x)
            loss = ((head(out) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        results.append((losses, [p.detach().cpu().numpy() for p in params]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
