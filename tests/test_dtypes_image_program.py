"""A program in PyTorch's idiom reading raw uint8 images (H x W x C, as PIL and ImageFolder
give them): a Dataset of uint8 arrays, a DataLoader, ``permute(...).float().div(255)``,
per-channel normalisation, a small CNN trained a few steps. It runs unchanged with ``torch``
bound to PyTorch and to ``autograd_core``, from identical weights: the losses must agree."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core

torch_real = pytest.importorskip("torch")

H = W = 12
CLASSES = 3
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _images() -> tuple[np.ndarray, np.ndarray]:
    """uint8 images whose brightest channel is the class, plus noise."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, CLASSES, size=16)
    images = rng.integers(0, 120, size=(16, H, W, 3)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, :, :, label] += 100  # still within 0..255
    return images, labels


def program(torch, seed_weights=None) -> list[float]:
    """The program, as a PyTorch user writes it."""
    nn, F = torch.nn, torch.nn.functional
    from_loader = torch.utils.data

    class Pictures(from_loader.Dataset):
        def __init__(self, images, labels):
            self.images, self.labels = images, labels

        def __len__(self):
            return len(self.images)

        def __getitem__(self, i):
            return torch.from_numpy(self.images[i]), int(self.labels[i])

    images, labels = _images()
    loader = from_loader.DataLoader(Pictures(images, labels), batch_size=8, shuffle=False)
    model = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(8, CLASSES))
    if seed_weights is not None:
        seed_weights(model)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for epoch in range(2):
        for batch, target in loader:
            assert batch.dtype == torch.uint8 and tuple(batch.shape[1:]) == (H, W, 3)
            flipped = torch.flip(batch, dims=[2]) if epoch else batch  # augmentation, still uint8
            x = flipped.permute(0, 3, 1, 2).float().div(255)
            x = (x - mean) / std
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    brightest = torch.tensor(images).view(16, -1, 3).max(dim=1).values.byte()
    assert brightest.dtype == torch.uint8 and int(brightest.sum()) == int(images.reshape(16, -1, 3).max(1).sum())
    return losses


def test_uint8_image_classifier_matches_torch():
    torch_real.manual_seed(0)
    reference = {}

    def remember(model):
        reference.update({k: v.detach().numpy().copy() for k, v in model.state_dict().items()})

    theirs = program(torch_real, remember)

    def load(model):
        model.load_state_dict({k: autograd_core.tensor(v) for k, v in reference.items()})

    ours = program(autograd_core, load)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
    assert ours[-1] < ours[0]
