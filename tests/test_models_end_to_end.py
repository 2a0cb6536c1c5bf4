"""End-to-end training: the models of the lectures learn what they should, in float32 on the CPU.

Each test trains one small model from a fixed seed and checks a result a student can
read off: test accuracy on the bundled digits (25% held out, fixed seed), reconstruction
error of an autoencoder, the XOR truth table, next-step prediction of sine waves, and the
mean and standard deviation learned by a GAN. Most use the plain PyTorch-style loop; the
digits MLP uses the Keras-style helper `nn.training.fit`.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
import optim
from autograd_core.datasets import load_digits, sine_wave_sequences, train_test_split, xor
from autograd_core.utils.data import DataLoader, TensorDataset
from nn.training import LearningRateScheduler, accuracy, fit

needs_conv = pytest.mark.skipif(not (hasattr(nn, "Conv2d") and hasattr(nn, "MaxPool2d")),
                                reason="nn.Conv2d / nn.MaxPool2d not available yet")
needs_lstm = pytest.mark.skipif(not hasattr(nn, "LSTM"), reason="nn.LSTM not available yet")


def _digits(**layout) -> tuple[ag.Tensor, ag.Tensor, ag.Tensor, ag.Tensor]:
    """The bundled digits, 25% held out with a fixed seed: x_train, x_test, y_train, y_test."""
    x, y = load_digits(**layout)
    return train_test_split(x, y, test_size=0.25, seed=0)


def _loader(x: ag.Tensor, y: ag.Tensor, seed: int, batch_size: int = 32) -> DataLoader:
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                      generator=ag.Generator().manual_seed(seed))


def _test_accuracy(model: nn.Module, x: ag.Tensor, y: ag.Tensor) -> float:
    model.eval()
    with ag.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


# ------------------------------------------------------------------------------ digits
def test_digits_split_is_25_percent_and_float32():
    x_train, x_test, y_train, y_test = _digits(flatten=True)
    assert x_train.shape == (1347, 64) and x_test.shape == (450, 64)
    assert x_train.dtype == ag.float32 and y_train.dtype == ag.int64
    assert y_test.shape == (450,)


def test_digits_mlp_with_fit_reaches_95_percent():
    x_train, x_test, y_train, y_test = _digits(flatten=True)
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    epochs = 15
    schedule = LearningRateScheduler(optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs))
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=450)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, _loader(x_train, y_train, seed=0),
                  epochs=epochs, val_loader=test_loader, metrics={"accuracy": accuracy},
                  callbacks=[schedule], verbose=False)
    assert len(history) == epochs
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] >= 0.95, history["val_accuracy"]
    # fit's validation numbers are the model's real test accuracy
    test_accuracy = _test_accuracy(model, x_test, y_test)
    assert history["val_accuracy"][-1] == pytest.approx(test_accuracy, abs=1e-6)


@needs_conv
def test_digits_cnn_reaches_97_percent_within_20_epochs():
    x_train, x_test, y_train, y_test = _digits(channel_dim=True)
    ag.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10),
    )
    loss_fn = nn.CrossEntropyLoss()
    epochs = 12
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    loader = _loader(x_train, y_train, seed=0)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    acc = _test_accuracy(model, x_test, y_test)
    assert acc >= 0.97, acc


def test_digits_autoencoder_reconstructs():
    """A 64-32-8-32-64 autoencoder squeezes each image through 8 numbers.

    Two yardsticks on the held-out images: predicting the mean training image for every
    image (what a model that learned nothing about the particular image does), and the
    best *linear* 8-number code (PCA with 8 components, fitted on the training images).
    The network must do much better than the first (below 30% of its error) and better
    than the second (its nonlinearity must buy something).
    """
    x_train, x_test, _, _ = _digits(flatten=True)
    a, b = x_train.numpy().astype(np.float64), x_test.numpy().astype(np.float64)
    mean = a.mean(axis=0)
    mean_image_mse = ((b - mean) ** 2).mean()
    _, _, vt = np.linalg.svd(a - mean, full_matrices=False)
    pca = vt[:8]
    pca_mse = ((b - mean - (b - mean) @ pca.T @ pca) ** 2).mean()

    ag.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 8),      # encoder
        nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 64), nn.Sigmoid(),  # decoder
    )
    loss_fn = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    loader = _loader(x_train, x_train, seed=0)  # the targets are the inputs
    for _ in range(30):
        for xb, target in loader:
            loss = loss_fn(model(xb), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with ag.no_grad():
        reconstruction = model(x_test)
    mse = loss_fn(reconstruction, x_test).item()
    assert reconstruction.shape == x_test.shape
    assert mse < 0.3 * mean_image_mse, (mse, mean_image_mse)
    assert mse < pca_mse, (mse, pca_mse)


# --------------------------------------------------------------------------------- XOR
def _train_xor(seed: int) -> tuple[nn.Module, float]:
    x, y = xor()
    y = y.reshape(4, 1).float()
    ag.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1), nn.Sigmoid())
    loss_fn = nn.BCELoss()
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    for _ in range(500):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model, loss.item()


def test_xor_with_a_2_2_1_mlp():
    """The lectures' XOR: two hidden units are enough (XOR is not linearly separable, so
    none would not do). Full-batch training on the four rows of the truth table.

    A 2-2-1 network has local minima (one input pattern stuck at 0.5, loss ~0.35): from
    some initial weights, about a third here, gradient descent ends there. The classic
    remedy is to restart from new random weights, which this test does (at most 5 times).
    """
    x, y = xor()
    y = y.reshape(4, 1).float()
    for seed in range(5):
        model, loss = _train_xor(seed)
        if loss < 0.05:
            break
    assert loss < 0.05, loss
    with ag.no_grad():
        p = model(x)
    assert ((p > 0.5).float() == y).all().item(), p.tolist()
    assert accuracy(p, y) == 1.0


# -------------------------------------------------------------------------------- LSTM
class _NextStep(nn.Module):
    """LSTM over the sequence, then a Linear read-out of the next value at every step."""

    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        out, _ = self.lstm(x)
        return self.head(out)


@needs_lstm
def test_lstm_next_step_prediction_of_sine_waves():
    """Each sequence has its own frequency and phase, so the model must infer them from
    the values seen so far. Trivial predictors for comparison: zero, and the last value
    seen (good when steps are small; with dt = 0.3 it is off by about 0.05 in MSE). The
    first steps are left out of the score: from one value the direction is unknowable.
    """
    kwargs = dict(seq_len=40, dt=0.3, frequency=(0.5, 1.5))
    x_train, y_train = sine_wave_sequences(256, seed=0, **kwargs)
    x_test, y_test = sine_wave_sequences(64, seed=1, **kwargs)
    warm_up = 5
    last_value_mse = ((x_test[:, warm_up:] - y_test[:, warm_up:]) ** 2).mean().item()
    zero_mse = (y_test[:, warm_up:] ** 2).mean().item()

    ag.manual_seed(0)
    model = _NextStep()
    loss_fn = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    loader = _loader(x_train, y_train, seed=0)
    for _ in range(25):  # 8 batches per epoch: 200 steps
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with ag.no_grad():
        prediction = model(x_test)
    mse = ((prediction[:, warm_up:] - y_test[:, warm_up:]) ** 2).mean().item()
    assert prediction.shape == y_test.shape
    assert mse < 0.1 * last_value_mse, (mse, last_value_mse)
    assert mse < 0.01 * zero_mse, (mse, zero_mse)


# --------------------------------------------------------------------------------- GAN
def test_gan_learns_a_1d_gaussian():
    """A generator turns noise z ~ N(0, I) into numbers; a discriminator learns to tell
    them from samples of N(3, 1.25^2); each step, D improves at telling them apart and
    G at fooling D (non-saturating loss: G maximises log D(G(z))). At the end the
    generated samples must have the target's mean and standard deviation within 0.3.
    """
    mu, sigma, z_dim, batch = 3.0, 1.25, 4, 128
    ag.manual_seed(0)
    generator = nn.Sequential(nn.Linear(z_dim, 16), nn.Tanh(), nn.Linear(16, 1))
    discriminator = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                                  nn.Linear(32, 1))  # a logit: "real" when positive
    opt_g = optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    real_label, fake_label = ag.ones(batch, 1), ag.zeros(batch, 1)
    for _ in range(1500):
        real = ag.randn(batch, 1) * sigma + mu
        fake = generator(ag.randn(batch, z_dim))
        # discriminator step; detach: this step must not change the generator
        loss_d = (bce(discriminator(real), real_label)
                  + bce(discriminator(fake.detach()), fake_label))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        # generator step: make D call the fakes real
        loss_g = bce(discriminator(fake), real_label)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    with ag.no_grad():
        samples = generator(ag.randn(20000, z_dim))
    mean, std = samples.mean().item(), samples.std().item()
    assert abs(mean - mu) < 0.3, (mean, std)
    assert abs(std - sigma) < 0.3, (mean, std)
