"""autograd_core.utils.data: datasets, samplers, collation and the DataLoader."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from fake_cupy import FakeArray, fake_cuda  # noqa: F401

import autograd_core as ag
from autograd_core.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)


def gen(seed=0):
    return ag.Generator().manual_seed(seed)


def xy(n=10, device="cpu"):
    x = ag.arange(2 * n, dtype=ag.float32).reshape(n, 2).to(device)
    y = ag.arange(n).to(device)
    return x, y


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"x": ag.tensor([float(i)]), "y": i * i, "name": f"s{i}"}


class Stream(IterableDataset):
    def __init__(self, n, with_len=True):
        self.n = n
        self.with_len = with_len

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        if not self.with_len:
            raise TypeError("no length")
        return self.n


# ------------------------------------------------------------------------------ datasets
def test_tensor_dataset(device):
    x, y = xy(device=device)
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert xi.shape == (2,) and xi.dtype == ag.float32 and xi.device.type == device
    np.testing.assert_array_equal(xi.cpu().numpy(), [6.0, 7.0])
    assert yi.shape == () and yi.item() == 3
    assert ds[-1][1].item() == 9
    assert ds.tensors[0] is x


def test_tensor_dataset_size_mismatch():
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(ag.zeros(3, 2), ag.zeros(4))
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(ag.tensor(1.0))
    with pytest.raises(TypeError, match="tensors"):
        TensorDataset(np.zeros(3))


def test_dataset_base_class():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(IterableDataset())


def test_subset_and_concat():
    ds = TensorDataset(*xy())
    sub = Subset(ds, [4, 2, 7])
    assert len(sub) == 3 and sub[1][1].item() == 2
    both = ds + sub
    assert isinstance(both, ConcatDataset) and len(both) == 13
    assert both.cumulative_sizes == [10, 13]
    assert both[10][1].item() == 4 and both[-1][1].item() == 7 and both[9][1].item() == 9
    with pytest.raises(ValueError, match="exceed dataset length"):
        both[-14]
    with pytest.raises(AssertionError):
        ConcatDataset([])


def test_chain_dataset():
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5


def test_random_split_lengths_and_fractions():
    ds = TensorDataset(*xy(10))
    a, b = random_split(ds, [7, 3], generator=gen(0))
    assert len(a) == 7 and len(b) == 3
    assert sorted(list(a.indices) + list(b.indices)) == list(range(10))
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=gen(0))
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(TensorDataset(*xy(11)), [0.34, 0.33, 0.33], generator=gen(0))
    assert [len(p) for p in parts] == [4, 4, 3]  # floor gives 3, 3, 3; leftovers go first-come


def test_random_split_reproducible_with_generator_or_global_seed():
    ds = TensorDataset(*xy(20))
    first = [p.indices for p in random_split(ds, [0.75, 0.25], generator=gen(3))]
    again = [p.indices for p in random_split(ds, [0.75, 0.25], generator=gen(3))]
    other = [p.indices for p in random_split(ds, [0.75, 0.25], generator=gen(4))]
    assert first == again and first != other
    ag.manual_seed(5)
    g1 = [p.indices for p in random_split(ds, [15, 5])]
    ag.manual_seed(5)
    g2 = [p.indices for p in random_split(ds, [15, 5])]
    assert g1 == g2


def test_random_split_errors():
    ds = TensorDataset(*xy(10))
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError, match="fractions that sum to 1"):
        random_split(ds, [0.5, 0.2])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(TensorDataset(*xy(2)), [0.9, 0.1], generator=gen())
    assert [len(p) for p in parts] == [2, 0]  # as in PyTorch: leftovers go to the first parts
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
        random_split(TensorDataset(*xy(2)), [0.5, 0.5, 0.0], generator=gen())


# ------------------------------------------------------------------------------ samplers
def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    bs = BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False)
    assert list(bs) == [[0, 1], [2, 3], [4]] and len(bs) == 3
    bs = BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=True)
    assert list(bs) == [[0, 1], [2, 3]] and len(bs) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)


def test_random_sampler_is_a_permutation_and_reproducible():
    s = RandomSampler(range(10), generator=gen(1))
    first, second = list(s), list(s)
    assert sorted(first) == list(range(10)) and sorted(second) == list(range(10))
    assert first != second  # a new order every epoch
    s2 = RandomSampler(range(10), generator=gen(1))
    assert [list(s2), list(s2)] == [first, second]
    assert len(s) == 10


def test_random_sampler_replacement_and_num_samples():
    s = RandomSampler(range(3), replacement=True, num_samples=50, generator=gen())
    drawn = list(s)
    assert len(drawn) == 50 == len(s) and set(drawn) == {0, 1, 2}
    s = RandomSampler(range(4), num_samples=10, generator=gen())
    drawn = list(s)
    assert len(drawn) == 10 and sorted(drawn[:4]) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(TypeError, match="Generator"):
        RandomSampler(range(3), generator=np.random.default_rng(0))


def test_subset_random_sampler():
    s = SubsetRandomSampler([10, 20, 30, 40], generator=gen())
    drawn = list(s)
    assert sorted(drawn) == [10, 20, 30, 40] and len(s) == 4


def test_weighted_random_sampler_balances_classes():
    labels = np.array([0] * 90 + [1] * 10)
    weights = 1.0 / np.bincount(labels)[labels]
    s = WeightedRandomSampler(weights, num_samples=4000, generator=gen())
    counts = np.bincount(labels[list(s)], minlength=2)
    assert abs(counts[0] - counts[1]) < 300
    s = WeightedRandomSampler([0.0, 1.0, 1.0, 0.0], num_samples=2, replacement=False, generator=gen())
    assert sorted(s) == [1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([0.0, 1.0], num_samples=2, replacement=False)
    with pytest.raises(RuntimeError, match="invalid multinomial"):
        WeightedRandomSampler([-1.0, 1.0], num_samples=2)


# ------------------------------------------------------------------------------ collate
def test_default_collate_structures():
    batch = [(ag.tensor([1.0, 2.0]), 0, 0.5, "a", True),
             (ag.tensor([3.0, 4.0]), 1, 1.5, "b", False)]
    x, label, value, names, flags = default_collate(batch)
    assert isinstance(default_collate(batch), list)  # tuples become lists, as in PyTorch
    assert x.shape == (2, 2) and x.dtype == ag.float32
    np.testing.assert_array_equal(x.numpy(), [[1, 2], [3, 4]])
    assert label.dtype == ag.int64 and label.tolist() == [0, 1]
    assert value.dtype == ag.float64 and value.tolist() == [0.5, 1.5]
    assert names == ["a", "b"]
    assert flags.dtype == ag.bool and flags.tolist() == [True, False]


def test_default_collate_dicts_namedtuples_numpy():
    Point = collections.namedtuple("Point", "x y")
    out = default_collate([Point(np.float32(1), np.array([1, 2], dtype=np.int32)),
                           Point(np.float32(2), np.array([3, 4], dtype=np.int32))])
    assert type(out) is Point
    assert out.x.dtype == ag.float32 and out.x.tolist() == [1.0, 2.0]
    assert out.y.dtype == ag.int32 and out.y.shape == (2, 2)
    od = default_collate([collections.OrderedDict(b=1, a=2), collections.OrderedDict(b=3, a=4)])
    assert type(od) is collections.OrderedDict and list(od) == ["b", "a"]
    assert od["b"].tolist() == [1, 3]
    nested = default_collate([{"p": [ag.zeros(2), 1]}, {"p": [ag.ones(2), 2]}])
    assert nested["p"][0].shape == (2, 2) and nested["p"][1].tolist() == [1, 2]


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([ag.zeros(2), ag.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([None, None])


def test_default_collate_of_grad_tensors_is_recorded():
    if not hasattr(ag, "stack"):
        pytest.skip("autograd_core.stack is not available yet")
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    out = default_collate([a, a * 2])
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


def test_default_convert():
    out = default_convert((np.arange(3), {"a": np.float64(1.5)}, "s", 4))
    assert isinstance(out, list)
    assert isinstance(out[0], ag.Tensor) and out[0].dtype == ag.int64
    assert isinstance(out[1]["a"], ag.Tensor) and out[1]["a"].dtype == ag.float64
    assert out[2:] == ["s", 4]


def test_collate_matches_pytorch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    batch = [({"a": 1.5, "b": [1, 2]}, np.ones(2, dtype=np.float32)),
             ({"a": 2.5, "b": [3, 4]}, np.zeros(2, dtype=np.float32))]
    ours, theirs = default_collate(batch), torch_collate(batch)
    assert type(ours) is type(theirs)
    assert ours[0]["a"].dtype.name == str(theirs[0]["a"].dtype).split(".")[1]
    assert ours[0]["a"].tolist() == theirs[0]["a"].tolist()
    assert [t.tolist() for t in ours[0]["b"]] == [t.tolist() for t in theirs[0]["b"]]
    assert ours[1].tolist() == theirs[1].tolist() and theirs[1].dtype == torch.float32


# ---------------------------------------------------------------------------- DataLoader
def test_loader_batches_in_order(device):
    x, y = xy(10, device)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2) and batches[0][0].device.type == device
    assert len(DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)) == 2
    assert [b[1].tolist() for b in DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)] == \
        [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_loader_fast_path_equals_generic_collation(device):
    x, y = xy(10, device)
    ds = TensorDataset(x, y)
    fast = list(DataLoader(ds, batch_size=3, shuffle=True, generator=gen(2)))
    slow = list(DataLoader(ds, batch_size=3, shuffle=True, generator=gen(2), collate_fn=default_collate))
    assert len(fast) == len(slow) == 4
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.dtype == sx.dtype and fy.dtype == sy.dtype
        np.testing.assert_array_equal(fx.cpu().numpy(), sx.cpu().numpy())
        np.testing.assert_array_equal(fy.cpu().numpy(), sy.cpu().numpy())
    sub = Subset(ds, [9, 8, 7, 1])
    assert [b[1].tolist() for b in DataLoader(sub, batch_size=3)] == [[9, 8, 7], [1]]


def test_loader_shuffle_reproducible_with_generator():
    ds = TensorDataset(*xy(20))

    def epochs(loader, n=2):
        return [[b[1].tolist() for b in loader] for _ in range(n)]

    a = epochs(DataLoader(ds, batch_size=5, shuffle=True, generator=gen(0)))
    b = epochs(DataLoader(ds, batch_size=5, shuffle=True, generator=gen(0)))
    c = epochs(DataLoader(ds, batch_size=5, shuffle=True, generator=gen(1)))
    assert a == b and a != c
    assert a[0] != a[1]  # each epoch is a new permutation
    assert sorted(sum(a[0], [])) == list(range(20))


def test_loader_shuffle_follows_global_seed():
    ds = TensorDataset(*xy(20))
    ag.manual_seed(7)
    a = [b[1].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True)]
    ag.manual_seed(7)
    b = [b[1].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True)]
    assert a == b and sorted(sum(a, [])) == list(range(20))


def test_loader_custom_dataset_collate_fn_and_samplers():
    ds = Squares(5)
    batch = next(iter(DataLoader(ds, batch_size=3)))
    assert batch["x"].shape == (3, 1) and batch["y"].tolist() == [0, 1, 4]
    assert batch["name"] == ["s0", "s1", "s2"]
    loader = DataLoader(ds, batch_size=2, collate_fn=lambda samples: [s["y"] for s in samples])
    assert list(loader) == [[0, 1], [4, 9], [16]]
    loader = DataLoader(ds, batch_size=2, sampler=[4, 3, 0])
    assert [b["y"].tolist() for b in loader] == [[16, 9], [0]]
    loader = DataLoader(ds, batch_sampler=[[0, 4], [2]])
    assert [b["y"].tolist() for b in loader] == [[0, 16], [4]] and len(loader) == 2


def test_loader_without_batching():
    loader = DataLoader(TensorDataset(*xy(3)), batch_size=None)
    items = list(loader)
    assert len(loader) == 3 and items[1][1].item() == 1 and items[1][0].shape == (2,)


def test_loader_iterable_dataset():
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    assert len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    with pytest.raises(TypeError):
        len(DataLoader(Stream(7, with_len=False), batch_size=3))
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])


def test_loader_argument_errors():
    ds = TensorDataset(*xy(4))
    with pytest.raises(ValueError, match="non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(ds, prefetch_factor=2)
    assert DataLoader(ds, pin_memory=True).pin_memory is True
    assert get_worker_info() is None


def test_loader_len_matches_pytorch():
    torch = pytest.importorskip("torch")
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, False), (1, 4, False), (0, 2, False)]:
        ours = DataLoader(TensorDataset(ag.zeros(n, 1)), batch_size=bs, drop_last=drop)
        theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(n, 1)),
                                             batch_size=bs, drop_last=drop)
        assert len(ours) == len(theirs) == len(list(ours))


def test_loader_trains_a_linear_model():
    """The loader feeds a plain training loop: least squares by mini-batch SGD."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], dtype=np.float32) + 0.25
    loader = DataLoader(TensorDataset(ag.from_numpy(x), ag.from_numpy(y)), batch_size=16,
                        shuffle=True, generator=gen())
    w = ag.zeros(3, requires_grad=True)
    b = ag.zeros(1, requires_grad=True)
    for _ in range(60):
        for xb, yb in loader:
            loss = ((xb @ w + b - yb) ** 2).mean()
            w.grad = b.grad = None
            loss.backward()
            with ag.no_grad():
                w -= 0.1 * w.grad
                b -= 0.1 * b.grad
    assert w.dtype == ag.float32
    np.testing.assert_allclose(w.detach().numpy(), [1.0, -2.0, 0.5], atol=1e-3)
    np.testing.assert_allclose(b.detach().numpy(), [0.25], atol=1e-3)


def test_sampler_base_class():
    with pytest.raises(NotImplementedError):
        iter(Sampler())


@pytest.mark.usefixtures("fake_cuda")
def test_loader_on_the_cupy_stand_in():
    """Batches of GPU tensors stay on the GPU, on the fast path and the generic one."""
    x = ag.tensor(np.arange(20, dtype=np.float32).reshape(10, 2), device="cuda")
    y = ag.tensor(np.arange(10), device="cuda")
    ds = TensorDataset(x, y)
    assert isinstance(ds[3][0]._data, FakeArray) and ds[3][1].shape == ()
    for collate in [None, default_collate]:
        loader = DataLoader(ds, batch_size=4, shuffle=True, generator=gen(0), collate_fn=collate)
        batches = list(loader)
        assert all(isinstance(b[0]._data, FakeArray) for b in batches)
        assert sorted(sum((b[1].tolist() for b in batches), [])) == list(range(10))
    part, _ = random_split(ds, [0.5, 0.5], generator=gen())
    xb, yb = next(iter(DataLoader(part, batch_size=5)))
    assert xb.device.type == "cuda" and xb.tolist() == [[2.0 * i, 2.0 * i + 1] for i in yb.tolist()]


def test_loader_over_tensors_that_require_grad_records_the_graph():
    """Samples of a tensor that requires grad are taken with recorded ops (no fast path),
    so gradients flow back to the dataset's tensor."""
    w = ag.arange(6, dtype=ag.float64).reshape(3, 2).requires_grad_()
    loader = DataLoader(TensorDataset(w, ag.arange(3)), batch_size=2)
    total = None
    for xb, _ in loader:
        assert xb.requires_grad
        total = xb.sum() if total is None else total + xb.sum()
    total.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.ones((3, 2)))
