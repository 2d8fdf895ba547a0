"""Callbacks driven by the same log sequences as real Keras 3, with a fake model."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import ndflow as tf


class FakeOptimizer:
    def __init__(self, lr=0.1):
        self.learning_rate = lr
        self.built = True


class FakeModel:
    """The surface callbacks use: stop_training, weights, optimizer, save/save_weights."""

    def __init__(self):
        self.stop_training = False
        self.optimizer = FakeOptimizer()
        self.weights = [np.zeros(2)]
        self.restored = None
        self.saved = []
        self.loaded = []
        self.built = True
        self.trainable_variables = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.restored = [w.copy() for w in weights]
        self.weights = weights

    def save(self, filepath, overwrite=True):
        self.saved.append(os.path.basename(filepath))
        with open(filepath, "w") as f:
            f.write("model")

    def save_weights(self, filepath, overwrite=True):
        self.saved.append(os.path.basename(filepath))
        with open(filepath, "w") as f:
            f.write("weights")

    def load_weights(self, filepath):
        self.loaded.append(os.path.basename(filepath))


def _drive(callback, model, logs_seq, stop=True):
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, logs in enumerate(logs_seq):
        callback.on_epoch_begin(epoch)
        model.weights = [np.full(2, float(epoch))]
        callback.on_epoch_end(epoch, dict(logs))
        if stop and model.stop_training:
            break
    callback.on_train_end()
    return epoch


LOSSES = [1.0, 0.8, 0.79, 0.85, 0.78, 0.9, 0.95, 0.7, 1.2, 1.3]
ES_CASES = [
    dict(monitor="loss"),
    dict(monitor="loss", patience=2),
    dict(monitor="loss", patience=2, min_delta=0.05),
    dict(monitor="loss", patience=1, restore_best_weights=True),
    dict(monitor="loss", patience=3, baseline=0.75),
    dict(monitor="loss", patience=1, start_from_epoch=3, restore_best_weights=True),
    dict(monitor="acc", mode="max", patience=2),
    dict(monitor="val_loss", patience=2, mode="min", verbose=1, restore_best_weights=True),
]


@pytest.mark.parity
@pytest.mark.parametrize("kwargs", ES_CASES)
def test_early_stopping_decisions_match_keras(real_tf, kwargs, capsys):
    logs = [{"loss": v, "val_loss": v + 0.1, "acc": 1 - v} for v in LOSSES]
    ours, theirs = FakeModel(), FakeModel()
    a = tf.keras.callbacks.EarlyStopping(**kwargs)
    b = real_tf.keras.callbacks.EarlyStopping(**kwargs)
    capsys.readouterr()
    ea = _drive(a, ours, logs)
    out_a = capsys.readouterr().out
    eb = _drive(b, theirs, logs)
    out_b = capsys.readouterr().out
    assert ea == eb
    assert (a.stopped_epoch, a.best, a.wait, a.best_epoch) == (
        b.stopped_epoch,
        b.best,
        b.wait,
        b.best_epoch,
    )
    assert ours.stop_training == theirs.stop_training
    if theirs.restored is None:
        assert ours.restored is None
    else:
        np.testing.assert_array_equal(ours.restored, theirs.restored)
    assert out_a.strip() == out_b.strip()


def test_early_stopping_warns_on_missing_monitor_and_unknown_mode():
    with pytest.warns(UserWarning, match="mode 'bogus' is unknown"):
        es = tf.keras.callbacks.EarlyStopping(monitor="loss", mode="bogus")
    es.set_model(FakeModel())
    es.on_train_begin()
    with pytest.warns(UserWarning, match="Available metrics are: acc,val_acc"):
        es.on_epoch_end(0, {"acc": 1.0, "val_acc": 1.0})


def test_auto_mode_cannot_guess_unknown_metric():
    es = tf.keras.callbacks.EarlyStopping(monitor="val_f1")
    es.set_model(FakeModel())
    with pytest.raises(ValueError, match="isn't able to automatically determine"):
        es.on_epoch_end(0, {"val_f1": 0.5})


RLR_CASES = [
    dict(monitor="loss", patience=1),
    dict(monitor="loss", patience=1, factor=0.5, cooldown=2, min_lr=0.01),
    dict(monitor="val_loss", patience=2, min_delta=0.05, verbose=1),
    dict(monitor="acc", mode="max", patience=1, factor=0.2),
]


@pytest.mark.parity
@pytest.mark.parametrize("kwargs", RLR_CASES)
def test_reduce_lr_on_plateau_matches_keras(real_tf, kwargs, capsys):
    logs = [{"loss": v, "val_loss": v + 0.1, "acc": 1 - v} for v in LOSSES]
    a = tf.keras.callbacks.ReduceLROnPlateau(**kwargs)
    b = real_tf.keras.callbacks.ReduceLROnPlateau(**kwargs)
    ma, mb = FakeModel(), FakeModel()
    for cb, m in ((a, ma), (b, mb)):
        cb.set_model(m)
        cb.on_train_begin()
    for epoch, log in enumerate(logs):
        la, lb = dict(log), dict(log)
        a.on_epoch_end(epoch, la)
        out_a = capsys.readouterr().out
        b.on_epoch_end(epoch, lb)
        out_b = capsys.readouterr().out
        assert ma.optimizer.learning_rate == pytest.approx(mb.optimizer.learning_rate)
        assert la["learning_rate"] == pytest.approx(lb["learning_rate"])
        assert (a.wait, a.cooldown_counter) == (b.wait, b.cooldown_counter)
        assert out_a == out_b


def test_reduce_lr_works_with_a_real_optimizer():
    model = FakeModel()
    model.optimizer = tf.keras.optimizers.SGD(0.5)
    cb = tf.keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5)
    cb.set_model(model)
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": 1.0})
    cb.on_epoch_end(1, {"loss": 1.0})
    assert float(model.optimizer.learning_rate) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="does not support a factor >= 1.0"):
        tf.keras.callbacks.ReduceLROnPlateau(factor=1.5)


@pytest.mark.parity
def test_learning_rate_scheduler_matches_keras(real_tf, capsys):
    def schedule(epoch, lr):
        return lr if epoch < 2 else lr * math.exp(-0.1)

    a = tf.keras.callbacks.LearningRateScheduler(schedule, verbose=1)
    b = real_tf.keras.callbacks.LearningRateScheduler(schedule, verbose=1)
    ma, mb = FakeModel(), FakeModel()
    a.set_model(ma)
    b.set_model(mb)
    for epoch in range(4):
        la, lb = {}, {}
        a.on_epoch_begin(epoch)
        a.on_epoch_end(epoch, la)
        out_a = capsys.readouterr().out
        b.on_epoch_begin(epoch)
        b.on_epoch_end(epoch, lb)
        out_b = capsys.readouterr().out
        assert ma.optimizer.learning_rate == mb.optimizer.learning_rate
        assert la == lb and out_a == out_b
    bad = tf.keras.callbacks.LearningRateScheduler(lambda epoch: "x")
    bad.set_model(FakeModel())
    with pytest.raises(ValueError, match="should be a float"):
        bad.on_epoch_begin(0)


def test_learning_rate_scheduler_sets_keras_optimizer_variable():
    model = FakeModel()
    model.optimizer = tf.keras.optimizers.Adam(0.01)
    cb = tf.keras.callbacks.LearningRateScheduler(lambda epoch: 0.001 * (epoch + 1))
    cb.set_model(model)
    cb.on_epoch_begin(2)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.003)


@pytest.mark.parity
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(save_best_only=True),
        dict(save_best_only=True, monitor="acc", mode="max", verbose=1),
        dict(save_best_only=False, verbose=1),
        dict(save_best_only=True, save_weights_only=True),
        dict(save_best_only=True, initial_value_threshold=0.8),
    ],
)
def test_model_checkpoint_saves_what_keras_saves(real_tf, tmp_path, kwargs, capsys):
    ext = ".weights.h5" if kwargs.get("save_weights_only") else ".keras"
    logs = [{"loss": v, "val_loss": v + 0.1, "acc": 1 - v} for v in LOSSES[:6]]
    results = []
    for lib, sub in ((tf, "a"), (real_tf, "b")):
        path = tmp_path / sub / ("m-{epoch:02d}-{val_loss:.2f}" + ext)
        cb = lib.keras.callbacks.ModelCheckpoint(str(path), **kwargs)
        model = FakeModel()
        _drive(cb, model, logs, stop=False)
        out = capsys.readouterr().out.replace(str(tmp_path / sub), "DIR")
        files = sorted(os.listdir(tmp_path / sub)) if (tmp_path / sub).exists() else []
        results.append((model.saved, files, cb.best, out))
    assert results[0] == results[1]


@pytest.mark.parity
@pytest.mark.parametrize(
    "path,kwargs",
    [("m.h5py", {}), ("w.h5", {"save_weights_only": True}), ("m.keras", {"save_freq": "x"})],
)
def test_model_checkpoint_rejects_what_keras_rejects(real_tf, path, kwargs):
    with pytest.raises(ValueError) as theirs:
        real_tf.keras.callbacks.ModelCheckpoint(path, **kwargs)
    with pytest.raises(ValueError) as ours:
        tf.keras.callbacks.ModelCheckpoint(path, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_model_checkpoint_batch_frequency_and_missing_key(tmp_path):
    cb = tf.keras.callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}-{batch}.keras"), save_freq=2)
    model = FakeModel()
    cb.set_model(model)
    cb.on_epoch_begin(0)
    for batch in range(5):
        cb.on_train_batch_end(batch, {"loss": 1.0})
    assert model.saved == ["m-1-2.keras", "m-1-4.keras"]
    bad = tf.keras.callbacks.ModelCheckpoint(str(tmp_path / "{nope}.keras"))
    bad.set_model(model)
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        bad.on_epoch_end(0, {"loss": 1.0})


@pytest.mark.parity
@pytest.mark.parametrize("append", [False, True])
def test_csv_logger_file_matches_keras(real_tf, tmp_path, append):
    logs = [{"loss": 0.5, "acc": 0.25, "val_loss": 0.75}, {"loss": 0.4, "acc": 0.5}]
    texts = []
    for lib, name in ((tf, "a.csv"), (real_tf, "b.csv")):
        path = tmp_path / name
        for _ in range(2 if append else 1):
            cb = lib.keras.callbacks.CSVLogger(str(path), separator=";", append=append)
            _drive(cb, FakeModel(), logs, stop=False)
        texts.append(path.read_text())
    assert texts[0] == texts[1]


@pytest.mark.parity
def test_terminate_on_nan_matches_keras(real_tf, capsys):
    for lib in (tf, real_tf):
        model = FakeModel()
        cb = lib.keras.callbacks.TerminateOnNaN()
        cb.set_model(model)
        cb.on_train_batch_end(0, {"loss": 1.0})
        assert not model.stop_training
        cb.on_train_batch_end(1, {"loss": float("nan")})
        assert model.stop_training
    out = capsys.readouterr().out.splitlines()
    assert out == ["Batch 1: Invalid loss, terminating training"] * 2
    raising = tf.keras.callbacks.TerminateOnNaN(raise_error=True)
    raising.set_model(FakeModel())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3"):
        raising.on_train_batch_end(3, {"loss": float("inf")})


@pytest.mark.parity
def test_backup_and_restore_writes_keras_state_and_resumes(real_tf, tmp_path):
    metas = []
    for lib, sub in ((tf, "a"), (real_tf, "b")):
        d = tmp_path / sub
        cb = lib.keras.callbacks.BackupAndRestore(str(d), delete_checkpoint=False)
        model = FakeModel()
        cb.set_model(model)
        cb.on_train_begin()
        for epoch in range(2):
            cb.on_epoch_begin(epoch)
            cb.on_epoch_end(epoch, {"loss": 1.0})
        metas.append((json.loads((d / "training_metadata.json").read_text()), model.saved))
        assert sorted(os.listdir(d)) == ["latest.weights.h5", "training_metadata.json"]
    assert metas[0] == metas[1]
    resumed = FakeModel()
    cb = tf.keras.callbacks.BackupAndRestore(str(tmp_path / "a"))
    cb.set_model(resumed)
    cb.on_train_begin()
    assert resumed._initial_epoch == 2 and resumed.loaded == ["latest.weights.h5"]
    cb.on_train_end()
    assert not (tmp_path / "a").exists()
    with pytest.raises(ValueError, match="Empty `backup_dir` argument passed"):
        tf.keras.callbacks.BackupAndRestore("")


def test_backup_and_restore_batch_frequency_and_double_checkpoint(tmp_path):
    cb = tf.keras.callbacks.BackupAndRestore(str(tmp_path), save_freq=2, double_checkpoint=True)
    model = FakeModel()
    cb.set_model(model)
    for batch in range(4):
        cb.on_train_batch_end(batch)
    assert len(model.saved) == 2
    assert (tmp_path / "latest.weights.h5.bkp").exists()
    assert json.loads((tmp_path / "training_metadata.json").read_text()) == {
        "epoch": 0,
        "batch": 3,
    }


def test_history_and_callback_list_dispatch():
    calls = []
    lam = tf.keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: calls.append((epoch, dict(logs))),
        on_train_batch_end=lambda batch, logs: calls.append(("batch", batch)),
    )
    model = FakeModel()
    cbs = tf.keras.callbacks.CallbackList([lam], add_history=True, model=model, epochs=2, verbose=0)
    assert lam.model is model and lam.params == {"epochs": 2, "verbose": 0}
    cbs.on_train_begin()
    cbs.on_train_batch_end(0, {"loss": np.float32(0.5)})
    cbs.on_epoch_end(0, {"loss": tf.constant(0.5)})
    cbs.on_epoch_end(1, {"loss": 0.25})
    assert calls == [("batch", 0), (0, {"loss": 0.5}), (1, {"loss": 0.25})]
    assert model.history.history == {"loss": [0.5, 0.25]}
    assert model.history.epoch == [0, 1]
    assert isinstance(calls[1][1]["loss"], float)


def test_callback_base_routes_train_batch_hooks_to_batch_hooks():
    seen = []

    class C(tf.keras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    c = C()
    c.on_train_batch_end(7)
    c.on_test_batch_end(8)
    assert seen == [7]
    assert c.model is None and c.params is None


def test_progbar_logger_prints_epochs(capsys):
    cb = tf.keras.callbacks.ProgbarLogger()
    cb.set_params({"verbose": 1, "epochs": 2, "steps": 2})
    cb.on_train_begin()
    for epoch in range(2):
        cb.on_epoch_begin(epoch)
        for batch in range(2):
            cb.on_train_batch_end(batch, {"loss": 0.5})
        cb.on_epoch_end(epoch, {"loss": 0.5})
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "2/2" in out and "loss: 0.5000" in out


def test_early_stopping_stops_a_manual_loop_with_restore():
    model = FakeModel()
    es = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=5)
    cbs = tf.keras.callbacks.CallbackList([es], model=model)
    cbs.on_train_begin()
    epochs = 0
    for epoch in range(100):
        epochs += 1
        cbs.on_epoch_end(epoch, {"val_loss": 1.0 if epoch < 3 else 2.0})
        if model.stop_training:
            break
    assert epochs == 6 and es.stopped_epoch == 5
