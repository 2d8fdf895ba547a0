"""Training parity with real Keras for the seeds' models.

Each test builds the same model in ndflow and in real tf.keras, copies the initial weights
from TensorFlow into ndflow with `set_weights`, feeds the same small synthetic data in the
same order (shuffle=False) and compares what a user sees: the History keys and values
after one epoch (loss to 1e-4 relative), `evaluate` (list and dict), `metrics_names` and
`predict`. The models are the ones the seeds write (Sequential MLP with `input_shape=`
and Dropout, Sequential with an adapted Normalization, subclassed `MyModel`s, the
functional CNN and regression models, the two-input model fed by a dict, the Lambda+Dense
quadratic model, custom training loops with Keras metrics, the custom `MeanPred` metric
and a custom loss function)."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf

K = tf.keras
RTOL = 1e-4

pytestmark = pytest.mark.parity


# ------------------------------------------------------------------ helpers
def _pair(real_tf, make, build_x=None):
    """The model made by `make(keras, tf_module)` in both libraries, TF's weights in ours."""
    ours, theirs = make(K, tf), make(real_tf.keras, real_tf)
    if build_x is not None:  # subclassed models get their weights on the first call
        ours(build_x[:2])
        theirs(build_x[:2])
    weights = theirs.get_weights()
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    ours.set_weights(weights)
    return ours, theirs


def _same_history(h1, h2, rtol=RTOL, atol=1e-6):
    h1, h2 = h1.history, h2.history
    assert list(h1) == list(h2)
    for key in h1:
        assert len(h1[key]) == len(h2[key]), key
        np.testing.assert_allclose(h1[key], h2[key], rtol=rtol, atol=atol, err_msg=key)


def _same_evaluate(ours, theirs, x, y, rtol=RTOL, **kw):
    got = ours.evaluate(x, y, verbose=0, **kw)
    want = theirs.evaluate(x, y, verbose=0, **kw)
    assert isinstance(got, type(want)) or np.isscalar(got) == np.isscalar(want)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-6)
    got_d = ours.evaluate(x, y, verbose=0, return_dict=True, **kw)
    want_d = theirs.evaluate(x, y, verbose=0, return_dict=True, **kw)
    assert list(got_d) == list(want_d)
    for key in got_d:
        np.testing.assert_allclose(got_d[key], want_d[key], rtol=rtol, atol=1e-6, err_msg=key)
    assert ours.metrics_names == theirs.metrics_names


def _same_predict(ours, theirs, x, rtol=RTOL, **kw):
    got = ours.predict(x, verbose=0, **kw)
    want = theirs.predict(x, verbose=0, **kw)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-5)


def _fit_both(ours, theirs, x, y, **kw):
    kw = dict(dict(epochs=1, shuffle=False, verbose=0), **kw)
    return ours.fit(x, y, **kw), theirs.fit(x, y, **kw)


def _mnist(n=128, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28)).astype("float32")
    y = rng.integers(0, 10, size=(n,)).astype("uint8")
    return x, y


# ------------------------------------------------------------------ Sequential MLP
def _mnist_mlp(rate):
    def make(keras, _tf):
        return keras.Sequential(
            [
                keras.layers.Flatten(input_shape=(28, 28)),
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dropout(rate),
                keras.layers.Dense(10),
            ]
        )

    return make


@pytest.mark.parametrize("opt", ["adam", "sgd", "rmsprop"])
def test_mnist_mlp_one_epoch_matches(real_tf, opt):
    # Dropout draws different masks in the two libraries: rate 0 removes the randomness
    # from training (the layer stays in the model, its weights and names unchanged).
    x, y = _mnist()
    ours, theirs = _pair(real_tf, _mnist_mlp(0.0))
    optimizers = {
        "adam": lambda k: k.optimizers.Adam(learning_rate=1e-3),
        "sgd": lambda k: k.optimizers.SGD(learning_rate=0.1, momentum=0.9),
        "rmsprop": lambda k: k.optimizers.RMSprop(learning_rate=1e-3),
    }
    for model, keras in ((ours, K), (theirs, real_tf.keras)):
        model.compile(
            optimizer=optimizers[opt](keras),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    h1, h2 = _fit_both(ours, theirs, x, y, batch_size=32)
    assert list(h1.history) == ["accuracy", "loss"]
    _same_history(h1, h2)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    _same_evaluate(ours, theirs, x, y)
    _same_predict(ours, theirs, x)


def test_mnist_mlp_with_dropout_evaluates_and_predicts_the_same(real_tf):
    # With a real dropout rate, training is random in both libraries, so only the
    # deterministic paths (evaluate, predict: dropout off) are compared, before and after
    # one epoch of training in ndflow from TF's trained weights.
    x, y = _mnist(n=96)
    ours, theirs = _pair(real_tf, _mnist_mlp(0.2))
    for model, keras in ((ours, K), (theirs, real_tf.keras)):
        model.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    _same_evaluate(ours, theirs, x, y)
    _same_predict(ours, theirs, x, batch_size=40)
    h1, h2 = _fit_both(ours, theirs, x, y, batch_size=32)
    assert list(h1.history) == list(h2.history)
    ours.set_weights(theirs.get_weights())
    _same_evaluate(ours, theirs, x, y)


# ------------------------------------------------------------------ Normalization
def test_sequential_with_adapted_normalization_matches(real_tf):
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(160, 4)) * [1.0, 10.0, 0.1, 5.0] + [0.0, 50.0, -3.0, 1.0]).astype(
        "float32"
    )
    y = (x @ np.array([[0.5], [0.02], [-3.0], [0.1]])).astype("float32")

    def make(keras, _tf):
        data_normalizer = keras.layers.Normalization(axis=-1)
        data_normalizer.adapt(x)
        return keras.Sequential(
            [
                data_normalizer,
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dense(1, activation=None),
            ]
        )

    ours, theirs = _pair(real_tf, make, build_x=x)
    np.testing.assert_allclose(ours.layers[0].mean, theirs.layers[0].mean, rtol=1e-5)
    np.testing.assert_allclose(ours.layers[0].variance, theirs.layers[0].variance, rtol=1e-5)
    ours.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    theirs.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    _same_history(*_fit_both(ours, theirs, x, y, batch_size=32))
    _same_evaluate(ours, theirs, x, y)
    _same_predict(ours, theirs, x)


# ------------------------------------------------------------------ subclassed
def _dense_mymodel(keras, _tf):
    class MyModel(keras.Model):
        def __init__(self):
            super(MyModel, self).__init__()  # noqa: UP008 (as the seeds write it)
            self.dense1 = keras.layers.Dense(64, activation="relu")
            self.dense2 = keras.layers.Dense(32, activation="relu")
            self.dense3 = keras.layers.Dense(1)

        def call(self, inputs, training=False):
            x = self.dense1(inputs)
            x = self.dense2(x)
            return self.dense3(x)

    return MyModel()


def _conv_mymodel(keras, _tf):
    class MyModel(keras.Model):
        def __init__(self):
            super(MyModel, self).__init__()  # noqa: UP008 (as the seeds write it)
            self.conv1 = keras.layers.Conv2D(8, 3, activation="relu")
            self.flatten = keras.layers.Flatten()
            self.d1 = keras.layers.Dense(32, activation="relu")
            self.d2 = keras.layers.Dense(10)

        def call(self, x):
            x = self.conv1(x)
            x = self.flatten(x)
            x = self.d1(x)
            return self.d2(x)

    return MyModel()


def test_subclassed_dense_mymodel_matches(real_tf):
    rng = np.random.default_rng(2)
    x, y = rng.random((96, 10)), rng.random((96, 1))  # float64 as the seed's np.random
    ours, theirs = _pair(real_tf, _dense_mymodel, build_x=x.astype("float32"))
    ours.compile(loss=tf.losses.mean_squared_error, optimizer=tf.optimizers.SGD(0.01))
    # (real TF 2.21's tf.losses has no snake_case `mean_squared_error`; MSE is the same)
    theirs.compile(loss=real_tf.losses.MSE, optimizer=real_tf.optimizers.SGD(0.01))
    h1, h2 = _fit_both(ours, theirs, x, y, batch_size=32)
    assert list(h1.history) == ["loss"]
    _same_history(h1, h2)
    _same_evaluate(ours, theirs, x, y)
    _same_predict(ours, theirs, x)


def test_subclassed_conv_mymodel_matches(real_tf):
    rng = np.random.default_rng(3)
    x = rng.random((64, 10, 10, 1)).astype("float32")
    y = rng.integers(0, 10, size=(64,))
    ours, theirs = _pair(real_tf, _conv_mymodel, build_x=x)
    for model, keras in ((ours, K), (theirs, real_tf.keras)):
        model.compile(
            optimizer=keras.optimizers.Adam(),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    _same_history(*_fit_both(ours, theirs, x, y, batch_size=16))
    _same_evaluate(ours, theirs, x, y)
    _same_predict(ours, theirs, x)


# ------------------------------------------------------------------ functional
def _seed_cnn(keras, _tf):
    layers = keras.layers
    inputs = layers.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D((2, 2))(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D((2, 2))(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    return keras.models.Model(inputs, outputs)


def test_functional_cnn_matches(real_tf):
    x, y = _mnist(n=32, seed=4)
    x = x[..., None]
    ours, theirs = _pair(real_tf, _seed_cnn)
    for model, keras in ((ours, K), (theirs, real_tf.keras)):
        model.compile(
            optimizer=keras.optimizers.Adam(),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    _same_history(*_fit_both(ours, theirs, x, y, batch_size=16))
    _same_evaluate(ours, theirs, x, y)
    _same_predict(ours, theirs, x)


def _custom_loop(keras, tf_mod, model, x, y, x_test, y_test, epochs=2):
    """The seeds' custom training loop: Keras metrics, tf.function steps, reset per epoch."""
    loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam()
    train_loss = keras.metrics.Mean(name="train_loss")
    train_accuracy = keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")
    test_loss = keras.metrics.Mean(name="test_loss")
    test_accuracy = keras.metrics.SparseCategoricalAccuracy(name="test_accuracy")

    @tf_mod.function
    def train_step(images, labels):
        with tf_mod.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        train_loss(loss)
        train_accuracy(labels, predictions)

    @tf_mod.function
    def test_step(images, labels):
        predictions = model(images, training=False)
        t_loss = loss_object(labels, predictions)
        test_loss(t_loss)
        test_accuracy(labels, predictions)

    train_ds = tf_mod.data.Dataset.from_tensor_slices((x, y)).batch(16)
    test_ds = tf_mod.data.Dataset.from_tensor_slices((x_test, y_test)).batch(16)
    results = []
    for _ in range(epochs):
        for m in (train_loss, train_accuracy, test_loss, test_accuracy):
            m.reset_state()
        for images, labels in train_ds:
            train_step(images, labels)
        for test_images, test_labels in test_ds:
            test_step(test_images, test_labels)
        results.append(
            [float(m.result()) for m in (train_loss, train_accuracy, test_loss, test_accuracy)]
        )
    return results


def test_custom_training_loop_with_keras_metrics_matches(real_tf):
    rng = np.random.default_rng(5)
    x = rng.random((64, 12)).astype("float32")
    y = rng.integers(0, 10, size=(64,)).astype("int64")

    def make(keras, _tf):
        return keras.Sequential(
            [keras.Input((12,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)]
        )

    ours, theirs = _pair(real_tf, make)
    got = _custom_loop(K, tf, ours, x[:48], y[:48], x[48:], y[48:])
    want = _custom_loop(real_tf.keras, real_tf, theirs, x[:48], y[:48], x[48:], y[48:])
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_functional_regression_matches(real_tf):
    rng = np.random.default_rng(6)
    x = np.linspace(0, 100, 200)
    y = 3 * x + 7 + rng.normal(size=x.shape) * 10
    x, y = x.reshape(-1, 1), y.reshape(-1, 1)

    def make(keras, _tf):
        inputs = keras.Input(shape=(1,))
        x_layer = keras.layers.Dense(16, activation="relu")(inputs)
        outputs = keras.layers.Dense(1)(x_layer)
        return keras.Model(inputs, outputs)

    ours, theirs = _pair(real_tf, make)
    ours.compile(optimizer="adam", loss="mse", metrics=["mae"])
    theirs.compile(optimizer="adam", loss="mse", metrics=["mae"])
    h1, h2 = _fit_both(ours, theirs, x, y, epochs=2)  # default batch_size 32: 7 batches
    assert list(h1.history) == ["loss", "mae"]
    _same_history(h1, h2)
    _same_evaluate(ours, theirs, x, y)
    _same_predict(ours, theirs, x)


def _two_input(keras, _tf):
    input_1 = keras.Input(shape=(10,), name="wide_input")
    input_2 = keras.Input(shape=(5,), name="deep_input")
    x1 = keras.layers.Dense(16, activation="relu")(input_1)
    x2 = keras.layers.Dense(32, activation="relu")(input_2)
    x2 = keras.layers.Dense(16, activation="relu")(x2)
    concat = keras.layers.concatenate([x1, x2])
    output = keras.layers.Dense(1, activation="sigmoid")(concat)
    return keras.Model(inputs=[input_1, input_2], outputs=output)


def _two_input_data(n=100, seed=7):
    rng = np.random.default_rng(seed)
    x = {"wide_input": rng.random((n, 10)), "deep_input": rng.random((n, 5))}
    return x, rng.integers(2, size=(n, 1))


def test_two_input_model_fed_by_dict_matches(real_tf):
    x, y = _two_input_data()
    ours, theirs = _pair(real_tf, _two_input)
    ours.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    theirs.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    h1, h2 = _fit_both(ours, theirs, x, y, epochs=2)
    assert list(h1.history) == ["accuracy", "loss"]
    _same_history(h1, h2)
    _same_evaluate(ours, theirs, x, y)
    _same_predict(ours, theirs, x)
    # a list in input order is the same data
    xl = [x["wide_input"], x["deep_input"]]
    _same_predict(ours, theirs, xl)


def test_lambda_dense_quadratic_model_matches(real_tf):
    rng = np.random.default_rng(8)
    xs = np.linspace(-3, 3, 201).astype("float32")
    ys = (xs**2 + 2 * xs - 8 + rng.normal(size=201)).astype("float32")

    def make(keras, tf_mod):
        return keras.Sequential(
            [
                keras.layers.Lambda(lambda x: tf_mod.stack([x, x**2], axis=1)),
                keras.layers.Dense(units=1, kernel_initializer=tf_mod.random.normal),
            ]
        )

    ours, theirs = _pair(real_tf, make, build_x=xs)
    ours.compile(loss=K.losses.MSE, optimizer=K.optimizers.SGD(learning_rate=0.01))
    theirs.compile(
        loss=real_tf.keras.losses.MSE, optimizer=real_tf.keras.optimizers.SGD(learning_rate=0.01)
    )
    xq, yq = tf.constant(xs), tf.constant(ys)
    h1 = ours.fit(xq, yq, epochs=3, batch_size=32, shuffle=False, verbose=0)
    h2 = theirs.fit(
        real_tf.constant(xs), real_tf.constant(ys), epochs=3, batch_size=32, shuffle=False,
        verbose=0,
    )  # fmt: skip
    _same_history(h1, h2)
    _same_evaluate(ours, theirs, xs, ys)
    _same_predict(ours, theirs, xs)


# ------------------------------------------------------------------ custom loss/metric
def _mean_pred(keras, tf_mod):
    class MeanPred(keras.metrics.Metric):
        def __init__(self, name="mean_pred", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_weight(name="total", initializer="zeros")
            self.count = self.add_weight(name="count", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(tf_mod.reduce_sum(y_pred))
            self.count.assign_add(tf_mod.cast(tf_mod.size(y_pred), tf_mod.float32))

        def result(self):
            return self.total / self.count

    return MeanPred()


def test_custom_loss_function_and_custom_metric_match(real_tf):
    rng = np.random.default_rng(9)
    x = rng.normal(size=(100, 1)).astype("float32")
    y = 3 * x + rng.normal(size=(100, 1)).astype("float32")

    def make(keras, _tf):
        return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])

    def custom_mse_for(tf_mod):
        def custom_mse(y_true, y_pred):
            return tf_mod.reduce_mean(tf_mod.square(y_true - y_pred))

        return custom_mse

    ours, theirs = _pair(real_tf, make)
    ours.compile(optimizer="sgd", loss=custom_mse_for(tf), metrics=[_mean_pred(K, tf), "mae"])
    theirs.compile(
        optimizer="sgd",
        loss=custom_mse_for(real_tf),
        metrics=[_mean_pred(real_tf.keras, real_tf), "mae"],
    )
    h1, h2 = _fit_both(ours, theirs, x, y, batch_size=16, validation_split=0.2)
    assert list(h1.history) == ["loss", "mae", "mean_pred", "val_loss", "val_mae", "val_mean_pred"]
    _same_history(h1, h2)
    _same_evaluate(ours, theirs, x, y)


# ------------------------------------------------------------------ fit options
@pytest.mark.parametrize(
    "loss,units,act,labels,opt",
    [
        ("sparse_categorical_crossentropy", 3, "softmax", "sparse", "adam"),
        ("categorical_crossentropy", 3, "softmax", "onehot", "rmsprop"),
        ("binary_crossentropy", 1, "sigmoid", "binary", "sgd"),
        ("binary_crossentropy", 1, "sigmoid", "binary", "adam"),
        ("mse", 1, None, "real", "rmsprop"),
    ],
)
def test_validation_keys_and_values_match(real_tf, loss, units, act, labels, opt):
    rng = np.random.default_rng(10)
    x = rng.normal(size=(80, 4)).astype("float32")
    y = {
        "sparse": rng.integers(0, 3, size=(80,)),
        "onehot": np.eye(3, dtype="float32")[rng.integers(0, 3, size=80)],
        "binary": rng.integers(0, 2, size=(80, 1)).astype("float32"),
        "real": rng.normal(size=(80, 1)).astype("float32"),
    }[labels]

    def make(keras, _tf):
        return keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(8, "tanh"), keras.layers.Dense(units, act)]
        )

    metrics = ["accuracy"] if labels != "real" else ["mae", "mse"]
    ours, theirs = _pair(real_tf, make)
    ours.compile(optimizer=opt, loss=loss, metrics=metrics)
    theirs.compile(optimizer=opt, loss=loss, metrics=metrics)
    xv, yv = x[60:], y[60:]
    h1, h2 = _fit_both(ours, theirs, x[:60], y[:60], batch_size=16, validation_data=(xv, yv))
    assert set(h1.history) == {"loss", *metrics, "val_loss", *("val_" + m for m in metrics)}
    _same_history(h1, h2)
    h1, h2 = _fit_both(ours, theirs, x, y, batch_size=16, epochs=2, validation_split=0.25)
    _same_history(h1, h2)
    _same_evaluate(ours, theirs, x, y)


def test_sample_weight_and_class_weight_match(real_tf):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(60, 4)).astype("float32")
    y = rng.integers(0, 3, size=(60,))
    sw = rng.uniform(0.2, 2.0, size=(60,)).astype("float32")

    def make(keras, _tf):
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])

    for kw in (
        dict(sample_weight=sw),
        dict(class_weight={0: 0.5, 1: 2.0, 2: 1.0}),
        dict(sample_weight=sw, validation_split=0.2),
    ):
        ours, theirs = _pair(real_tf, make)
        for model, keras in ((ours, K), (theirs, real_tf.keras)):
            model.compile(
                optimizer=keras.optimizers.RMSprop(0.01),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"],
            )
        _same_history(*_fit_both(ours, theirs, x, y, batch_size=16, **kw))
    got = ours.evaluate(x, y, sample_weight=sw, verbose=0)
    want = theirs.evaluate(x, y, sample_weight=sw, verbose=0)
    np.testing.assert_allclose(got, want, rtol=RTOL)


def test_metrics_names_before_and_after_training(real_tf):
    x, y = _mnist(n=32)
    ours, theirs = _pair(real_tf, _mnist_mlp(0.0))
    assert ours.metrics_names == theirs.metrics_names
    for model in (ours, theirs):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["acc"])
    assert ours.metrics_names == theirs.metrics_names
    _fit_both(ours, theirs, x, y, batch_size=16)
    assert ours.metrics_names == theirs.metrics_names


# ------------------------------------------------------------------ weight order
def _residual(keras, _tf):
    a = keras.Input((4,), name="a")
    h = keras.layers.Dense(4, name="h")(a)
    r = keras.layers.Dense(4, name="r")(keras.layers.Dense(4, name="r0")(h))
    s = keras.layers.Add(name="add")([h, r])
    return keras.Model(
        a, [keras.layers.Dense(1, name="o1")(s), keras.layers.Dense(2, name="o2")(h)]
    )


def _shared(keras, _tf):
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    shared = keras.layers.Dense(5, name="shared")
    pre = keras.layers.Dense(3, name="pre")(b)
    c = keras.layers.concatenate([shared(a), shared(pre)], name="cat")
    return keras.Model({"a": a, "b": b}, keras.layers.Dense(1, name="out")(c))


@pytest.mark.parametrize("make", [_two_input, _residual, _shared, _seed_cnn])
def test_layer_and_weight_order_match(real_tf, make):
    # get_weights/set_weights between the libraries rely on Keras' layer order: deepest
    # first, ties in the order a depth-first walk from the outputs meets them.
    ours, theirs = make(K, tf), make(real_tf.keras, real_tf)
    strip = lambda name: name.rstrip("0123456789_")  # noqa: E731 (auto names' counters)
    assert [strip(layer.name) for layer in ours.layers] == [
        strip(layer.name) for layer in theirs.layers
    ]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]


# ------------------------------------------------------------------ metric forms
@pytest.mark.parametrize(
    "metrics,weighted",
    [
        (["sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy"], None),
        (["acc"], ["accuracy"]),
        (
            lambda k: [
                k.metrics.SparseCategoricalAccuracy(name="acc"),
                k.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2"),
            ],
            None,
        ),
        (None, lambda k: [k.metrics.SparseCategoricalCrossentropy(from_logits=True)]),
    ],
)
def test_metric_forms_and_weighted_metrics_match(real_tf, metrics, weighted):
    rng = np.random.default_rng(12)
    x = rng.normal(size=(48, 4)).astype("float32")
    y = rng.integers(0, 5, size=(48, 1))
    sw = rng.uniform(0.5, 1.5, size=(48,)).astype("float32")

    def make(keras, _tf):
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(5)])

    ours, theirs = _pair(real_tf, make)
    for model, keras in ((ours, K), (theirs, real_tf.keras)):
        model.compile(
            optimizer=keras.optimizers.Adam(0.01),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=metrics(keras) if callable(metrics) else metrics,
            weighted_metrics=weighted(keras) if callable(weighted) else weighted,
        )
    _same_history(
        *_fit_both(ours, theirs, x, y, batch_size=16, sample_weight=sw, validation_split=0.25)
    )
    _same_evaluate(ours, theirs, x, y, sample_weight=sw)
    _same_evaluate(ours, theirs, x, y, batch_size=7)


@pytest.mark.parametrize(
    "metrics,weighted",
    [
        (["acc"], ["accuracy"]),  # different names: no "weighted_" prefix
        (["accuracy"], ["accuracy"]),
        (None, ["accuracy", "mse"]),
        (["mae", "mae", "mse"], ["mae", "mae"]),  # repeats numbered as Keras does
    ],
)
def test_weighted_and_repeated_metric_names_match(real_tf, metrics, weighted):
    rng = np.random.default_rng(13)
    x = rng.normal(size=(24, 4)).astype("float32")
    y = rng.integers(0, 2, size=(24, 1)).astype("float32")

    def make(keras, _tf):
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])

    ours, theirs = _pair(real_tf, make)
    for model in (ours, theirs):
        model.compile("sgd", "binary_crossentropy", metrics=metrics, weighted_metrics=weighted)
    _same_history(*_fit_both(ours, theirs, x, y, batch_size=8, validation_data=(x, y)))
    _same_evaluate(ours, theirs, x, y)


def test_custom_step_logs_are_sorted_as_in_keras(real_tf):
    def make(keras, tf_mod):
        class Logs(keras.Model):
            def train_step(self, data):
                return {"z": tf_mod.constant(1.0), "a": tf_mod.constant(2.0)}

            def test_step(self, data):
                return {"y": tf_mod.constant(3.0), "b": tf_mod.constant(4.0)}

        a = keras.Input((3,))
        return Logs(a, keras.layers.Dense(1)(a))

    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    ours, theirs = _pair(real_tf, make)
    ours.compile("sgd", "mse")
    theirs.compile("sgd", "mse")
    h1, h2 = _fit_both(ours, theirs, x, y, validation_data=(x, y))
    assert list(h1.history) == list(h2.history) == ["a", "val_b", "val_y", "z"]
    got = ours.evaluate(x, y, verbose=0, return_dict=True)
    assert got == theirs.evaluate(x, y, verbose=0, return_dict=True) == {"b": 4.0, "y": 3.0}


def test_multi_output_history_and_evaluate_list_match(real_tf):
    rng = np.random.default_rng(14)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = [rng.normal(size=(32, 1)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")]
    ours, theirs = _pair(real_tf, _residual)
    for model in (ours, theirs):
        model.compile(
            optimizer="rmsprop",
            loss=["mse", "mae"],
            loss_weights=[1.0, 0.3],
            metrics={"o1": ["mae"], "o2": ["mse", "mae"]},
        )
    _same_history(*_fit_both(ours, theirs, x, y, batch_size=8, validation_split=0.25))
    _same_evaluate(ours, theirs, x, y)
    got, want = ours.predict(x, verbose=0), theirs.predict(x, verbose=0)
    assert len(got) == len(want) == 2
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-5)


def _tracker_model(keras, tf_mod):
    class CustomModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            with tf_mod.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = tf_mod.reduce_mean(tf_mod.square(y - y_pred))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    return CustomModel()


def _plain_with_tracker(keras, _tf):
    class Plain(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.tracker = keras.metrics.Mean(name="my")

        def call(self, x):
            return self.dense(x)

    return Plain()


def test_metrics_set_as_model_attributes_are_reset_and_logged_as_in_keras(real_tf):
    # Keras 3 counts Metric attributes in `model.metrics` (no `metrics` property needed):
    # fit resets them every epoch and logs them.
    x = np.linspace(0, 1, 32, dtype="float32").reshape(-1, 1)
    y = 2 * x
    for make, loss in ((_tracker_model, None), (_plain_with_tracker, "mse")):
        ours, theirs = _pair(real_tf, make, build_x=x)
        ours.compile(optimizer=K.optimizers.SGD(0.05), loss=loss)
        theirs.compile(optimizer=real_tf.keras.optimizers.SGD(0.05), loss=loss)
        _same_history(*_fit_both(ours, theirs, x, y, epochs=3, batch_size=8))
        assert ours.metrics_names == theirs.metrics_names
        if loss is not None:
            _same_evaluate(ours, theirs, x, y)


def test_unbuilt_sequential_fed_by_a_dataset_matches(real_tf):
    # The seeds' Sequential without an input shape, trained from a batched tf.data
    # pipeline (no .shuffle: the same order in both libraries), with 'accuracy' on mse.
    rng = np.random.default_rng(15)
    x = rng.random((70, 10)).astype("float32")
    y = rng.random((70, 1)).astype("float32")

    def make(keras, _tf):
        return keras.Sequential(
            [
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dense(1),
            ]
        )

    ours, theirs = _pair(real_tf, make, build_x=x)
    ours.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    theirs.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    ds1 = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    ds2 = real_tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    h1 = ours.fit(ds1, epochs=2, verbose=0, validation_data=ds1)
    h2 = theirs.fit(ds2, epochs=2, verbose=0, validation_data=ds2)
    _same_history(h1, h2)
    np.testing.assert_allclose(
        ours.evaluate(ds1, verbose=0), theirs.evaluate(ds2, verbose=0), rtol=RTOL
    )
    np.testing.assert_allclose(
        ours.predict(ds1, verbose=0), theirs.predict(ds2, verbose=0), rtol=RTOL, atol=1e-5
    )


@pytest.mark.parametrize(
    "case",
    ["class_weight_one_hot", "val_sample_weight", "validation_freq", "confusion_metrics"],
)
def test_more_fit_options_match(real_tf, case):
    rng = np.random.default_rng(16)
    x = rng.normal(size=(40, 4)).astype("float32")
    one_hot = np.eye(3, dtype="float32")[rng.integers(0, 3, 40)]
    binary = rng.integers(0, 2, (40, 1)).astype("float32")
    sw = rng.uniform(0.5, 2.0, 40).astype("float32")
    units, act, loss, y, metrics, kw = 1, "sigmoid", "binary_crossentropy", binary, ["acc"], {}
    if case == "class_weight_one_hot":
        units, act, loss, y = 3, "softmax", "categorical_crossentropy", one_hot
        kw = dict(class_weight={0: 1.0, 1: 2.0, 2: 0.5})
    elif case == "val_sample_weight":
        kw = dict(validation_data=(x, binary, sw))
    elif case == "validation_freq":
        kw = dict(validation_data=(x, binary), validation_freq=2, epochs=3)
    else:
        metrics = ["accuracy", "AUC", "Precision", "Recall"]
        kw = dict(validation_split=0.2)

    def make(keras, _tf):
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, act)])

    ours, theirs = _pair(real_tf, make)
    ours.compile("adam", loss, metrics=metrics)
    theirs.compile("adam", loss, metrics=metrics)
    _same_history(*_fit_both(ours, theirs, x, y, **dict(dict(batch_size=8, epochs=2), **kw)))


def test_tuner_seed_model_with_early_stopping_matches(real_tf):
    # The keras-tuner seed's model, trained with its EarlyStopping(monitor='val_loss',
    # patience=...) callback: both libraries stop after the same epoch.
    x, y = _mnist(n=120, seed=17)

    def make(keras, _tf):
        model = keras.Sequential()
        model.add(keras.layers.Flatten(input_shape=(28, 28)))
        model.add(keras.layers.Dense(units=32, activation="relu"))
        model.add(keras.layers.Dense(10))
        return model

    ours, theirs = _pair(real_tf, make)
    for model, keras in ((ours, K), (theirs, real_tf.keras)):
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=1e-2),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    h1 = ours.fit(
        x, y, epochs=12, validation_split=0.2, shuffle=False, verbose=0,
        callbacks=[K.callbacks.EarlyStopping(monitor="val_loss", patience=1)],
    )  # fmt: skip
    h2 = theirs.fit(
        x, y, epochs=12, validation_split=0.2, shuffle=False, verbose=0,
        callbacks=[real_tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)],
    )  # fmt: skip
    assert h1.epoch == h2.epoch and len(h1.epoch) < 12
    _same_history(h1, h2, rtol=1e-3)
