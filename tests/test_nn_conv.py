"""Convolutions: fused conv1d/conv2d and their transposes, unfold/fold, the Conv layers.

Values and gradients against PyTorch (float64, when installed), finite-difference
gradient checks of first and second derivatives, shapes, PyTorch's errors, and the layers'
parameters, initialisation, state_dict keys and repr.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck, gradgradcheck

F = nn.functional
# PyTorch's own note on its 'same' padding with even kernels
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def _rand(rng, *shape):
    return rng.standard_normal(shape)


def _leaf(a, dtype=ag.float64):
    return ag.tensor(a, dtype=dtype, requires_grad=True)


def _compare_with_torch(ours_fn, torch_fn, arrays, tol=1e-10):
    """Forward values and the gradients of every input agree with PyTorch's (float64)."""
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    os_ = [_leaf(a) for a in arrays]
    expected = torch_fn(*ts)
    got = ours_fn(*os_)
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=tol,
                               atol=tol)
    seed = np.random.default_rng(1).standard_normal(tuple(expected.shape))
    expected.backward(torch.tensor(seed))
    got.backward(ag.tensor(seed))
    for o, t in zip(os_, ts):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- conv2d
# (N, C, H, W, O, kernel, stride, padding, dilation, groups, bias)
CONV2D = [
    (2, 3, 6, 5, 4, (3, 2), 1, 0, 1, 1, True),
    (2, 4, 6, 6, 6, 3, 2, 1, 1, 2, True),
    (1, 2, 7, 6, 4, (2, 3), (2, 1), (1, 2), (2, 1), 2, False),
    (2, 3, 5, 5, 3, 1, 1, 0, 1, 3, True),
    (2, 3, 6, 5, 4, 3, 1, "same", 1, 1, True),
    (1, 2, 6, 6, 2, (2, 4), 1, "same", (2, 1), 1, True),
    (2, 2, 5, 4, 3, 3, 1, "valid", 1, 1, False),
    (2, 2, 4, 4, 3, 3, 1, 2, 1, 1, True),
    (1, 3, 6, 6, 6, 3, 3, 0, 1, 3, True),
]


@pytest.mark.parametrize("case", CONV2D, ids=[str(i) for i in range(len(CONV2D))])
def test_conv2d_matches_torch(case):
    n, c, h, w, o, k, s, p, d, g, bias = case
    rng = np.random.default_rng(0)
    kh, kw = (k, k) if isinstance(k, int) else k
    arrays = [_rand(rng, n, c, h, w), _rand(rng, o, c // g, kh, kw)]
    if bias:
        arrays.append(_rand(rng, o))

    def ours(x, wt, b=None):
        return F.conv2d(x, wt, b, s, p, d, g)

    def theirs(x, wt, b=None):
        import torch

        return torch.nn.functional.conv2d(x, wt, b, s, p, d, g)

    _compare_with_torch(ours, theirs, arrays)


def test_conv2d_non_contiguous_input_matches_torch():
    rng = np.random.default_rng(2)
    x = _rand(rng, 2, 3, 5, 6)
    wt = _rand(rng, 4, 3, 3, 3)

    def ours(x, wt):
        return F.conv2d(x.permute(0, 1, 3, 2), wt, padding=1)

    def theirs(x, wt):
        import torch

        return torch.nn.functional.conv2d(x.permute(0, 1, 3, 2), wt, padding=1)

    _compare_with_torch(ours, theirs, [x, wt])


@pytest.mark.parametrize("stride, padding, dilation, groups", [
    (1, 0, 1, 1), (2, 1, 1, 2), (1, "same", 2, 1), (3, 2, 2, 2),
])
def test_conv1d_matches_torch(stride, padding, dilation, groups):
    rng = np.random.default_rng(3)
    arrays = [_rand(rng, 2, 4, 9), _rand(rng, 6, 4 // groups, 3), _rand(rng, 6)]

    def ours(x, wt, b):
        return F.conv1d(x, wt, b, stride, padding, dilation, groups)

    def theirs(x, wt, b):
        import torch

        return torch.nn.functional.conv1d(x, wt, b, stride, padding, dilation, groups)

    _compare_with_torch(ours, theirs, arrays)


# (N, C_in, H, W, C_out, k, stride, padding, output_padding, groups, dilation)
CONV_T2D = [
    (2, 3, 4, 5, 4, 3, 2, 1, 1, 1, 1),
    (2, 4, 3, 3, 6, 2, 3, 0, 2, 2, 1),
    (1, 2, 4, 4, 2, 3, 1, 1, 0, 2, 2),
    (2, 2, 3, 3, 3, 3, 2, 2, 1, 1, 3),
    (2, 3, 3, 4, 2, (2, 3), (1, 2), (0, 1), (0, 1), 1, 1),
]


@pytest.mark.parametrize("case", CONV_T2D, ids=[str(i) for i in range(len(CONV_T2D))])
def test_conv_transpose2d_matches_torch(case):
    n, c, h, w, co, k, s, p, op, g, d = case
    rng = np.random.default_rng(4)
    kh, kw = (k, k) if isinstance(k, int) else k
    arrays = [_rand(rng, n, c, h, w), _rand(rng, c, co // g, kh, kw), _rand(rng, co)]

    def ours(x, wt, b):
        return F.conv_transpose2d(x, wt, b, s, p, op, g, d)

    def theirs(x, wt, b):
        import torch

        return torch.nn.functional.conv_transpose2d(x, wt, b, s, p, op, g, d)

    _compare_with_torch(ours, theirs, arrays)


def test_conv_transpose1d_matches_torch():
    rng = np.random.default_rng(5)
    arrays = [_rand(rng, 2, 4, 5), _rand(rng, 4, 3, 3), _rand(rng, 6)]

    def ours(x, wt, b):
        return F.conv_transpose1d(x, wt, b, 2, 1, 1, 2, 1)

    def theirs(x, wt, b):
        import torch

        return torch.nn.functional.conv_transpose1d(x, wt, b, 2, 1, 1, 2, 1)

    _compare_with_torch(ours, theirs, arrays)


def test_unfold_and_fold_match_torch():
    rng = np.random.default_rng(6)

    def theirs_unfold(x):
        import torch

        return torch.nn.functional.unfold(x, (2, 3), (1, 2), 1, (2, 1))

    _compare_with_torch(lambda x: F.unfold(x, (2, 3), (1, 2), 1, (2, 1)), theirs_unfold,
                        [_rand(rng, 2, 3, 5, 6)])

    def theirs_fold(c):
        import torch

        return torch.nn.functional.fold(c, (5, 6), (2, 2), 1, 1, (2, 1))

    _compare_with_torch(lambda c: F.fold(c, (5, 6), (2, 2), 1, 1, (2, 1)), theirs_fold,
                        [_rand(rng, 2, 12, 21)])


def test_unfold_is_conv_as_a_matrix_product():
    """conv2d(x, W) == W_mat @ unfold(x): im2col spelled out (NumPy only)."""
    rng = np.random.default_rng(7)
    x = ag.tensor(_rand(rng, 2, 3, 5, 5))
    wt = ag.tensor(_rand(rng, 4, 3, 3, 3))
    cols = F.unfold(x, 3, padding=1)
    expected = (wt.reshape(4, -1) @ cols).reshape(2, 4, 5, 5)
    np.testing.assert_allclose(F.conv2d(x, wt, padding=1).numpy(), expected.numpy(),
                               atol=1e-12)
    assert F.unfold(x, 1).shape == (2, 3, 25)


# ----------------------------------------------------------------------------- gradcheck
# (name, function of (x, weight, bias), x shape, weight shape, bias size)
GRADCHECK = [
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, (2, 1), 1, (1, 2), 2), (2, 4, 5, 4),
     (6, 2, 3, 2), 6),
    ("conv2d_same", lambda x, w, b: F.conv2d(x, w, b, padding="same", dilation=(1, 2)),
     (1, 2, 4, 5), (3, 2, 2, 2), 3),
    ("conv1d", lambda x, w, b: F.conv1d(x, w, b, 2, 1), (2, 3, 6), (2, 3, 3), 2),
    ("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 2),
     (2, 4, 3, 3), (4, 2, 3, 2), 4),
    ("conv_transpose1d", lambda x, w, b: F.conv_transpose1d(x, w, b, 1, 1, 0, 1, 2),
     (2, 2, 4), (2, 3, 3), 3),
]


def _inputs(x_shape, w_shape, bias, seed=0):
    rng = np.random.default_rng(seed)
    return (_leaf(_rand(rng, *x_shape)), _leaf(_rand(rng, *w_shape)), _leaf(_rand(rng, bias)))


@pytest.mark.parametrize("name, fn, x_shape, w_shape, bias", GRADCHECK,
                         ids=[g[0] for g in GRADCHECK])
def test_conv_gradcheck(name, fn, x_shape, w_shape, bias):
    assert gradcheck(fn, _inputs(x_shape, w_shape, bias))


GRADGRAD = [
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, 2, 1), (1, 2, 4, 4), (2, 2, 2, 2), 2),
    ("conv2d_same_wide", lambda x, w, b: F.conv2d(x, w, b, padding="same"), (1, 2, 3, 4),
     (2, 2, 2, 3), 2),
    ("conv2d_groups", lambda x, w, b: F.conv2d(x, w, b, 1, 0, 1, 2), (1, 4, 3, 3),
     (2, 2, 2, 2), 2),
    ("conv1d", lambda x, w, b: F.conv1d(x, w, b, 1, 1, 2), (2, 2, 4), (2, 2, 2), 2),
    ("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 0, 1), (1, 2, 2, 2),
     (2, 2, 2, 2), 2),
]


@pytest.mark.parametrize("name, fn, x_shape, w_shape, bias", GRADGRAD,
                         ids=[g[0] for g in GRADGRAD])
def test_conv_gradgradcheck(name, fn, x_shape, w_shape, bias):
    assert gradgradcheck(fn, _inputs(x_shape, w_shape, bias, seed=3))


def test_unfold_fold_gradcheck():
    rng = np.random.default_rng(8)
    x = _leaf(_rand(rng, 1, 2, 4, 3))
    assert gradgradcheck(lambda x: F.unfold(x, 2, padding=1, stride=(1, 2)), (x,))
    c = _leaf(_rand(rng, 1, 8, 6))
    assert gradgradcheck(lambda c: F.fold(c, (3, 4), 2, stride=1), (c,))


# ----------------------------------------------------------------------------- graph, shapes
def test_conv_is_one_node_and_keeps_float32():
    x = ag.randn(2, 3, 8, 8, requires_grad=True)
    conv = nn.Conv2d(3, 5, 3, padding=1)
    y = conv(x)
    assert y.dtype == ag.float32 and y.shape == (2, 5, 8, 8) and y.is_contiguous()
    assert y.grad_fn.name() == "ConvolutionBackward0"
    leaves = {fn.variable for fn, _ in y.grad_fn.next_functions if fn is not None}
    assert {id(t) for t in leaves} == {id(x), id(conv.weight), id(conv.bias)}
    y.sum().backward()
    assert x.grad.dtype == ag.float32 and conv.weight.grad.dtype == ag.float32
    assert conv.bias.grad.dtype == ag.float32


def test_only_requested_gradients_are_computed():
    x = ag.randn(1, 2, 5, 5)
    w = ag.randn(3, 2, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == w.shape
    b = ag.zeros(3, requires_grad=True)
    F.conv2d(x, w.detach(), b).sum().backward()  # only the bias
    np.testing.assert_allclose(b.grad.numpy(), [9.0] * 3)
    b.grad = None
    F.conv_transpose2d(ag.randn(1, 2, 2, 2), ag.randn(2, 3, 2, 2), b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [9.0] * 3)  # 3x3 outputs


@pytest.mark.parametrize("size, k, s, p, d, expected", [
    (28, 3, 1, 1, 1, 28), (28, 3, 2, 1, 1, 14), (7, 3, 2, 0, 1, 3), (10, 3, 1, 0, 3, 4),
])
def test_conv_output_size(size, k, s, p, d, expected):
    x = ag.zeros(1, 1, size, size)
    w = ag.zeros(1, 1, k, k)
    assert F.conv2d(x, w, stride=s, padding=p, dilation=d).shape == (1, 1, expected, expected)


def test_unbatched_input():
    rng = np.random.default_rng(9)
    x = ag.tensor(_rand(rng, 3, 5, 5))
    w = ag.tensor(_rand(rng, 4, 3, 3, 3))
    out = F.conv2d(x, w, padding=1)
    assert out.shape == (4, 5, 5)
    np.testing.assert_allclose(out.numpy(), F.conv2d(x.unsqueeze(0), w, padding=1)[0].numpy())
    assert F.conv1d(ag.zeros(2, 6), ag.zeros(3, 2, 3)).shape == (3, 4)
    assert F.conv_transpose2d(ag.zeros(3, 2, 2), ag.zeros(3, 1, 2, 2), stride=2).shape \
        == (1, 4, 4)


def test_conv_transpose_inverts_strided_conv_shape():
    x = ag.zeros(1, 2, 7, 8)
    w = ag.zeros(3, 2, 3, 3)
    y = F.conv2d(x, w, stride=2, padding=1)
    assert y.shape == (1, 3, 4, 4)
    back = F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=(0, 1))
    assert back.shape == x.shape


# ----------------------------------------------------------------------------- errors
def test_wrong_channels_names_the_shapes():
    x = ag.zeros(1, 2, 5, 5)
    w = ag.zeros(16, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[16, 3, 3, 3\], "
                       r"expected input\[1, 2, 5, 5\] to have 3 channels, but got 2 channels "
                       r"instead"):
        F.conv2d(x, w)
    with pytest.raises(RuntimeError, match=r"Given transposed=1, weight of size \[2, 3, 3, 3\], "
                       r"expected input\[1, 3, 5, 5\] to have 2 channels, but got 3 channels"):
        F.conv_transpose2d(ag.zeros(1, 3, 5, 5), ag.zeros(2, 3, 3, 3))


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(ag.zeros(2, 3), ag.zeros(4, 3, 3, 3)),
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: "
     r"\[2, 3\]"),
    (lambda: F.conv1d(ag.zeros(1, 3, 5, 5), ag.zeros(4, 3, 3)),
     r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d"),
    (lambda: F.conv2d(ag.zeros(1, 3, 2, 2), ag.zeros(4, 3, 3, 3)),
     r"Calculated padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\). Kernel "
     r"size can't be greater than actual input size"),
    (lambda: F.conv2d(ag.zeros(1, 3, 5, 5), ag.zeros(4, 3, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(ag.zeros(1, 3, 5, 5), ag.zeros(4, 3, 3, 3), padding="full"),
     "Invalid padding string: 'full'"),
    (lambda: F.conv2d(ag.zeros(1, 4, 5, 5), ag.zeros(3, 2, 3, 3), groups=2),
     "expected weight to be divisible by 2 at dimension 0"),
    (lambda: F.conv2d(ag.zeros(1, 3, 5, 5), ag.zeros(4, 3, 3, 3), stride=0),
     "non-positive stride is not supported"),
    (lambda: F.conv2d(ag.zeros(1, 3, 5, 5), ag.zeros(4, 3, 3, 3), padding=-1),
     "negative padding is not supported"),
    (lambda: F.conv2d(ag.zeros(1, 3, 5, 5), ag.zeros(4, 3, 3, 3), dilation=0),
     "dilation should be greater than zero"),
    (lambda: F.conv2d(ag.zeros(1, 3, 5, 5), ag.zeros(4, 3, 3, 3), ag.zeros(5)),
     r"expected bias to be 1-dimensional with 4 elements, but got bias of size \[5\]"),
    (lambda: F.conv2d(ag.zeros(1, 3, 5, 5, dtype=ag.float64), ag.zeros(4, 3, 3, 3)),
     "expected scalar type Double but found Float"),
    (lambda: F.conv1d(ag.zeros(1, 3, 5), ag.zeros(4, 3, 3), stride=(1, 1)),
     "expected stride to be a single integer value or a list of 1 values"),
    (lambda: F.conv_transpose2d(ag.zeros(1, 3, 5, 5), ag.zeros(3, 3, 3, 3), stride=2,
                                output_padding=2),
     "output padding must be smaller than either stride or dilation"),
])
def test_conv_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_fold_errors_like_torch():
    with pytest.raises(RuntimeError, match=r"Given output_size=\(5, 6\), kernel_size=\(2, 2\), "
                       r"dilation=\(1, 1\), padding=\(1, 1\), stride=\(2, 1\), expected size of "
                       r"input's dimension 2 to match the calculated number of sliding blocks "
                       r"3 \* 7 = 21, but got input.size\(2\)=20."):
        F.fold(ag.zeros(2, 12, 20), (5, 6), (2, 2), 1, 1, (2, 1))


def test_conv_transpose_rejects_string_padding():
    with pytest.raises(TypeError, match="argument 'padding' must be tuple of ints, not str"):
        F.conv_transpose2d(ag.zeros(1, 3, 5, 5), ag.zeros(3, 3, 3, 3), padding="same")


# ----------------------------------------------------------------------------- modules
MODULES = [
    ("Conv2d", (3, 4, 3), {}),
    ("Conv2d", (3, 4, 3), {"padding": "same", "dilation": 2, "bias": False}),
    ("Conv2d", (4, 6, (2, 3)), {"stride": (2, 1), "padding": (1, 0), "groups": 2}),
    ("Conv1d", (3, 4, 3), {"stride": 2}),
    ("Conv1d", (2, 4, 5), {"padding": "valid", "groups": 2}),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 2, "output_padding": 1}),
    ("ConvTranspose2d", (4, 2, 2), {"groups": 2, "bias": False, "dilation": 2}),
    ("ConvTranspose1d", (3, 5, 4), {"stride": 2, "padding": 1}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_module_matches_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    state = ours.state_dict()
    assert list(state.keys()) == list(theirs.state_dict().keys())
    for key, value in theirs.state_dict().items():
        assert tuple(state[key].shape) == tuple(value.shape)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in state.items()})
    dims = 1 if name.endswith("1d") else 2
    x = np.random.default_rng(0).standard_normal((2, args[0]) + (7,) * dims).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    xo = ag.tensor(x, requires_grad=True)
    yt, yo = theirs(xt), ours(xo)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    yt.square().sum().backward()
    yo.square().sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("cls, args, fan_in", [
    (nn.Conv2d, (3, 8, 3), 27), (nn.Conv1d, (4, 6, 5, 1, 0, 1, 2), 10),
    (nn.ConvTranspose2d, (3, 8, 2), 32),
])
def test_initialisation_is_pytorchs(cls, args, fan_in):
    ag.manual_seed(0)
    m = cls(*args)
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives the same bound
    w = m.weight.detach().numpy()
    b = m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.8 * bound  # actually spread over the range
    assert m.weight.dtype == ag.float32 and m.weight.requires_grad


def test_module_dtype_argument():
    m = nn.Conv2d(2, 3, 3, dtype=ag.float64)
    assert m.weight.dtype == ag.float64 and m.bias.dtype == ag.float64
    assert m(ag.zeros(1, 2, 4, 4, dtype=ag.float64)).dtype == ag.float64


def test_conv_transpose_output_size():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = ag.zeros(1, 2, 4, 4)
    assert m(x).shape == (1, 3, 7, 7)
    assert m(x, output_size=(8, 8)).shape == (1, 3, 8, 8)
    assert m(x, output_size=[1, 3, 8, 7]).shape == (1, 3, 8, 7)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(x, output_size=(10, 10))


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv2d(3, 4, 3, padding="full"), ValueError, "Invalid padding string 'full'"),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="mirror"), ValueError, "padding_mode must be one of"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
    (lambda: nn.Conv2d(3, 4, 3, groups=0), ValueError, "groups must be a positive integer"),
])
def test_module_constructor_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_module_wrong_channels():
    with pytest.raises(RuntimeError, match="to have 3 channels, but got 2 channels instead"):
        nn.Conv2d(3, 4, 3)(ag.zeros(1, 2, 5, 5))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding, kernel", [((1, 2), 3), ("same", (2, 3))])
def test_padding_modes_match_torch(mode, padding, kernel):
    torch = pytest.importorskip("torch")
    ours = nn.Conv2d(2, 3, kernel, padding=padding, padding_mode=mode)
    theirs = torch.nn.Conv2d(2, 3, kernel, padding=padding, padding_mode=mode)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 6)).astype(np.float32)
    np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    assert "padding_mode=" + mode in repr(ours)


# ----------------------------------------------------------------------------- devices
def test_conv_on_fake_cuda_matches_cpu(fake_cuda):  # noqa: F811
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 4, 6, 5)).astype(np.float32)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    results = {}
    for device in ("cpu", "cuda"):
        xs = [ag.tensor(a, device=device, requires_grad=True) for a in (x, w, b)]
        y1 = F.conv2d(xs[0], xs[1], xs[2], padding=1, groups=2)
        y2 = F.conv2d(xs[0], xs[1], None, stride=2, groups=2)
        y3 = F.conv_transpose2d(y1, xs[1], stride=2, padding=1, output_padding=1)
        loss = (y1 * y1).sum() + y2.sum() + y3.square().sum() \
            + F.conv1d(xs[0][:, :, 0], xs[1][:, :, 0], padding="same", groups=2).sum()
        loss.backward()
        assert y1.device.type == device
        results[device] = [loss.item()] + [t.grad.tolist() for t in xs]
    cpu, gpu = results["cpu"], results["cuda"]
    assert np.isclose(cpu[0], gpu[0], rtol=1e-5)
    for c, g in zip(cpu[1:], gpu[1:]):
        np.testing.assert_allclose(np.array(g), np.array(c), rtol=1e-4, atol=1e-4)


def test_conv_layers_on_each_device(device):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ConvTranspose2d(4, 2, 2, stride=2),
                          nn.Identity())
    x = np.random.default_rng(11).standard_normal((2, 2, 5, 5)).astype(np.float32)
    cpu_loss = model(ag.tensor(x)).square().mean()
    cpu_loss.backward()
    cpu_grad = model[0].weight.grad.numpy().copy()
    model.zero_grad()
    model.to(device)
    loss = model(ag.tensor(x, device=device)).square().mean()
    loss.backward()
    assert loss.device.type == device
    assert np.isclose(loss.item(), cpu_loss.item(), rtol=1e-5)
    np.testing.assert_allclose(np.array(model[0].weight.grad.tolist()), cpu_grad, rtol=1e-4,
                               atol=1e-6)


def test_cnn_benchmark_runs(capsys):
    from bench import cnn_step

    cnn_step.main(["--quick"])
    out = capsys.readouterr().out
    assert "CNN step" in out and "autograd_core: median" in out
