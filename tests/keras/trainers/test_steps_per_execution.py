"""`compile(steps_per_execution=N)`: N steps per traced call, against real Keras.

Oracle: real tf.keras with the same initial weights and unshuffled data, and ndflow with
steps_per_execution=1 (the same final weights and loss); the batch hooks run once per
execution with Keras 3's step indices."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf

K = tf.keras


def _data(n=10, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def _mlp(keras):
    return keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )


def _recorder(base):
    class Recorder(base):
        def __init__(self):
            super().__init__()
            self.events = []

        def on_train_batch_begin(self, batch, logs=None):
            self.events.append(("train_begin", batch))

        def on_train_batch_end(self, batch, logs=None):
            self.events.append(("train_end", batch, sorted(logs)))

        def on_test_batch_begin(self, batch, logs=None):
            self.events.append(("test_begin", batch))

        def on_test_batch_end(self, batch, logs=None):
            self.events.append(("test_end", batch, sorted(logs)))

        def on_predict_batch_begin(self, batch, logs=None):
            self.events.append(("predict_begin", batch))

        def on_predict_batch_end(self, batch, logs=None):
            self.events.append(("predict_end", batch, tuple(np.shape(logs["outputs"]))))

    return Recorder()


def _run(keras, weights, steps_per_execution, x, y, epochs=2, batch_size=2):
    model = _mlp(keras)
    model.set_weights(weights)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="mse",
        metrics=["mae"],
        steps_per_execution=steps_per_execution,
    )
    rec = _recorder(keras.callbacks.Callback)
    history = model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        shuffle=False,
        verbose=0,
        callbacks=[rec],
        validation_data=(x, y),
    )
    evaluated = model.evaluate(x, y, batch_size=batch_size, verbose=0, callbacks=[rec])
    predicted = model.predict(x, batch_size=batch_size, verbose=0, callbacks=[rec])
    return {
        "weights": [np.asarray(w) for w in model.get_weights()],
        "history": history.history,
        "events": rec.events,
        "evaluate": evaluated,
        "predict": np.asarray(predicted),
        "iterations": int(np.asarray(model.optimizer.iterations)),
    }


@pytest.mark.parity
@pytest.mark.parametrize("spe", [2, 3, 5, 7])
def test_steps_per_execution_matches_real_keras(real_tf, spe):
    x, y = _data()
    weights = [w.numpy() for w in _mlp(K).weights]
    ours = _run(K, weights, spe, x, y)
    theirs = _run(real_tf.keras, weights, spe, x, y)
    assert ours["events"] == theirs["events"]
    assert ours["iterations"] == theirs["iterations"] == 10
    for a, b in zip(ours["weights"], theirs["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert sorted(ours["history"]) == sorted(theirs["history"])
    for k in theirs["history"]:
        np.testing.assert_allclose(ours["history"][k], theirs["history"][k], rtol=1e-4)
    np.testing.assert_allclose(ours["evaluate"], theirs["evaluate"], rtol=1e-4)
    np.testing.assert_allclose(ours["predict"], theirs["predict"], rtol=1e-4, atol=1e-5)


def test_steps_per_execution_gives_the_same_training_as_one_step_per_call():
    x, y = _data(n=23)
    weights = [w.numpy() for w in _mlp(K).weights]
    one = _run(K, weights, 1, x, y, batch_size=4)
    many = _run(K, weights, 4, x, y, batch_size=4)
    assert one["iterations"] == many["iterations"] == 12
    for a, b in zip(one["weights"], many["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(one["history"]["loss"], many["history"]["loss"], rtol=1e-5)
    np.testing.assert_allclose(one["predict"], many["predict"], rtol=1e-5, atol=1e-7)
    # One train hook pair per execution: ceil(6 batches / 4) = 2 per epoch.
    begins = [e[1] for e in many["events"] if e[0] == "train_begin"]
    ends = [e[1] for e in many["events"] if e[0] == "train_end"]
    assert begins == [0, 4, 0, 4]
    assert ends == [3, 7, 3, 7]


def test_steps_per_execution_traces_one_function_per_execution_size():
    x, y = _data(n=12)
    model = _mlp(K)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=4)
    model.fit(x, y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    runner = model._runner("train")
    # 6 batches: one execution of 4 (one trace) and a remainder of 2 (a second trace).
    assert runner.multi.experimental_get_tracing_count() == 2
    assert int(model.optimizer.iterations) == 18


def test_steps_per_execution_with_a_dataset_and_run_eagerly():
    x, y = _data(n=9)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)
    weights = [w.numpy() for w in _mlp(K).weights]
    results = []
    for spe, eager in ((1, False), (3, False), (3, True)):
        model = _mlp(K)
        model.set_weights(weights)
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=spe, run_eagerly=eager)
        h = model.fit(ds, epochs=2, verbose=0)
        results.append((model.get_weights(), h.history["loss"]))
    for w, loss in results[1:]:
        for a, b in zip(results[0][0], w):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(results[0][1], loss, rtol=1e-5)


def test_stop_training_is_checked_after_each_execution():
    x, y = _data(n=20)
    model = _mlp(K)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=3)

    class Stop(K.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    model.fit(x, y, batch_size=2, epochs=5, verbose=0, callbacks=[Stop()])
    assert int(model.optimizer.iterations) == 3


def test_executions_longer_than_the_unroll_limit_run_in_chunks(monkeypatch):
    from ndflow._src.keras.trainers import trainer

    monkeypatch.setattr(trainer, "_MAX_UNROLL", 2)
    x, y = _data(n=22)
    weights = [w.numpy() for w in _mlp(K).weights]
    one = _run(K, weights, 1, x, y, batch_size=2)
    chunked = _run(K, weights, 5, x, y, batch_size=2)
    assert chunked["iterations"] == one["iterations"] == 22
    for a, b in zip(one["weights"], chunked["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(one["predict"], chunked["predict"], rtol=1e-5, atol=1e-7)
    ends = [e[1] for e in chunked["events"] if e[0] == "predict_end"]
    shapes = [e[2] for e in chunked["events"] if e[0] == "predict_end"]
    assert ends == [4, 9, 14]
    assert shapes == [(10, 1), (10, 1), (2, 1)]
