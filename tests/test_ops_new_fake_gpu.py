"""The ops of issue 12's breadth work (strided, aten-named, native norms, gradient,
histogramdd, igamma, Householder, antialiased resize, random fills) on a CuPy-like device
(tests/fake_cupy.py: no NumPy arrays, no implicit conversion): each gives the CPU's values
and gradients, so none of them computes on host arrays."""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
import nn.functional as F

pytestmark = pytest.mark.usefixtures("fake_cuda")

R = np.random.default_rng(47)
A = R.normal(size=(3, 4))
X4 = R.normal(size=(2, 3, 5, 6))
POS = R.uniform(0.5, 3.0, size=(3, 4))


def _np(t) -> np.ndarray:
    return np.asarray(t.detach().cpu().tolist(), dtype=np.float64)


CASES = {
    "as_strided": (lambda x: ag.as_strided(x, (2, 3), (1, 2), 1) * 2, [A]),
    "as_strided_scatter": (lambda x, s: ag.as_strided_scatter(x, s, (2, 2), (1, 2), 1),
                           [A, A[:2, :2]]),
    "constant_pad_nd": (lambda x: ag.constant_pad_nd(x, (1, -1, 2, 0), 0.5), [A]),
    "segment_reduce": (lambda x: ag.segment_reduce(x, "max", lengths=ag.tensor(
        [1, 0, 2], device=x.device), initial=0.1), [A[:, 0]]),
    "safe_softmax": (lambda x: ag._safe_softmax(x, 1), [A]),
    "chunk_cat": (lambda x, y: ag._chunk_cat([x, y], 1, 3), [A, A[:, :2]]),
    "native_batch_norm": (lambda x: ag.native_batch_norm(x, None, None, None, None, True,
                                                         0.1, 1e-5)[0], [X4]),
    "native_group_norm": (lambda x: ag.native_group_norm(x, None, None, 2, 3, 30, 3, 1e-5)[0],
                          [X4]),
    "native_layer_norm": (lambda x: ag.native_layer_norm(x, (5, 6), None, None, 1e-5)[0], [X4]),
    "gradient": (lambda x: ag.gradient(x, spacing=2.0, edge_order=2)[1], [A]),
    "igammac": (lambda x: ag.igammac(ag.tensor(POS[0], device=x.device), x), [POS]),
    "mvlgamma": (lambda x: ag.mvlgamma(x + 2, 3), [POS]),
    "upsample_aa": (lambda x: ag.ops.aten._upsample_bilinear2d_aa(x, (3, 4), False), [X4]),
    "max_pool2d_backward": (lambda g: ag.ops.aten.max_pool2d_with_indices_backward(
        g, ag.zeros(2, 3, 5, 6, device=g.device), 2, 2, 0, 1, False,
        F.max_pool2d(ag.tensor(X4, device=g.device), 2, return_indices=True)[1]),
        [X4[..., :2, :3]]),
    "ormqr": (lambda c: ag.ormqr(*ag.geqrf(ag.tensor(A, device=c.device)), c), [A]),
    "unsafe_masked_index": (lambda x: ag._unsafe_masked_index(
        x, ag.tensor([[True, False]], device=x.device),
        [ag.tensor([[0], [2]], device=x.device), ag.tensor([[1, 5]], device=x.device)], 0.0),
        [A]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_new_op_on_the_device_matches_the_cpu(name):
    fn, arrays = CASES[name]
    results = []
    for device in ("cpu", "cuda"):
        xs = [ag.tensor(a, device=device, requires_grad=True) for a in arrays]
        y = fn(*xs)
        assert y.device.type == device
        (y * y).sum().backward()
        results.append([_np(y)] + [_np(x.grad) for x in xs])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_non_differentiable_new_ops_on_the_device():
    points = ag.tensor(R.normal(size=(20, 2)), device="cuda")
    hist = ag.histogramdd(points, [3, 2])
    ref = ag.histogramdd(points.cpu(), [3, 2])
    np.testing.assert_array_equal(_np(hist.hist), _np(ref.hist))
    x = ag.tensor(A > 0, device="cuda")
    assert _np(ag.nonzero_static(x, size=3)).tolist() == _np(ag.nonzero_static(x.cpu(),
                                                                               size=3)).tolist()
    assert ag.isreal(x).device.type == "cuda"
    for fill, args in (("cauchy_", ()), ("exponential_", ()), ("geometric_", (0.4,)),
                       ("log_normal_", ())):
        t = getattr(ag.zeros(5, device="cuda"), fill)(*args)
        assert t.device.type == "cuda" and np.all(np.isfinite(_np(t)))
    s = ag.zeros(6, device="cuda").as_strided((2, 2), (1, 2))
    assert s.stride() == (1, 2) and s.device.type == "cuda"
