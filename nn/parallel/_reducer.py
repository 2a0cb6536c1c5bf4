"""The gradient reducer of `DistributedDataParallel`: buckets, hooks, overlap.

Parameters are grouped into *buckets* of about ``bucket_cap_mb`` in reverse registration
order (roughly the order backward produces their gradients: the last layer first). Each
bucket owns one flat buffer. During ``loss.backward()`` a hook on every parameter fires when
its gradient is ready and copies ``.grad + this gradient`` into the bucket; when a bucket is
full it is handed to a non-blocking all-reduce (``ReduceOp.AVG``), so the communication of
the last layers runs while backward is still computing the first ones:

    backward:  [grad L3][grad L2][grad L1]
    network:            [  all-reduce B0 ][ all-reduce B1 ]   (B0 = L3, L2; B1 = L1)

Buckets are started strictly in order (bucket i only after buckets 0..i-1), so every rank
issues the same collectives in the same order whatever order its hooks fire in.

**When do we wait?** In the hook of the last parameter to become ready: it starts the last
bucket, waits for all of them, and writes the averages into every ``.grad``. So when
``backward()`` returns, every ``.grad`` already holds the average over ranks, and an optimizer
(or gradient clipping) needs no extra call. The last parameter's own gradient is handed back
to the engine as the hook's result (its ``.grad`` is cleared first, so the engine stores the
average as it is). Parameters the forward did not use are found by walking the graph from the
outputs (``find_unused_parameters=True``) and count as ready at once.
"""

from __future__ import annotations

import time

import autograd_core as ac
from autograd_core import distributed as dist


class _Bucket:
    def __init__(self, index: int, params: list) -> None:
        self.index = index
        self.params = params
        self.offsets = []
        total = 0
        for p in params:
            self.offsets.append(total)
            total += p.numel()
        self.numel = total
        self.flat = None  # allocated at the first reduction, on the parameters' device
        self.pending = 0
        self.work = None


def _reachable_params(outputs) -> set:
    """ids of the leaf tensors that the autograd graph of ``outputs`` reaches."""
    seen, found = set(), set()
    stack = [t.grad_fn for t in outputs if getattr(t, "grad_fn", None) is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            found.add(id(variable))
        for child, _ in node.next_functions:
            if child is not None and id(child) not in seen:
                stack.append(child)
    return found


def _tensors_in(obj) -> list:
    if isinstance(obj, ac.Tensor):
        return [obj]
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in _tensors_in(v)]
    if isinstance(obj, (list, tuple)):
        return [t for v in obj for t in _tensors_in(v)]
    return []


class Reducer:
    def __init__(self, params: list, bucket_cap_bytes: int, find_unused: bool, group) -> None:
        self.params = params
        self.find_unused = find_unused
        self.group = group
        self.buckets: list[_Bucket] = []
        self.where: dict[int, tuple[_Bucket, int]] = {}
        current, size, key = [], 0, None
        for p in reversed(params):
            nbytes = p.numel() * p.element_size()
            p_key = (p.dtype, p.device)
            if current and (size + nbytes > bucket_cap_bytes or p_key != key):
                self._add_bucket(current)
                current, size = [], 0
            current.append(p)
            size += nbytes
            key = p_key
        if current:
            self._add_bucket(current)
        self.handles = [p.register_hook(self._hook_for(p)) for p in params]
        self.armed = False
        self.sync = True
        self.ready: set = set()
        self.next_to_start = 0
        self.used: set = set()
        self.stats = {"wait_s": 0.0, "reduce_s": 0.0, "buckets": len(self.buckets)}
        self._first_start = None

    def _add_bucket(self, params: list) -> None:
        bucket = _Bucket(len(self.buckets), params)
        for i, p in enumerate(params):
            self.where[id(p)] = (bucket, i)
        self.buckets.append(bucket)

    # ------------------------------------------------------------------ per iteration
    def prepare(self, outputs, sync: bool) -> None:
        """Called by forward: arm the hooks for the coming backward."""
        if self.armed and self.ready:
            missing = [i for i, p in enumerate(self.params) if id(p) not in self.ready]
            self.armed = False
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                f"used in producing loss (parameter indices {missing}). You can enable unused "
                "parameter detection by passing the keyword argument "
                "`find_unused_parameters=True` to `nn.parallel.DistributedDataParallel`, and "
                "by making sure all `forward` function outputs participate in calculating loss.")
        self.sync = sync
        self.armed = sync
        self.ready = set()
        self.next_to_start = 0
        self._first_start = None
        for bucket in self.buckets:
            bucket.pending = len(bucket.params)
            bucket.work = None
        if sync and self.find_unused:
            self.used = _reachable_params(_tensors_in(outputs))
            unused = [p for p in self.params if id(p) not in self.used]
            for p in unused:
                self._mark_ready(p, None)

    def _hook_for(self, p):
        def hook(grad):
            if not self.armed or id(p) in self.ready:
                return None
            return self._mark_ready(p, grad)
        hook.__name__ = "ddp_gradient_hook"
        return hook

    def _mark_ready(self, p, grad):
        bucket, i = self.where[id(p)]
        if bucket.flat is None:
            bucket.flat = ac.zeros(bucket.numel + len(bucket.params) * self.find_unused,
                                   dtype=p.dtype, device=p.device)
        start, n = bucket.offsets[i], p.numel()
        with ac.no_grad():
            if grad is None:
                local = p.grad
            else:
                local = grad if p.grad is None else p.grad + grad
            if local is None:
                bucket.flat[start:start + n].zero_()
            else:
                bucket.flat[start:start + n].copy_(local.detach().reshape(-1))
            if self.find_unused:  # one "used here" flag per parameter, averaged with the rest
                bucket.flat[bucket.numel + i].fill_(0.0 if grad is None else 1.0)
        self.ready.add(id(p))
        bucket.pending -= 1
        if bucket.pending == 0:
            self._start_ready_buckets()
        else:
            self._progress()
        if len(self.ready) == len(self.params):
            return self._finish(p if grad is not None else None)
        return None

    def _start_ready_buckets(self) -> None:
        while self.next_to_start < len(self.buckets) and \
                self.buckets[self.next_to_start].pending == 0:
            bucket = self.buckets[self.next_to_start]
            if self._first_start is None:
                self._first_start = time.perf_counter()
            bucket.work = dist.all_reduce(bucket.flat, dist.ReduceOp.AVG, self.group,
                                          async_op=True)
            self.next_to_start += 1
        self._progress()

    def _progress(self) -> None:
        for bucket in self.buckets[:self.next_to_start]:
            if bucket.work is not None:
                bucket.work.is_completed()  # drives MPI's progress; starts queued stages

    def _finish(self, last):
        """Wait for every bucket and write the averages into ``.grad``."""
        t0 = time.perf_counter()
        for bucket in self.buckets:
            bucket.work.wait()
        t1 = time.perf_counter()
        self.stats["wait_s"] = t1 - t0
        self.stats["reduce_s"] = t1 - (self._first_start or t0)
        self.armed = False
        result = None
        with ac.no_grad():
            for bucket in self.buckets:
                for i, p in enumerate(bucket.params):
                    if self.find_unused and bucket.flat[bucket.numel + i].item() == 0.0 and \
                            p.grad is None:
                        continue  # used by no rank: its .grad stays None
                    start, n = bucket.offsets[i], p.numel()
                    average = bucket.flat[start:start + n].reshape(p.shape)
                    if p is last:
                        p.grad = None  # the engine stores the returned value as it is
                        result = average.clone()
                    elif p.grad is None:
                        p.grad = average.clone()
                    else:
                        p.grad.copy_(average)
        return result

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
