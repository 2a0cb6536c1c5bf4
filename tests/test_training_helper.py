"""The Keras-style helper `nn.training`: fit, History, callbacks, evaluate, predict, accuracy."""

from __future__ import annotations

import math

import pytest

import autograd_core as ag
import nn
import optim
from autograd_core.utils.data import DataLoader, TensorDataset
from nn.training import (
    Callback,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    accuracy,
    evaluate,
    fit,
    predict,
)


# ----------------------------------------------------------------------------- helpers
def _classification(n: int = 96, seed: int = 0):
    """Two well separated blobs in 2-D: an easy, fast classification problem."""
    ag.manual_seed(seed)
    y = ag.randint(0, 2, (n,))
    x = ag.randn(n, 2) * 0.5 + (y.float() * 4 - 2).reshape(n, 1)
    return x, y


def _loaders(x, y, batch_size: int = 16):
    train = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                       generator=ag.Generator().manual_seed(0))
    val = DataLoader(TensorDataset(x, y), batch_size=batch_size)
    return train, val


def _classifier():
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))


def _drifting_regression():
    """A one-weight model trained towards w = 2 while validated against w = 1.

    Starting from w = 0 (full batch, one SGD step per epoch), the validation loss first
    falls, is smallest when w passes 1 (around the 8th epoch) and then rises again: the
    textbook picture of overfitting, made deterministic.
    """
    x = ag.linspace(-1, 1, 16).reshape(16, 1)
    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    train = DataLoader(TensorDataset(x, 2 * x), batch_size=16)
    val = DataLoader(TensorDataset(x, 1 * x), batch_size=16)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    return model, optimizer, train, val


class _WeightsPerEpoch(Callback):
    """Records the model's weight after every epoch (a user-written callback)."""

    def __init__(self) -> None:
        self.weights: list[float] = []

    def on_epoch_end(self, model, epoch, logs):
        self.weights.append(model.weight.item())


# ----------------------------------------------------------------------------- History
def test_history_holds_one_value_per_epoch_for_loss_and_metrics():
    x, y = _classification()
    train, val = _loaders(x, y)
    model = _classifier()
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), train,
                  epochs=4, val_loader=val, metrics={"accuracy": accuracy}, verbose=False)
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2, 3] and len(history) == 4
    assert list(history.keys()) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    for key in history.keys():
        assert len(history[key]) == 4
        assert all(isinstance(v, float) and math.isfinite(v) for v in history[key])
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] == 1.0
    assert all(0.0 <= a <= 1.0 for a in history["accuracy"])
    assert "val_loss" in history and "epochs=4" in repr(history)
    # the last validation numbers are those of the trained model
    final = evaluate(model, val, nn.CrossEntropyLoss(), {"accuracy": accuracy})
    assert final["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)
    assert final["accuracy"] == history["val_accuracy"][-1]


def test_history_without_validation_or_metrics_has_only_the_loss():
    x, y = _classification()
    train, _ = _loaders(x, y)
    model = _classifier()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train,
                  epochs=2, verbose=False)
    assert list(history.keys()) == ["loss"]


def test_training_loss_is_the_sample_weighted_mean_over_the_epoch():
    """With lr = 0 the model does not change, so the epoch's training loss equals the
    loss on the whole training set, however unevenly the batches are cut (100 = 6 x 16 + 4)."""
    x, y = _classification(n=100)
    train, val = _loaders(x, y)
    model = _classifier()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), train,
                  epochs=1, val_loader=val, metrics=["accuracy"], verbose=False)
    with ag.no_grad():
        whole = nn.CrossEntropyLoss()(model(x), y).item()
    assert history["loss"][0] == pytest.approx(whole, rel=1e-5)
    assert history["val_loss"][0] == pytest.approx(whole, rel=1e-5)
    assert history["accuracy"][0] == history["val_accuracy"][0]


def test_metrics_given_as_a_list_and_bad_metrics():
    x, y = _classification()
    train, _ = _loaders(x, y)
    model = _classifier()
    opt = optim.SGD(model.parameters(), lr=0.1)

    def error_rate(output, target):
        return 1.0 - accuracy(output, target)

    history = fit(model, nn.CrossEntropyLoss(), opt, train, epochs=1,
                  metrics=["accuracy", error_rate], verbose=False)
    assert history["accuracy"][0] + history["error_rate"][0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown metric"):
        fit(model, nn.CrossEntropyLoss(), opt, train, metrics=["f1"], verbose=False)
    with pytest.raises(ValueError, match="reserved"):
        fit(model, nn.CrossEntropyLoss(), opt, train, metrics={"val_acc": accuracy}, verbose=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, nn.CrossEntropyLoss(), opt, train, epochs=-1, verbose=False)


# ------------------------------------------------------------------------ train / eval
class _Probe(nn.Module):
    """Records, at each forward, whether the model was in training mode and recording."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.seen: list[tuple[bool, bool]] = []

    def forward(self, x):
        self.seen.append((self.training, ag.is_grad_enabled()))
        return self.linear(x)


def test_fit_trains_in_train_mode_and_validates_in_eval_mode_without_grad():
    x, y = _classification(n=32)
    train, val = _loaders(x, y, batch_size=16)
    ag.manual_seed(0)
    model = _Probe()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train, epochs=1,
        val_loader=val, verbose=False)
    assert model.seen == [(True, True), (True, True), (False, False), (False, False)]
    assert model.training  # left in training mode


def test_evaluate_and_predict_restore_the_mode():
    x, y = _classification(n=40)
    _, val = _loaders(x, y, batch_size=16)
    model = _classifier()
    model.eval()
    evaluate(model, val, nn.CrossEntropyLoss())
    assert not model.training
    model.train()
    numbers = evaluate(model, val, metrics={"accuracy": accuracy})
    assert model.training and list(numbers) == ["accuracy"]
    out = predict(model, val)
    assert model.training
    assert out.shape == (40, 2) and out.grad_fn is None
    with ag.no_grad():
        expected = model(x)
    assert ag.allclose(out, expected)
    assert ag.allclose(predict(model, x), expected)


def test_batches_must_be_pairs():
    model = _classifier()
    x, _ = _classification(n=8)
    with pytest.raises(ValueError, match="pair"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1),
            DataLoader(TensorDataset(x), batch_size=4), verbose=False)


def test_fit_moves_the_model_and_batches_to_device():
    x, y = _classification(n=32)
    train, val = _loaders(x, y)
    model = _classifier()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train,
                  epochs=1, val_loader=val, device="cpu", verbose=False)
    assert len(history) == 1


# ------------------------------------------------------------------------ printing
def test_verbose_false_prints_nothing(capfd):
    x, y = _classification()
    train, val = _loaders(x, y)
    model = _classifier()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train, epochs=2,
        val_loader=val, metrics={"accuracy": accuracy},
        callbacks=[EarlyStopping(patience=5)], verbose=False)
    evaluate(model, val, nn.CrossEntropyLoss())
    predict(model, val)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_verbose_shows_a_progress_bar_with_loss_and_metrics(capfd):
    x, y = _classification()
    train, val = _loaders(x, y)
    model = _classifier()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train, epochs=2,
        val_loader=val, metrics={"accuracy": accuracy})
    out, err = capfd.readouterr()
    text = out + err
    for piece in ("Epoch 1/2", "Epoch 2/2", "loss=", "accuracy=", "val_loss=", "val_accuracy="):
        assert piece in text


# ------------------------------------------------------------------------ early stopping
def test_early_stopping_stops_after_patience_and_restores_best_weights():
    model, optimizer, train, val = _drifting_regression()
    record = _WeightsPerEpoch()
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = fit(model, nn.MSELoss(), optimizer, train, epochs=50, val_loader=val,
                  callbacks=[record, stopper], verbose=False)
    val_loss = history["val_loss"]
    best = min(range(len(val_loss)), key=val_loss.__getitem__)
    assert 3 <= best <= 12  # fell, then rose
    assert stopper.best_epoch == best and stopper.best == val_loss[best]
    # stopped after `patience` further epochs without improvement, long before 50
    assert len(history) == best + 3 + 2 and stopper.stopped_epoch == len(history) - 1
    assert history.epoch == list(range(len(history)))
    # the model holds the weights of the best epoch, not those of the last one
    assert record.weights[-1] != record.weights[best]
    assert model.weight.item() == record.weights[best]


def test_early_stopping_without_restore_keeps_the_last_weights():
    model, optimizer, train, val = _drifting_regression()
    record = _WeightsPerEpoch()
    fit(model, nn.MSELoss(), optimizer, train, epochs=50, val_loader=val,
        callbacks=[record, EarlyStopping(patience=1)], verbose=False)
    assert model.weight.item() == record.weights[-1]


def test_early_stopping_min_delta_mode_and_bad_monitor():
    model, optimizer, train, val = _drifting_regression()
    # improvements smaller than min_delta do not count: the first epoch is the only best
    stopper = EarlyStopping(patience=2, min_delta=10.0)
    history = fit(model, nn.MSELoss(), optimizer, train, epochs=50, val_loader=val,
                  callbacks=[stopper], verbose=False)
    assert stopper.best_epoch == 0 and len(history) == 4
    assert EarlyStopping(monitor="val_accuracy").mode == "max"
    assert EarlyStopping(monitor="loss").mode == "min"
    assert EarlyStopping(monitor="val_accuracy", mode="min").mode == "min"
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="val_loader"):
        fit(model, nn.MSELoss(), optimizer, train, epochs=1, callbacks=[EarlyStopping()],
            verbose=False)


def test_early_stopping_can_be_reused_for_a_second_fit():
    model, optimizer, train, val = _drifting_regression()
    stopper = EarlyStopping(patience=1)
    first = fit(model, nn.MSELoss(), optimizer, train, epochs=50, val_loader=val,
                callbacks=[stopper], verbose=False)
    assert stopper.stopped_epoch is not None
    model2, optimizer2, _, _ = _drifting_regression()
    second = fit(model2, nn.MSELoss(), optimizer2, train, epochs=50, val_loader=val,
                 callbacks=[stopper], verbose=False)
    assert len(second) == len(first)


# ------------------------------------------------------------------------ checkpoints
def test_checkpoint_best_only_writes_the_best_weights_and_they_reload(tmp_path):
    model, optimizer, train, val = _drifting_regression()
    record = _WeightsPerEpoch()
    path = tmp_path / "best.pt"
    checkpoint = ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True)
    history = fit(model, nn.MSELoss(), optimizer, train, epochs=20, val_loader=val,
                  callbacks=[record, checkpoint], verbose=False)
    best = min(range(20), key=history["val_loss"].__getitem__)
    assert path.exists() and checkpoint.last_saved == str(path)
    state = ag.load(str(path))
    assert list(state) == ["weight"]
    fresh = nn.Linear(1, 1, bias=False)
    fresh.load_state_dict(state)
    assert fresh.weight.item() == record.weights[best] != model.weight.item()


def test_checkpoint_every_epoch_with_a_file_name_pattern(tmp_path):
    model, optimizer, train, val = _drifting_regression()
    record = _WeightsPerEpoch()
    pattern = str(tmp_path / "w-{epoch:02d}-{val_loss:.3f}.pt")
    fit(model, nn.MSELoss(), optimizer, train, epochs=3, val_loader=val,
        callbacks=[record, ModelCheckpoint(pattern)], verbose=False)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert [f[:5] for f in files] == ["w-01-", "w-02-", "w-03-"]
    for epoch, name in enumerate(files):
        state = ag.load(str(tmp_path / name))
        assert state["weight"].item() == record.weights[epoch]


def test_checkpoint_of_a_larger_model_round_trips(tmp_path):
    x, y = _classification()
    train, val = _loaders(x, y)
    model = _classifier()
    path = tmp_path / "model.pt"
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), train, epochs=2,
        val_loader=val, callbacks=[ModelCheckpoint(str(path))], verbose=False)
    fresh = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    fresh.load_state_dict(ag.load(str(path)))
    for (k1, a), (k2, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        assert k1 == k2 and ag.equal(a, b)


# ------------------------------------------------------------------------ schedulers
def test_learning_rate_scheduler_steps_once_per_epoch():
    x, y = _classification(n=32)
    train, val = _loaders(x, y)
    model = _classifier()
    opt = optim.SGD(model.parameters(), lr=1.0)
    fit(model, nn.CrossEntropyLoss(), opt, train, epochs=3,
        callbacks=[LearningRateScheduler(optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))],
        verbose=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.125)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.1)
    fit(model, nn.CrossEntropyLoss(), opt, train, epochs=1, val_loader=val,
        callbacks=[LearningRateScheduler(plateau, monitor="val_loss")], verbose=False)
    with pytest.raises(ValueError, match="val_loss"):
        fit(model, nn.CrossEntropyLoss(), opt, train, epochs=1,
            callbacks=[LearningRateScheduler(plateau, monitor="val_loss")], verbose=False)


# ------------------------------------------------------------------------ accuracy
def test_accuracy_for_class_scores_and_binary_outputs():
    scores = ag.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 1.0], [5.0, 0.0, 0.0]])
    assert accuracy(scores, ag.tensor([0, 1, 2, 1])) == 0.75
    probabilities = ag.tensor([[0.9], [0.2], [0.6], [0.4]])
    assert accuracy(probabilities, ag.tensor([[1.0], [0.0], [0.0], [0.0]])) == 0.75
    assert accuracy(probabilities.reshape(4), ag.tensor([1.0, 0.0, 1.0, 0.0])) == 1.0
    # one probability per sample, shaped (N, 1), with labels shaped (N,): binary, not argmax
    assert accuracy(probabilities, ag.tensor([1.0, 0.0, 0.0, 0.0])) == 0.75
    logits = ag.tensor([2.0, -1.0, 0.5, -0.1])
    assert accuracy(logits, ag.tensor([1.0, 0.0, 1.0, 0.0]), threshold=0.0) == 1.0
    # sequences: scores (N, C, L) with labels (N, L)
    seq = ag.zeros(2, 3, 4)
    seq[:, 2] = 1.0
    assert accuracy(seq, ag.full((2, 4), 2, dtype=ag.int64)) == 1.0
