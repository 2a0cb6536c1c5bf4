"""The layers added to complete ``torch.nn`` on a CuPy-like device (tests/fake_cupy.py:
no NumPy arrays, no implicit conversion): forward and backward of each give the CPU's
numbers, so none of them computes on host arrays."""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
import nn

F = nn.functional


def _np(t) -> np.ndarray:
    return np.asarray(t.detach().cpu().tolist(), dtype=np.float64)


def _run(device: str) -> tuple:
    """A small volumetric / sequence / metric-learning model and its losses."""
    ag.manual_seed(0)
    conv = nn.Conv3d(2, 4, 2, padding=1).to(device)
    deconv = nn.ConvTranspose3d(4, 2, 2, stride=2).to(device)
    norm = nn.InstanceNorm3d(4, affine=True).to(device)
    rms = nn.RMSNorm(6).to(device)
    bag = nn.EmbeddingBag(7, 6, mode="mean").to(device)
    x = ag.tensor(np.linspace(-1, 1, 2 * 2 * 3 * 4 * 3).reshape(2, 2, 3, 4, 3),
                  dtype=ag.float32, device=device)
    h = F.local_response_norm(norm(conv(F.pad(x, (1, 1, 0, 1, 1, 0), mode="replicate"))), 3)
    h = F.max_pool3d(h, 2, ceil_mode=True) + F.avg_pool3d(h, 2, ceil_mode=True)
    h = F.interpolate(h, scale_factor=1.5, mode="trilinear").mean((2, 3, 4), keepdim=True)
    v = deconv(h)  # (2, 2, 2, 2, 2)
    feats = rms(F.softshrink(v.reshape(2, -1)[:, :6], 0.01))
    idx = ag.tensor([1, 2, 4, 5, 0, 6], device=device)
    emb = bag(idx, ag.tensor([0, 3], device=device))
    img = F.pixel_shuffle(F.lp_pool2d(v.reshape(1, 8, 2, 2).abs() + 0.1, 2.0, 1), 2)
    target = ag.tensor([1, 3], device=device)
    loss = (F.triplet_margin_loss(feats, emb, emb.flip(0), margin=2.0)
            + F.multi_margin_loss(feats, target) + F.multilabel_soft_margin_loss(
                feats, (feats > 0).float())
            + F.gaussian_nll_loss(feats, emb, ag.ones(2, 6, device=device))
            + F.ctc_loss(F.log_softmax(feats.reshape(2, 1, 6), -1).expand(2, 2, 6),
                         ag.tensor([[1], [2]], device=device), [2, 2], [1, 1])
            + F.interpolate(img, size=(5, 5), mode="bicubic").sum() * 0.01)
    assert loss.device.type == device and img.device.type == device
    loss.backward()
    params = [conv.weight, deconv.weight, norm.weight, rms.weight, bag.weight]
    return loss.item(), [_np(p.grad) for p in params]


@pytest.mark.usefixtures("fake_cuda")
def test_new_layers_on_the_fake_gpu_match_the_cpu():
    cpu, gpu = _run("cpu"), _run("cuda")
    assert cpu[0] == pytest.approx(gpu[0], rel=1e-5)
    for a, b in zip(cpu[1], gpu[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def _run_more(device: str) -> tuple:
    """Spatial transformer, unpooling, fractional and adaptive 3-D pooling, pdist and the
    classifier losses."""
    ag.manual_seed(0)
    head = nn.AdaptiveLogSoftmaxWithLoss(6, 8, [3, 5], div_value=2.0).to(device)
    lce = nn.LinearCrossEntropyLoss(6, 4, bias=True).to(device)
    img = ag.tensor(np.linspace(-2, 2, 2 * 2 * 6 * 6).reshape(2, 2, 6, 6), dtype=ag.float32,
                    device=device, requires_grad=True)
    theta = ag.tensor([[[0.9, 0.1, 0.0], [-0.1, 1.1, 0.1]]] * 2, dtype=ag.float32,
                      device=device, requires_grad=True)
    grid = F.affine_grid(theta, [2, 2, 5, 5], align_corners=False)
    warped = F.grid_sample(img, grid, padding_mode="reflection", align_corners=False)
    pooled, idx = F.max_pool2d(warped, 2, return_indices=True)
    back = F.max_unpool2d(pooled, idx, 2, output_size=(5, 5))
    samples = ag.tensor([[[0.3, 0.6], [0.5, 0.1]]] * 2, dtype=ag.float32, device=device)
    frac = F.fractional_max_pool2d(back + warped, 2, output_size=3, _random_samples=samples)
    vol = F.adaptive_max_pool3d(frac.unsqueeze(1), (1, 2, 2))  # (2, 1, 1, 2, 2)
    feats = ag.cat([vol.reshape(2, 4), F.pdist(frac.reshape(2, -1)).expand(2, 1),
                    F.hardshrink(frac.mean((1, 2, 3)), 0.01).unsqueeze(1)], 1)
    target = ag.tensor([1, 6], device=device)
    labels = ag.tensor([[2, 0, -1, 0, 0, 0], [5, -1, 0, 0, 0, 0]], device=device)
    loss = (head(feats, target).loss + lce(feats, ag.tensor([0, 3], device=device))
            + F.multilabel_margin_loss(feats, labels)
            + F.poisson_nll_loss(feats, feats.detach().abs(), full=True))
    assert loss.device.type == device
    loss.backward()
    params = [img, theta, lce.linear.weight, head.head.weight]
    return loss.item(), [_np(p.grad) for p in params]


@pytest.mark.usefixtures("fake_cuda")
def test_more_new_layers_on_the_fake_gpu_match_the_cpu():
    cpu, gpu = _run_more("cpu"), _run_more("cuda")
    assert cpu[0] == pytest.approx(gpu[0], rel=1e-5)
    for a, b in zip(cpu[1], gpu[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
