"""The lectures' toy problems, generated on the spot (nothing is downloaded).

Classification in two dimensions, from the easiest to the hardest for a small MLP:

- `and_gate` (and `or_gate`): linearly separable, so one neuron (a perceptron) suffices;
- `xor`: not linearly separable; the smallest MLP that solves it is 2-2-1;
- `concentric_circles`: one class inside the other; one hidden layer of about 4 neurons;
- `moons`: two interleaved half circles;
- `spirals`: arms wound around each other; needs more neurons and more training.

Regression of one variable, the function approximations of the lectures:

- `square`: ``y = x^2`` on ``[-1, 1]``;
- `reciprocal`: ``y = 1/x`` on ``[1, 100]`` (note the scale: most of the change happens
  near ``x = 1``; try standardising ``x``);
- `sine`: ``y = sin x`` on ``[1, 2*pi]``.

And sequences for recurrent networks: `sine_wave_sequences` (next-step prediction).

Every generator takes ``seed`` (default 0: the same data on every call, which is what a
lesson wants); pass another int for another draw, or ``None`` to draw from the global
generator seeded by ``autograd_core.manual_seed``. Inputs are float32 (or ``dtype=``),
class labels int64.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor


def _rng(seed: int | None) -> np.random.Generator:
    if seed is None:
        from ..factories import randint

        seed = int(randint(0, 2**62, (1,)).item())
    return np.random.default_rng(seed)


def _floats(array: np.ndarray, dtype) -> Tensor:
    from ..dtypes import as_dtype, get_default_dtype
    from ..factories import from_numpy

    target = get_default_dtype() if dtype is None else as_dtype(dtype)
    return from_numpy(np.ascontiguousarray(array, dtype=target.numpy))


def _labels(array: np.ndarray) -> Tensor:
    from ..factories import from_numpy

    return from_numpy(np.ascontiguousarray(array, dtype=np.int64))


def _check_n(n: int, at_least: int = 1) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < at_least:
        raise ValueError(f"the number of samples must be an int >= {at_least}, got {n!r}")


def _finish_classes(points: np.ndarray, labels: np.ndarray, noise: float, shuffle: bool,
                    rng: np.random.Generator, dtype) -> tuple[Tensor, Tensor]:
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if noise:
        points = points + rng.normal(0.0, noise, size=points.shape)
    if shuffle:
        order = rng.permutation(len(labels))
        points, labels = points[order], labels[order]
    return _floats(points, dtype), _labels(labels)


# ------------------------------------------------------------------------- logic gates
_GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)


def and_gate(dtype=None) -> tuple[Tensor, Tensor]:
    """The AND truth table: ``x`` of shape (4, 2) with rows 00, 01, 10, 11 and ``y`` of
    shape (4, 1) = 0, 0, 0, 1 (floats, ready for ``BCELoss`` or ``MSELoss``).

    Linearly separable: the line ``x1 + x2 = 1.5`` splits it, so a single neuron
    ``step(w . x + b)`` learns it.
    """
    return _floats(_GATE_INPUTS, dtype), _floats(np.array([[0], [0], [0], [1]]), dtype)


def or_gate(dtype=None) -> tuple[Tensor, Tensor]:
    """The OR truth table, shaped like `and_gate`: ``y`` = 0, 1, 1, 1."""
    return _floats(_GATE_INPUTS, dtype), _floats(np.array([[0], [1], [1], [1]]), dtype)


def xor(dtype=None) -> tuple[Tensor, Tensor]:
    """The XOR truth table, shaped like `and_gate`: ``y`` = 0, 1, 1, 0.

    No single line separates the ones from the zeros, so no single neuron can learn it;
    a hidden layer of two neurons can (for instance one computing OR, one NAND, and the
    output their AND).
    """
    return _floats(_GATE_INPUTS, dtype), _floats(np.array([[0], [1], [1], [0]]), dtype)


# ------------------------------------------------------------------- 2-D point clouds
def concentric_circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0,
                       shuffle: bool = True, dtype=None) -> tuple[Tensor, Tensor]:
    """Two rings around the origin: ``x`` of shape (n, 2), labels ``y`` of shape (n,).

    The outer ring (radius 1) is class 0, the inner one (radius ``factor``) class 1; the
    classes have ``n // 2`` and ``n - n // 2`` points. ``noise`` is the standard deviation
    of Gaussian noise added to each coordinate. A straight line cannot separate them; a
    hidden layer can, by combining a few lines into a closed region.
    """
    _check_n(n, 2)
    if not 0 < factor < 1:
        raise ValueError(f"factor is the inner radius relative to the outer one and must be in "
                         f"(0, 1), got {factor}")
    rng = _rng(seed)
    n_out = n // 2
    angles = rng.uniform(0.0, 2 * math.pi, size=n)
    radius = np.where(np.arange(n) < n_out, 1.0, factor)
    points = np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)
    labels = (np.arange(n) >= n_out).astype(np.int64)
    return _finish_classes(points, labels, noise, shuffle, rng, dtype)


def moons(n: int = 200, noise: float = 0.1, seed: int | None = 0, shuffle: bool = True,
          dtype=None) -> tuple[Tensor, Tensor]:
    """Two interleaved half circles: ``x`` of shape (n, 2), labels ``y`` of shape (n,).

    Class 0 is the upper arc ``(cos t, sin t)``, class 1 the lower arc
    ``(1 - cos t, 1/2 - sin t)``, for ``t`` uniform on ``[0, pi]``; ``n // 2`` and
    ``n - n // 2`` points, plus Gaussian noise of standard deviation ``noise``.
    """
    _check_n(n, 2)
    rng = _rng(seed)
    n_upper = n // 2
    t = rng.uniform(0.0, math.pi, size=n)
    upper = np.arange(n) < n_upper
    px = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    py = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    labels = (~upper).astype(np.int64)
    return _finish_classes(np.stack([px, py], axis=1), labels, noise, shuffle, rng, dtype)


def spirals(n: int = 200, turns: float = 1.0, noise: float = 0.05, classes: int = 2,
            seed: int | None = 0, shuffle: bool = True, dtype=None) -> tuple[Tensor, Tensor]:
    """``classes`` spiral arms wound around each other: ``x`` (n, 2), labels ``y`` (n,).

    Arm ``k`` is the curve ``r(t) (cos a, sin a)`` with ``r = 0.1 + 0.9 t``,
    ``a = 2 pi (turns t + k / classes)`` and ``t`` uniform on ``[0, 1]``; each arm gets
    ``n // classes`` points (the first ``n % classes`` arms one more). More ``turns`` make
    the problem harder.
    """
    _check_n(n, classes)
    if not isinstance(classes, int) or classes < 2:
        raise ValueError(f"classes must be an int >= 2, got {classes!r}")
    if turns <= 0:
        raise ValueError(f"turns must be > 0, got {turns}")
    rng = _rng(seed)
    labels = np.arange(n) % classes
    labels.sort()
    t = rng.uniform(0.0, 1.0, size=n)
    radius = 0.1 + 0.9 * t
    angle = 2 * math.pi * (turns * t + labels / classes)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return _finish_classes(points, labels, noise, shuffle, rng, dtype)


# ------------------------------------------------------------------ 1-D regression
def _regression(fn, low: float, high: float, n: int, noise: float, seed: int | None, grid: bool,
                dtype) -> tuple[Tensor, Tensor]:
    _check_n(n, 1)
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = _rng(seed)
    x = np.linspace(low, high, n) if grid else rng.uniform(low, high, size=n)
    y = fn(x)
    if noise:
        y = y + rng.normal(0.0, noise, size=n)
    return _floats(x[:, None], dtype), _floats(y[:, None], dtype)


def square(n: int = 200, noise: float = 0.0, seed: int | None = 0, grid: bool = False,
           dtype=None) -> tuple[Tensor, Tensor]:
    """Samples of ``y = x^2`` for ``x`` on ``[-1, 1]``: ``x`` and ``y`` of shape (n, 1).

    ``x`` is uniform at random (``grid=True``: evenly spaced and sorted, handy for
    plotting the fitted curve); ``noise`` adds Gaussian noise of that standard deviation
    to ``y``.
    """
    return _regression(np.square, -1.0, 1.0, n, noise, seed, grid, dtype)


def reciprocal(n: int = 200, noise: float = 0.0, seed: int | None = 0, grid: bool = False,
               dtype=None) -> tuple[Tensor, Tensor]:
    """Samples of ``y = 1/x`` for ``x`` on ``[1, 100]`` (shapes (n, 1); see `square`)."""
    return _regression(np.reciprocal, 1.0, 100.0, n, noise, seed, grid, dtype)


def sine(n: int = 200, noise: float = 0.0, seed: int | None = 0, grid: bool = False,
         dtype=None) -> tuple[Tensor, Tensor]:
    """Samples of ``y = sin x`` for ``x`` on ``[1, 2 pi]`` (shapes (n, 1); see `square`)."""
    return _regression(np.sin, 1.0, 2 * math.pi, n, noise, seed, grid, dtype)


# ------------------------------------------------------------------------ sequences
def _draw(value, rng: np.random.Generator, n: int, name: str) -> np.ndarray:
    """A per-sequence parameter: a fixed number, or uniform on a ``(low, high)`` range."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or value[0] > value[1]:
            raise ValueError(f"{name} must be a number or a (low, high) range, got {value!r}")
        return rng.uniform(value[0], value[1], size=n)
    return np.full(n, float(value))


def sine_wave_sequences(n_sequences: int = 128, seq_len: int = 50, dt: float = 0.1,
                        frequency: float | tuple[float, float] = 1.0,
                        amplitude: float | tuple[float, float] = 1.0, noise: float = 0.0,
                        target: str = "sequence", seed: int | None = 0,
                        dtype=None) -> tuple[Tensor, Tensor]:
    """Windows of sine waves for next-step prediction with an RNN, LSTM or GRU.

    Sequence ``i`` samples ``s(t) = A_i sin(w_i t + phi_i)`` at ``t = 0, dt, 2 dt, ...``
    with a random phase ``phi_i`` (uniform on ``[0, 2 pi)``), angular frequency ``w_i``
    and amplitude ``A_i`` (each a fixed number or drawn uniformly from a ``(low, high)``
    range). ``noise`` adds Gaussian noise to the inputs only, so the targets stay clean.

    Returns ``(inputs, targets)`` laid out batch first, ``(batch, time, features)``: use
    ``batch_first=True`` in the recurrent layer, or ``inputs.transpose(0, 1)``.

    - ``inputs``: shape ``(n_sequences, seq_len, 1)``, the values ``s_0 .. s_{L-1}``;
    - ``targets`` with ``target="sequence"``: shape ``(n_sequences, seq_len, 1)``, the
      next value at every step, ``s_1 .. s_L`` (train on every time step's output);
    - ``targets`` with ``target="last"``: shape ``(n_sequences, 1)``, only ``s_L``, the
      value after the window (feed the last hidden state to a ``Linear(hidden, 1)``).
    """
    _check_n(n_sequences, 1)
    _check_n(seq_len, 1)
    if target not in ("sequence", "last"):
        raise ValueError(f"target must be 'sequence' or 'last', got {target!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = _rng(seed)
    omega = _draw(frequency, rng, n_sequences, "frequency")
    amp = _draw(amplitude, rng, n_sequences, "amplitude")
    phase = rng.uniform(0.0, 2 * math.pi, size=n_sequences)
    t = np.arange(seq_len + 1) * dt
    waves = amp[:, None] * np.sin(omega[:, None] * t[None, :] + phase[:, None])
    inputs = waves[:, :-1]
    if noise:
        inputs = inputs + rng.normal(0.0, noise, size=inputs.shape)
    targets = waves[:, 1:, None] if target == "sequence" else waves[:, -1:]
    return _floats(inputs[:, :, None], dtype), _floats(targets, dtype)


__all__ = ["and_gate", "or_gate", "xor", "concentric_circles", "moons", "spirals", "square",
           "reciprocal", "sine", "sine_wave_sequences"]
