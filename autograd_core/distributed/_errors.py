"""The exception classes of `autograd_core.distributed` (PyTorch's names)."""

from __future__ import annotations


class DistError(RuntimeError):
    """Something went wrong in the distributed package."""


class DistBackendError(DistError):
    """The communication backend failed: a peer rank raised, or a collective timed out.

    After it the process group is unusable (collectives may still be in flight): let the
    process exit, or call `destroy_process_group` and start again."""


NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                   "init_process_group.")
