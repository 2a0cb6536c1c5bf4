"""Out-of-range indices on fake-CUDA: no host sync at the op, the error at the next read.

On a GPU a bounds check that raised at once would need the indices on the host at every
op. The backend instead reduces the check on the device and raises at the next
synchronisation (`CupyBackend.check_index_bounds`), as CUDA reports a device-side assert;
meanwhile the op runs on clipped indices. Here, for each indexing op: nothing is read back
when it runs, the next read raises PyTorch's exception class, and the CPU raises at once.
"""

from __future__ import annotations

import pytest
from fake_cupy import (
    HOST_SYNCS,
    fake_cuda,  # noqa: F401  (the fixture)
    requires_fake,
)

import autograd_core as ag
import nn

OPS = {
    "gather": (lambda x, i: x.gather(1, i.reshape(2, 1)), RuntimeError),
    "indexing": (lambda x, i: x[:, i], IndexError),
    "index_select": (lambda x, i: x.index_select(1, i), IndexError),
    "embedding": (lambda x, i: nn.functional.embedding(i, x.T), IndexError),
    "cross_entropy": (lambda x, i: nn.functional.cross_entropy(x, i), IndexError),
}


@requires_fake
@pytest.mark.usefixtures("fake_cuda")
@pytest.mark.parametrize("name", list(OPS))
def test_bad_index_raises_at_the_next_read_on_the_device(name):
    op, error = OPS[name]
    x = ag.randn(2, 4, device="cuda")
    bad = ag.tensor([1, 9], device="cuda")
    HOST_SYNCS.clear()
    out = op(x, bad)  # no raise, no transfer: the check is pending on the device
    assert sum(HOST_SYNCS.values()) == 0
    with pytest.raises(error):
        out.sum().item()
    op(x, ag.tensor([1, 3], device="cuda")).sum().item()  # the pending error was consumed


@pytest.mark.parametrize("name", list(OPS))
def test_bad_index_raises_at_once_on_the_cpu(name):
    op, error = OPS[name]
    with pytest.raises(error):
        op(ag.randn(2, 4), ag.tensor([1, 9]))
