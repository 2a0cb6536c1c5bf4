"""Packed sequences (`nn.utils.rnn`) and the recurrent layers' step-by-step path: packed
input to RNN / LSTM / GRU and the LSTM with projections (``proj_size``).

The packing functions give PyTorch's data, batch sizes, permutations and padded outputs;
the layers given a `PackedSequence` (or ``proj_size > 0``) match PyTorch, loaded with the
same weights, in outputs, final states and every gradient; the step path passes float64
gradcheck; and a packed-sequence classifier written in PyTorch's idiom trains unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck
from nn.utils import rnn as rnn_utils

torch = pytest.importorskip("torch")
from torch.nn.utils import rnn as torch_rnn_utils  # noqa: E402


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def _ours(t, requires_grad: bool = False) -> ag.Tensor:
    return ag.tensor(t.detach().numpy(), requires_grad=requires_grad)


def _copy_weights(ours: nn.Module, theirs) -> None:
    ours.load_state_dict({k: _ours(v) for k, v in theirs.state_dict().items()})


# ----------------------------------------------------------------------------- packing
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_and_pad_match_torch(batch_first, enforce_sorted):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    x = torch.randn(4, 5, 2, dtype=torch.float64) if batch_first else torch.randn(5, 4, 2)
    x = x.double().requires_grad_()
    xa = _ours(x, True)
    theirs = torch_rnn_utils.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
    ours = rnn_utils.pack_padded_sequence(xa, lengths, batch_first, enforce_sorted)
    np.testing.assert_array_equal(_np(ours.data), theirs.data.detach().numpy())
    assert ours.batch_sizes.tolist() == theirs.batch_sizes.tolist()
    assert ours.batch_sizes.dtype == ag.int64
    for mine, ref in ((ours.sorted_indices, theirs.sorted_indices),
                      (ours.unsorted_indices, theirs.unsorted_indices)):
        assert (mine is None) == (ref is None)
        if ref is not None:
            assert mine.tolist() == ref.tolist()
    padded, out_lengths = rnn_utils.pad_packed_sequence(ours, batch_first, -1.0, total_length=6)
    ref_padded, ref_lengths = torch_rnn_utils.pad_packed_sequence(theirs, batch_first, -1.0,
                                                                  total_length=6)
    np.testing.assert_array_equal(_np(padded), ref_padded.detach().numpy())
    assert out_lengths.tolist() == ref_lengths.tolist()
    weights = torch.randn(ref_padded.shape, dtype=torch.float64)
    (ref_padded * weights).sum().backward()
    (padded * _ours(weights)).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), x.grad.numpy())


@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_unpad_and_pack_sequence(padding_side):
    seqs = [torch.randn(n, 3, dtype=torch.float64) for n in (2, 4, 1)]
    ours = [_ours(s) for s in seqs]
    for batch_first in (False, True):
        ref = torch_rnn_utils.pad_sequence(seqs, batch_first, 0.5, padding_side)
        got = rnn_utils.pad_sequence(ours, batch_first, 0.5, padding_side)
        np.testing.assert_array_equal(_np(got), ref.numpy())
    padded = rnn_utils.pad_sequence(ours, batch_first=True)
    for s, back in zip(ours, rnn_utils.unpad_sequence(padded, [2, 4, 1], batch_first=True)):
        np.testing.assert_array_equal(_np(back), _np(s))
    packed = rnn_utils.pack_sequence(ours, enforce_sorted=False)
    ref = torch_rnn_utils.pack_sequence(seqs, enforce_sorted=False)
    np.testing.assert_array_equal(_np(packed.data), ref.data.numpy())
    for s, back in zip(ours, rnn_utils.unpack_sequence(packed)):
        np.testing.assert_array_equal(_np(back), _np(s))


def test_packing_errors_are_torchs():
    x = ag.zeros((4, 3, 2))
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        rnn_utils.pack_padded_sequence(x, [2, 1, 0])
    packed = rnn_utils.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length=3 and max sequence length being 4"):
        rnn_utils.pad_packed_sequence(packed, total_length=3)
    with pytest.raises(ValueError, match="padding_side"):
        rnn_utils.pad_sequence([x], padding_side="middle")


def test_packed_sequence_is_a_namedtuple_with_tensor_methods():
    packed = rnn_utils.pack_sequence([ag.ones((3, 2)), ag.ones((1, 2))])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert batch_sizes.tolist() == [2, 1, 1]
    assert sorted_indices is None and unsorted_indices is None
    assert packed.double().data.dtype == ag.float64
    assert packed.to(ag.float64).batch_sizes is packed.batch_sizes
    assert not packed.is_cuda


# ----------------------------------------------------------------------------- layers
LAYERS = [("LSTM", {}), ("LSTM", {"proj_size": 2}), ("GRU", {}), ("RNN", {}),
          ("RNN", {"nonlinearity": "relu"})]


@pytest.mark.parametrize("name,kwargs", LAYERS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_layers_match_torch(name, kwargs, bidirectional):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(3, 4, num_layers=2, bidirectional=bidirectional,
                                     batch_first=True, **kwargs).double()
    ours = getattr(nn, name)(3, 4, num_layers=2, bidirectional=bidirectional,
                             batch_first=True, **kwargs).double()
    _copy_weights(ours, theirs)
    lstm = name == "LSTM"
    x = torch.randn(3, 5, 3, dtype=torch.float64, requires_grad=True)
    layers = 2 * (2 if bidirectional else 1)
    h0 = torch.randn(layers, 3, kwargs.get("proj_size", 4), dtype=torch.float64,
                     requires_grad=True)
    c0 = torch.randn(layers, 3, 4, dtype=torch.float64, requires_grad=True)
    xa, h0a, c0a = _ours(x, True), _ours(h0, True), _ours(c0, True)
    lengths = [2, 5, 3]
    packed_t = torch_rnn_utils.pack_padded_sequence(x, lengths, True, enforce_sorted=False)
    packed = rnn_utils.pack_padded_sequence(xa, lengths, True, enforce_sorted=False)
    out_t, state_t = theirs(packed_t, (h0, c0) if lstm else h0)
    out, state = ours(packed, (h0a, c0a) if lstm else h0a)
    assert isinstance(out, rnn_utils.PackedSequence)
    assert out.batch_sizes.tolist() == out_t.batch_sizes.tolist()
    padded_t, _ = torch_rnn_utils.pad_packed_sequence(out_t, batch_first=True)
    padded, _ = rnn_utils.pad_packed_sequence(out, batch_first=True)
    np.testing.assert_allclose(_np(padded), padded_t.detach().numpy(), atol=1e-12)
    finals_t = state_t if lstm else (state_t,)
    finals = state if lstm else (state,)
    for mine, ref in zip(finals, finals_t):
        np.testing.assert_allclose(_np(mine), ref.detach().numpy(), atol=1e-12)
    weights = [torch.randn(t.shape, dtype=torch.float64) for t in (padded_t, *finals_t)]
    sum((t * w).sum() for t, w in zip((padded_t, *finals_t), weights)).backward()
    sum((t * _ours(w)).sum() for t, w in zip((padded, *finals), weights)).backward()
    for mine, ref in ((xa, x), (h0a, h0)) + (((c0a, c0),) if lstm else ()):
        np.testing.assert_allclose(mine.grad.numpy(), ref.grad.numpy(), atol=1e-12)
    for (key, p), (key_t, p_t) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert key == key_t
        np.testing.assert_allclose(p.grad.numpy(), p_t.grad.numpy(), atol=1e-12, err_msg=key)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batched", [False, True])
def test_lstm_proj_size_matches_torch(bidirectional, batched):
    torch.manual_seed(1)
    theirs = torch.nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=bidirectional)
    ours = nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=bidirectional)
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape)
                                                          for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)
    _copy_weights(ours, theirs)
    x = torch.randn(*((4, 2, 3) if batched else (4, 3)), requires_grad=True)
    xa = _ours(x, True)
    out_t, (h_t, c_t) = theirs(x)
    out, (h, c) = ours(xa)
    assert out.dtype == ag.float32
    for mine, ref in ((out, out_t), (h, h_t), (c, c_t)):
        assert tuple(mine.shape) == tuple(ref.shape)
        np.testing.assert_allclose(_np(mine), ref.detach().numpy(), atol=1e-6)
    (out_t.sum() + c_t.sum()).backward()
    (out.sum() + c.sum()).backward()
    np.testing.assert_allclose(xa.grad.numpy(), x.grad.numpy(), atol=1e-6)
    np.testing.assert_allclose(ours.weight_hr_l1.grad.numpy(), theirs.weight_hr_l1.grad.numpy(),
                               atol=1e-6)


def test_proj_size_errors():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="positive integer or zero"):
        nn.LSTM(3, 4, proj_size=-1)
    lstm = nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 2\)"):
        lstm(ag.zeros((5, 2, 3)), (ag.zeros((1, 2, 4)), ag.zeros((1, 2, 4))))


def test_packed_input_errors():
    lstm = nn.LSTM(3, 4)
    packed = rnn_utils.pack_sequence([ag.zeros((2, 5)), ag.zeros((1, 5))])
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        lstm(packed)


@pytest.mark.parametrize("name,kwargs", [("LSTM", {}), ("LSTM", {"proj_size": 2}),
                                          ("GRU", {})])
def test_step_path_gradcheck(name, kwargs):
    ag.manual_seed(0)
    layer = getattr(nn, name)(2, 3, bidirectional=True, **kwargs).double()
    names = [n for n, _ in layer.named_parameters()]
    x = ag.randn(3, 3, 2, dtype=ag.float64, requires_grad=True)

    def run(x, *params):
        # the checked tensors stand in for the parameters during the call
        packed = rnn_utils.pack_padded_sequence(x, [3, 1, 2], enforce_sorted=False)
        saved = dict(layer._parameters)
        try:
            for n, value in zip(names, params):
                layer._parameters[n] = value
            out, _ = layer(packed)
        finally:
            layer._parameters.update(saved)
        return rnn_utils.pad_packed_sequence(out)[0]

    params = [p.detach().clone().requires_grad_() for p in layer.parameters()]
    assert gradcheck(run, (x, *params))


# ----------------------------------------------------------------------------- idiom
def _classifier_script(torch, nn, optim, rnn_utils):
    """A packed-sequence LSTM classifier as PyTorch users write it; ``torch`` may be
    autograd_core (``nn`` and ``optim`` are passed in, as they may not be attributes of
    autograd_core yet)."""

    class Classifier(nn.Module):
        def __init__(self, vocab, classes):
            super().__init__()
            self.embed = nn.Embedding(vocab, 8, padding_idx=0)
            self.lstm = nn.LSTM(8, 16, batch_first=True, bidirectional=True)
            self.head = nn.Linear(32, classes)

        def forward(self, tokens, lengths):
            packed = rnn_utils.pack_padded_sequence(self.embed(tokens), lengths,
                                                    batch_first=True, enforce_sorted=False)
            _, (h_n, _) = self.lstm(packed)
            return self.head(torch.cat([h_n[-2], h_n[-1]], dim=1))

    torch.manual_seed(0)
    model = Classifier(20, 3)
    tokens = torch.randint(1, 20, (6, 7))
    lengths = torch.tensor([7, 3, 5, 2, 6, 4])
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(20):
        loss = nn.functional.cross_entropy(model(tokens, lengths), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_packed_lstm_classifier_in_torch_idiom_runs_unchanged():
    import optim

    losses = _classifier_script(ag, nn, optim, rnn_utils)
    assert losses[-1] < 0.1 * losses[0]


@pytest.mark.usefixtures("fake_cuda")
@pytest.mark.parametrize("kwargs", [{}, {"proj_size": 2}])
def test_packed_training_step_on_the_fake_gpu_equals_the_cpu(kwargs):
    import optim

    results = []
    for device in ("cpu", "cuda"):
        ag.manual_seed(0)
        lstm = nn.LSTM(3, 4, bidirectional=True, batch_first=True, **kwargs).to(device)
        opt = optim.SGD(lstm.parameters(), lr=0.1)
        x = ag.tensor(np.random.default_rng(0).standard_normal((3, 5, 3)).astype(np.float32),
                      device=device)
        losses = []
        for _ in range(2):
            packed = rnn_utils.pack_padded_sequence(x, [2, 5, 3], batch_first=True,
                                                    enforce_sorted=False)
            out, (h, _) = lstm(packed)
            padded, _ = rnn_utils.pad_packed_sequence(out, batch_first=True)
            assert padded.device.type == device
            loss = (padded ** 2).mean() + h.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        results.append(losses)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)
