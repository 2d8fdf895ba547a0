"""compile/fit/evaluate/predict: results against real Keras with the same initial
weights and data order, History keys, progress output, callbacks and errors.

The losses/metrics/optimizers families are built separately; these tests use a small
local SGD and MSE on the ndflow side (real Keras' SGD and "mse" on the other)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.keras.trainers import compile_utils

K = tf.keras


class SGD:
    """Plain gradient descent with Keras' optimizer entry point."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate

    def apply_gradients(self, grads_and_vars) -> None:
        for g, v in grads_and_vars:
            v.assign_sub(self.learning_rate * g)


def mse(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_pred - tf.cast(y_true, y_pred.dtype)), axis=-1)


def sparse_ce(y_true, y_pred):
    y_true = tf.cast(tf.reshape(y_true, [-1]), "int32")
    logp = tf.math.log(tf.clip_by_value(y_pred, 1e-7, 1.0))
    return -tf.reduce_sum(tf.one_hot(y_true, tf.shape(y_pred)[-1]) * logp, axis=-1)


def _data(n=50, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def _mlp(keras):
    return keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dense(1),
        ]
    )


def _pair(real_tf, make=_mlp):
    rk = real_tf.keras
    ours, theirs = make(K), make(rk)
    theirs.set_weights([w.numpy() for w in ours.weights])
    return ours, theirs


# ------------------------------------------------------------------ parity
@pytest.mark.parity
def test_one_epoch_loss_and_weights_match_real_keras(real_tf):
    x, y = _data()
    ours, theirs = _pair(real_tf)
    ours.compile(optimizer=SGD(0.1), loss=mse, metrics=["mae"])
    theirs.compile(optimizer=real_tf.keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    h1 = ours.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    h2 = theirs.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert set(h1.history) == set(h2.history) == {"loss", "mae"}
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(h1.history["mae"], h2.history["mae"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parity
def test_validation_split_and_sample_weight_match_real_keras(real_tf):
    x, y = _data(n=40)
    sw = np.linspace(0.5, 2.0, 40).astype("float32")
    ours, theirs = _pair(real_tf)
    ours.compile(optimizer=SGD(0.05), loss=mse)
    theirs.compile(optimizer=real_tf.keras.optimizers.SGD(0.05), loss="mse")
    kw = dict(batch_size=8, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    h1 = ours.fit(x, y, sample_weight=sw, **kw).history
    h2 = theirs.fit(x, y, sample_weight=sw, **kw).history
    assert set(h1) == set(h2) == {"loss", "val_loss"}
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-5)


@pytest.mark.parity
def test_class_weight_matches_real_keras(real_tf):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 3)).astype("float32")
    y = rng.integers(0, 2, size=(30, 1)).astype("float32")
    ours, theirs = _pair(real_tf)
    ours.compile(optimizer=SGD(0.1), loss=mse)
    theirs.compile(optimizer=real_tf.keras.optimizers.SGD(0.1), loss="mse")
    kw = dict(batch_size=10, epochs=1, shuffle=False, verbose=0, class_weight={0: 1.0, 1: 3.0})
    np.testing.assert_allclose(
        ours.fit(x, y, **kw).history["loss"], theirs.fit(x, y, **kw).history["loss"], rtol=1e-5
    )


@pytest.mark.parity
@pytest.mark.parametrize(
    "units,labels",
    [(1, "binary"), (3, "sparse"), (3, "sparse_2d"), (3, "onehot")],
)
def test_accuracy_string_resolves_as_keras(real_tf, units, labels):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 3)).astype("float32")
    if labels == "binary":
        y = rng.integers(0, 2, size=(20, 1)).astype("float32")
    elif labels == "sparse":
        y = rng.integers(0, 3, size=(20,))
    elif labels == "sparse_2d":
        y = rng.integers(0, 3, size=(20, 1))
    else:
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=20)]

    def make(keras):
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])

    ours, theirs = _pair(real_tf, make)
    loss = mse if labels in ("binary", "onehot") else sparse_ce
    ours.compile(optimizer=SGD(), loss=loss, metrics=["accuracy"])
    real_loss = "mse" if labels in ("binary", "onehot") else "sparse_categorical_crossentropy"
    theirs.compile(optimizer="sgd", loss=real_loss, metrics=["accuracy"])
    got = ours.evaluate(x, y, verbose=0, return_dict=True)
    want = theirs.evaluate(x, y, verbose=0, return_dict=True)
    assert set(got) == set(want)
    np.testing.assert_allclose(got["accuracy"], want["accuracy"], rtol=1e-6)


@pytest.mark.parity
def test_multi_output_loss_weights_match_real_keras(real_tf):
    def make(keras):
        a = keras.Input((3,), name="a")
        h = keras.layers.Dense(4, activation="tanh")(a)
        return keras.Model(
            a, [keras.layers.Dense(1, name="o1")(h), keras.layers.Dense(2, name="o2")(h)]
        )

    x, y1 = _data(n=24)
    y2 = np.concatenate([y1, -y1], axis=1)
    ours, theirs = _pair(real_tf, make)
    ours.compile(optimizer=SGD(0.1), loss=[mse, mse], loss_weights=[1.0, 0.5])
    theirs.compile(
        optimizer=real_tf.keras.optimizers.SGD(0.1), loss=["mse", "mse"], loss_weights=[1.0, 0.5]
    )
    kw = dict(batch_size=8, epochs=1, shuffle=False, verbose=0)
    h1 = ours.fit(x, [y1, y2], **kw).history
    h2 = theirs.fit(x, [y1, y2], **kw).history
    assert list(h1) == list(h2) == ["loss", "o1_loss", "o2_loss"]
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-5)


@pytest.mark.parity
def test_metric_names_order_and_evaluate_list_match_real_keras(real_tf):
    x, y = _data(n=12)
    ours, theirs = _pair(real_tf)
    ours.compile(optimizer=SGD(), loss=mse, metrics=["mse", "accuracy", "mae"])
    theirs.compile(optimizer="sgd", loss="mse", metrics=["mse", "accuracy", "mae"])
    kw = dict(batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert list(ours.fit(x, y, **kw).history) == list(theirs.fit(x, y, **kw).history)
    np.testing.assert_allclose(
        ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5
    )


@pytest.mark.parity
def test_multi_output_dict_losses_and_metrics_match_real_keras(real_tf):
    def make(keras):
        a = keras.Input((3,), name="a")
        return keras.Model(
            a, [keras.layers.Dense(1, name="o1")(a), keras.layers.Dense(2, name="o2")(a)]
        )

    x, y1 = _data(n=16)
    y2 = np.concatenate([y1, 2 * y1], axis=1)
    ours, theirs = _pair(real_tf, make)
    metrics = {"o1": ["mae"], "o2": ["mse"]}
    ours.compile(optimizer=SGD(0.1), loss={"o1": mse, "o2": mse}, metrics=metrics)
    theirs.compile(
        optimizer=real_tf.keras.optimizers.SGD(0.1),
        loss={"o1": "mse", "o2": "mse"},
        metrics=metrics,
    )
    kw = dict(batch_size=8, epochs=1, shuffle=False, verbose=0)
    h1 = ours.fit(x, {"o1": y1, "o2": y2}, **kw).history
    h2 = theirs.fit(x, {"o1": y1, "o2": y2}, **kw).history
    assert list(h1) == list(h2)
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-5)
    with pytest.raises(ValueError, match="Invalid `metrics`"):
        ours.compile(optimizer=SGD(), loss=mse, metrics=["mae"])


# ------------------------------------------------------------------ behaviour
def _compiled(**kw):
    model = _mlp(K)
    model.compile(optimizer=SGD(0.05), loss=mse, **kw)
    return model


def test_predict_batches_and_concatenates():
    x, _ = _data(n=23)
    model = _compiled()
    out = model.predict(x, batch_size=5, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (23, 1)
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x[:3]), out[:3], rtol=1e-6)


def test_predict_multi_output_returns_list_of_arrays():
    a = K.Input((3,))
    model = K.Model(a, [K.layers.Dense(1)(a), K.layers.Dense(2)(a)])
    outs = model.predict(np.ones((7, 3)), batch_size=3, verbose=0)
    assert [o.shape for o in outs] == [(7, 1), (7, 2)]


def test_dict_inputs_keyed_by_input_names():
    a, b = K.Input((2,), name="left"), K.Input((1,), name="right")
    model = K.Model([a, b], K.layers.Dense(1)(K.layers.Concatenate()([a, b])))
    model.compile(optimizer=SGD(), loss=mse)
    data = {"left": np.ones((6, 2)), "right": np.ones((6, 1))}
    h = model.fit(data, np.zeros((6, 1)), batch_size=4, verbose=0)
    assert len(h.history["loss"]) == 1
    assert model.predict(data, verbose=0).shape == (6, 1)


def test_train_step_is_traced_unless_run_eagerly():
    calls = []

    class Count(K.layers.Layer):
        def call(self, x):
            calls.append(1)
            return x

    x, y = _data(n=32)
    for eager, expected in ((False, 1), (True, 4)):
        model = K.Sequential([K.Input((3,)), Count(), K.layers.Dense(1)])
        model.compile(optimizer=SGD(), loss=mse, run_eagerly=eager)
        calls.clear()  # building the Sequential ran call once on a symbolic input
        model.fit(x, y, batch_size=8, verbose=0, shuffle=False)
        assert len(calls) == expected
        if not eager:
            assert model._train_fn.experimental_get_tracing_count() == 1


def test_dataset_generator_and_pydataset_inputs():
    x, y = _data(n=30)
    model = _compiled()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(10)
    assert len(model.fit(ds, epochs=2, verbose=0).history["loss"]) == 2

    def gen():
        while True:
            for i in range(0, 30, 10):
                yield x[i : i + 10], y[i : i + 10]

    h = model.fit(gen(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2

    class Seq:
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return x[i * 10 : (i + 1) * 10], y[i * 10 : (i + 1) * 10]

    assert np.isfinite(model.evaluate(Seq(), verbose=0))
    assert model.predict(tf.data.Dataset.from_tensor_slices(x).batch(7), verbose=0).shape == (30, 1)


def test_validation_data_and_evaluate_forms():
    x, y = _data(n=20)
    model = _compiled(metrics=["mae"])
    h = model.fit(x, y, validation_data=(x, y), epochs=2, verbose=0)
    assert list(h.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert h.epoch == [0, 1] and model.history is h
    loss, mae = model.evaluate(x, y, verbose=0)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss, "mae": mae}
    assert [m.name for m in model.metrics] == ["loss", "mae"]
    model.reset_metrics()
    assert float(model.metrics[0].result()) == 0.0


def test_train_and_test_on_batch():
    x, y = _data(n=8)
    model = _compiled(metrics=["mae"])
    before = model.test_on_batch(x, y)
    model.train_on_batch(x, y)
    after = model.test_on_batch(x, y, return_dict=True)
    assert after["loss"] < before[0]


def test_stop_training_and_custom_callbacks():
    events = []

    class Stopper:
        def set_model(self, model):
            self.model = model

        def on_epoch_end(self, epoch, logs=None):
            events.append((epoch, sorted(logs)))
            self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            events.append(batch)

    x, y = _data(n=16)
    model = _compiled()
    h = model.fit(x, y, batch_size=8, epochs=5, callbacks=[Stopper()], verbose=0)
    assert h.epoch == [0]
    assert events == [0, 1, (0, ["loss"])]


def test_verbose_output_lines(capsys):
    x, y = _data(n=16)
    model = _compiled()
    model.fit(x, y, batch_size=8, epochs=2, verbose=2)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.match(r"^2/2 - \d+s - \d+(\.\d+)?[mu]?s/step - loss: \d\.\d{4}$", lines[1])
    model.fit(x, y, batch_size=8, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch" not in out and "2/2" in out and "loss:" in out
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------------ errors
def test_unknown_identifiers_raise_value_error():
    model = _mlp(K)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: foo"):
        model.compile(optimizer="foo", loss=mse)
    with pytest.raises(ValueError, match="Could not interpret metric identifier: foo"):
        model.compile(optimizer=SGD(), loss=mse, metrics=["foo"])
    with pytest.raises(ValueError, match="Could not interpret loss identifier: foo"):
        model.compile(optimizer=SGD(), loss="foo")


def test_fit_errors():
    x, y = _data(n=10)
    model = _mlp(K)
    with pytest.raises(ValueError, match="compile"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer=SGD(), loss=mse)
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.fit(x, y[:7], verbose=0)
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        model.fit(np.zeros((10, 4), "float32"), y, verbose=0)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(2), y, verbose=0)


# ------------------------------------------------------------------ with the keras families
@pytest.mark.parity
@pytest.mark.parametrize(
    "optimizer,loss,metrics",
    [
        ("adam", "mse", ["mae"]),
        ("sgd", "binary_crossentropy", ["accuracy"]),
        ("rmsprop", "sparse_categorical_crossentropy", ["accuracy"]),
    ],
)
def test_string_identifiers_train_as_real_keras(real_tf, optimizer, loss, metrics):
    pytest.importorskip("ndflow._src.keras.optimizers", reason="needs the optimizers family")
    pytest.importorskip("ndflow._src.keras.losses", reason="needs the losses family")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 3)).astype("float32")
    units, act = 1, None
    if loss == "mse":
        y = rng.normal(size=(40, 1)).astype("float32")
    elif loss == "binary_crossentropy":
        y, act = rng.integers(0, 2, size=(40, 1)).astype("float32"), "sigmoid"
    else:
        y, units, act = rng.integers(0, 3, size=(40,)), 3, "softmax"

    def make(keras):
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, activation=act)])

    ours, theirs = _pair(real_tf, make)
    ours.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    theirs.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    kw = dict(batch_size=8, epochs=2, shuffle=False, verbose=0, validation_split=0.2)
    h1, h2 = ours.fit(x, y, **kw).history, theirs.fit(x, y, **kw).history
    assert list(h1) == list(h2)
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-4
    )


@pytest.mark.parity
def test_custom_train_step_as_in_the_keras_guide_matches_real_keras(real_tf):
    def make(keras, backend_tf, sgd):
        class CustomModel(keras.Model):
            def train_step(self, data):
                x, y = data
                with backend_tf.GradientTape() as tape:
                    y_pred = self(x, training=True)
                    loss = self.compute_loss(y=y, y_pred=y_pred)
                trainable_vars = self.trainable_variables
                gradients = tape.gradient(loss, trainable_vars)
                self.optimizer.apply_gradients(zip(gradients, trainable_vars))
                for metric in self.metrics:
                    if metric.name == "loss":
                        metric.update_state(loss)
                    else:
                        metric.update_state(y, y_pred)
                return {m.name: m.result() for m in self.metrics}

        inputs = keras.Input(shape=(3,))
        model = CustomModel(inputs, keras.layers.Dense(1)(inputs))
        return model

    ours = make(K, tf, SGD)
    theirs = make(real_tf.keras, real_tf, None)
    theirs.set_weights(ours.get_weights())
    ours.compile(optimizer=SGD(0.1), loss=mse, metrics=["mae"])
    theirs.compile(optimizer=real_tf.keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    x, y = _data(n=20)
    kw = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)
    h1, h2 = ours.fit(x, y, **kw).history, theirs.fit(x, y, **kw).history
    assert set(h1) == set(h2)  # (Keras orders this case by its nested compile_metrics)
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-5)


def test_custom_step_returning_other_logs_is_reported_as_is():
    class Odd(K.Model):
        def test_step(self, data):
            return {"custom": tf.constant(7.0)}

    a = K.Input((3,))
    model = Odd(a, K.layers.Dense(1)(a))
    model.compile(optimizer=SGD(), loss=mse)
    x, y = _data(n=4)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"custom": 7.0}


def test_subclass_with_own_metrics_property():
    class Tracked(K.Model):
        def __init__(self):
            super().__init__()
            self.dense = K.layers.Dense(1)
            self.tracker = compile_utils.MeanTracker("my_loss")

        def call(self, x):
            return self.dense(x)

        @property
        def metrics(self):
            return [self.tracker]

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(self(x) - y))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.tracker.update_state(loss)
            return {"my_loss": self.tracker.result()}

    model = Tracked()
    model.compile(optimizer=SGD(0.1))
    x, y = _data(n=16)
    h = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert list(h.history) == ["my_loss"]
    assert h.history["my_loss"][-1] < h.history["my_loss"][0]


@pytest.mark.parity
def test_dict_outputs_are_named_by_their_keys_as_in_keras(real_tf):
    def make(keras):
        a = keras.Input((3,))
        return keras.Model(a, {"reg": keras.layers.Dense(1)(a), "aux": keras.layers.Dense(2)(a)})

    x, y1 = _data(n=16)
    y = {"reg": y1, "aux": np.concatenate([y1, y1], axis=1)}
    ours, theirs = _pair(real_tf, make)
    ours.compile(optimizer=SGD(0.1), loss={"reg": mse, "aux": mse}, metrics={"reg": ["mae"]})
    theirs.compile(
        optimizer=real_tf.keras.optimizers.SGD(0.1),
        loss={"reg": "mse", "aux": "mse"},
        metrics={"reg": ["mae"]},
    )
    kw = dict(batch_size=8, epochs=1, shuffle=False, verbose=0)
    h1, h2 = ours.fit(x, y, **kw).history, theirs.fit(x, y, **kw).history
    assert list(h1) == list(h2)
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-5)
