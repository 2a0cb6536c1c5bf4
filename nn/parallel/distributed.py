"""`DistributedDataParallel`: the same model on every rank, each rank on its own share of
the data, gradients averaged across ranks during backward.

With R ranks each computing the loss on a batch of B samples, the averaged gradient

    g = (1/R) sum_r grad L_r,   L_r = (1/B) sum_{i in batch r} l_i

equals the gradient of the mean loss over all R*B samples, so every rank takes the same
optimizer step as one process with batch R*B would, and the replicas stay identical.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import autograd_core as ac
from autograd_core import distributed as dist

from ..module import Module
from ._reducer import Reducer


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training (``init_process_group`` first).

    At construction the parameters and buffers of rank 0 are broadcast to every rank (and
    the ranks' parameter shapes checked). Each ``forward`` broadcasts rank 0's buffers
    (``broadcast_buffers``: batch-norm statistics) and arms the gradient hooks; ``backward``
    then all-reduces the gradients in buckets of ``bucket_cap_mb`` MB while it runs (see
    ``nn/parallel/_reducer.py``). ``no_sync()`` skips the all-reduce so that gradients
    accumulate locally; the first backward outside it averages the accumulated sum.
    The wrapped model is ``.module``; state_dict keys start with ``module.``.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False) -> None:
        super().__init__()
        dist.get_world_size(process_group)  # ValueError when init_process_group was not called
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self.module = module
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.process_group = process_group
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        with ac.no_grad():
            for p in module.parameters():
                dist.broadcast(p, 0, process_group)
            for b in module.buffers():
                dist.broadcast(b, 0, process_group)
        self.reducer = Reducer(params, self.bucket_bytes_cap, find_unused_parameters,
                               process_group)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self.broadcast_buffers and dist.get_world_size(self.process_group) > 1:
            with ac.no_grad():
                for b in self.module.buffers():
                    dist.broadcast(b, 0, self.process_group)
        output = self.module(*inputs, **kwargs)
        if ac.is_grad_enabled():
            self.reducer.prepare(output, self.require_backward_grad_sync)
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside: backward accumulates gradients locally, with no communication."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    @property
    def comm_stats(self) -> dict:
        """Of the last synchronised backward: ``reduce_s`` from the first bucket's start to
        the end of the all-reduces, ``wait_s`` the part of it backward spent blocked waiting
        (the rest overlapped with computation), ``buckets``."""
        return dict(self.reducer.stats)


__all__ = ["DistributedDataParallel"]
