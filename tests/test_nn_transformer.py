"""Transformers: `TransformerEncoderLayer`, `TransformerDecoderLayer`, `TransformerEncoder`,
`TransformerDecoder`, `Transformer`.

Values and gradients of the input and of every parameter against PyTorch from identical
weights (state_dict loaded key for key): post- and pre-norm, relu/gelu/callable
activations, batch_first both ways, causal and padding masks; float64 gradcheck and
gradgradcheck of a layer; PyTorch's errors and warnings; a tiny Transformer language model
with gradient clipping, written once in PyTorch's idiom, trained 3 steps in both libraries;
a training step on the fake GPU.
"""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401
from gradients import check

import autograd_core as ag
import nn
import optim
from nn import functional as F

torch = pytest.importorskip("torch")

# Both libraries warn about mixing a float causal mask with a bool padding mask, and about
# nested tensors for sequence-first encoders: expected here, checked in test_errors_and_warnings.
pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
              pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")]


@pytest.fixture(autouse=True, scope="module")
def _torch_single_thread():
    """Tiny tensors: PyTorch's thread pool only contends for the shared cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

RNG = np.random.default_rng(7)


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def _randn(*shape) -> np.ndarray:
    return RNG.standard_normal(shape)


def _load(ours, theirs) -> None:
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict({k: ag.tensor(v.numpy()) for k, v in state.items()})


def _compare(ours, theirs, inputs, masks=None, atol=1e-9, **kwargs) -> None:
    """Forward both modules (float64) on the same inputs and masks; compare outputs and
    the gradients of the inputs and of every parameter."""
    ours_in = [ag.tensor(a, requires_grad=True) for a in inputs]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in inputs]
    ours_masks = {k: ag.tensor(v) for k, v in (masks or {}).items()}
    theirs_masks = {k: torch.tensor(v) for k, v in (masks or {}).items()}
    out = ours(*ours_in, **ours_masks, **kwargs)
    expected = theirs(*theirs_in, **theirs_masks, **kwargs)
    np.testing.assert_allclose(_np(out), _np(expected), rtol=1e-7, atol=atol)
    g = _randn(*out.shape)
    out.backward(ag.tensor(g))
    expected.backward(torch.tensor(g))
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-7, atol=atol)
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(_np(ours_params[name].grad), _np(p.grad), rtol=1e-7,
                                   atol=atol, err_msg=name)


def _seq(length, batch_first, batch=3, d_model=8):
    return _randn(batch, length, d_model) if batch_first else _randn(length, batch, d_model)


def _causal(n: int) -> np.ndarray:
    return np.triu(np.full((n, n), -np.inf), 1)


def _padding(batch: int, length: int) -> np.ndarray:
    mask = np.zeros((batch, length), dtype=bool)
    mask[1, -2:] = True
    return mask


LAYER_CONFIGS = {
    "post-norm": {},
    "pre-norm-gelu-batch-first": {"norm_first": True, "batch_first": True,
                                  "activation": "gelu"},
    "no-bias": {"bias": False},
    "callable-activation": {"activation": "module-gelu", "batch_first": True},
}


def _layer_kwargs(config: str, library) -> dict:
    kwargs = dict(LAYER_CONFIGS[config])
    if kwargs.get("activation") == "module-gelu":  # a module: registered as a submodule
        kwargs["activation"] = library.GELU(approximate="tanh")
    return kwargs


@pytest.mark.parametrize("config", LAYER_CONFIGS)
def test_encoder_layer_matches_torch(config):
    ours = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, **_layer_kwargs(config, nn))
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0,
                                              **_layer_kwargs(config, torch.nn))
    ours, theirs = ours.double(), theirs.double()
    _load(ours, theirs)
    bf = LAYER_CONFIGS[config].get("batch_first", False)
    _compare(ours, theirs, [_seq(5, bf)])
    _compare(ours, theirs, [_seq(5, bf)],
             {"src_mask": _causal(5), "src_key_padding_mask": _padding(3, 5)})
    _compare(ours, theirs, [_seq(5, bf)], {"src_mask": _causal(5)}, is_causal=True)


@pytest.mark.parametrize("config", ["post-norm", "pre-norm-gelu-batch-first"])
def test_decoder_layer_matches_torch(config):
    ours = nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0, **_layer_kwargs(config, nn))
    theirs = torch.nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0,
                                              **_layer_kwargs(config, torch.nn))
    ours, theirs = ours.double(), theirs.double()
    _load(ours, theirs)
    bf = LAYER_CONFIGS[config].get("batch_first", False)
    masks = {"tgt_mask": _causal(4), "tgt_key_padding_mask": _padding(3, 4),
             "memory_key_padding_mask": _padding(3, 6)}
    _compare(ours, theirs, [_seq(4, bf), _seq(6, bf)], masks)
    _compare(ours, theirs, [_seq(4, bf), _seq(6, bf)], {"tgt_mask": _causal(4)},
             tgt_is_causal=True)


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first):
    kwargs = {"d_model": 8, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 2,
              "dim_feedforward": 12, "dropout": 0.0, "batch_first": batch_first}
    ours, theirs = nn.Transformer(**kwargs).double(), torch.nn.Transformer(**kwargs).double()
    _load(ours, theirs)
    masks = {"tgt_mask": _causal(4), "src_key_padding_mask": _padding(3, 5),
             "memory_key_padding_mask": _padding(3, 5)}
    _compare(ours, theirs, [_seq(5, batch_first), _seq(4, batch_first)], masks)


def test_encoder_stack_detects_the_causal_mask_and_matches_torch():
    layer_kwargs = {"dim_feedforward": 12, "dropout": 0.0, "batch_first": True}
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **layer_kwargs), 2,
                                 nn.LayerNorm(8), enable_nested_tensor=False).double()
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, **layer_kwargs), 2, torch.nn.LayerNorm(8),
        enable_nested_tensor=False).double()
    _load(ours, theirs)
    causal = ag.tensor(_causal(5))
    assert nn.modules.transformer._detect_is_causal_mask(causal, None, 5)
    assert not nn.modules.transformer._detect_is_causal_mask(causal, None, 4)
    assert not nn.modules.transformer._detect_is_causal_mask(ag.zeros(5, 5), None, 5)
    _compare(ours, theirs, [_seq(5, True)], {"mask": _causal(5)})
    _compare(ours, theirs, [_seq(5, True)], {"mask": _causal(5) == -np.inf,
                                             "src_key_padding_mask": _padding(3, 5)})
    ours.layers[0].linear1.weight.data.zero_()  # the layers are copies, not one module
    assert np.abs(_np(ours.layers[1].linear1.weight)).sum() > 0


def test_encoder_in_evaluation_matches_torch_nested_tensor_path():
    """PyTorch runs an evaluation call with a right-padded mask on nested tensors: the
    padded positions come out as 0 (then normed); a left-padded mask runs padded."""
    layer_kwargs = {"dim_feedforward": 12, "dropout": 0.0, "batch_first": True}
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **layer_kwargs), 2,
                                 nn.LayerNorm(8))
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **layer_kwargs),
                                         2, torch.nn.LayerNorm(8))
    _load(ours, theirs)
    ours.eval()
    theirs.eval()
    x = _randn(3, 5, 8).astype(np.float32)
    padding = _padding(3, 5)
    padding[2, 1:] = True
    for mask in (padding, padding[:, ::-1].copy()):
        with ag.no_grad(), torch.no_grad():
            out = ours(ag.tensor(x), src_key_padding_mask=ag.tensor(mask))
            expected = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(mask))
        np.testing.assert_allclose(_np(out), expected.numpy(), rtol=1e-5, atol=1e-5)
    with ag.no_grad():
        out = _np(ours(ag.tensor(x), src_key_padding_mask=ag.tensor(padding)))
    np.testing.assert_allclose(out[2, 1:], np.broadcast_to(_np(ours.norm.bias), (4, 8)),
                               atol=1e-6)  # LayerNorm(0) = bias


def test_layers_gradcheck_and_gradgradcheck():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu",
                                       batch_first=True).double()
    x = ag.tensor(_randn(2, 3, 4), requires_grad=True)
    padding = ag.tensor(np.array([[False, False, True], [False, False, False]]))
    check(lambda x: layer(x, src_key_padding_mask=padding), x)
    pre_norm = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True).double()
    check(lambda x: pre_norm(x, src_mask=ag.tensor(_causal(2)), is_causal=True),
          ag.tensor(_randn(2, 1, 4), requires_grad=True))
    decoder = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, batch_first=True).double()
    memory_padding = ag.tensor(np.array([[False, True, False]]))
    check(lambda t, m: decoder(t, m, tgt_mask=ag.tensor(_causal(2)),
                               memory_key_padding_mask=memory_padding),
          ag.tensor(_randn(1, 2, 4), requires_grad=True),
          ag.tensor(_randn(1, 3, 4), requires_grad=True))


def test_generate_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    expected = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert mask.dtype == ag.float32 and tuple(mask.shape) == (4, 4)
    np.testing.assert_array_equal(_np(mask), expected.numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=ag.float64).dtype == \
        ag.float64


def test_state_dict_keys_and_repr_match_torch():
    for ours, theirs in [
        (nn.Transformer(8, 2, 1, 1, 12), torch.nn.Transformer(8, 2, 1, 1, 12)),
        (nn.TransformerDecoderLayer(8, 2, 12, bias=False),
         torch.nn.TransformerDecoderLayer(8, 2, 12, bias=False)),
    ]:
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert repr(ours) == repr(theirs)


def test_transformer_init_is_xavier_uniform():
    model = nn.Transformer(16, 2, 1, 1, 32)
    weight = _np(model.encoder.layers[0].linear1.weight)  # (32, 16)
    bound = np.sqrt(6.0 / (16 + 32))
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.8 * bound


def test_errors_and_warnings():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    model = nn.Transformer(8, 2, 1, 1, 12)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(ag.randn(5, 3, 8), ag.randn(4, 2, 8))
    with pytest.raises(RuntimeError, match=r"must be equal to d_model \(8\), got 6"):
        model(ag.randn(5, 3, 6), ag.randn(4, 3, 6))
    with pytest.warns(UserWarning, match="encoder_layer.norm_first was True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, norm_first=True), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, batch_first=True), 1)
        assert encoder.use_nested_tensor and encoder.enable_nested_tensor
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 1, enable_nested_tensor=False)


def test_dropout_in_training_only():
    layer = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.3)
    x = ag.randn(5, 3, 8)
    assert not np.allclose(_np(layer(x)), _np(layer(x)))
    layer.eval()
    np.testing.assert_array_equal(_np(layer(x)), _np(layer(x)))


# ----------------------------------------------------------------- a language model
def _language_model_run(lib, tokens: np.ndarray, steps: int = 3):
    """A tiny causal Transformer LM in PyTorch's idiom; ``lib`` has ``nn``, ``optim``,
    ``tensor`` and ``seed``. Returns the losses and the final weights."""
    nn_lib = lib.nn
    vocab, d_model, context = 11, 16, tokens.shape[1] - 1

    class TinyLM(nn_lib.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn_lib.Embedding(vocab, d_model)
            self.position = nn_lib.Embedding(context, d_model)
            layer = nn_lib.TransformerEncoderLayer(d_model, 4, 32, dropout=0.0,
                                                   batch_first=True, norm_first=True)
            self.encoder = nn_lib.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn_lib.Linear(d_model, vocab)

        def forward(self, x):
            positions = lib.arange(x.shape[1])
            h = self.embed(x) + self.position(positions)
            mask = nn_lib.Transformer.generate_square_subsequent_mask(x.shape[1],
                                                                      dtype=h.dtype)
            return self.head(self.encoder(h, mask=mask, is_causal=True))

    model = TinyLM().double()
    model.load_state_dict(lib.initial_state(model))
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn_lib.CrossEntropyLoss()
    x, y = lib.tensor(tokens[:, :-1]), lib.tensor(tokens[:, 1:])
    losses, norms = [], []
    for _ in range(steps):
        optimizer.zero_grad()
        logits = model(x)
        loss = loss_fn(logits.reshape(-1, vocab), y.reshape(-1))
        loss.backward()
        norms.append(float(nn_lib.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)))
        optimizer.step()
        losses.append(loss.item())
    return losses, norms, {k: _np(v) for k, v in model.state_dict().items()}


def test_tiny_transformer_language_model_trains_like_torch():
    tokens = RNG.integers(0, 11, (4, 9))
    ag.manual_seed(0)
    start: dict = {}

    def initial_state(model):  # our seeded initialisation, given to both libraries
        if not start:
            start.update({k: _np(v).copy() for k, v in model.state_dict().items()})
        return start

    ours = types.SimpleNamespace(nn=nn, optim=optim, arange=ag.arange, tensor=ag.tensor,
                                 initial_state=lambda m: {k: ag.tensor(v) for k, v in
                                                          initial_state(m).items()})
    theirs = types.SimpleNamespace(nn=torch.nn, optim=torch.optim, arange=torch.arange,
                                   tensor=torch.tensor,
                                   initial_state=lambda m: {k: torch.tensor(v) for k, v in
                                                            start.items()})
    losses, norms, weights = _language_model_run(ours, tokens)
    expected_losses, expected_norms, expected_weights = _language_model_run(theirs, tokens)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-9)
    np.testing.assert_allclose(norms, expected_norms, rtol=1e-9)
    assert max(norms) > 0.5  # the clipping did something
    assert losses[-1] < losses[0]
    for name, value in expected_weights.items():
        np.testing.assert_allclose(weights[name], value, rtol=1e-7, atol=1e-9, err_msg=name)


@pytest.mark.usefixtures("fake_cuda")
def test_encoder_layer_training_step_on_the_fake_gpu_equals_the_cpu():
    results = []
    for device in ("cpu", "cuda"):
        ag.manual_seed(0)
        layer = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, batch_first=True).to(device)
        opt = optim.SGD(layer.parameters(), lr=0.1)
        x = ag.tensor(np.random.default_rng(0).standard_normal((2, 5, 8)).astype(np.float32),
                      device=device)
        mask = nn.Transformer.generate_square_subsequent_mask(5, device=device)
        losses = []
        for is_causal in (True, False):
            loss = (layer(x, src_mask=mask, is_causal=is_causal) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        results.append((losses, [_np(p) for p in layer.parameters()]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_activation_choice_is_recorded_as_torch_does():
    assert nn.TransformerEncoderLayer(8, 2).activation is F.relu
    assert nn.TransformerEncoderLayer(8, 2, activation="gelu").activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(8, 2, activation=nn.ReLU()).activation_relu_or_gelu == 1
    custom = nn.TransformerEncoderLayer(8, 2, activation=ag.tanh)
    assert custom.activation_relu_or_gelu == 0 and custom.activation is ag.tanh
