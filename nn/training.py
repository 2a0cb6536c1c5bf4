"""`fit`: a small Keras-style training helper (our addition; PyTorch has no such thing).

The main way to train in this library is the plain loop, as in PyTorch::

    for epoch in range(epochs):
        model.train()
        for xb, yb in train_loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

`fit` runs exactly that loop for you, the way ``model.fit`` does in Keras, and adds the
bookkeeping around it:

- a progress bar per epoch (tqdm) showing the running loss and metrics;
- validation after each epoch, in ``eval()`` mode and under ``no_grad()``;
- a `History` of the per-epoch loss and metrics, for plotting learning curves;
- callbacks: `EarlyStopping` (stop when the validation loss stops improving, and go back
  to the best weights) and `ModelCheckpoint` (save the weights to a file).

Example::

    from nn.training import fit, accuracy, EarlyStopping

    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
                  train_loader, epochs=20, val_loader=val_loader,
                  metrics={"accuracy": accuracy},
                  callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
    history["val_accuracy"]        # one number per epoch

Each batch a loader yields must be a pair ``(inputs, targets)``; the loss is
``loss_fn(model(inputs), targets)``. For an autoencoder the targets are the inputs:
``DataLoader(TensorDataset(x, x), ...)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import autograd_core as ag
from autograd_core import Tensor

from .module import Module

Metric = Callable[[Tensor, Tensor], Any]


# ============================================================================= metrics
def accuracy(output: Tensor, target: Tensor, threshold: float = 0.5) -> float:
    """The fraction of correct predictions in a batch, a float in ``[0, 1]``.

    - Class scores ``output`` of shape ``(N, C, ...)`` with class labels ``target`` of
      shape ``(N, ...)``: the prediction is ``output.argmax(dim=1)`` (logits or
      probabilities alike).
    - Otherwise (one output per sample, binary classification; shapes ``(N,)`` or
      ``(N, 1)`` for either): the prediction is ``output > threshold``, compared with
      ``target > 0.5``. The default threshold 0.5
      suits probabilities (after a sigmoid); for logits (``BCEWithLogitsLoss``) use
      ``functools.partial(accuracy, threshold=0.0)``.
    """
    if output.ndim == target.ndim + 1 and output.shape[1] > 1:
        predicted = output.argmax(dim=1)
        correct = predicted == target
    else:
        if output.shape != target.shape:
            output = output.reshape(target.shape)
        correct = (output > threshold) == (target > 0.5)
    if correct.numel() == 0:
        return math.nan
    return correct.sum().item() / correct.numel()


def _named_metrics(metrics: Mapping[str, Metric] | Sequence[Metric | str] | None) -> dict:
    """``{"name": fn}`` from a dict, or from a list of functions (named by ``__name__``)
    and the string ``"accuracy"`` (as in Keras' ``metrics=["accuracy"]``)."""
    if metrics is None:
        return {}
    if isinstance(metrics, Mapping):
        named = dict(metrics)
    else:
        named = {}
        for m in metrics:
            if m == "accuracy":
                named["accuracy"] = accuracy
            elif callable(m):
                named[getattr(m, "__name__", type(m).__name__)] = m
            else:
                raise ValueError(f"unknown metric {m!r}: pass a function (output, target) -> "
                                 "number, or the string 'accuracy'")
    for name, fn in named.items():
        if not callable(fn):
            raise TypeError(f"metric {name!r} must be a function (output, target) -> number, "
                            f"got {type(fn).__name__}")
        if name == "loss" or name.startswith("val_"):
            raise ValueError(f"metric name {name!r} is reserved; choose another name")
    return named


# ============================================================================= history
class History:
    """What `fit` returns: the loss and each metric, one value per epoch.

    ``history.history`` is a dict of lists keyed ``"loss"``, ``"<metric>"`` (training,
    averaged over the epoch's samples) and ``"val_loss"``, ``"val_<metric>"`` (on the
    validation data after the epoch). ``history.epoch`` lists the epochs run (0-based),
    which is shorter than asked for when early stopping ended training.
    ``history["val_loss"]`` is a shortcut for ``history.history["val_loss"]``.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def append(self, epoch: int, logs: Mapping[str, float]) -> None:
        """Record one epoch's numbers."""
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def keys(self):
        return self.history.keys()

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


# =========================================================================== callbacks
class Callback:
    """Base class of callbacks: override the hooks you need.

    `fit` calls ``on_train_begin(model)`` once, ``on_epoch_end(model, epoch, logs)`` after
    each epoch (``logs``: that epoch's numbers, as stored in `History`), and
    ``on_train_end(model)`` once at the end. Returning ``True`` from `on_epoch_end` asks
    `fit` to stop after this epoch.
    """

    def on_train_begin(self, model: Module) -> None:
        pass

    def on_epoch_end(self, model: Module, epoch: int, logs: Mapping[str, float]) -> bool | None:
        return None

    def on_train_end(self, model: Module) -> None:
        pass


class _Monitor(Callback):
    """Shared part of the callbacks that watch one number in ``logs``."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":  # accuracies grow, losses shrink
            mode = "max" if "acc" in monitor else "min"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf

    def _current(self, logs: Mapping[str, float]) -> float:
        if self.monitor not in logs:
            hint = " (did you pass val_loader to fit?)" if self.monitor.startswith("val_") else ""
            raise ValueError(f"{type(self).__name__} monitors {self.monitor!r}, which is not "
                             f"among the logged values {sorted(logs)}{hint}")
        return logs[self.monitor]

    def _improved(self, value: float) -> bool:
        """Better than the best so far by more than ``min_delta``."""
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


def _copy_state(model: Module) -> dict[str, Tensor]:
    """A snapshot of the weights that later training steps cannot change."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class EarlyStopping(_Monitor):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Early stopping is regularisation by time: the training loss keeps falling, but once
    the validation loss stops falling the model has begun to overfit.

    - ``monitor`` ("val_loss"): which logged number to watch.
    - ``patience`` (0): how many epochs without improvement to allow before stopping.
    - ``min_delta`` (0): a change smaller than this does not count as an improvement.
    - ``mode`` ("auto"): "min" (losses), "max" (accuracies) or "auto" ("max" when the
      name contains "acc").
    - ``restore_best_weights`` (False): at the end of training, load the weights of the
      best epoch back into the model (kept in memory, copied after each improvement).

    After training, ``stopped_epoch`` is the epoch at which it stopped (None if it did not)
    and ``best_epoch`` the best one.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:
        super().__init__(monitor, mode, min_delta)
        if patience < 0:
            raise ValueError(f"patience must be >= 0, got {patience}")
        self.patience = patience
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, model: Module) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.best_weights: dict[str, Tensor] | None = None

    def on_epoch_end(self, model: Module, epoch: int, logs: Mapping[str, float]) -> bool:
        value = self._current(logs)
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = _copy_state(model)
            return False
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, model: Module) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            model.load_state_dict(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save ``model.state_dict()`` to ``path`` with ``autograd_core.save`` after each epoch.

    - ``path``: a file name; it may contain ``{epoch}`` (1-based) and any logged value,
      formatted as in ``str.format``: ``"digits-{epoch:02d}-{val_loss:.3f}.pt"``.
    - ``save_best_only`` (False): save only when ``monitor`` improves on its best value,
      so the file always holds the best model so far.
    - ``monitor`` ("val_loss") and ``mode`` ("auto"): as in `EarlyStopping`.

    Load the weights back with ``model.load_state_dict(autograd_core.load(path))``.
    ``last_saved`` is the path of the latest file written.
    """

    def __init__(self, path: str, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto") -> None:
        super().__init__(monitor, mode)
        self.path = str(path)
        self.save_best_only = save_best_only
        self.last_saved: str | None = None

    def on_train_begin(self, model: Module) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, model: Module, epoch: int, logs: Mapping[str, float]) -> None:
        if self.save_best_only:
            value = self._current(logs)
            if not self._improved(value):
                return
            self.best = value
        path = self.path.format(epoch=epoch + 1, **logs)
        ag.save(model.state_dict(), path)
        self.last_saved = path


class LearningRateScheduler(Callback):
    """Step an ``optim.lr_scheduler`` scheduler after each epoch.

    ``LearningRateScheduler(CosineAnnealingLR(optimizer, T_max=epochs))`` calls
    ``scheduler.step()``; with ``monitor="val_loss"`` it calls
    ``scheduler.step(logs["val_loss"])``, as ``ReduceLROnPlateau`` needs.
    """

    def __init__(self, scheduler, monitor: str | None = None) -> None:
        self.scheduler = scheduler
        self.monitor = monitor

    def on_epoch_end(self, model: Module, epoch: int, logs: Mapping[str, float]) -> None:
        if self.monitor is None:
            self.scheduler.step()
        elif self.monitor not in logs:
            raise ValueError(f"LearningRateScheduler monitors {self.monitor!r}, which is not "
                             f"among the logged values {sorted(logs)}")
        else:
            self.scheduler.step(logs[self.monitor])


# ============================================================================ the loop
def _to(batch: Any, device) -> Any:
    if device is None:
        return batch
    if isinstance(batch, Tensor):
        return batch.to(device)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to(b, device) for b in batch)
    return batch


def _unpack(batch: Any) -> tuple[Any, Any]:
    if isinstance(batch, (list, tuple)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError("each batch must be a pair (inputs, targets); for an autoencoder, "
                     "use DataLoader(TensorDataset(x, x), ...) so the targets are the inputs")


def _batch_size(x: Any) -> int:
    return x.shape[0] if isinstance(x, Tensor) and x.ndim > 0 else 1


class _Averages:
    """Sample-weighted running means of the loss and the metrics over an epoch."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, values: Mapping[str, float], n: int) -> None:
        self.count += n
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + float(value) * n

    def means(self) -> dict[str, float]:
        return {k: (s / self.count if self.count else math.nan) for k, s in self.sums.items()}


def _batch_numbers(loss: Tensor | None, output: Tensor, target: Any, metrics: dict) -> dict:
    numbers = {} if loss is None else {"loss": loss.item()}
    for name, fn in metrics.items():
        value = fn(output, target)
        numbers[name] = value.item() if isinstance(value, Tensor) else float(value)
    return numbers


def _progress(loader: Iterable, desc: str, verbose: bool):
    """A tqdm bar sized to ``len(loader)``, advanced by hand with ``bar.update()`` (so it
    stays open after the last batch, for the validation numbers)."""
    from tqdm import tqdm  # text bars: they work in terminals, notebooks and CI logs alike

    total = len(loader) if hasattr(loader, "__len__") else None
    return tqdm(total=total, desc=desc, unit="batch", disable=not verbose, leave=True,
                dynamic_ncols=True)


def _postfix(logs: Mapping[str, float]) -> dict[str, str]:
    return {k: f"{v:.4g}" for k, v in logs.items()}


def evaluate(model: Module, loader: Iterable, loss_fn: Callable | None = None,
             metrics: Mapping[str, Metric] | Sequence[Metric | str] | None = None,
             device=None, verbose: bool = False) -> dict[str, float]:
    """The loss and metrics of ``model`` on ``loader``, averaged over its samples.

    Runs in ``eval()`` mode (dropout off, batch norm uses its running statistics) and
    under ``no_grad()`` (no graph is recorded), then puts the model back in the mode it
    was in. Returns e.g. ``{"loss": 0.08, "accuracy": 0.975}`` (no "loss" without a
    ``loss_fn``).
    """
    named = _named_metrics(metrics)
    was_training = model.training
    model.eval()
    totals = _Averages()
    bar = _progress(loader, "evaluate", verbose)
    try:
        with ag.no_grad():
            for batch in loader:
                x, y = _unpack(_to(batch, device))
                output = model(x)
                loss = None if loss_fn is None else loss_fn(output, y)
                totals.add(_batch_numbers(loss, output, y, named), _batch_size(x))
                bar.update()
    finally:
        bar.close()
        model.train(was_training)
    return totals.means()


def predict(model: Module, data: Tensor | Iterable, device=None) -> Tensor:
    """The model's outputs for ``data``: a tensor of inputs, or a loader whose batches are
    inputs or ``(inputs, targets)`` pairs (the targets are ignored). Runs in ``eval()``
    mode under ``no_grad()``; the outputs of all batches are concatenated along dim 0.
    """
    was_training = model.training
    model.eval()
    try:
        with ag.no_grad():
            if isinstance(data, Tensor):
                return model(_to(data, device))
            outputs = []
            for batch in data:
                batch = _to(batch, device)
                x = batch[0] if isinstance(batch, (list, tuple)) else batch
                outputs.append(model(x))
            return ag.cat(outputs, dim=0)
    finally:
        model.train(was_training)


def fit(model: Module, loss_fn: Callable, optimizer, train_loader: Iterable, epochs: int = 1,
        val_loader: Iterable | None = None,
        metrics: Mapping[str, Metric] | Sequence[Metric | str] | None = None,
        callbacks: Sequence[Callback] = (), device=None, verbose: bool = True) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return a `History`.

    Per epoch:

    1. ``model.train()``; for each batch ``(x, y)``: ``loss = loss_fn(model(x), y)``,
       ``optimizer.zero_grad()``, ``loss.backward()``, ``optimizer.step()``;
       the bar shows the running mean of the loss and of each metric;
    2. if ``val_loader`` is given: `evaluate` on it (``eval()`` mode, ``no_grad()``),
       logged as ``val_loss`` and ``val_<metric>``;
    3. the numbers go into the `History` and to each callback's ``on_epoch_end``; if
       one of them returns True (e.g. `EarlyStopping`), training stops.

    - ``metrics``: ``{"name": fn}`` with ``fn(output, target) -> number`` computed per
      batch (e.g. `accuracy`), or a list of such functions or the string "accuracy".
      Training metrics are measured on each batch as it is trained on, so they lag a
      little behind the model at the end of the epoch; validation metrics do not.
    - ``device``: move the model and each batch there (e.g. "cuda"); None leaves
      everything where it is.
    - ``verbose=False`` prints nothing.

    The model is left in training mode. Reading the loss each batch (``loss.item()``)
    synchronises a GPU once per step: a cost worth paying for a progress bar.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    named = _named_metrics(metrics)
    if device is not None:
        model.to(device)
    history = History()
    for cb in callbacks:
        cb.on_train_begin(model)
    for epoch in range(epochs):
        bar = _progress(train_loader, f"Epoch {epoch + 1}/{epochs}", verbose)
        try:
            logs = _train_one_epoch(model, loss_fn, optimizer, train_loader, named, device, bar)
            if val_loader is not None:
                val = evaluate(model, val_loader, loss_fn, named, device)
                logs.update({"val_" + k: v for k, v in val.items()})
            if verbose:
                bar.set_postfix(_postfix(logs))
        finally:
            bar.close()
        history.append(epoch, logs)
        stop = False
        for cb in callbacks:
            stop = bool(cb.on_epoch_end(model, epoch, logs)) or stop
        if stop:
            break
    for cb in callbacks:
        cb.on_train_end(model)
    return history


def _train_one_epoch(model: Module, loss_fn: Callable, optimizer, loader: Iterable,
                     metrics: dict, device, bar) -> dict[str, float]:
    """One pass over ``loader``: the plain training loop, plus running means for the bar."""
    model.train()
    totals = _Averages()
    for batch in loader:
        x, y = _unpack(_to(batch, device))
        output = model(x)
        loss = loss_fn(output, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with ag.no_grad():
            totals.add(_batch_numbers(loss, output, y, metrics), _batch_size(x))
        if not bar.disable:
            bar.set_postfix(_postfix(totals.means()), refresh=False)
        bar.update()
    return totals.means()


__all__ = ["Callback", "EarlyStopping", "History", "LearningRateScheduler", "ModelCheckpoint",
           "accuracy", "evaluate", "fit", "predict"]
