"""Dropout, Flatten/Unflatten, Embedding and the utility functions of `nn.functional`
(pad, one_hot, normalize, cosine_similarity, pairwise_distance).

Dropout: inverted scaling, the mask reproduced by ``manual_seed`` and reused by backward,
channel-wise masks, train/eval modes. The rest: values and gradients against PyTorch,
gradcheck, reprs and state_dict keys, and PyTorch's errors. Last, a training step of
these layers on the fake CUDA device gives the CPU's numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck, gradgradcheck
from nn import functional as F


def _np(t) -> np.ndarray:
    return np.asarray(t.detach().cpu().tolist(), dtype=np.float64)


# ----------------------------------------------------------------------------- dropout
def test_dropout_scales_kept_elements_and_masks_the_gradient(device):
    x = ag.ones(200, 50, device=device, requires_grad=True)
    y = F.dropout(x, 0.3)
    values = _np(y)
    kept = values != 0
    np.testing.assert_allclose(values[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.02
    y.sum().backward()
    np.testing.assert_allclose(_np(x.grad), values, rtol=1e-6)
    assert y.dtype == x.grad.dtype == ag.float32


def test_dropout_is_reproducible_with_manual_seed():
    x = ag.ones(10, 10)
    ag.manual_seed(123)
    first = _np(F.dropout(x, 0.5))
    ag.manual_seed(123)
    np.testing.assert_array_equal(_np(F.dropout(x, 0.5)), first)
    assert not np.array_equal(_np(F.dropout(x, 0.5)), first)


def test_dropout_modes_and_edge_probabilities():
    x = ag.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(_np(F.dropout(x, 1.0)), np.zeros((4, 5)))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            F.dropout(x, p)
        with pytest.raises(ValueError, match="dropout probability"):
            nn.Dropout(p)
    with pytest.raises(RuntimeError, match="floating point"):
        F.dropout(ag.tensor([1, 2, 3]), 0.5)
    m = nn.Dropout(0.4)
    assert repr(m) == "Dropout(p=0.4, inplace=False)"
    assert (_np(m(x)) == 0).any()
    m.eval()
    assert m(x) is x
    m.train()
    assert m.training and (_np(m(ag.ones(100))) == 0).any()


def test_dropout_gradcheck_with_a_fixed_mask():
    x = ag.randn(3, 4, dtype=ag.float64, requires_grad=True)

    def f(x):
        ag.manual_seed(5)  # the same mask for every evaluation
        return F.dropout(x, 0.4)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_dropout_inplace():
    leaf = ag.ones(6, 6, requires_grad=True)
    h = leaf * 2.0
    ag.manual_seed(1)
    out = F.dropout(h, 0.5, inplace=True)
    assert out is h
    ag.manual_seed(1)
    expected = _np(F.dropout(ag.ones(6, 6) * 2.0, 0.5))
    np.testing.assert_allclose(_np(h), expected)
    h.sum().backward()
    np.testing.assert_allclose(_np(leaf.grad), expected)  # d(2 x m / (1-p))/dx = 2 m / (1-p)
    with pytest.raises(RuntimeError, match="leaf"):
        F.dropout(ag.ones(3, requires_grad=True), 0.5, inplace=True)


@pytest.mark.parametrize("shape", [(4, 6, 3, 3), (6, 3, 3)])
def test_dropout2d_zeroes_whole_channels(shape):
    x = ag.ones(*shape, requires_grad=True)
    y = F.dropout2d(x, 0.5)
    values = _np(y)
    per_channel = values.reshape(-1, 9)
    assert all(len(set(row)) == 1 for row in per_channel)  # a channel is all kept or all 0
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel == 0).any() and (per_channel == 2).any()
    y.sum().backward()
    np.testing.assert_allclose(_np(x.grad), values)
    m = nn.Dropout2d(0.5)
    assert repr(m) == "Dropout2d(p=0.5, inplace=False)"
    m.eval()
    assert m(x) is x


def test_dropout1d_and_module_keys():
    y = _np(F.dropout1d(ag.ones(8, 5, 4), 0.5))
    assert all(len(set(row)) == 1 for row in y.reshape(-1, 4))
    y = _np(F.dropout1d(ag.ones(5, 4), 0.5))
    assert all(len(set(row)) == 1 for row in y)
    for m in (nn.Dropout(), nn.Dropout1d(), nn.Dropout2d()):
        assert list(m.state_dict()) == []
    with pytest.raises(RuntimeError, match="expected an input of 3 or 4 dimensions"):
        F.dropout2d(ag.ones(3), 0.5)


def test_dropout_on_float64_keeps_float64():
    x = ag.ones(5, 5, dtype=ag.float64, requires_grad=True)
    y = F.dropout(x, 0.2)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == ag.float64


# ----------------------------------------------------------------------------- flatten
def test_flatten_and_unflatten_match_pytorch():
    torch = pytest.importorskip("torch")
    values = np.arange(120.0).reshape(2, 3, 4, 5)
    for args in [(), (0,), (1, 2), (2, -1), (0, -2)]:
        ours, theirs = nn.Flatten(*args), torch.nn.Flatten(*args)
        assert repr(ours) == repr(theirs)
        np.testing.assert_array_equal(_np(ours(ag.tensor(values))),
                                      theirs(torch.tensor(values)).numpy())
    for dim, sizes in [(1, (2, 30)), (-1, (6, 10)), (1, [60, 1])]:
        ours, theirs = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
        assert repr(ours) == repr(theirs)
        flat = values.reshape(2, 60)
        np.testing.assert_array_equal(_np(ours(ag.tensor(flat))),
                                      theirs(torch.tensor(flat)).numpy())
    x = ag.randn(2, 3, 4, dtype=ag.float64, requires_grad=True)
    assert gradcheck(lambda t: nn.Unflatten(1, (4, 3))(nn.Flatten()(t)), (x,))
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, (2, 3.0))


# ----------------------------------------------------------------------------- embedding
def test_embedding_matches_pytorch_with_padding_idx():
    torch = pytest.importorskip("torch")
    for padding_idx in (None, 2, -1):
        ours = nn.Embedding(6, 3, padding_idx=padding_idx)
        theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx)
        assert repr(ours) == repr(theirs) and ours.padding_idx == theirs.padding_idx
        assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
        if padding_idx is not None:
            assert not _np(ours.weight)[ours.padding_idx].any()
        theirs.load_state_dict({"weight": torch.tensor(ours.weight.detach().numpy())})
        idx = np.array([[0, 2, 5, 2], [5, 5, 1, 3]])
        y, ty = ours(ag.tensor(idx)), theirs(torch.tensor(idx))
        up = np.random.default_rng(0).normal(size=(2, 4, 3)).astype(np.float32)
        y.backward(ag.tensor(up))
        ty.backward(torch.tensor(up))
        np.testing.assert_allclose(_np(y), ty.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(_np(ours.weight.grad), theirs.weight.grad.numpy(), rtol=1e-6)
        if padding_idx is not None:
            assert not _np(ours.weight.grad)[ours.padding_idx].any()


def test_embedding_options_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    table = rng.normal(size=(5, 4)) * 2
    idx = np.array([0, 3, 3, 1, 3])
    kwargs = {"max_norm": 1.5, "norm_type": 1.0, "scale_grad_by_freq": True}
    w, tw = ag.tensor(table, requires_grad=True), torch.tensor(table, requires_grad=True)
    y = F.embedding(ag.tensor(idx), w, **kwargs)
    ty = torch.nn.functional.embedding(torch.tensor(idx), tw, **kwargs)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(_np(y), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(_np(w), tw.detach().numpy(), rtol=1e-6)  # renormalised rows
    np.testing.assert_allclose(_np(w.grad), tw.grad.numpy())
    m = nn.Embedding(3, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)
    assert repr(m) == repr(torch.nn.Embedding(3, 2, max_norm=1.0, norm_type=1.0,
                                              scale_grad_by_freq=True))


def test_embedding_gradcheck_from_pretrained_and_errors():
    w = ag.randn(5, 3, dtype=ag.float64, requires_grad=True)
    idx = ag.tensor([[1, 4], [4, 0]])
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))  # (padding rows get no gradient)
    assert gradgradcheck(lambda w: F.embedding(idx, w) * 2.0, (w,))
    frozen = nn.Embedding.from_pretrained(ag.ones(4, 2))
    assert not frozen.weight.requires_grad and frozen.num_embeddings == 4
    assert nn.Embedding.from_pretrained(ag.ones(4, 2), freeze=False).weight.requires_grad
    with pytest.raises(IndexError, match="index out of range"):
        nn.Embedding(3, 2)(ag.tensor([0, 3]))
    with pytest.raises(RuntimeError, match="indices"):
        nn.Embedding(3, 2)(ag.tensor([0.0, 1.0]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(AssertionError, match="Shape of weight does not match"):
        nn.Embedding(3, 2, _weight=ag.ones(2, 2))


# ----------------------------------------------------------------------------- pad
PAD_CASES = [
    ("constant", (2, 3, 4), (1, 2)), ("constant", (2, 3, 4), (0, 1, 2, 0, 1, 1)),
    ("constant", (2, 3, 4), (-1, 2, 1, -2)), ("constant", (5,), (3, 0)),
    ("reflect", (2, 3, 5), (2, 1)), ("reflect", (1, 2, 4, 5), (1, 2, 3, 1)),
    ("reflect", (3, 4, 4), (1, 2, 3, 0)), ("replicate", (2, 3, 4), (2, 3)),
    ("replicate", (1, 2, 3, 4), (1, 0, 2, 2)), ("replicate", (1, 1, 2, 3, 2), (1, 1, 1, 0, 2, 1)),
    ("circular", (2, 3, 4), (2, 1)), ("circular", (1, 2, 3, 4), (1, 3, 2, 1)),
    ("reflect", (1, 1, 3, 3, 3), (1, 1, 2, 0, 1, 2)),
]


@pytest.mark.parametrize("mode,shape,pads", PAD_CASES)
def test_pad_matches_pytorch(mode, shape, pads):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(2).normal(size=shape)
    x, tx = ag.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y = F.pad(x, pads, mode=mode, value=0.5 if mode == "constant" else None)
    ty = torch.nn.functional.pad(tx, pads, mode=mode, value=0.5 if mode == "constant" else None)
    assert tuple(y.shape) == tuple(ty.shape)
    np.testing.assert_allclose(_np(y), ty.detach().numpy())
    up = np.random.default_rng(3).normal(size=tuple(ty.shape))
    y.backward(ag.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(), atol=1e-12)


def test_pad_gradcheck_and_errors():
    x = ag.randn(1, 2, 3, 3, dtype=ag.float64, requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert gradcheck(lambda t, mode=mode: F.pad(t, (1, 2, 2, 1), mode=mode), (x,))
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal"):
        F.pad(ag.ones(3), (1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        F.pad(ag.ones(1, 1, 3), (3, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="Only 2D, 3D, 4D, 5D padding"):
        F.pad(ag.ones(3), (1, 1), mode="reflect")
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode"):
        F.pad(ag.ones(1, 3), (1, 1), mode="mirror")
    with pytest.raises(RuntimeError, match="negative output size"):
        F.pad(ag.ones(1, 3), (-2, -2))
    assert F.pad(ag.ones(2), (0, 0)).tolist() == [1.0, 1.0]
    assert F.pad(ag.tensor([1, 2]), (1, 0), value=7).tolist() == [7, 1, 2]


# ----------------------------------------------------------------------------- one_hot
def test_one_hot_matches_pytorch():
    torch = pytest.importorskip("torch")
    idx = np.array([[0, 2], [3, 1]])
    for n in (-1, 5):
        ours = F.one_hot(ag.tensor(idx), n)
        theirs = torch.nn.functional.one_hot(torch.tensor(idx), n)
        assert ours.dtype == ag.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert tuple(F.one_hot(ag.tensor(np.zeros(0, dtype=np.int64)), 3).shape) == (0, 3)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(ag.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="Class values must be non-negative"):
        F.one_hot(ag.tensor([0, -1]))
    with pytest.raises(RuntimeError, match="only applicable to index tensor"):
        F.one_hot(ag.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="Can not infer total number of classes"):
        F.one_hot(ag.tensor(np.zeros(0, dtype=np.int64)))


# ----------------------------------------------------------------------------- similarities
def test_normalize_cosine_similarity_pairwise_distance_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    cases = [
        (lambda x, y: F.normalize(x), lambda x, y: torch.nn.functional.normalize(x)),
        (lambda x, y: F.normalize(x, p=1.0, dim=0),
         lambda x, y: torch.nn.functional.normalize(x, p=1.0, dim=0)),
        (lambda x, y: F.cosine_similarity(x, y),
         lambda x, y: torch.nn.functional.cosine_similarity(x, y)),
        (lambda x, y: F.cosine_similarity(x, y[:1], dim=-1),
         lambda x, y: torch.nn.functional.cosine_similarity(x, y[:1], dim=-1)),
        (lambda x, y: F.pairwise_distance(x, y),
         lambda x, y: torch.nn.functional.pairwise_distance(x, y)),
        (lambda x, y: F.pairwise_distance(x, y, p=1.0, keepdim=True),
         lambda x, y: torch.nn.functional.pairwise_distance(x, y, p=1.0, keepdim=True)),
    ]
    for ours, theirs in cases:
        x, y = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        out, tout = ours(x, y), theirs(tx, ty)
        np.testing.assert_allclose(_np(out), tout.detach().numpy(), atol=1e-12)
        (out * out).sum().backward()
        (tout * tout).sum().backward()
        np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(), atol=1e-10)
        if y.grad is not None or ty.grad is not None:
            np.testing.assert_allclose(_np(y.grad), ty.grad.numpy(), atol=1e-10)
    x = ag.tensor(a, requires_grad=True)
    y = ag.tensor(b, requires_grad=True)
    assert gradcheck(lambda s, t: F.cosine_similarity(s, t), (x, y))
    assert gradcheck(lambda s, t: F.pairwise_distance(s, t), (x, y))
    assert gradcheck(lambda s: F.normalize(s, dim=1), (x,))


# ----------------------------------------------------------------------------- fake GPU
@pytest.mark.usefixtures("fake_cuda")
def test_training_step_on_the_fake_gpu_matches_the_cpu():
    """Linear, the fused activations, dropout, embedding and the fused losses run on a
    CuPy-like device (no NumPy arrays allowed) and give the CPU's loss and gradients."""
    results = {}
    for device in ("cpu", "cuda"):
        ag.manual_seed(0)
        emb = nn.Embedding(10, 4, padding_idx=0).to(device)
        model = nn.Sequential(nn.Linear(8, 6), nn.GELU(), nn.Dropout(0.0), nn.Linear(6, 6),
                              nn.SiLU(), nn.LeakyReLU(0.1), nn.ELU(), nn.Linear(6, 3)).to(device)
        idx = ag.tensor([[1, 2], [3, 0], [9, 9]], device=device)
        x = emb(idx).reshape(3, 8)
        logits = model(x)
        target = ag.tensor([0, 2, 1], device=device)
        loss = (F.cross_entropy(logits, target, label_smoothing=0.1)
                + F.binary_cross_entropy_with_logits(logits, logits.detach().sigmoid())
                + F.mse_loss(logits, ag.zeros(3, 3, device=device))
                + F.nll_loss(F.log_softmax(logits, 1), target))
        loss.backward()
        drop = F.dropout(ag.ones(4, 4, device=device), 0.5)
        assert drop.device.type == device
        results[device] = (loss.item(), [_np(p.grad) for p in model.parameters()],
                           _np(emb.weight.grad))
    cpu, gpu = results["cpu"], results["cuda"]
    assert cpu[0] == pytest.approx(gpu[0], rel=1e-6)
    for a, b in zip(cpu[1], gpu[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(cpu[2], gpu[2], rtol=1e-5, atol=1e-7)
