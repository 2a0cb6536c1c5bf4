"""`Work`: the handle of a collective started with ``async_op=True``."""

from __future__ import annotations

from collections.abc import Callable


class Work:
    """A collective in flight. ``wait()`` blocks until it is done (raising on a peer's failure
    or at the group's deadline) and then finishes it: results are copied into the caller's
    tensors only there, so read them after ``wait()``."""

    def __init__(self, wait: Callable[[float | None], None], test: Callable[[], bool],
                 finish: Callable[[], None] | None = None, result=None) -> None:
        self._wait = wait
        self._test = test
        self._finish = finish
        self._done = False
        self._result = result if result is not None else []

    def is_completed(self) -> bool:
        """Whether the communication has finished (never blocks)."""
        return self._done or self._test()

    def is_success(self) -> bool:
        return self._done

    def wait(self, timeout=None) -> bool:
        """Block until done; ``timeout`` (a timedelta or seconds) overrides the group's."""
        if not self._done:
            seconds = timeout.total_seconds() if hasattr(timeout, "total_seconds") else timeout
            self._wait(seconds)
            if self._finish is not None:
                self._finish()
            self._done = True
        return True

    def result(self) -> list:
        self.wait()
        return self._result


class CompletedWork(Work):
    """A collective that finished at once (world size 1, or a no-op)."""

    def __init__(self, result=None) -> None:
        super().__init__(lambda _s: None, lambda: True, None, result)
        self._done = True
