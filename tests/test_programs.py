"""Programs written once in PyTorch's idiom, run unchanged with ``torch`` bound to PyTorch and
to ``autograd_core``, from identical weights and data: the losses must agree step by step.

Each program only uses the names a PyTorch user writes (``torch.nn``, ``torch.optim``,
``torch.utils.data``, ``F``); the test hands it one ``torch`` module or the other.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core

torch_real = pytest.importorskip("torch")

STEPS = 3


def _same_weights(ours, theirs) -> None:
    """Copy PyTorch's initial weights into our model, key for key."""
    state = {k: autograd_core.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)


def _both(build, train, rtol=1e-4):
    """Build in PyTorch, build ours with its weights, train both the same way, compare."""
    torch_real.manual_seed(0)
    theirs = build(torch_real)
    ours = build(autograd_core)
    _same_weights(ours, theirs)
    losses_theirs = train(torch_real, theirs)
    losses_ours = train(autograd_core, ours)
    np.testing.assert_allclose(losses_ours, losses_theirs, rtol=rtol, atol=1e-6)
    return losses_ours


# ----------------------------------------------------------------------------- a Transformer LM
VOCAB, SEQ, BATCH = 20, 12, 4
TEXT = np.random.default_rng(0).integers(0, VOCAB, size=(BATCH, SEQ + 1))


def _transformer_lm(torch):
    nn = torch.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, 16)
            layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0,
                                               batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(16, VOCAB)

        def forward(self, x):
            mask = nn.Transformer.generate_square_subsequent_mask(x.size(1))
            return self.head(self.encoder(self.embed(x), mask=mask, is_causal=True))

    return LM()


def _train_lm(torch, model):
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    data = torch.tensor(TEXT)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        logits = model(data[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), data[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        losses.append(loss.item())
    return losses


def test_transformer_language_model_with_gradient_clipping():
    losses = _both(_transformer_lm, _train_lm)
    assert losses[-1] < losses[0]


# ----------------------------------------------------------------------------- a DCGAN
NZ = 8
NOISE = np.random.default_rng(1).standard_normal((STEPS, 4, NZ, 1, 1)).astype(np.float32)
REAL = np.random.default_rng(2).uniform(-1, 1, size=(STEPS, 4, 1, 16, 16)).astype(np.float32)


def _dcgan(torch):
    nn = torch.nn
    generator = nn.Sequential(
        nn.ConvTranspose2d(NZ, 16, 4, 1, 0, bias=False), nn.BatchNorm2d(16), nn.ReLU(True),
        nn.ConvTranspose2d(16, 8, 4, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(True),
        nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(1, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(8, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(16, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    return nn.ModuleDict({"G": generator, "D": discriminator})


def _train_gan(torch, gan):
    G, D = gan["G"], gan["D"]
    criterion = torch.nn.BCELoss()
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    losses = []
    for step in range(STEPS):
        real, noise = torch.tensor(REAL[step]), torch.tensor(NOISE[step])
        ones, zeros = torch.ones(4), torch.zeros(4)
        D.zero_grad()
        fake = G(noise)
        loss_d = criterion(D(real).view(-1), ones) + criterion(D(fake.detach()).view(-1), zeros)
        loss_d.backward()
        opt_d.step()
        G.zero_grad()
        loss_g = criterion(D(fake).view(-1), ones)
        loss_g.backward()
        opt_g.step()
        losses += [loss_d.item(), loss_g.item()]
    return losses


def test_dcgan():
    _both(_dcgan, _train_gan)


# ----------------------------------------------------------------------------- a siamese net
def _digits():
    from autograd_core.datasets import load_digits

    images, labels = load_digits(flatten=True)
    return images.numpy()[:128].astype(np.float32), labels.numpy()[:128].astype(np.int64)


class _Pairs:
    """Pairs of digits and whether they show the same number (a map-style dataset)."""

    def __init__(self, torch, images, labels):
        self.torch, self.images, self.labels = torch, images, labels

    def __len__(self):
        return len(self.labels) - 1

    def __getitem__(self, i):
        t = self.torch
        same = float(self.labels[i] == self.labels[i + 1])
        return t.tensor(self.images[i]), t.tensor(self.images[i + 1]), t.tensor(same)


def _siamese(torch):
    nn = torch.nn
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 8))


def _train_siamese(torch, net):
    images, labels = _digits()
    loader = torch.utils.data.DataLoader(_Pairs(torch, images, labels), batch_size=16,
                                         shuffle=False, num_workers=2)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for step, (a, b, same) in enumerate(loader):
        if step == STEPS:
            break
        distance = torch.nn.functional.pairwise_distance(net(a), net(b))
        loss = (same * distance.pow(2) + (1 - same) * torch.clamp(1.0 - distance, min=0).pow(2)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_siamese_network_on_digits_with_worker_processes():
    _both(_siamese, _train_siamese)


# ----------------------------------------------------------------------------- packed LSTM
LENGTHS = [7, 5, 5, 2]
SEQS = np.random.default_rng(3).standard_normal((4, 7, 6)).astype(np.float32)
CLASSES = np.array([0, 2, 1, 2])


def _packed_lstm(torch):
    nn = torch.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(6, 10, batch_first=True)
            self.out = nn.Linear(10, 3)

        def forward(self, x, lengths):
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True)
            _, (h, _) = self.lstm(packed)
            return self.out(h[-1])

    return Classifier()


def _train_packed(torch, model):
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = torch.tensor(SEQS), torch.tensor(CLASSES)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x, torch.tensor(LENGTHS)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_packed_sequence_lstm_classifier():
    _both(_packed_lstm, _train_packed)


# ----------------------------------------------------------------------------- a text generator
def _program(name: str, library):
    """examples/<name>.py loaded as a module, its ``autograd_core`` imports bound to ``library``."""
    import types
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / f"{name}.py"
    source = path.read_text()
    if library is torch_real:
        source = source.replace("autograd_core", "torch")
    module = types.ModuleType(f"{name}_{library.__name__}")
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def test_text_generator_trains_like_torch_and_decodes_the_same():
    ours_program, theirs_program = _program("text_generator", autograd_core), _program("text_generator", torch_real)
    torch_real.manual_seed(0)
    theirs = theirs_program.CharModel()
    ours = ours_program.CharModel()
    _same_weights(ours, theirs)
    losses_theirs = theirs_program.train(theirs, steps=15)
    losses_ours = ours_program.train(ours, steps=15)
    np.testing.assert_allclose(losses_ours, losses_theirs, rtol=1e-4, atol=1e-6)
    assert losses_ours[-1] < 0.8 * losses_ours[0]
    # greedy decoding is deterministic: the same text from the same weights
    greedy = ours_program.generate(ours, "the ", length=30, greedy=True)
    assert greedy == theirs_program.generate(theirs, "the ", length=30, greedy=True)
    # sampled text stays in the vocabulary and keeps the prompt
    sampled = ours_program.generate(ours, "the ", length=30, temperature=0.8, top_k=5)
    assert sampled.startswith("the ") and len(sampled) == 34 and set(sampled) <= set(ours_program.CHARS)


def test_text_generator_top_k_and_multinomial_draws_follow_the_distribution():
    ours_program, theirs_program = _program("text_generator", autograd_core), _program("text_generator", torch_real)
    logits = np.random.default_rng(0).normal(0.0, 2.0, size=(2, len(ours_program.CHARS))).astype(np.float32)
    n = 20000
    for temperature, top_k in [(1.0, None), (0.7, 4), (1.5, 8)]:
        ids, probs = ours_program.next_char_probs(autograd_core.tensor(logits), temperature, top_k)
        ids_t, probs_t = theirs_program.next_char_probs(torch_real.tensor(logits), temperature, top_k)
        np.testing.assert_array_equal(ids.numpy(), ids_t.numpy())  # topk: same candidates, same order
        np.testing.assert_allclose(probs.numpy(), probs_t.numpy(), rtol=1e-5, atol=1e-7)
        p = np.zeros_like(logits)
        np.put_along_axis(p, ids.numpy(), probs.numpy(), axis=-1)  # over the whole vocabulary
        generator = autograd_core.Generator().manual_seed(1)
        draws = ours_program.sample_next(autograd_core.tensor(logits), temperature, top_k, n, generator).numpy()
        draws_t = theirs_program.sample_next(torch_real.tensor(logits), temperature, top_k, n).numpy()
        for row in range(2):
            for d in (draws[row], draws_t[row]):
                freq = np.bincount(d, minlength=p.shape[1]) / n
                # every frequency within 5 standard errors of its probability; never outside top-k
                assert np.all(np.abs(freq - p[row]) <= 5 * np.sqrt(p[row] * (1 - p[row]) / n) + 1e-9)
                values = np.arange(p.shape[1])
                mean = (p[row] * values).sum()
                var = (p[row] * (values - mean) ** 2).sum()
                assert abs(d.mean() - mean) <= 5 * np.sqrt(var / n)
                assert d.var() == pytest.approx(var, rel=0.1)
    # a lower temperature concentrates the draws: fewer distinct characters
    cold = ours_program.sample_next(autograd_core.tensor(logits), 0.2, None, 500).numpy()
    hot = ours_program.sample_next(autograd_core.tensor(logits), 5.0, None, 500).numpy()
    assert len(np.unique(cold[0])) < len(np.unique(hot[0]))
