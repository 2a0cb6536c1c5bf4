"""The CuPy backend's fused kernels beyond the activations (`autograd_core._cuda_kernels_*`):
each run on the fake CUDA device by the kernel interpreter, through the op that calls it,
and checked against the op's composed array code (its one rule) and against PyTorch. They
compile in ``test_gpu_kernels_compile``."""

from __future__ import annotations

import _fake_cupy_kernels
import numpy as np
import pytest
from fake_cupy import fake_cuda, requires_fake  # noqa: F401  (the fixture)

import autograd_core as ag
import nn
from autograd_core import _backend

F = nn.functional
pytestmark = pytest.mark.usefixtures("fake_cuda")
DTYPES = pytest.mark.parametrize("dtype", [ag.float64, ag.float32], ids=["float64", "float32"])


def _tol(dtype):
    return dict(rtol=1e-12, atol=1e-13) if dtype is ag.float64 else dict(rtol=2e-5, atol=2e-6)


def _np(dtype) -> np.dtype:
    return np.dtype("float64" if dtype is ag.float64 else "float32")


def _launches() -> int:
    return _fake_cupy_kernels.ElementwiseKernel.launches


def _cuda_backend():
    return _backend.backend_for(ag.device("cuda"))


# ----------------------------------------------------------------------------- dropout
@DTYPES
def test_dropout_kernel_matches_the_composed_code(dtype):
    backend = _cuda_backend()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 6))
    u = rng.random((5, 6), dtype=np.float32)
    p = 0.3
    y, keep = backend.fused_kernel("dropout_forward", _np(dtype))(
        ag.tensor(x, dtype=dtype, device="cuda")._data, backend.xp.asarray(u), p, 1 / (1 - p))
    expect_keep = u >= np.float32(p)
    np.testing.assert_array_equal(keep.get(), expect_keep)
    np.testing.assert_allclose(y.get(), x.astype(_np(dtype)) * expect_keep / (1 - p), **_tol(dtype))


@requires_fake
@DTYPES
def test_dropout_runs_one_kernel_each_way(dtype):
    ag.manual_seed(3)
    x = ag.tensor(np.random.default_rng(1).standard_normal((40, 30)) + 3.0, dtype=dtype,
                  device="cuda", requires_grad=True)
    before = _launches()
    y = F.dropout(x, 0.25)
    assert _launches() == before + 1
    g = ag.tensor(np.random.default_rng(2).standard_normal((40, 30)), dtype=dtype, device="cuda")
    y.backward(g)
    assert _launches() == before + 2
    keep = y.detach().cpu().numpy() != 0
    assert 0.6 < keep.mean() < 0.9
    np.testing.assert_allclose(y.detach().cpu().numpy(), x.detach().cpu().numpy() * keep / 0.75, **_tol(dtype))
    np.testing.assert_allclose(x.grad.cpu().numpy(), g.cpu().numpy() * keep / 0.75, **_tol(dtype))


@requires_fake
def test_channel_dropout_and_float16_take_the_composed_code():
    x = ag.randn(2, 3, 4, 4, device="cuda", requires_grad=True)
    before = _launches()
    F.dropout2d(x, 0.5).sum().backward()  # the mask is (N, C, 1, 1): forward composed
    assert _launches() == before + 1  # the backward kernel broadcasts the mask
    F.dropout(x.detach().half(), 0.5)
    assert _launches() == before + 1


def test_dropout_gradcheck_and_create_graph_on_cuda():
    x = ag.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype=ag.float64, device="cuda",
                  requires_grad=True)

    def fn(t):
        ag.manual_seed(7)
        return F.dropout(t, 0.4) * t

    assert ag.autograd.gradcheck(fn, (x,))
    assert ag.autograd.gradgradcheck(fn, (x,))


# ----------------------------------------------------------------------------- LSTM / GRU
def _lstm_args(device, dtype, steps=4, batch=3, inputs=5, hidden=6, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(steps, batch, inputs), (batch, hidden), (batch, hidden), (4 * hidden, inputs),
              (4 * hidden, hidden), (4 * hidden,)]
    return [ag.tensor(rng.standard_normal(s) * 0.7, dtype=dtype, device=device, requires_grad=True)
            for s in shapes]


@requires_fake
@DTYPES
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_sequence_runs_one_gate_kernel_a_step(dtype, reverse):
    from autograd_core.ops.fused.lstm_sequence import lstm_sequence

    results = []
    for device in ("cpu", "cuda"):
        args = _lstm_args(device, dtype)
        before = _launches()
        out, h_n, c_n = lstm_sequence(*args, reverse=reverse)
        forward_launches = _launches() - before
        rng = np.random.default_rng(5)
        (out * ag.tensor(rng.standard_normal(out.shape), dtype=dtype, device=device)).sum().add(
            (h_n * c_n).sum()).backward()
        results.append(([t.detach().cpu().numpy() for t in (out, h_n, c_n)] +
                        [a.grad.cpu().numpy() for a in args], forward_launches, _launches() - before))
    (cpu, _, _), (cuda, forward, total) = results
    assert forward == 4 and total >= 8  # one gate kernel a step each way (+ the products' own)
    for a, b in zip(cpu, cuda):
        np.testing.assert_allclose(b, a, **_tol(dtype))


def test_lstm_sequence_gradcheck_and_create_graph_on_cuda():
    from autograd_core.ops.fused.lstm_sequence import lstm_sequence

    args = _lstm_args("cuda", ag.float64, steps=3, batch=2, inputs=2, hidden=2)
    assert ag.autograd.gradcheck(lambda *a: lstm_sequence(*a)[0], args)
    assert ag.autograd.gradgradcheck(lambda *a: lstm_sequence(*a)[2], args)


def test_lstm_matches_torch_from_identical_weights_on_cuda():
    torch = pytest.importorskip("torch")
    lstm = nn.LSTM(3, 4, batch_first=True).to(ag.float64).to("cuda")
    ref = torch.nn.LSTM(3, 4, batch_first=True).double()
    with torch.no_grad():
        for name, p in ref.named_parameters():
            p.copy_(torch.from_numpy(getattr(lstm, name).detach().cpu().numpy()))
    x_np = np.random.default_rng(0).standard_normal((2, 5, 3))
    x = ag.tensor(x_np, device="cuda", requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    out, (h, c) = lstm(x)
    out_t, (h_t, c_t) = ref(xt)
    (out.sum() + c.sum()).backward()
    (out_t.sum() + c_t.sum()).backward()
    np.testing.assert_allclose(out.detach().cpu().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.cpu().numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lstm.weight_hh_l0.grad.cpu().numpy(), ref.weight_hh_l0.grad.numpy(),
                               rtol=1e-10, atol=1e-12)


def _cell_args(device, dtype, rows, gates, seed=1, batch=3, hidden=4, cell_state=False):
    rng = np.random.default_rng(seed)
    state = (batch, hidden) if rows else (hidden, batch)
    arrays = [rng.standard_normal((batch, gates * hidden) if rows else (gates * hidden, batch)),
              rng.standard_normal(state)]
    if cell_state:
        arrays.append(rng.standard_normal(state))
    arrays += [rng.standard_normal((gates * hidden, hidden)), rng.standard_normal(gates * hidden)]
    return [ag.tensor(a * 0.8, dtype=dtype, device=device, requires_grad=True) for a in arrays]


@requires_fake
@DTYPES
@pytest.mark.parametrize("rows", [True, False])
def test_lstm_cell_runs_one_gate_kernel_each_way(dtype, rows):
    from autograd_core.ops.fused.recurrent import lstm_cell

    results = []
    for device in ("cpu", "cuda"):
        args = _cell_args(device, dtype, rows, 4, cell_state=True)
        before = _launches()
        h_new, c_new = lstm_cell(*args, columns=not rows)
        launched = _launches() - before
        (h_new * c_new).sum().backward()
        results.append(([h_new.detach().cpu().numpy(), c_new.detach().cpu().numpy()] +
                        [a.grad.cpu().numpy() for a in args], launched, _launches() - before))
    (cpu, _, _), (cuda, forward, total) = results
    assert (forward, total) == (1, 2)
    for a, b in zip(cpu, cuda):
        np.testing.assert_allclose(b, a, **_tol(dtype))


def test_lstm_cell_gradcheck_and_create_graph_on_cuda():
    from autograd_core.ops.fused.recurrent import lstm_cell

    args = _cell_args("cuda", ag.float64, True, 4, batch=2, hidden=2, cell_state=True)
    assert ag.autograd.gradcheck(lambda *a: lstm_cell(*a)[1], args)
    assert ag.autograd.gradgradcheck(lambda *a: lstm_cell(*a)[0], args)


@requires_fake
@DTYPES
@pytest.mark.parametrize("rows", [True, False])
def test_gru_cell_runs_one_gate_kernel_each_way(dtype, rows):
    from autograd_core.ops.fused.recurrent import gru_cell

    results = []
    for device in ("cpu", "cuda"):
        args = _cell_args(device, dtype, rows, 3)
        before = _launches()
        h_new = gru_cell(*args, columns=not rows)
        launched = _launches() - before
        (h_new * h_new).sum().backward()
        results.append(([h_new.detach().cpu().numpy()] + [a.grad.cpu().numpy() for a in args],
                        launched, _launches() - before))
    (cpu, _, _), (cuda, forward, total) = results
    assert (forward, total) == (1, 2)
    for a, b in zip(cpu, cuda):
        np.testing.assert_allclose(b, a, **_tol(dtype))


def test_gru_cell_gradcheck_and_create_graph_on_cuda():
    from autograd_core.ops.fused.recurrent import gru_cell

    args = _cell_args("cuda", ag.float64, True, 3, batch=2, hidden=2)
    assert ag.autograd.gradcheck(gru_cell, args)
    assert ag.autograd.gradgradcheck(gru_cell, args)


# ----------------------------------------------------------------------------- softmax
def _logits(shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape) * 4
    x.reshape(-1)[:3] = [1000.0, -1000.0, -np.inf]  # large logits stay finite; -inf gives 0
    return x


@requires_fake
@DTYPES
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_kernels_match_the_cpu(dtype, fn, dim):
    x_np, g_np = _logits((4, 5, 6)), np.random.default_rng(1).standard_normal((4, 5, 6))
    results = []
    for device in ("cpu", "cuda"):
        x = ag.tensor(x_np, dtype=dtype, device=device, requires_grad=True)
        before = _launches()
        y = getattr(F, fn)(x, dim=dim)
        y.backward(ag.tensor(g_np, dtype=dtype, device=device))
        results.append((y.detach().cpu().numpy(), x.grad.cpu().numpy(), _launches() - before))
    (y_cpu, dx_cpu, _), (y_cuda, dx_cuda, launched) = results
    assert launched == (2 if fn == "softmax" else 3)
    assert np.isfinite(dx_cuda).all()
    np.testing.assert_allclose(y_cuda, y_cpu, **_tol(dtype))
    np.testing.assert_allclose(dx_cuda, dx_cpu, **_tol(dtype))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_gradcheck_and_create_graph_on_cuda(fn):
    x = ag.tensor(np.random.default_rng(2).standard_normal((3, 4)), dtype=ag.float64,
                  device="cuda", requires_grad=True)
    f = getattr(F, fn)
    assert ag.autograd.gradcheck(lambda t: f(t, dim=1), (x,))
    assert ag.autograd.gradgradcheck(lambda t: f(t, dim=0), (x,))


def test_softmax_matches_torch_on_cuda():
    torch = pytest.importorskip("torch")
    x_np = _logits((3, 7))
    x = ag.tensor(x_np, device="cuda", requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    y, yt = F.log_softmax(x, dim=1), torch.log_softmax(xt, dim=1)
    w = np.random.default_rng(3).standard_normal((3, 7))
    (y * ag.tensor(w, device="cuda")).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.cpu().numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- cross-entropy
CE_CASES = {
    "mean": dict(),
    "sum": dict(reduction="sum"),
    "none": dict(reduction="none"),
    "ignore_index": dict(ignore_index=2),
    "weight": dict(weight=np.array([0.5, 2.0, 1.0, 0.25, 3.0])),
    "smoothing": dict(label_smoothing=0.1),  # the composed forward
}


def _ce(device, dtype, case, x_np, t_np, torch=None):
    kwargs = dict(CE_CASES[case])
    if "weight" in kwargs:
        w = kwargs["weight"]
        kwargs["weight"] = (torch.tensor(w) if torch else ag.tensor(w, dtype=dtype, device=device))
    if torch:
        x, t = torch.tensor(x_np, requires_grad=True), torch.tensor(t_np)
        loss = torch.nn.functional.cross_entropy(x, t, **kwargs)
    else:
        x, t = ag.tensor(x_np, dtype=dtype, device=device, requires_grad=True), ag.tensor(t_np, device=device)
        loss = F.cross_entropy(x, t, **kwargs)
    (loss * loss).sum().backward()
    return loss.detach().cpu().numpy(), x.grad.cpu().numpy()


@requires_fake
@DTYPES
@pytest.mark.parametrize("case", list(CE_CASES))
def test_cross_entropy_kernels_match_the_cpu_and_torch(dtype, case):
    torch = pytest.importorskip("torch")
    x_np = _logits((6, 5))[::-1].copy()
    t_np = np.array([0, 2, 4, 1, 2, 3])
    before = _launches()
    cuda = _ce("cuda", dtype, case, x_np, t_np)
    launched = _launches() - before
    cpu = _ce("cpu", dtype, case, x_np, t_np)
    ref = _ce(None, dtype, case, x_np, t_np, torch=torch)
    # exp, the rows, the gradient; label smoothing: composed forward, the gradient kernel
    assert launched == (1 if case == "smoothing" else 3)
    for a, b, r in zip(cpu, cuda, ref):
        np.testing.assert_allclose(b, a, **_tol(dtype))
        if dtype is ag.float64:
            np.testing.assert_allclose(b, r, rtol=1e-10, atol=1e-12)


def test_cross_entropy_gradcheck_and_create_graph_on_cuda():
    x = ag.tensor(np.random.default_rng(4).standard_normal((4, 3)), dtype=ag.float64,
                  device="cuda", requires_grad=True)
    t = ag.tensor([0, 2, 1, 1], device="cuda")
    assert ag.autograd.gradcheck(lambda z: F.cross_entropy(z, t, ignore_index=1), (x,))
    assert ag.autograd.gradgradcheck(lambda z: F.cross_entropy(z, t, reduction="sum"), (x,))


# ----------------------------------------------------------------------------- im2col / col2im
def _axis(size, kernel, stride=1, dilation=1, pad=(0, 0)):
    out = (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1
    return (size, out, kernel, stride, dilation, pad[0], pad[1])


GEOMETRIES = {
    "3x3 pad 1 (wide)": ((_axis(6, 3, pad=(1, 1)), _axis(5, 3, pad=(1, 1))), True),
    "3x3 not wide": ((_axis(6, 3, pad=(1, 1)), _axis(5, 3, pad=(1, 1))), False),
    "stride 2 dilation 2": ((_axis(9, 3, 2, 2, (1, 2)), _axis(8, 2, 2, 1, (0, 1))), True),
    "5x2 stride (2, 3)": ((_axis(7, 5, 2, 1, (2, 0)), _axis(9, 2, 3, 2, (0, 0))), True),
    "1-D": (((1, 1, 1, 1, 1, 0, 0), _axis(11, 4, 1, 3, (2, 1))), True),
}


@requires_fake
@DTYPES
@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_im2col_and_col2im_kernels_equal_the_composed_code_exactly(dtype, name):
    from autograd_core.ops.fused._im2col import _col2im, _Geometry, _im2col

    (h, w), allow_wide = GEOMETRIES[name]
    g = _Geometry(1, h, w, h[0] == 1 and h[2] == 1, allow_wide)
    xp = _cuda_backend().xp
    rng = np.random.default_rng(6)
    x_np = rng.standard_normal((2, 3, h[0], w[0])).astype(_np(dtype))
    before = _launches()
    col = _im2col(xp, xp.asarray(x_np), g)
    assert _launches() == before + 1
    np.testing.assert_array_equal(col.get(), _im2col(np, x_np, g))
    col_np = rng.standard_normal(col.shape).astype(_np(dtype))
    image = _col2im(xp, xp.asarray(col_np), g, 2, 3)
    assert _launches() == before + 2
    np.testing.assert_array_equal(image.get(), _col2im(np, col_np, g, 2, 3))  # same sums, same order


@requires_fake
def test_windows_beyond_the_unrolled_limit_take_the_composed_col2im():
    from autograd_core.ops.fused._im2col import _col2im, _Geometry

    g = _Geometry(1, _axis(9, 8), _axis(9, 8), False, False)  # 64 offsets > MAX_UNROLLED
    xp = _cuda_backend().xp
    col = np.random.default_rng(7).standard_normal((8 * 8, 2 * 2 * 2))
    before = _launches()
    np.testing.assert_array_equal(_col2im(xp, xp.asarray(col), g, 2, 1).get(), _col2im(np, col, g, 2, 1))
    assert _launches() == before


@requires_fake
@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (2, 0, 1), (1, 2, 2)])
def test_conv2d_through_the_kernels_matches_torch(stride, padding, dilation):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x_np, w_np, b_np = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    x, w, b = (ag.tensor(a, device="cuda", requires_grad=True) for a in (x_np, w_np, b_np))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    before = _launches()
    y = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    assert _launches() - before >= 2  # im2col forward, col2im for dL/dx
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, ref in ((x, xt), (w, wt), (b, bt)):
        np.testing.assert_allclose(ours.grad.cpu().numpy(), ref.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv_gradcheck_and_create_graph_on_cuda():
    rng = np.random.default_rng(9)
    x = ag.tensor(rng.standard_normal((1, 1, 4, 3)), dtype=ag.float64, device="cuda", requires_grad=True)
    w = ag.tensor(rng.standard_normal((1, 1, 3, 2)), dtype=ag.float64, device="cuda", requires_grad=True)
    assert ag.autograd.gradcheck(lambda a, b: F.conv2d(a, b, padding=1, stride=(2, 1)), (x, w))
    assert ag.autograd.gradgradcheck(lambda a, b: F.conv2d(a, b, padding=1), (x, w))
    assert ag.autograd.gradcheck(lambda a, b: F.conv_transpose2d(a, b, stride=2), (x, w))


@requires_fake
@pytest.mark.parametrize("shape, target", [((3, 5, 4), (3, 4)), ((5,), ())],
                         ids=["spatial (N, C, L)", "unbatched (C,)"])
def test_cross_entropy_kernels_in_other_layouts(shape, target):
    rng = np.random.default_rng(10)
    x_np, t_np = rng.standard_normal(shape), rng.integers(0, 5, target)
    results = []
    for device in ("cpu", "cuda"):
        x = ag.tensor(x_np, device=device, requires_grad=True)
        ignore = int(t_np.reshape(-1)[0]) if t_np.ndim else -100  # (one target: kept)
        loss = F.cross_entropy(x, ag.tensor(t_np, device=device), ignore_index=ignore)
        loss.backward()
        results.append((loss.detach().cpu().numpy(), x.grad.cpu().numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


@requires_fake
def test_inplace_dropout_through_the_kernel():
    ag.manual_seed(4)
    x = ag.tensor(np.arange(1.0, 13.0).reshape(3, 4), device="cuda", requires_grad=True)
    y = x * 1.0
    before = _launches()
    out = F.dropout(y, 0.5, inplace=True)
    assert out is y and _launches() == before + 1
    out.sum().backward()
    kept = y.detach().cpu().numpy() != 0
    np.testing.assert_array_equal(x.grad.cpu().numpy(), kept * 2.0)


@requires_fake
def test_unfold_and_fold_through_the_kernels_match_the_cpu():
    rng = np.random.default_rng(11)
    x_np = rng.standard_normal((2, 3, 6, 5))
    args = dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    results = []
    for device in ("cpu", "cuda"):
        x = ag.tensor(x_np, device=device, requires_grad=True)
        before = _launches()
        cols = F.unfold(x, **args)
        back = F.fold(cols, (6, 5), **args)
        (back * back).sum().backward()
        results.append((cols.detach().cpu().numpy(), back.detach().cpu().numpy(), x.grad.cpu().numpy(),
                        _launches() - before))
    cpu, cuda = results
    assert cpu[3] == 0 and cuda[3] >= 4  # im2col and col2im, forward and backward
    for a, b in zip(cpu[:3], cuda[:3]):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-13)
