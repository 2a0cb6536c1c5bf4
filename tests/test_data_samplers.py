"""Samplers that draw lazily, DistributedSampler and StackDataset, against torch.utils.data."""

from __future__ import annotations

import itertools

import pytest

import autograd_core as ag
from autograd_core.utils.data import (
    DataLoader,
    DistributedSampler,
    RandomSampler,
    StackDataset,
    TensorDataset,
)


def gen(seed=0):
    return ag.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------ lazy drawing
def test_random_sampler_with_replacement_draws_lazily():
    """10**10 indices are never built: the first batch costs one chunk of draws."""
    sampler = RandomSampler(range(5), replacement=True, num_samples=int(1e10), generator=gen())
    loader = DataLoader(range(5), sampler=sampler, batch_size=4)
    first = next(iter(loader))
    assert first.shape == (4,) and all(0 <= i < 5 for i in first.tolist())
    assert len(loader) == 2_500_000_000
    head = list(itertools.islice(iter(sampler), 3000))
    assert len(head) == 3000 and set(head) == set(range(5))


def test_random_sampler_without_replacement_draws_one_permutation_at_a_time():
    sampler = RandomSampler(range(4), num_samples=10**10, generator=gen())
    head = list(itertools.islice(iter(sampler), 12))
    for k in range(3):
        assert sorted(head[4 * k:4 * k + 4]) == [0, 1, 2, 3]
    tail = RandomSampler(range(4), num_samples=6, generator=gen())
    drawn = list(tail)
    assert len(drawn) == 6 and sorted(drawn[:4]) == [0, 1, 2, 3] and len(set(drawn[4:])) == 2


def test_random_sampler_replacement_counts_across_chunks():
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=2500, generator=gen(1)))
    again = list(RandomSampler(range(3), replacement=True, num_samples=2500, generator=gen(1)))
    assert len(drawn) == 2500 and drawn == again and set(drawn) == {0, 1, 2}


# ------------------------------------------------------------------------------ DistributedSampler
CASES = [(n, r, drop) for n in [0, 1, 5, 7, 10, 12] for r in [1, 3, 4] for drop in [False, True]]


@pytest.mark.parametrize("n,replicas,drop_last", CASES)
def test_distributed_sampler_without_shuffle_matches_torch(n, replicas, drop_last):
    torch = pytest.importorskip("torch")
    for rank in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False,
                                  drop_last=drop_last)
        theirs = torch.utils.data.DistributedSampler(range(n), num_replicas=replicas, rank=rank,
                                                     shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert (len(ours), ours.num_samples, ours.total_size) == \
            (len(theirs), theirs.num_samples, theirs.total_size)


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (12, 4, False),
                                                  (2, 4, False), (7, 2, True)])
def test_distributed_sampler_with_shuffle_partitions_like_torch(n, replicas, drop_last):
    """Every rank draws the same permutation, so the shares are the same partition of a
    (padded or cut) permutation of the indices as torch's: equal lengths, disjoint when
    nothing is padded, everything covered unless dropped."""
    torch = pytest.importorskip("torch")
    shares = [list(DistributedSampler(range(n), replicas, rank, seed=3, drop_last=drop_last))
              for rank in range(replicas)]
    theirs = [list(torch.utils.data.DistributedSampler(range(n), replicas, rank, seed=3,
                                                       drop_last=drop_last))
              for rank in range(replicas)]
    assert [len(s) for s in shares] == [len(s) for s in theirs]
    merged = sorted(sum(shares, []))
    assert len(merged) == len(sorted(sum(theirs, [])))
    if drop_last:
        assert len(set(merged)) == len(merged) and set(merged) <= set(range(n))
    else:
        assert set(merged) == set(range(n))
        if n % replicas == 0:
            assert merged == list(range(n))


def test_distributed_sampler_epochs_and_seed():
    s = DistributedSampler(range(20), num_replicas=2, rank=0, seed=5)
    first, again = list(s), list(s)
    assert first == again  # same epoch, same order
    s.set_epoch(1)
    assert list(s) != first and s.epoch == 1
    other_rank = DistributedSampler(range(20), num_replicas=2, rank=1, seed=5)
    assert sorted(first + list(other_rank)) == list(range(20))
    assert list(DistributedSampler(range(20), 2, 0, seed=6)) != first
    loader = DataLoader(range(20), batch_size=5, sampler=s)
    assert sum((b.tolist() for b in loader), []) == list(s)


def test_distributed_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    # with no process group, rank and world size cannot be looked up (PyTorch's ValueError)
    with pytest.raises(ValueError, match="call init_process_group"):
        DistributedSampler(range(4))


# ------------------------------------------------------------------------------ StackDataset
def test_stack_dataset_tuple_and_dict_match_torch():
    torch = pytest.importorskip("torch")
    x = ag.arange(12, dtype=ag.float32).reshape(6, 2)
    y = ag.arange(6)
    ours_t = StackDataset(TensorDataset(x), y.tolist())
    theirs_t = torch.utils.data.StackDataset(torch.utils.data.TensorDataset(torch.tensor(x.numpy())),
                                             y.tolist())
    assert len(ours_t) == len(theirs_t) == 6
    (xs,), label = ours_t[4]
    assert xs.tolist() == theirs_t[4][0][0].tolist() and label == theirs_t[4][1] == 4
    ours_d = StackDataset(image=x.tolist(), label=y.tolist())
    theirs_d = torch.utils.data.StackDataset(image=x.tolist(), label=y.tolist())
    assert ours_d[2] == theirs_d[2] == {"image": [4.0, 5.0], "label": 2}
    assert ours_d.__getitems__([1, 3]) == theirs_d.__getitems__([1, 3])
    assert ours_t.__getitems__([0, 5])[1][1] == theirs_t.__getitems__([0, 5])[1][1] == 5
    ours_b = [b["image"].tolist() + [b["label"].tolist()]
              for b in DataLoader(StackDataset(image=x, label=y), batch_size=4)]
    theirs_b = [b["image"].tolist() + [b["label"].tolist()]
                for b in torch.utils.data.DataLoader(
                    torch.utils.data.StackDataset(image=torch.tensor(x.numpy()),
                                                  label=torch.tensor(y.numpy())), batch_size=4)]
    assert ours_b == theirs_b


def test_stack_dataset_errors():
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(a=[1, 2], b=[1])
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset([1], b=[2])

    class Short:
        def __len__(self):
            return 2

        def __getitems__(self, indices):
            return [0]

    with pytest.raises(ValueError, match="output size mismatch. Expected 2, got 1"):
        StackDataset(Short()).__getitems__([0, 1])


def test_weighted_random_sampler_draws_lazily():
    from autograd_core.utils.data import WeightedRandomSampler

    s = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=10**10, generator=gen())
    head = list(itertools.islice(iter(s), 4000))
    assert len(s) == 10**10 and set(head) == {1, 2}
    assert 0.7 < head.count(2) / len(head) < 0.8  # P(2) = 3/4
    loader = DataLoader(range(3), sampler=s, batch_size=8)
    assert next(iter(loader)).shape == (8,)


def test_subset_fetches_many_through_the_dataset_getitems():
    torch = pytest.importorskip("torch")
    from autograd_core.utils.data import Subset

    calls = []

    class Batched:
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return i

        def __getitems__(self, indices):
            calls.append(list(indices))
            return [10 * i for i in indices]

    ours = Subset(Batched(), [5, 3, 1])
    theirs = torch.utils.data.Subset(Batched(), [5, 3, 1])
    assert ours.__getitems__([0, 2]) == theirs.__getitems__([0, 2]) == [50, 10]
    assert calls == [[5, 1], [5, 1]]
    assert Subset(list(range(6)), [4, 0]).__getitems__([1, 0]) == [0, 4]
    assert [b.tolist() for b in DataLoader(ours, batch_size=2)] == [[50, 30], [10]]
