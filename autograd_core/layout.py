"""Memory layouts (``torch.layout``): every tensor here is ``strided``.

The factories take PyTorch's ``layout=`` and ``pin_memory=`` arguments, so programs that pass
them run unchanged: ``layout=strided`` (or None) is the only layout there is, and a sparse one
is refused with a message saying so; ``pin_memory`` is accepted and has no effect (host
memory here is ordinary pageable memory, which a CuPy copy reads as well).
"""

from __future__ import annotations


class layout:  # noqa: N801  (PyTorch's name)
    """A memory layout; compare with ``autograd_core.strided``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"autograd_core.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
_ALL = {d.name: d for d in (strided, sparse_coo, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc)}


def _by_name(name: str) -> layout:
    return _ALL[name]


def check_layout(value, function: str) -> None:
    """Refuse any layout but strided (None means strided), naming the function."""
    if value is None or value is strided:
        return
    if isinstance(value, layout):
        raise NotImplementedError(
            f"{function}(layout={value!r}): only strided (dense) tensors exist in this library; "
            "leave layout out or pass layout=autograd_core.strided")
    raise TypeError(f"{function}(): layout must be an autograd_core.layout such as "
                    f"autograd_core.strided, not {type(value).__name__}")
