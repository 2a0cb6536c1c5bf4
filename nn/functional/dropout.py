"""Dropout as functions: zero elements (or whole channels) during training, scaled by
1 / (1 - p) so that evaluation needs no change. The mask comes from the library's seeded
generator: ``autograd_core.manual_seed`` reproduces it."""

from __future__ import annotations

import math
import warnings

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

# SELU's saturation value -lambda alpha: where a SELU network's units sit when "off"
_SELU_SATURATION = 1.7580993408473766


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` (only when ``training``)."""
    return ag.fused.dropout(input, p, training, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""
    return ag.fused.dropout1d(input, p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) inputs with probability ``p``.

    A 3-D input is one unbatched image (C, H, W), as ``Dropout2d``'s documentation says."""
    return ag.fused.dropout2d(input, p, training, inplace)


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _in_place(input: Tensor, result: Tensor, inplace: bool) -> Tensor:
    return input.copy_(result) if inplace else result


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability
    ``p``: channel dropout of the (N, C, D*H*W) view."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      f"deprecated and will result in an error in a future release. Use "
                      f"dropout for such inputs; dropout3d expects (N, C, D, H, W) or "
                      f"(C, D, H, W).", stacklevel=2)
    if not training or p == 0.0:
        return input
    x = input if input.ndim == 5 else input.unsqueeze(0)
    out = ag.fused.dropout1d(x.reshape(x.shape[0], x.shape[1], -1), p, True)
    out = out.reshape(tuple(input.shape))
    return _in_place(input, out, inplace)


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                   feature: bool) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: dropped units are set to
    the saturation value -alpha' (alpha' = 1.7581), then an affine map a x + b restores the
    moments,

        a = ((1 - p) (1 + p alpha'^2))^(-1/2),   b = a alpha' p,
        y = a (m x - (1 - m) alpha') + b,   m ~ Bernoulli(1 - p)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if feature and input.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input "
                           f"(got shape {list(input.shape)})")
    if p == 1.0:
        return _in_place(input, input * 0.0, inplace)
    shape = tuple(input.shape)
    if feature:
        shape = shape[:2] + (1,) * (input.ndim - 2)
    with ag.no_grad():
        keep = ag.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    a = 1.0 / math.sqrt((_SELU_SATURATION ** 2 * p + 1) * (1 - p))
    shift = (keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
    out = input * (keep * a) + shift
    return _in_place(input, out, inplace)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Alpha dropout (Klambauer et al. 2017) for self-normalising (SELU) networks."""
    return _alpha_dropout(input, p, training, inplace, feature=False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dim 1) of (N, C, *) inputs."""
    return _alpha_dropout(input, p, training, inplace, feature=True)
