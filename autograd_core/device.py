"""`device`: where a tensor's array lives (``cpu`` or ``cuda:N``), as in PyTorch."""

from __future__ import annotations

from functools import lru_cache

_KNOWN_TYPES = ("cpu", "cuda")


class device:  # noqa: N801  (PyTorch's name)
    """A device: its ``type`` (``'cpu'`` or ``'cuda'``) and, for CUDA, an ``index``.

    ``device("cuda")`` means the current CUDA device (index ``None``); ``device("cuda:1")``
    and ``device("cuda", 1)`` name one. Compares equal to its string form.
    """

    __slots__ = ("type", "index")

    def __new__(cls, spec: str | device | int, index: int | None = None) -> device:
        if isinstance(spec, device):
            if index is not None:
                raise TypeError("device(device, index): pass either a device or a type and an index")
            return spec
        if isinstance(spec, int) and not isinstance(spec, bool):
            if index is not None:
                raise TypeError("device(int): the integer is already the CUDA index")
            if spec < 0:
                raise RuntimeError(f"Device index must not be negative, got {spec}")
            return _make("cuda", spec)
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise TypeError(f"device(): index must be an int, got {type(index).__name__}")
        if not isinstance(spec, str):
            raise TypeError(f"device() expects a string like 'cpu' or 'cuda:0', got {type(spec).__name__}")
        return _parse(spec, index)

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash(str(self))  # equal to its string, so hashed like it

    def __reduce__(self):
        return (device, (str(self),))


@lru_cache(maxsize=64)
def _parse(spec: str, index: int | None) -> device:
    kind, colon, number = spec.partition(":")
    if kind not in _KNOWN_TYPES:
        raise RuntimeError(
            f"Expected one of cpu, cuda device type at start of device string: {spec!r}"
        )
    if colon:
        if index is not None:
            raise RuntimeError(f"device string {spec!r} already has an index; do not pass index={index}")
        if not (number.isascii() and number.isdigit()):
            raise RuntimeError(f"Invalid device string: {spec!r} (expected e.g. 'cuda:0')")
        index = int(number)
    if kind == "cpu" and index not in (None, 0):
        raise RuntimeError(f"CPU device index must be 0 or absent, got {index}")
    if kind == "cpu":
        index = None
    if index is not None and index < 0:
        raise RuntimeError(f"Device index must not be negative, got {index}")
    return _make(kind, index)


@lru_cache(maxsize=64)
def _make(kind: str, index: int | None) -> device:
    obj = object.__new__(device)
    obj.type = kind
    obj.index = index
    return obj


CPU = device("cpu")
