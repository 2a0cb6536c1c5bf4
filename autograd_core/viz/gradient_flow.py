"""Gradient-flow views: per-layer gradient norms and weight-update ratios during training.

Backpropagation multiplies, layer by layer, the weight matrices by the derivatives of the
activations: delta^m = F'(u^m) (W^{m+1})^T delta^{m+1}. When those factors are mostly
below 1 the gradients shrink towards the input (vanishing gradients: sigmoid, whose
derivative is at most 1/4); above 1 they grow (exploding gradients). A `GradientFlow`
records, at each training step and for each layer,

    grad_norm      ||dL/dW||_2 = sqrt(sum_i g_i^2)
    grad_mean_abs  mean_i |g_i|
    grad_max_abs   max_i |g_i|
    update_ratio   ||W_after - W_before||_2 / ||W_before||_2     (about 1e-3 is healthy)

and draws them (`GradientFlow.plot`, `plot_gradient_flow`), prints them
(`GradientFlow.table`) or hands them over as arrays (`GradientFlow.array`,
`GradientFlow.as_dict`). A layer with several parameters is measured on the
concatenation of their gradients.

Recording never waits for the device: the statistics are reduced on the parameters'
device and stay there until they are read, when all pending steps are copied to the host
at once. Plotting needs matplotlib (``pip install matplotlib``), imported only when a
plot is asked for.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .._backend import backend_of
from ..tensor import Tensor

KINDS = ("grad_norm", "grad_mean_abs", "grad_max_abs", "update_ratio")
_LABELS = {
    "grad_norm": r"gradient norm $\|\partial L / \partial W\|_2$",
    "grad_mean_abs": r"mean $|\partial L / \partial W|$",
    "grad_max_abs": r"max $|\partial L / \partial W|$",
    "update_ratio": r"update ratio $\|\Delta W\|_2 / \|W\|_2$",
}
_PLOT_HINT = ("plotting needs matplotlib, an optional extra: pip install matplotlib "
              "(or pip install \"autograd-core[plot]\")")


def _pyplot():
    """matplotlib.pyplot, imported on first use, or an ImportError that says how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_PLOT_HINT) from exc
    return plt


def layer_of(name: str) -> str:
    """The layer a parameter belongs to: its name without the last part
    (``"0.weight"`` -> ``"0"``, ``"encoder.fc1.bias"`` -> ``"encoder.fc1"``, ``"w"`` -> ``"w"``)."""
    return name.rsplit(".", 1)[0] if "." in name else name


def _named_tensors(parameters: Any) -> list[tuple[str, Tensor]]:
    if hasattr(parameters, "named_parameters"):
        pairs = list(parameters.named_parameters())
    elif isinstance(parameters, Mapping):
        pairs = list(parameters.items())
    elif isinstance(parameters, Tensor):
        raise TypeError("GradientFlow needs named parameters: pass a model (anything with "
                        "named_parameters()), a dict name -> Tensor or (name, Tensor) pairs, "
                        "not a single Tensor; e.g. GradientFlow({'w': w})")
    elif isinstance(parameters, Iterable):
        pairs = list(parameters)
        if not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
            raise TypeError("GradientFlow needs named parameters: pass a model, a dict name -> "
                            "Tensor or a list of (name, Tensor) pairs (e.g. "
                            "model.named_parameters())")
    else:
        raise TypeError(f"GradientFlow needs a model (anything with named_parameters()), a dict "
                        f"name -> Tensor or (name, Tensor) pairs, got {type(parameters).__name__}")
    for name, p in pairs:
        if not isinstance(p, Tensor):
            raise TypeError(f"parameter {name!r} is a {type(p).__name__}, not a Tensor")
    return [(str(name), p) for name, p in pairs]


class _Hooks:
    """Removes the optimizer hooks installed by `GradientFlow.attach` (also a context manager)."""

    def __init__(self, handles: list) -> None:
        self._handles = handles

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> _Hooks:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class GradientFlowCallback:
    """A callback for ``nn.training.fit`` that records a `GradientFlow` at every step.

    ``fit`` calls callbacks only at the start and end of training and after each epoch,
    so the per-step recording is done by optimizer hooks: installed in
    ``on_train_begin``, removed in ``on_train_end``. Made by `GradientFlow.callback`.
    """

    def __init__(self, flow: GradientFlow, optimizer) -> None:
        self.flow = flow
        self.optimizer = optimizer
        self._hooks: _Hooks | None = None

    def on_train_begin(self, model) -> None:
        if self._hooks is None:
            self._hooks = self.flow.attach(self.optimizer)

    def on_epoch_end(self, model, epoch: int, logs: Mapping[str, float]) -> None:
        return None

    def on_train_end(self, model) -> None:
        if self._hooks is not None:
            self._hooks.remove()
            self._hooks = None


class GradientFlow:
    """Records per-layer gradient statistics and weight-update ratios over training steps.

    ``parameters``: a model (anything with ``named_parameters()``), a dict name -> Tensor,
    or (name, Tensor) pairs. Parameters that do not require grad are left out.

    - ``by`` ("layer"): one row per layer, the parameter name without its last part
      (``"0.weight"`` and ``"0.bias"`` -> ``"0"``); "parameter": one row per parameter.
    - ``weights_only`` (True): track only parameters with 2 or more dimensions (weight
      matrices, convolution kernels), as gradient-flow plots usually do: biases and
      normalisation gains/shifts are left out, since what vanishes or explodes is the
      product of weight matrices and activation derivatives. False tracks everything.
    - ``track_updates`` (True): `record` keeps a copy of the tracked weights so that
      `record_update` can measure the step; costs one copy of the weights per recorded step.
    - ``every`` (1): record only every ``every``-th call of `record` (long runs).

    Use it by hand::

        flow = GradientFlow(model)
        loss.backward(); flow.record(); optimizer.step(); flow.record_update()

    or let the optimizer call it (`attach`; for ``nn.training.fit`` pass `callback`)::

        handle = flow.attach(optimizer)   # records before and after every optimizer.step()
        ...
        handle.remove()
    """

    def __init__(self, parameters: Any, *, by: str = "layer", weights_only: bool = True,
                 track_updates: bool = True, every: int = 1) -> None:
        if by not in ("layer", "parameter"):
            raise ValueError(f"by must be 'layer' or 'parameter', got {by!r}")
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"every must be a positive int, got {every!r}")
        pairs = [(n, p) for n, p in _named_tensors(parameters) if p.requires_grad]
        tracked = [(n, p) for n, p in pairs if p.ndim >= 2] if weights_only else pairs
        if not tracked:
            found = ", ".join(f"{n} {tuple(p.shape)}" for n, p in pairs) or "none"
            hint = (" (only parameters with 2 or more dims are tracked by default; pass "
                    "weights_only=False to track the others too)") if weights_only and pairs else ""
            raise ValueError(f"GradientFlow has no parameter to track{hint}; parameters that "
                             f"require grad: {found}")
        self.by = by
        self.weights_only = weights_only
        self.track_updates = track_updates
        self.every = every
        self.parameter_names = [n for n, _ in tracked]
        self._params = [p for _, p in tracked]
        keys = [layer_of(n) if by == "layer" else n for n in self.parameter_names]
        self.names: list[str] = list(dict.fromkeys(keys))
        self._row_of = np.array([self.names.index(k) for k in keys], dtype=np.intp)
        self._numel = np.array([p.numel() for p in self._params], dtype=np.float64)
        self.clear()

    # ------------------------------------------------------------------ recording
    def clear(self) -> None:
        """Forget every recorded step."""
        self._calls = 0
        self.steps: list[int] = []
        self._grad: list[np.ndarray] = []     # per step: (n_params, 3) sum g^2, sum |g|, max |g|
        self._update: list[np.ndarray] = []   # per step: (n_params, 2) ||dW||^2, ||W||^2
        self._pending: list[tuple] = []       # (store, step, param indices, width, device array)
        self._snapshot: list | None = None

    def record(self) -> None:
        """Record the gradients now in ``.grad`` (call after ``loss.backward()``).

        A parameter whose ``.grad`` is None counts as absent (NaN when its whole row is).
        With ``track_updates``, also copy the weights for the next `record_update`.
        """
        call = self._calls
        self._calls += 1
        self._snapshot = None
        if call % self.every:
            return
        pos = len(self.steps)
        self.steps.append(call)
        self._grad.append(np.full((len(self._params), 3), np.nan))
        self._update.append(np.full((len(self._params), 2), np.nan))
        by_backend: dict = {}
        for i, p in enumerate(self._params):
            grad = p.grad
            if grad is not None:
                by_backend.setdefault(backend_of(grad._data), []).append(i)
        for backend, indices in by_backend.items():
            xp = backend.xp
            stats = [_grad_stats(xp, self._params[i].grad._data) for i in indices]
            self._pending.append((self._grad, pos, indices, 3, xp.concatenate(stats)))
        if self.track_updates:
            self._snapshot = [(i, p._data.copy()) for i, p in enumerate(self._params)]

    def record_update(self) -> None:
        """Record ||W_after - W_before|| / ||W_before|| for the step just taken (call after
        ``optimizer.step()``; `record` must have been called before that step)."""
        if not self.track_updates:
            raise RuntimeError("this GradientFlow was made with track_updates=False; make it "
                               "with track_updates=True to record weight-update ratios")
        if self._snapshot is None:
            if self._calls and (self._calls - 1) % self.every:
                return  # the step's record() call was skipped (every > 1)
            raise RuntimeError("record_update() compares the weights with those saved by "
                               "record(): call flow.record() after loss.backward() and before "
                               "optimizer.step(), then flow.record_update()")
        pos = len(self.steps) - 1
        by_backend: dict = {}
        for i, before in self._snapshot:
            by_backend.setdefault(backend_of(before), []).append((i, before))
        for backend, items in by_backend.items():
            xp = backend.xp
            stats = [_update_stats(xp, self._params[i]._data, before, self.parameter_names[i])
                     for i, before in items]
            self._pending.append((self._update, pos, [i for i, _ in items], 2,
                                  xp.concatenate(stats)))
        self._snapshot = None

    def attach(self, optimizer) -> _Hooks:
        """Record at every ``optimizer.step()``: the gradients just before it, the update
        ratio just after. Returns a handle; ``handle.remove()`` (or ``with``) detaches.

        Optimisers that evaluate a closure inside ``step`` (LBFGS) are seen with the
        gradients present before the step starts.
        """
        if not (hasattr(optimizer, "register_step_pre_hook")
                and hasattr(optimizer, "register_step_post_hook")):
            raise TypeError(f"attach needs an optimizer with register_step_pre_hook and "
                            f"register_step_post_hook (optim.Optimizer), got "
                            f"{type(optimizer).__name__}; call flow.record() by hand instead")

        def before_step(opt, args, kwargs):
            self.record()

        def after_step(opt, args, kwargs):
            if self.track_updates and self._snapshot is not None:
                self.record_update()

        return _Hooks([optimizer.register_step_pre_hook(before_step),
                       optimizer.register_step_post_hook(after_step)])

    def callback(self, optimizer) -> GradientFlowCallback:
        """A callback for ``nn.training.fit(..., callbacks=[flow.callback(optimizer)])``
        that records every step of the fit (pass the optimizer given to ``fit``)."""
        return GradientFlowCallback(self, optimizer)

    # ------------------------------------------------------------------ reading
    def _materialize(self) -> None:
        """Copy every pending device result to the host: one transfer per device."""
        if not self._pending:
            return
        groups: dict = {}
        for item in self._pending:
            groups.setdefault(backend_of(item[4]), []).append(item)
        for backend, items in groups.items():
            host = backend.to_numpy(backend.xp.concatenate([item[4] for item in items]))
            start = 0
            for store, pos, indices, width, _ in items:
                size = len(indices) * width
                store[pos][indices] = host[start:start + size].reshape(len(indices), width)
                start += size
        self._pending = []

    def __len__(self) -> int:
        return len(self.steps)

    def array(self, kind: str = "grad_norm") -> np.ndarray:
        """The recorded values as a float64 array of shape ``(steps, rows)``; columns follow
        `names` (input side first), rows follow `steps`. NaN where nothing was recorded."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self._materialize()
        n_steps, n_rows = len(self.steps), len(self.names)
        if kind == "update_ratio":
            raw = np.array(self._update).reshape(n_steps, len(self._params), 2)
            change = self._per_row(raw[..., 0], np.add)
            size = self._per_row(raw[..., 1], np.add)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.sqrt(change) / np.sqrt(size)
        raw = np.array(self._grad).reshape(n_steps, len(self._params), 3)
        if kind == "grad_norm":
            return np.sqrt(self._per_row(raw[..., 0], np.add))
        if kind == "grad_max_abs":
            return self._per_row(raw[..., 2], np.maximum)
        total = self._per_row(raw[..., 1], np.add)
        present = ~np.isnan(raw[..., 1])
        count = np.zeros((n_steps, n_rows))
        for j in range(n_rows):
            mask = self._row_of == j
            count[:, j] = (present[:, mask] * self._numel[mask]).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return total / count

    def _per_row(self, values: np.ndarray, combine) -> np.ndarray:
        """Combine per-parameter columns into per-row ones, skipping absent (NaN) entries;
        NaN where a row has no entry at all."""
        out = np.full((values.shape[0], len(self.names)), np.nan)
        for j in range(len(self.names)):
            block = values[:, self._row_of == j]
            present = ~np.isnan(block)
            filled = np.where(present, block, 0.0)
            out[:, j] = np.where(present.any(axis=1), combine.reduce(filled, axis=1), np.nan)
        return out

    def as_dict(self) -> dict[str, Any]:
        """``{"step": array, "grad_norm": {row: array over steps}, "grad_mean_abs": ...,
        "grad_max_abs": ..., "update_ratio": ...}``, e.g. for ``pandas.DataFrame(d["grad_norm"])``."""
        out: dict[str, Any] = {"step": np.array(self.steps, dtype=np.int64)}
        for kind in KINDS:
            values = self.array(kind)
            out[kind] = {name: values[:, j].copy() for j, name in enumerate(self.names)}
        return out

    def _at(self, kind: str, step: int | str) -> np.ndarray:
        """One value per row: at recorded step number ``step`` (an index into `steps`,
        negative from the end), or the "mean" / "median" over the recorded steps."""
        values = self.array(kind)
        if not len(values):
            raise RuntimeError("no step recorded yet: call flow.record() after loss.backward() "
                               "(or flow.attach(optimizer)) and train first")
        if step in ("mean", "median"):
            reduce = np.nanmean if step == "mean" else np.nanmedian
            with warnings.catch_warnings():  # a row that is NaN at every step stays NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                return reduce(values, axis=0)
        if isinstance(step, (int, np.integer)) and not isinstance(step, bool):
            if not -len(values) <= step < len(values):
                raise IndexError(f"step {step} is out of range: {len(values)} steps recorded "
                                 f"(use an index in [-{len(values)}, {len(values) - 1}])")
            return values[step]
        raise ValueError(f"step must be an int index into the recorded steps, 'mean' or "
                         f"'median', got {step!r}")

    def table(self, kinds: Iterable[str] = ("grad_norm", "update_ratio")) -> str:
        """A text summary for terminals: for each row, the last recorded value and the mean
        over all recorded steps of each kind."""
        kinds = list(kinds)
        for kind in kinds:
            if kind not in KINDS:
                raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        what = "layers" if self.by == "layer" else "parameters"
        tracked = "weights only" if self.weights_only else "all parameters"
        head = (f"GradientFlow: {len(self.steps)} step(s) recorded, {len(self.names)} {what} "
                f"({tracked})")
        if not self.steps:
            return head + "\n(no step recorded yet: call flow.record() after loss.backward())"
        numel = [int(self._numel[self._row_of == j].sum()) for j in range(len(self.names))]
        header = [what[:-1], "numel"]
        columns = []
        for kind in kinds:
            header += [f"{kind} last", f"{kind} mean"]
            columns += [self._at(kind, -1), self._at(kind, "mean")]
        rows = [header]
        for j, name in enumerate(self.names):
            rows.append([name, f"{numel[j]:,}"] + [_fmt(c[j]) for c in columns])
        widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
        lines = [head]
        for r in rows:
            cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"GradientFlow({len(self.names)} {self.by}s, steps={len(self.steps)}, "
                f"weights_only={self.weights_only})")

    # ------------------------------------------------------------------ plots
    def plot(self, kind: str = "grad_norm", ax=None, logy: bool = True):
        """One line per row over the recorded steps, coloured from the input side (dark)
        to the output side (light). Returns the matplotlib Figure."""
        values = self.array(kind)
        plt = _pyplot()
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
        colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, max(len(self.names), 1)))
        for j, name in enumerate(self.names):
            ax.plot(self.steps, values[:, j], color=colors[j], label=name, lw=1.5)
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_ylabel(_LABELS[kind])
        ax.set_title(f"{_LABELS[kind]} per {self.by}")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(title=f"{self.by} (input first)", fontsize="small",
                  ncol=max(1, math.ceil(len(self.names) / 12)))
        return ax.figure


def _grad_stats(xp, g):
    """``[sum g^2, sum |g|, max |g|]`` in float64 (no overflow of g^2 for float16/32)."""
    if g.size == 0:
        return xp.zeros(3, dtype=np.float64)
    a = xp.abs(g.astype(np.float64))
    return xp.stack([(a * a).sum(), a.sum(), a.max()])


def _update_stats(xp, after, before, name: str):
    """``[||after - before||^2, ||before||^2]`` in float64."""
    if after.shape != before.shape:
        raise RuntimeError(f"parameter {name!r} changed shape from {tuple(before.shape)} to "
                           f"{tuple(after.shape)} between record() and record_update()")
    if before.size == 0:
        return xp.zeros(2, dtype=np.float64)
    b = before.astype(np.float64)
    d = after.astype(np.float64) - b
    return xp.stack([(d * d).sum(), (b * b).sum()])


def _fmt(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.3e}"


def plot_gradient_flow(flows: Mapping[str, GradientFlow] | GradientFlow, kind: str = "grad_norm",
                       step: int | str = "mean", ax=None, logy: bool = True):
    """Compare runs layer by layer: one line per run, x = layer (input side on the left),
    y = ``kind`` at recorded step ``step`` (an index, negative from the end) or its
    "mean" / "median" over the recorded steps. ``flows``: e.g.
    ``{"sigmoid": f1, "tanh": f2, "relu": f3}``. Returns the matplotlib Figure.

    Vanishing gradients show as a line rising from left to right on the log scale.
    """
    if isinstance(flows, GradientFlow):
        flows = {"": flows}
    if not flows:
        raise ValueError("plot_gradient_flow needs at least one GradientFlow, e.g. "
                         "{'sigmoid': flow1, 'relu': flow2}")
    for label, flow in flows.items():
        if not isinstance(flow, GradientFlow):
            raise TypeError(f"flows[{label!r}] is a {type(flow).__name__}, not a GradientFlow")
    curves = {label: flow._at(kind, step) for label, flow in flows.items()}
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    longest = max(flows.values(), key=lambda f: len(f.names))
    markers = "osD^vP*X"
    for k, (label, values) in enumerate(curves.items()):
        ax.plot(np.arange(1, len(values) + 1), values, marker=markers[k % len(markers)],
                label=label or None, lw=1.8)
    ax.set_xticks(np.arange(1, len(longest.names) + 1))
    ax.set_xticklabels(longest.names, rotation=45 if sum(map(len, longest.names)) > 40 else 0)
    if logy:
        ax.set_yscale("log")
    if isinstance(step, str):
        what = f"{step} over the recorded steps"
    else:
        what = "last recorded step" if step == -1 else f"recorded step {step}"
    ax.set_xlabel(f"{longest.by} (input side → output side)")
    ax.set_ylabel(_LABELS[kind])
    ax.set_title(f"{_LABELS[kind]} per {longest.by} ({what})")
    ax.grid(True, which="major", alpha=0.3)
    if any(label for label in curves):
        ax.legend()
    return ax.figure


__all__ = ["GradientFlow", "GradientFlowCallback", "layer_of", "plot_gradient_flow"]
