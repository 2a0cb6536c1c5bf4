"""Connectionist temporal classification loss (Graves et al. 2006), plays
``torch.nn.functional.ctc_loss``.

A target sequence l of length S is extended with blanks, l' = (b, l_1, b, l_2, ..., l_S, b)
of length 2S + 1, and the forward variables alpha_t(s) = log P(prefix l'_1..s emitted by
frames 1..t) follow the recursion

    alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), [alpha_{t-1}(s-2)]) + y_t(l'_s)

where the (s-2) jump (skipping a blank) is allowed when l'_s is not a blank and differs
from l'_{s-2}. The loss is -logsumexp(alpha_T(2S), alpha_T(2S-1)). The recursion is run for
the whole batch at once, one step per frame, with Tensor operations, so its gradient comes
from the engine (the beta recursion of the paper is what backward computes).
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["ctc_loss"]

_IMPOSSIBLE = -1e30  # log(0) stand-in: finite, so logsumexp of "impossible" stays finite
_INF_THRESHOLD = 1e29


def _lengths(value, name: str, batch: int, device) -> list:
    if isinstance(value, Tensor):
        values = value.reshape(-1).tolist()
    elif isinstance(value, int):
        values = [value]
    else:
        values = [int(v) for v in value]
    if len(values) != batch:
        raise RuntimeError(f"{name} must be of size batch_size (got {len(values)} lengths for "
                           f"a batch of {batch})")
    return [int(v) for v in values]


def _padded_targets(targets: Tensor, target_lengths: list, batch: int) -> Tensor:
    """Targets as (N, S_max): padded rows as given, or the concatenated 1-D form split."""
    s_max = max(target_lengths, default=0)
    if targets.ndim == 2:
        if targets.shape[1] < s_max:
            raise RuntimeError(f"Expected tensor to have size at least {s_max} at dimension 1, "
                               f"but got size {targets.shape[1]} for argument #2 'targets'")
        return targets[:, :s_max].long()
    flat = targets.reshape(-1).long()
    if flat.numel() < sum(target_lengths):
        raise RuntimeError(f"targets holds {flat.numel()} labels but target_lengths sum to "
                           f"{sum(target_lengths)}")
    rows, start = [], 0
    for n in target_lengths:
        row = flat.narrow(0, start, n)
        if n < s_max:
            row = ag.cat([row, row.new_zeros((s_max - n,))])
        rows.append(row)
        start += n
    return ag.stack(rows) if rows else flat.new_zeros((0, s_max))


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of log-probabilities (T, N, C) or (T, C) (e.g. after log_softmax over C)
    against targets (N, S) padded or 1-D concatenated, with per-sample ``input_lengths``
    and ``target_lengths``. 'mean' divides each loss by its target length, then averages
    over the batch; ``zero_infinity`` replaces impossible alignments' infinite losses (and
    their gradients) by zero."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"ctc_loss expects log_probs of shape (T, N, C) or (T, C), got "
                           f"{list(log_probs.shape)}")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    t_max, batch, classes = lp.shape
    in_lens = _lengths(input_lengths, "input_lengths", batch, lp.device)
    tg_lens = _lengths(target_lengths, "target_lengths", batch, lp.device)
    for v in in_lens:
        if v > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but "
                               f"got value {v}")
    if not 0 <= blank < classes:
        raise RuntimeError(f"blank must be in label range [0, {classes}), got {blank}")
    tg = _padded_targets(targets, tg_lens, batch).to(device=lp.device)
    s_max = tg.shape[1]
    width = 2 * s_max + 1
    # the extended label sequences l' (N, 2S+1): blanks between and around the labels
    blanks = ag.full((batch, s_max), blank, dtype=ag.int64, device=lp.device)
    ext = ag.stack([blanks, tg], -1).reshape(batch, 2 * s_max)
    ext = ag.cat([ext, ag.full((batch, 1), blank, dtype=ag.int64, device=lp.device)], 1)
    # (s-2) jumps: l'_s is a label that differs from l'_{s-2}
    skip = ag.cat([ext.new_zeros((batch, 2)).bool(),
                   (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])], 1)
    emit = lp.gather(2, ext.unsqueeze(0).expand(t_max, batch, width))  # (T, N, 2S+1)
    positions = ag.arange(width, device=lp.device).unsqueeze(0)
    start = positions < 2  # alpha_1 lives on the first blank and the first label
    alpha = ag.where(start, emit[0], _IMPOSSIBLE)
    lens = ag.tensor(in_lens, dtype=ag.int64, device=lp.device).unsqueeze(1)
    pad1 = alpha.new_full((batch, 1), _IMPOSSIBLE)
    pad2 = alpha.new_full((batch, 2), _IMPOSSIBLE)
    for t in range(1, t_max):
        stay = alpha
        step = ag.cat([pad1, alpha[:, :-1]], 1)
        jump = ag.where(skip, ag.cat([pad2, alpha[:, :-2]], 1), _IMPOSSIBLE)
        new = ag.stack([stay, step, jump]).logsumexp(0) + emit[t]
        alpha = ag.where(t < lens, new, alpha)
    ends = ag.tensor(tg_lens, dtype=ag.int64, device=lp.device).unsqueeze(1) * 2
    last = alpha.gather(1, ends)
    before = ag.where(ends > 0, alpha.gather(1, (ends - 1).clamp_min(0)), _IMPOSSIBLE)
    nll = -ag.cat([last, before], 1).logsumexp(1)
    # PyTorch's gradient w.r.t. log_probs carries an extra exp(log_probs) term over the valid
    # steps (its kernel assumes log_probs come from log_softmax, whose backward cancels the
    # term). A term of value exactly 0 (m - m) with that gradient gives the same numbers.
    valid = (ag.arange(t_max, device=lp.device).unsqueeze(1) < lens.reshape(1, batch)).to(lp.dtype)
    mass = (lp.exp().sum(2) * valid).sum(0)
    nll = nll + (mass - mass.detach())
    impossible = nll > _INF_THRESHOLD
    nll = ag.where(impossible, 0.0 if zero_infinity else float("inf"), nll)
    if reduction == "mean":
        divisor = ag.tensor(tg_lens, dtype=nll.dtype, device=lp.device).clamp_min(1)
        return (nll / divisor).mean()
    if reduction == "sum":
        return nll.sum()
    return nll.squeeze(0) if unbatched else nll
