"""Random in-place fills: ``normal_``, ``uniform_``, ``random_``, ``bernoulli_``.

Each draws its samples with the factories' generator (``generator=`` or the global one)
and overwrites every element, like ``fill_``: recorded, it is a `Fill` node under
PyTorch's name (``Normal``, ``Uniform``, ...), and the old values get a zero gradient.
"""

from __future__ import annotations

from ..tensor import Tensor
from .inplace import Fill, _fill_with, _scalar_operand, _torch_name


def _float_only(self: Tensor, op_name: str) -> None:
    if self._data.dtype.kind != "f":
        raise NotImplementedError(
            f"{op_name} is not implemented for {_torch_name(self._data.dtype)} tensors; it "
            f"needs a floating point dtype (convert first, e.g. x = x.float())"
        )


# Fill's rule, PyTorch's node names (what ``grad_fn`` shows).
class Normal(Fill):
    pass


class Uniform(Fill):
    pass


class Random(Fill):
    pass


class Bernoulli(Fill):
    pass


def _sample(self: Tensor, kind: str, generator):
    from ..factories import rand, randn

    make = randn if kind == "normal" else rand
    return make(self._data.shape, generator=generator, dtype=self.dtype, device=self.device)._data


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples of N(mean, std^2)."""
    _float_only(self, "normal_")
    mean, std = _scalar_operand(mean, "normal_", "mean"), _scalar_operand(std, "normal_", "std")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    values = _sample(self, "normal", generator)
    if std != 1:
        values *= std
    if mean != 0:
        values += mean
    return _fill_with(self, Normal, values, "normal_")


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None, **kwargs) -> Tensor:
    """Fill with samples uniform on [a, b) (PyTorch also spells them ``from``/``to``)."""
    _float_only(self, "uniform_")
    a = kwargs.pop("from", a)
    b = kwargs.pop("to", b)
    if kwargs:
        raise TypeError(f"uniform_() got unexpected keyword arguments {sorted(kwargs)}")
    a, b = _scalar_operand(a, "uniform_", "from"), _scalar_operand(b, "uniform_", "to")
    if a > b:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}"
        )
    values = _sample(self, "uniform", generator)
    if b - a != 1:
        values *= b - a
    if a != 0:
        values += a
    return _fill_with(self, Uniform, values, "uniform_")


def random_(self: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """Fill with integers uniform on ``[from, to - 1]``: ``random_(to)``,
    ``random_(from, to)``, or ``random_()`` for ``[0, 2^mantissa]`` (floats) / the dtype's
    range (integers)."""
    from ..factories import randint

    low, high = 0, None
    if len(args) == 1:
        high = args[0]
    elif len(args) == 2:
        low, high = args
    elif len(args) > 2:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    low = kwargs.pop("from", low)
    high = kwargs.pop("to", high)
    if kwargs:
        raise TypeError(f"random_() got unexpected keyword arguments {sorted(kwargs)}")
    if high is None:
        np_dtype = self._data.dtype
        if np_dtype.kind == "f":
            high = 2 ** (_MANTISSA.get(np_dtype.itemsize, 24)) + 1
        elif np_dtype.kind == "b":
            high = 2
        else:
            high = 2 ** (8 * np_dtype.itemsize - 1) - 1
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    values = randint(int(low), int(high), self._data.shape, generator=generator,
                     device=self.device)._data.astype(self._data.dtype)
    return _fill_with(self, Random, values, "random_")


_MANTISSA = {2: 11, 4: 24, 8: 53}


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 1 (probability ``p``, a number or a tensor broadcast to the shape) or 0."""
    if isinstance(p, Tensor):
        if type(p._data) is not type(self._data):
            p = p.to(self.device)
        probs = p._data
    else:
        probs = _scalar_operand(p, "bernoulli_", "p")
        if not 0 <= probs <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={probs}")
    from ..factories import rand

    draws = rand(self._data.shape, generator=generator, device=self.device)._data
    values = (draws < probs).astype(self._data.dtype)
    return _fill_with(self, Bernoulli, values, "bernoulli_")


Tensor.normal_ = normal_
Tensor.uniform_ = uniform_
Tensor.random_ = random_
Tensor.bernoulli_ = bernoulli_

__all__: list[str] = []
