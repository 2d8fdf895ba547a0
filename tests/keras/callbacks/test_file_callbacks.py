"""ModelCheckpoint and BackupAndRestore writing real files during `fit`."""

from __future__ import annotations

import os

import numpy as np
import pytest

import ndflow as tf

pytest.importorskip("h5py")

keras = tf.keras
RNG = np.random.RandomState(0)
X = RNG.rand(32, 4).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")).astype("float32")


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


def _fit(model, epochs, callbacks=(), **kwargs):
    return model.fit(
        X,
        Y,
        epochs=epochs,
        batch_size=8,
        shuffle=False,
        verbose=0,
        callbacks=list(callbacks),
        **kwargs,
    )


def test_model_checkpoint_formats_epoch_and_val_loss_into_paths(tmp_path):
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras")
    model = _model()
    history = _fit(
        model,
        3,
        [keras.callbacks.ModelCheckpoint(pattern)],
        validation_data=(X[:8], Y[:8]),
    )
    expected = [
        f"ckpt-{e + 1:02d}-{v:.2f}.keras" for e, v in enumerate(history.history["val_loss"])
    ]
    assert sorted(os.listdir(tmp_path)) == sorted(expected)
    last = keras.models.load_model(str(tmp_path / expected[-1]))
    np.testing.assert_allclose(np.asarray(last(X)), np.asarray(model(X)), rtol=1e-5, atol=1e-6)


def test_model_checkpoint_save_best_only_keeps_best_weights(tmp_path):
    path = str(tmp_path / "best.weights.h5")
    model = _model()
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((logs["loss"], [w.copy() for w in self.model.get_weights()]))

    cb = keras.callbacks.ModelCheckpoint(
        path, monitor="loss", save_best_only=True, save_weights_only=True
    )
    _fit(model, 4, [cb, Record()])
    best_weights = min(seen, key=lambda item: item[0])[1]
    restored = _model(seed=5)
    restored.optimizer.build(restored.trainable_variables)
    restored.load_weights(path)
    for a, b in zip(best_weights, restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert cb.best == pytest.approx(min(loss for loss, _ in seen))


def test_model_checkpoint_whole_model_loads_compiled(tmp_path):
    path = str(tmp_path / "model.keras")
    model = _model()
    _fit(model, 2, [keras.callbacks.ModelCheckpoint(path)])
    loaded = keras.models.load_model(path)
    assert loaded.compiled
    assert int(loaded.optimizer.iterations.numpy()) == 8


class _Interrupt(keras.callbacks.Callback):
    """Raises at the start of `epoch` (0-based), as a crash or preemption would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("interrupted")


def test_backup_and_restore_resumes_interrupted_fit_identically(tmp_path):
    backup = str(tmp_path / "backup")
    straight = _model()
    _fit(straight, 5)

    interrupted = _model()
    epochs_run = []
    track = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs=None: epochs_run.append(e))
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(interrupted, 5, [keras.callbacks.BackupAndRestore(backup), _Interrupt(2), track])
    assert sorted(os.listdir(backup)) == ["latest.weights.h5", "training_metadata.json"]

    # A fresh process would rebuild the model from code: same architecture, new weights.
    resumed = _model(seed=9)
    resumed(X[:1])
    history = _fit(resumed, 5, [keras.callbacks.BackupAndRestore(backup), track])
    assert epochs_run == [0, 1, 2, 3, 4]  # epochs 0-1, the interruption, then 2-4
    assert len(history.history["loss"]) == 3
    assert int(resumed.optimizer.iterations.numpy()) == 20
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not os.path.exists(backup)  # deleted after the run completed
