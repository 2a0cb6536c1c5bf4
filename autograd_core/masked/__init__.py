"""``autograd_core.masked`` (plays ``torch.masked``): reductions and normalisations that
ignore the elements where a boolean ``mask`` is False (``mask=None``: none ignored). The
mask broadcasts to the input. Results are plain Tensors (``MaskedTensor`` is not provided);
what fully masked slices hold is documented in `reductions` and `normalizations`.
"""

from .normalizations import cumprod, cumsum, log_softmax, logaddexp, normalize, softmax, softmin
from .reductions import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    mean,
    median,
    norm,
    prod,
    std,
    sum,  # noqa: A004  (PyTorch's name)
    var,
)

__all__ = ["amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax", "logaddexp",
           "logsumexp", "mean", "median", "norm", "normalize", "prod", "softmax", "softmin",
           "std", "sum", "var"]
