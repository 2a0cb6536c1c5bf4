"""Probability distributions with PyTorch's ``torch.distributions`` API: sampling
(``sample``, reparameterised ``rsample``), ``log_prob``, ``entropy``, moments, argument
validation, transforms, and closed-form KL divergences (``kl_divergence``, ``register_kl``).

Everything is written with the library's differentiable operations, so gradients flow
through ``log_prob`` (score-function estimators) and ``rsample`` (pathwise estimators).
"""

from . import constraints, kl_cross, transforms  # noqa: F401  (kl_cross registers its pairs)
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical, OneHotCategorical
from .constraint_registry import biject_to, transform_to
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .lognormal_chi2 import Chi2, LogNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .poisson import Poisson
from .transformed_distribution import TransformedDistribution
from .transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    PowerTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    TanhTransform,
    Transform,
)
from .uniform import Uniform
from .vector_transforms import (
    CumulativeDistributionTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    ReshapeTransform,
    StickBreakingTransform,
)

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Chi2",
    "ComposeTransform", "CumulativeDistributionTransform", "Dirichlet", "IndependentTransform",
    "LowerCholeskyTransform", "ReshapeTransform", "StickBreakingTransform", "biject_to",
    "transform_to", "Distribution", "ExpTransform", "Exponential", "Gamma",
    "Independent", "Laplace", "LogNormal", "LowRankMultivariateNormal", "MixtureSameFamily",
    "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "PowerTransform",
    "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "TanhTransform", "Transform",
    "TransformedDistribution", "Uniform", "constraints", "kl_divergence", "register_kl",
    "transforms",
]
