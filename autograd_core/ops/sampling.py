"""Sampling from tensors of probabilities: multinomial, bernoulli (not differentiable).

Both draw their uniforms from the factories' generator (``generator=`` or the global one),
on the input's device:

    bernoulli:   x = [u < p]
    multinomial: with replacement, the first k with cdf_k > u (inverse transform sampling);
                 without, the ``num_samples`` smallest of -log(u_k) / p_k (exponential races:
                 the first arrivals of independent clocks of rates p_k, a draw without
                 replacement in weighted order)
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..tensor import Tensor, _wrap
from .reduction import _xp
from .sorting import stable_argsort


def _uniform(like: Tensor, shape: tuple, generator):
    from ..factories import rand

    return rand(shape, generator=generator, dtype=like.dtype if like.dtype.is_floating_point
                else None, device=like.device)._data


def bernoulli(input: Tensor, p: float | None = None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0; the result has ``input``'s dtype."""
    probs = input._data if p is None else p
    if p is None and not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                  f"'{input.dtype}'; the probabilities must be floats")
    u = _uniform(input, tuple(input.shape), generator)
    return _wrap(_xp(input).asarray(u < probs).astype(input._data.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """``num_samples`` category indices per row of non-negative weights ``input`` (1-d or
    2-d), with or without replacement."""
    x = input._data
    if x.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got shape {list(input.shape)}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (got {num_samples})")
    n = x.shape[-1]
    if n > 2 ** 24:
        raise RuntimeError(f"number of categories cannot exceed 2^24 (got {n})")
    if not replacement and num_samples > n:
        raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without "
                           f"replacement (got {num_samples} samples from {n} categories)")
    xp = _xp(input)
    rows = x.reshape(-1, n)
    if bool((rows < 0).any()) or not bool(xp.isfinite(rows).all()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = rows.sum(axis=1, keepdims=True)
    if bool((total <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if replacement:
        cdf = xp.cumsum(rows / total, axis=1)
        u = _uniform(input, (rows.shape[0], num_samples), generator)
        out = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2)  # the first k with cdf_k > u
        out = xp.minimum(out, n - 1)
    else:
        if bool(((rows > 0).sum(axis=1) < num_samples).any()):
            raise RuntimeError("invalid multinomial distribution (with replacement=False, not "
                               "enough non-negative category to sample)")
        u = _uniform(input, rows.shape, generator)
        positive = rows > 0
        race = xp.where(positive, -xp.log1p(-u) / xp.where(positive, rows, 1), xp.inf)
        out = stable_argsort(xp, race, 1)[:, :num_samples]
    out = out.astype(_dt.int64.numpy)
    return _wrap(out.reshape(num_samples) if x.ndim == 1 else out)


Tensor.multinomial = multinomial
Tensor.bernoulli = bernoulli

__all__ = ["bernoulli", "multinomial"]
