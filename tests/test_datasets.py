"""autograd_core.datasets: toy problems, the bundled digits, the IDX reader and the split."""

from __future__ import annotations

import gzip
import math
import struct
from importlib import resources

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import datasets as D
from autograd_core.utils.data import DataLoader

CLASSIFIERS = [D.concentric_circles, D.moons, D.spirals]
REGRESSIONS = [(D.square, -1.0, 1.0, np.square), (D.reciprocal, 1.0, 100.0, np.reciprocal),
               (D.sine, 1.0, 2 * math.pi, np.sin)]


# ------------------------------------------------------------------------ logic gates
@pytest.mark.parametrize("fn, outputs", [(D.and_gate, [0, 0, 0, 1]), (D.or_gate, [0, 1, 1, 1]),
                                         (D.xor, [0, 1, 1, 0])])
def test_gates(fn, outputs):
    x, y = fn()
    assert x.shape == (4, 2) and y.shape == (4, 1)
    assert x.dtype == ag.float32 and y.dtype == ag.float32
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.numpy().ravel().tolist() == outputs
    assert fn(dtype=ag.float64)[0].dtype == ag.float64


# ------------------------------------------------------------------------ 2-D clouds
@pytest.mark.parametrize("fn", CLASSIFIERS)
@pytest.mark.parametrize("n", [2, 7, 200])
def test_classification_shapes_dtypes_and_balance(fn, n):
    x, y = fn(n)
    assert x.shape == (n, 2) and x.dtype == ag.float32
    assert y.shape == (n,) and y.dtype == ag.int64
    counts = np.bincount(y.numpy(), minlength=2)
    assert counts.sum() == n and counts.max() - counts.min() <= 1
    assert np.all(np.isfinite(x.numpy()))


@pytest.mark.parametrize("fn", CLASSIFIERS)
def test_classification_determinism(fn):
    a, b, c = fn(50, seed=1), fn(50, seed=1), fn(50, seed=2)
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    np.testing.assert_array_equal(a[1].numpy(), b[1].numpy())
    assert not np.array_equal(a[0].numpy(), c[0].numpy())
    ag.manual_seed(3)
    g1 = fn(50, seed=None)
    ag.manual_seed(3)
    g2 = fn(50, seed=None)
    np.testing.assert_array_equal(g1[0].numpy(), g2[0].numpy())


def test_concentric_circles_geometry():
    x, y = D.concentric_circles(400, noise=0.0, factor=0.3)
    radius = np.linalg.norm(x.numpy(), axis=1)
    np.testing.assert_allclose(radius[y.numpy() == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(radius[y.numpy() == 1], 0.3, rtol=1e-6)
    with pytest.raises(ValueError, match="factor"):
        D.concentric_circles(10, factor=1.5)


def test_moons_geometry():
    x, y = D.moons(400, noise=0.0)
    p, lab = x.numpy().astype(np.float64), y.numpy()
    upper, lower = p[lab == 0], p[lab == 1]
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(lower - [1.0, 0.5], axis=1), 1.0, rtol=1e-6)
    assert upper[:, 1].min() >= -1e-6 and lower[:, 1].max() <= 0.5 + 1e-6


def test_spirals_classes_and_geometry():
    x, y = D.spirals(301, classes=3, noise=0.0, turns=2.0)
    counts = np.bincount(y.numpy())
    assert counts.tolist() == [101, 100, 100]
    radius = np.linalg.norm(x.numpy(), axis=1)
    assert radius.min() >= 0.1 - 1e-6 and radius.max() <= 1.0 + 1e-6
    with pytest.raises(ValueError, match="classes"):
        D.spirals(10, classes=1)


def test_noise_and_shuffle_options():
    clean, _ = D.moons(100, noise=0.0, seed=0)
    noisy, _ = D.moons(100, noise=0.2, seed=0)
    assert not np.allclose(clean.numpy(), noisy.numpy())
    _, y = D.moons(100, shuffle=False)
    assert y.tolist() == [0] * 50 + [1] * 50
    with pytest.raises(ValueError, match="noise"):
        D.moons(10, noise=-1)
    with pytest.raises(ValueError, match="number of samples"):
        D.moons(0)


# ------------------------------------------------------------------------ regression
@pytest.mark.parametrize("fn, low, high, f", REGRESSIONS)
def test_regression_targets(fn, low, high, f):
    x, y = fn(100)
    assert x.shape == (100, 1) and y.shape == (100, 1)
    assert x.dtype == ag.float32 and y.dtype == ag.float32
    xs = x.numpy().astype(np.float64)
    assert xs.min() >= low and xs.max() <= high
    np.testing.assert_allclose(y.numpy(), f(xs), rtol=1e-5, atol=1e-6)
    grid, _ = fn(5, grid=True)
    np.testing.assert_allclose(grid.numpy().ravel(), np.linspace(low, high, 5), rtol=1e-6)
    np.testing.assert_array_equal(fn(10, seed=4)[0].numpy(), fn(10, seed=4)[0].numpy())
    noisy = fn(100, noise=0.1)[1].numpy()
    assert 0.05 < np.std(noisy - f(xs)) < 0.2
    assert fn(3, dtype=ag.float64)[0].dtype == ag.float64


# ------------------------------------------------------------------------ sequences
def test_sine_wave_sequences_next_step():
    x, y = D.sine_wave_sequences(8, 20, dt=0.1)
    assert x.shape == (8, 20, 1) and y.shape == (8, 20, 1)
    assert x.dtype == ag.float32 and y.dtype == ag.float32
    np.testing.assert_array_equal(x.numpy()[:, 1:], y.numpy()[:, :-1])  # targets are inputs shifted
    # every sequence is a unit sine of angular frequency 1: s(t+dt) follows from s(t), s(t-dt)
    s = np.concatenate([x.numpy()[:, :, 0], y.numpy()[:, -1:, 0]], axis=1).astype(np.float64)
    np.testing.assert_allclose(s[:, 2:], 2 * math.cos(0.1) * s[:, 1:-1] - s[:, :-2], atol=1e-5)
    assert np.abs(s).max() <= 1.0 + 1e-6


def test_sine_wave_sequences_options():
    x, y = D.sine_wave_sequences(5, 10, target="last")
    assert y.shape == (5, 1)
    full = D.sine_wave_sequences(5, 10)[1]
    np.testing.assert_array_equal(y.numpy(), full.numpy()[:, -1])
    x, _ = D.sine_wave_sequences(50, 30, amplitude=(0.5, 2.0), frequency=(0.5, 3.0), seed=1)
    peaks = np.abs(x.numpy()).max(axis=(1, 2))
    assert peaks.max() <= 2.0 + 1e-6 and peaks.min() < 1.5
    a = D.sine_wave_sequences(3, 5, noise=0.1)
    b = D.sine_wave_sequences(3, 5)
    assert not np.allclose(a[0].numpy(), b[0].numpy())
    np.testing.assert_array_equal(a[1].numpy(), b[1].numpy())  # noise on inputs only
    with pytest.raises(ValueError, match="target"):
        D.sine_wave_sequences(target="all")
    with pytest.raises(ValueError, match="range"):
        D.sine_wave_sequences(frequency=(2.0, 1.0))


# ------------------------------------------------------------------------ digits
def test_digits_shapes_dtypes_values():
    x, y = D.load_digits()
    assert x.shape == (1797, 8, 8) and x.dtype == ag.float32
    assert y.shape == (1797,) and y.dtype == ag.int64
    xs = x.numpy()
    assert xs.min() == 0.0 and xs.max() == 1.0
    np.testing.assert_array_equal(np.unique(xs * 16), np.arange(17))  # pixels were 0..16
    assert y.tolist()[:10] == list(range(10))
    counts = np.bincount(y.numpy())
    assert len(counts) == 10 and counts.min() >= 170 and counts.max() <= 185
    assert D.load_digits(flatten=True)[0].shape == (1797, 64)
    assert D.load_digits(channel_dim=True)[0].shape == (1797, 1, 8, 8)
    assert D.load_digits(dtype=ag.float64)[0].dtype == ag.float64
    with pytest.raises(ValueError):
        D.load_digits(flatten=True, channel_dim=True)


def test_digits_tensors_are_independent_copies():
    x1, _ = D.load_digits()
    x1.numpy()[0, 0, 0] = 42.0
    x2, _ = D.load_digits()
    assert x2.numpy()[0, 0, 0] == 0.0


def test_digits_are_learnable_by_nearest_centroid():
    """A sanity check of images against labels: the nearest class mean already scores ~90%."""
    x, y = D.load_digits(flatten=True)
    x_train, x_test, y_train, y_test = D.train_test_split(x, y, test_size=0.25, seed=0)
    xt, yt = x_train.numpy(), y_train.numpy()
    centroids = np.stack([xt[yt == k].mean(axis=0) for k in range(10)])
    distances = ((x_test.numpy()[:, None, :] - centroids[None]) ** 2).sum(-1)
    accuracy = (distances.argmin(1) == y_test.numpy()).mean()
    assert accuracy > 0.85


def test_digits_package_files():
    folder = resources.files("autograd_core.datasets")
    licence = folder.joinpath("DIGITS_LICENSE.txt").read_text(encoding="utf-8")
    for words in ["Alpaydin", "Kaynak", "CC BY 4.0", "UCI"]:
        assert words in licence
    assert folder.joinpath("digits.npz").is_file()
    with folder.joinpath("digits.npz").open("rb") as f:
        data = np.load(f, allow_pickle=False)
        assert data["images"].dtype == np.uint8 and data["labels"].dtype == np.uint8


# ------------------------------------------------------------------------ split
def test_train_test_split():
    x = ag.arange(40, dtype=ag.float32).reshape(20, 2)
    y = ag.arange(20)
    x_tr, x_te, y_tr, y_te = D.train_test_split(x, y, test_size=0.25, seed=0)
    assert x_tr.shape == (15, 2) and x_te.shape == (5, 2) and y_te.shape == (5,)
    assert sorted(y_tr.tolist() + y_te.tolist()) == list(range(20))
    np.testing.assert_array_equal(x_te.numpy()[:, 0], 2 * y_te.numpy())  # rows stay together
    again = D.train_test_split(x, y, test_size=0.25, seed=0)
    assert again[3].tolist() == y_te.tolist()
    assert D.train_test_split(x, y, test_size=4, shuffle=False)[3].tolist() == [16, 17, 18, 19]
    with pytest.raises(ValueError, match="Size mismatch"):
        D.train_test_split(x, ag.arange(3))
    with pytest.raises(ValueError, match="test_size"):
        D.train_test_split(x, test_size=1.5)


def test_train_test_split_stratified():
    y = ag.tensor([0] * 80 + [1] * 20)
    _, y_test = D.train_test_split(y, test_size=0.25, seed=1, stratify=y)
    assert np.bincount(y_test.numpy()).tolist() == [20, 5]


# ------------------------------------------------------------------------ MNIST / IDX
def write_idx(path, array: np.ndarray, code: int = 0x08, compress: bool = False) -> None:
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


def make_mnist(folder, n_train=6, n_test=4, compress=True, dotted=False):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    out = {}
    for prefix, n in [("train", n_train), ("t10k", n_test)]:
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        sep = "." if dotted else "-"
        suffix = ".gz" if compress else ""
        write_idx(folder / f"{prefix}-images{sep}idx3-ubyte{suffix}", images, compress=compress)
        write_idx(folder / f"{prefix}-labels{sep}idx1-ubyte{suffix}", labels, compress=compress)
        out[prefix] = (images, labels)
    return out


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_torchvision_layout(tmp_path, compress):
    raw = make_mnist(tmp_path / "MNIST" / "raw", compress=compress)
    x, y = D.load_mnist(tmp_path, "mnist", train=True)
    assert x.shape == (6, 28, 28) and x.dtype == ag.float32 and y.dtype == ag.int64
    np.testing.assert_allclose(x.numpy(), raw["train"][0] / 255.0, rtol=1e-6)
    assert y.tolist() == raw["train"][1].tolist()
    x, y = D.load_mnist(tmp_path, train=False)
    assert x.shape == (4, 28, 28) and y.tolist() == [0, 1, 2, 3]


def test_load_fashion_mnist_flat_folder_and_dotted_names(tmp_path):
    make_mnist(tmp_path, compress=False, dotted=True)
    x, _ = D.load_mnist(tmp_path, "fashion")
    assert x.shape == (6, 28, 28)
    ds = D.FashionMNIST(tmp_path, train=False)
    assert len(ds) == 4 and ds.classes[9] == "Ankle boot"


def test_mnist_dataset_and_loader(tmp_path):
    raw = make_mnist(tmp_path / "MNIST" / "raw", n_train=10)
    ds = D.MNIST(tmp_path)
    image, label = ds[3]
    assert image.shape == (1, 28, 28) and image.dtype == ag.float32 and label == 3
    np.testing.assert_allclose(image.numpy()[0], raw["train"][0][3] / 255.0, rtol=1e-6)
    assert ds[-1][1] == 9 and ds.data.shape == (10, 28, 28) and ds.targets.shape == (10,)
    with pytest.raises(IndexError):
        ds[10]
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 1, 28, 28), (4, 1, 28, 28), (2, 1, 28, 28)]
    assert batches[0][1].dtype == ag.int64 and batches[0][1].tolist() == [0, 1, 2, 3]
    slow = list(DataLoader(ds, batch_size=4, collate_fn=lambda s: s))
    assert slow[0][1][1] == 1
    flipped = D.MNIST(tmp_path, transform=lambda im: 1.0 - im, target_transform=lambda t: -t)
    im, lab = flipped[2]
    np.testing.assert_allclose(im.numpy(), 1.0 - ds[2][0].numpy(), rtol=1e-6)
    assert lab == -2
    assert next(iter(DataLoader(flipped, batch_size=3)))[1].tolist() == [0, -1, -2]
    assert "MNIST" in repr(ds)


def test_mnist_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        D.load_mnist(tmp_path, "mnist")
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message and "train-labels-idx1-ubyte" in message
    assert str(tmp_path / "MNIST" / "raw") in message and "never downloads" in message
    with pytest.raises(FileNotFoundError, match="FashionMNIST"):
        D.FashionMNIST(tmp_path)
    with pytest.raises(RuntimeError, match="never downloads"):
        D.MNIST(tmp_path, download=True)
    with pytest.raises(ValueError, match="kind"):
        D.load_mnist(tmp_path, "cifar")


def test_idx_reader_types_and_errors(tmp_path):
    for code, dtype in [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32),
                        (0x0D, np.float32), (0x0E, np.float64)]:
        values = np.arange(-3, 9).reshape(3, 4).astype(dtype) if code != 0x08 else \
            np.arange(12, dtype=np.uint8).reshape(3, 4)
        write_idx(tmp_path / "a.idx", values, code)
        out = D.read_idx(tmp_path / "a.idx")
        assert out.dtype == np.dtype(dtype) and out.dtype.isnative
        np.testing.assert_array_equal(out, values)
    good = (tmp_path / "a.idx").read_bytes()
    (tmp_path / "short.idx").write_bytes(good[:-3])
    with pytest.raises(RuntimeError, match="truncated"):
        D.read_idx(tmp_path / "short.idx")
    (tmp_path / "bad.idx").write_bytes(b"\x01\x02\x03\x04" + bytes(10))
    with pytest.raises(RuntimeError, match="not an IDX file"):
        D.read_idx(tmp_path / "bad.idx")
    (tmp_path / "bad.gz").write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(RuntimeError, match="gzip"):
        D.read_idx(tmp_path / "bad.gz")


def test_mismatched_image_and_label_counts(tmp_path):
    folder = tmp_path / "MNIST" / "raw"
    make_mnist(folder, compress=False)
    write_idx(folder / "train-labels-idx1-ubyte", np.zeros(5, dtype=np.uint8))
    with pytest.raises(RuntimeError, match="labels for 6 images"):
        D.load_mnist(tmp_path)
