"""Where complex tensors meet the real operations.

Imported by `autograd_core.ops` after the real families, before the public names are taken:

1. the *linear* real primitives (views, indexing, gather/scatter, sum, mean, cumsum,
   add/sub/neg, where, masked_fill, joining, copies) record complex outputs too
   (`lift_linear`): their rules need no conjugate; einsum's rule conjugates the other
   operands itself (`lift_conjugating`);
2. the nonlinear real primitives whose one rule conjugates the derivative (``* / ** @``,
   ``exp log sqrt``: ``conj`` is free on real values) declare ``_complex_ok`` themselves;
   ``abs``, ``angle``, ``var`` and ``std``, whose complex form is another primitive or
   formula, choose it inside the function (one dtype check, no wrapper);
3. every other primitive refuses complex operands (`refuse_complex_elsewhere`, called once
   the package is imported), and the real-only pointwise functions say so by name
   (`_pointwise._floating`): no imaginary part or gradient is dropped silently.
"""

from __future__ import annotations

from . import (
    _broadcast,
    arithmetic,
    conversion,
    copies,
    cumulative,
    einsum,
    indexing,
    inplace,
    joining,
    masking,
    reduction,
    reorder,
    scatter_gather,
    selection,
    shape,
    triangular,
)
from . import complex as _complex
from ._complex_function import ComplexFunction, lift_conjugating, lift_linear

_complex.attach_methods(copies)
lift_linear(
    shape.Reshape, shape.Permute, indexing.Slice, indexing.SliceScatter, indexing.Index,
    indexing.IndexAccumulate, reduction.Sum, reduction.Mean, arithmetic.Add, arithmetic.Sub,
    arithmetic.Neg, joining.Cat, joining.Stack, joining.Split, joining.Unbind, reorder.Flip,
    reorder.Roll, reorder.Repeat, conversion.Clone, conversion.ToDevice, _broadcast.SumTo,
    _broadcast.BroadcastTo, scatter_gather.IndexSelect, scatter_gather.IndexAdd,
    selection.Where, indexing.IndexPut, inplace.Fill, inplace.Zero, inplace.Copy,
    cumulative.Cumsum, cumulative._ReverseCumsum, triangular.Diagonal, triangular.DiagEmbed,
    scatter_gather.Gather, scatter_gather.ScatterAdd, scatter_gather.Scatter, masking.MaskedFill,
)

lift_conjugating(einsum.Einsum)


def lift_view_rebase() -> None:
    """The primitives an in-place change through a view records (loaded on first use)."""
    from . import _view_rebase

    lift_linear(_view_rebase.StridedView, _view_rebase.StridedScatter, _view_rebase.CopySlices)


def refuse_complex_elsewhere() -> None:
    """Every built-in primitive not lifted above nor complex itself refuses to make complex
    results (``Function.apply`` checks ``_complex_ok``); a subclass of a lifted primitive is
    not lifted by inheritance. Called at the end of ``autograd_core``'s import, when all of
    them are defined."""
    from ..function import Function

    lift_view_rebase()
    stack = [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if ("_complex_ok" not in sub.__dict__ and not issubclass(sub, ComplexFunction)
                    and sub.__module__.startswith("autograd_core.")):
                sub._complex_ok = False
