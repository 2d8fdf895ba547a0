"""The fit loop's fast paths keep Keras's behaviour: which callback hooks run, what the
batches hold, how often the step is traced, and eager execution. Oracles: real Keras
(hook calls), NumPy (batch contents) and ndflow's own slow path (results)."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.keras.trainers import data_adapters
from ndflow._src.keras.trainers.callback_list import CallbackList

K = tf.keras


def _data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def _model(keras=K):
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1)])


def _counting(base):
    class OnlyAliases(base):
        """Overrides only the `on_batch_*` aliases, which Keras' base hooks forward to."""

        def __init__(self):
            super().__init__()
            self.calls = []

        def on_batch_begin(self, batch, logs=None):
            self.calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            self.calls.append(("end", batch, sorted(logs)))

    return OnlyAliases()


@pytest.mark.parity
def test_alias_hooks_run_like_real_keras(real_tf):
    x, y = _data()
    calls = []
    for keras in (K, real_tf.keras):
        model = _model(keras)
        model.compile("sgd", "mse", metrics=["mae"])
        cb = _counting(keras.callbacks.Callback)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[cb])
        calls.append(cb.calls)
    assert calls[0] == calls[1]
    assert len(calls[0]) == 12


def test_inherited_no_op_hooks_are_skipped_but_overrides_and_instance_hooks_run():
    class Plain(K.callbacks.Callback):
        pass

    class Ends(K.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    plain, ends, dynamic = Plain(), Ends(), Plain()
    seen = []
    dynamic.on_train_batch_begin = lambda batch, logs=None: seen.append(batch)
    cbs = CallbackList([plain, ends, dynamic])
    assert cbs.hooks("on_train_batch_begin") == [dynamic.on_train_batch_begin]
    assert [h.__self__ for h in cbs.hooks("on_train_batch_end")] == [ends]
    assert cbs.hooks("on_test_batch_end") == []
    cbs.on_train_batch_begin(3)
    assert seen == [3]


def test_duck_typed_callbacks_still_get_their_hooks():
    class Duck:
        def __init__(self):
            self.batches = []

        def on_train_batch_end(self, batch, logs=None):
            self.batches.append((batch, sorted(logs)))

    x, y = _data()
    model = _model()
    model.compile("sgd", "mse")
    duck = Duck()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[duck])
    assert duck.batches == [(0, ["loss"]), (1, ["loss"]), (2, ["loss"])]


def test_logs_given_to_batch_callbacks_are_python_floats():
    x, y = _data()
    model = _model()
    model.compile("sgd", "mse", metrics=["mae"])
    got = []
    cb = K.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: got.append(logs))
    model.fit(x, y, batch_size=8, verbose=0, callbacks=[cb])
    assert all(type(v) is float for logs in got for v in logs.values())


@pytest.mark.parametrize("shuffle", [False, True, "batch"])
def test_array_batches_hold_the_samples_in_epoch_order(shuffle):
    x = np.arange(22, dtype=np.float32).reshape(11, 2)
    y = np.arange(11, dtype=np.int32)
    adapter = data_adapters.get_adapter(x, y, batch_size=4, shuffle=shuffle)
    np.random.seed(3)
    batches = list(adapter.get_epoch())
    assert [len(b[0]) for b in batches] == [4, 4, 3]
    seen = np.concatenate([b[1].numpy() for b in batches])
    assert sorted(seen.tolist()) == list(range(11))
    for bx, by in batches:
        np.testing.assert_array_equal(bx.numpy(), x[by.numpy()])
        assert bx.dtype == tf.float32 and by.dtype == tf.int32
    if not shuffle:
        assert seen.tolist() == list(range(11))


def test_unshuffled_batches_cannot_be_written_through_and_keep_the_users_array_writable():
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    adapter = data_adapters.get_adapter(x, batch_size=2, shuffle=False)
    (bx,) = next(iter(adapter.get_epoch()))
    with pytest.raises(ValueError):
        np.asarray(bx)[0, 0] = 5.0
    x[0, 0] = 7.0  # the caller's array stays theirs
    assert x.flags.writeable


def test_string_batches_are_converted_as_tensors():
    # Text comes as string tensors (the seeds' `fit(tf.constant(texts), ...)`); NumPy text
    # arrays are refused with Keras 3's error.
    adapter = data_adapters.get_adapter(tf.constant(["a", "bb", "c"]), batch_size=2, shuffle=True)
    (bx,) = next(iter(adapter.get_epoch()))
    assert bx.dtype == tf.string
    for arr, name in ((np.array(["a", "bb"]), "str64"), (np.array([b"a"]), "bytes8")):
        with pytest.raises(ValueError, match=f"Invalid dtype: {name}"):
            data_adapters.get_adapter(arr, batch_size=2)


def test_fit_traces_once_per_batch_shape_and_matches_eager_runs():
    x, y = _data(n=21)
    results = []
    for eager in (False, True):
        model = _model()
        model.set_weights([np.full(w.shape, 0.1, "float32") for w in model.get_weights()])
        model.compile("sgd", "mse", run_eagerly=eager)
        h = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
        results.append((model.get_weights(), h.history["loss"]))
        if not eager:
            # The full batches and the last partial one: the partial batch's trace is
            # relaxed to an unknown batch size, as a plain tf.function call does.
            assert model._step_fn("train").experimental_get_tracing_count() == 2
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)


def test_run_functions_eagerly_applies_inside_fit():
    x, y = _data()
    model = _model()
    model.compile("sgd", "mse")
    model.fit(x, y, batch_size=8, verbose=0)
    seen = []

    class Probe(K.layers.Layer):
        def call(self, inputs):
            seen.append(tf.executing_eagerly())
            return inputs

    model2 = K.Sequential([K.Input((3,)), Probe(), K.layers.Dense(1)])
    model2.compile("sgd", "mse")
    tf.config.run_functions_eagerly(True)
    try:
        model2.fit(x, y, batch_size=8, verbose=0)
    finally:
        tf.config.run_functions_eagerly(False)
    assert seen and all(seen[-3:])


def test_a_generator_with_changing_structure_uses_the_general_call():
    def gen():
        x, y = _data(n=8)
        yield x[:4], y[:4]
        yield x[4:], y[4:], np.ones(4, "float32")

    model = _model()
    model.compile("sgd", "mse")
    h = model.fit(gen(), epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


def test_fitting_several_models_gives_no_retracing_warning(caplog):
    # Every model's step is its own tf.function of the same Python code (Trainer's
    # train_step); the steps the fit loop calls directly still count as cache hits.
    # Each fit traces twice (full batches, then the last partial one).
    x, y = _data(n=60)
    with caplog.at_level("WARNING", logger="ndflow"):
        for units in (1, 2, 3, 4):
            model = K.Sequential([K.Input((3,)), K.layers.Dense(units), K.layers.Dense(1)])
            model.compile("sgd", "mse")
            model.fit(x, y, batch_size=8, verbose=0)
    assert "retracing" not in caplog.text


def test_adam_shares_one_step_count_per_update_across_traced_and_eager_calls():
    # The per-step cache of `iterations + 1` and `beta ** step` must not leak graph
    # tensors from a traced update into a later eager one (or the reverse).
    rng = np.random.default_rng(1)
    init = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32")]
    grads = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32")]
    results = []
    for traced_first in (True, False):
        vs = [tf.Variable(v) for v in init]
        opt = K.optimizers.Adam(0.1)
        traced = tf.function(lambda: opt.apply_gradients(zip(map(tf.constant, grads), vs)))
        eager = lambda: opt.apply_gradients(zip(map(tf.constant, grads), vs))  # noqa: E731
        for fn in (traced, eager, traced) if traced_first else (eager, traced, eager):
            fn()
        results.append([v.numpy() for v in vs])
        assert int(opt.iterations) == 3
    # NumPy's Adam, three steps of the same gradient.
    for got_a, got_b, v0, g in zip(results[0], results[1], init, grads):
        v, m, s = v0.astype(np.float64), 0.0, 0.0
        for t in (1, 2, 3):
            m = 0.9 * m + 0.1 * g
            s = 0.999 * s + 0.001 * g * g
            lr = 0.1 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
            v = v - lr * m / (np.sqrt(s) + 1e-7)
        np.testing.assert_allclose(got_a, v, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_b, v, rtol=1e-5, atol=1e-6)


def test_a_custom_update_step_still_receives_the_learning_rate_variable():
    received = []

    class MySGD(K.optimizers.Optimizer):
        def update_step(self, gradient, variable, learning_rate):
            received.append(learning_rate)
            variable.assign_sub(tf.cast(learning_rate, variable.dtype) * gradient)

    v = tf.Variable([1.0, 2.0])
    opt = MySGD(learning_rate=0.5)
    opt.apply_gradients([(tf.constant([1.0, 1.0]), v)])
    np.testing.assert_allclose(v.numpy(), [0.5, 1.5])
    assert isinstance(received[0], tf.Variable)
