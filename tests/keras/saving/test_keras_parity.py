"""Files move between ndflow and real Keras 3 in both directions."""

from __future__ import annotations

import io
import warnings
import zipfile

import numpy as np
import pytest

import ndflow as tf

h5py = pytest.importorskip("h5py")

pytestmark = pytest.mark.parity

RNG = np.random.RandomState(1)
X_IMG = RNG.rand(3, 8, 8, 2).astype("float32")
X_IDS = RNG.randint(0, 10, size=(3, 5)).astype("int32")


def _build(k):
    """The same functional model in either library `k` (ndflow or real Keras): arithmetic
    on KerasTensors, every weight-bearing layer kind, a nested Sequential, two inputs and
    two outputs."""
    L = k.layers
    img = k.Input((8, 8, 2), name="img")
    ids = k.Input((5,), dtype="int32", name="ids")
    x = img / 255.0
    x = 1.0 - x
    x = L.Conv2D(3, 3, padding="same", name="conv")(x)
    x = L.BatchNormalization(name="bn")(x)
    x = L.DepthwiseConv2D(3, name="depthwise")(x)
    x = L.SeparableConv2D(4, 3, name="separable")(x)
    x = L.Conv2DTranspose(2, 3, name="transpose")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    e = L.Embedding(10, 4, name="embed")(ids)
    e = L.Conv1D(3, 2, name="conv1d")(e)
    e = L.LayerNormalization(name="ln")(e)
    e = L.Flatten(name="flat")(e)
    inner = k.Sequential([k.Input((14,)), L.Dense(3, name="inner_dense")], name="inner")
    h = L.Concatenate(name="cat")([x, e])
    out1 = L.Dense(1, name="out1")(h)
    out2 = inner(h) * 2.0
    return k.Model([img, ids], [out1, out2], name="parity")


def _outputs(model):
    return [np.asarray(o) for o in model([X_IMG, X_IDS])]


def _h5_layout(path_or_bytes):
    f = h5py.File(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes)
    found = {}
    f.visititems(
        lambda n, o: found.__setitem__(n, tuple(o.shape)) if isinstance(o, h5py.Dataset) else None
    )
    f.close()
    return found


def test_ndflow_keras_file_loads_in_keras_with_same_outputs(real_tf, tmp_path):
    model = _build(tf.keras)
    for w in model.weights:
        w.assign((RNG.rand(*w.shape) + 0.5).astype(w.dtype.as_numpy_dtype))
    path = str(tmp_path / "nd.keras")
    model.save(path)
    loaded = real_tf.keras.models.load_model(path)
    for a, b in zip(_outputs(model), _outputs(loaded)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_keras_file_loads_in_ndflow_with_same_outputs(real_tf, tmp_path):
    model = _build(real_tf.keras)
    for w in model.weights:
        w.assign((RNG.rand(*w.shape) + 0.5).astype(w.dtype))
    path = str(tmp_path / "k.keras")
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    for a, b in zip(_outputs(model), _outputs(loaded)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_weights_files_have_keras_layout(real_tf, tmp_path):
    nd, kr = _build(tf.keras), _build(real_tf.keras)
    nd.save_weights(str(tmp_path / "nd.weights.h5"))
    kr.save_weights(str(tmp_path / "k.weights.h5"))
    assert _h5_layout(str(tmp_path / "nd.weights.h5")) == _h5_layout(str(tmp_path / "k.weights.h5"))


def test_weights_files_load_both_ways(real_tf, tmp_path):
    nd, kr = _build(tf.keras), _build(real_tf.keras)
    for w in kr.weights:
        w.assign((RNG.rand(*w.shape) + 0.5).astype(w.dtype))
    kr.save_weights(str(tmp_path / "k.weights.h5"))
    nd.load_weights(str(tmp_path / "k.weights.h5"))
    for a, b in zip(_outputs(kr), _outputs(nd)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for w in nd.weights:
        w.assign((RNG.rand(*w.shape) + 0.5).astype(w.dtype.as_numpy_dtype))
    nd.save_weights(str(tmp_path / "nd.weights.h5"))
    kr.load_weights(str(tmp_path / "nd.weights.h5"))
    for a, b in zip(_outputs(nd), _outputs(kr)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _compiled(k, loss="mse"):
    k.utils.set_random_seed(3)
    model = k.Sequential(
        [k.Input((4,)), k.layers.Dense(6, activation="relu"), k.layers.Dense(1, name="head")]
    )
    model.compile(optimizer=k.optimizers.Adam(0.01), loss=loss, metrics=["mae"])
    return model


def test_compiled_model_and_optimizer_state_move_both_ways(real_tf, tmp_path):
    x = RNG.rand(16, 4).astype("float32")
    y = RNG.rand(16, 1).astype("float32")
    nd = _compiled(tf.keras)
    nd.fit(x, y, epochs=1, batch_size=8, verbose=0)
    nd.save(str(tmp_path / "nd.keras"))
    kr = real_tf.keras.models.load_model(str(tmp_path / "nd.keras"))
    assert type(kr.optimizer).__name__ == "Adam"
    assert kr.loss == "mse"
    with zipfile.ZipFile(str(tmp_path / "nd.keras")) as zf:
        stored = _h5_layout(zf.read("model.weights.h5"))
    assert stored["optimizer/vars/2"] == (4, 6) and stored["optimizer/vars/3"] == (4, 6)
    np.testing.assert_allclose(
        [np.asarray(v) for v in kr.optimizer.variables][2],
        saving_order(nd)[2],
    )
    # Keras continues training from the restored state; so does ndflow from Keras' file.
    kr.save(str(tmp_path / "k.keras"))
    back = tf.keras.models.load_model(str(tmp_path / "k.keras"))
    for a, b in zip(saving_order(nd), saving_order(back)):
        np.testing.assert_allclose(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kr.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    back.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(kr.get_weights(), back.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def saving_order(model):
    from ndflow._src.keras.saving import saving_lib

    return [v.numpy() for v in saving_lib.optimizer_variables(model.optimizer)]


def test_legacy_h5_moves_both_ways(real_tf, tmp_path):
    # Keras 3.15 cannot read back its own legacy .h5 files compiled with loss="mse"
    # ("Could not deserialize 'keras.metrics.mse'"); ndflow can, but the parity check
    # uses the long name Keras reads.
    nd = _compiled(tf.keras, loss="mean_squared_error")
    kr = _compiled(real_tf.keras, loss="mean_squared_error")
    x = RNG.rand(5, 4).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nd.save(str(tmp_path / "nd.h5"))
        kr.save(str(tmp_path / "k.h5"))
        from_nd = real_tf.keras.models.load_model(str(tmp_path / "nd.h5"))
        from_kr = tf.keras.models.load_model(str(tmp_path / "k.h5"))
    np.testing.assert_allclose(np.asarray(nd(x)), np.asarray(from_nd(x)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(kr(x)), np.asarray(from_kr(x)), rtol=1e-5)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", {"momentum": 0.9}),
        ("RMSprop", {"momentum": 0.5, "centered": True}),
        ("Adagrad", {}),
        ("Adadelta", {"learning_rate": 1.0}),
        ("Adamax", {}),
        ("Nadam", {}),
        ("Ftrl", {}),
        ("Lion", {"learning_rate": 0.001}),
        ("AdamW", {}),
        ("Adam", {"amsgrad": True}),
    ],
)
def test_optimizer_state_order_matches_keras(real_tf, tmp_path, name, kwargs):
    """Keras continues training from an ndflow file exactly as ndflow does, so every
    slot (momentum vs velocity, ...) landed in the variable Keras expects."""
    x = RNG.rand(16, 4).astype("float32")
    y = RNG.rand(16, 1).astype("float32")
    tf.keras.utils.set_random_seed(3)
    nd = tf.keras.Sequential(
        [
            tf.keras.Input((4,)),
            tf.keras.layers.Dense(6, activation="tanh"),
            tf.keras.layers.Dense(1),
        ]
    )
    nd.compile(optimizer=getattr(tf.keras.optimizers, name)(**kwargs), loss="mse")
    nd.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    nd.save(str(tmp_path / "nd.keras"))
    kr = real_tf.keras.models.load_model(str(tmp_path / "nd.keras"))
    assert [tuple(v.shape) for v in kr.optimizer.variables] == [
        tuple(v.shape) for v in saving_order_variables(nd)
    ]
    back = tf.keras.models.load_model(str(tmp_path / "nd.keras"))
    nd.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    back.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(nd.get_weights(), back.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kr.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(kr.get_weights(), nd.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def saving_order_variables(model):
    from ndflow._src.keras.saving import saving_lib

    return saving_lib.optimizer_variables(model.optimizer)


def _subclassed(k):
    class Sub(k.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.zeta = k.layers.Dense(2)
            self.blocks = [k.layers.Dense(3), [k.layers.Dense(3)]]
            self.alpha = k.layers.BatchNormalization()
            self._hidden = k.layers.Dense(3)

        def call(self, x):
            x = self.blocks[1][0](self.blocks[0](x))
            return self.zeta(self.alpha(self._hidden(x)))

    model = Sub()
    model(np.ones((2, 4), "float32"))
    return model


def test_subclassed_model_weights_layout_matches_keras(real_tf, tmp_path):
    """Attribute names, containers ("blocks/container/dense"), private attributes last
    and `layers` for what is left: the same object paths as Keras 3."""
    _subclassed(tf.keras).save_weights(str(tmp_path / "nd.weights.h5"))
    _subclassed(real_tf.keras).save_weights(str(tmp_path / "k.weights.h5"))
    ours = _h5_layout(str(tmp_path / "nd.weights.h5"))
    assert ours == _h5_layout(str(tmp_path / "k.weights.h5"))
    assert "blocks/container/dense/vars/0" in ours and "layers/dense/vars/0" in ours


def test_adapted_normalization_moves_to_keras(real_tf, tmp_path):
    data = (RNG.rand(20, 4) * 5).astype("float32")
    nd_norm = tf.keras.layers.Normalization()
    nd_norm.adapt(data)
    nd = tf.keras.Sequential([tf.keras.Input((4,)), nd_norm, tf.keras.layers.Dense(2)])
    kr = real_tf.keras.Sequential(
        [
            real_tf.keras.Input((4,)),
            real_tf.keras.layers.Normalization(),
            real_tf.keras.layers.Dense(2),
        ]
    )
    nd.save_weights(str(tmp_path / "nd.weights.h5"))
    kr.save_weights(str(tmp_path / "k.weights.h5"))
    assert _h5_layout(str(tmp_path / "nd.weights.h5")) == _h5_layout(str(tmp_path / "k.weights.h5"))
    nd.save(str(tmp_path / "nd.keras"))
    loaded = real_tf.keras.models.load_model(str(tmp_path / "nd.keras"))
    np.testing.assert_allclose(np.asarray(loaded(data)), np.asarray(nd(data)), rtol=1e-5, atol=1e-5)


def _ops_model(k, constant):
    inputs = k.Input((4,), name="x")
    w = constant(np.arange(8, dtype="float32").reshape(4, 2) / 10)
    y = abs(inputs // 2.0 % 3.0) @ w
    return k.Model(inputs, k.layers.Dense(2, name="head")(y - 1.0))


@pytest.mark.parametrize("writer", ["ndflow", "keras"])
def test_operation_models_move_both_ways(real_tf, tmp_path, writer):
    nd = _ops_model(tf.keras, tf.constant)
    kr = _ops_model(real_tf.keras, real_tf.constant)
    kr.set_weights(nd.get_weights())
    assert nd.get_config()["input_layers"] == list(kr.get_config()["input_layers"])
    source = nd if writer == "ndflow" else kr
    path = str(tmp_path / "ops.keras")
    source.save(path)
    x = np.arange(12, dtype="float32").reshape(3, 4)
    expected = np.asarray(source(x))
    for load in (tf.keras.models.load_model, real_tf.keras.models.load_model):
        np.testing.assert_allclose(np.asarray(load(path)(x)), expected, rtol=1e-5, atol=1e-6)


def test_multi_output_compile_config_with_objects_moves_to_keras(real_tf, tmp_path):
    """Loss and metric objects, per-output dicts and loss weights survive the trip."""
    k = tf.keras
    inputs = k.Input((4,), name="x")
    a = k.layers.Dense(1, name="a")(inputs)
    b = k.layers.Dense(3, activation="softmax", name="b")(inputs)
    model = k.Model(inputs, {"a": a, "b": b})
    model.compile(
        optimizer=k.optimizers.SGD(0.1, momentum=0.9),
        loss={"a": k.losses.MeanSquaredError(), "b": "sparse_categorical_crossentropy"},
        loss_weights={"a": 1.0, "b": 0.5},
        metrics={"a": [k.metrics.MeanAbsoluteError()], "b": ["accuracy"]},
    )
    x = RNG.rand(8, 4).astype("float32")
    y = {"a": RNG.rand(8, 1).astype("float32"), "b": RNG.randint(0, 3, 8)}
    model.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / "multi.keras")
    model.save(path)
    expected = model.evaluate(x, y, verbose=0, return_dict=True)
    ours = tf.keras.models.load_model(path).evaluate(x, y, verbose=0, return_dict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = real_tf.keras.models.load_model(path).evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(ours) == sorted(expected) == sorted(theirs)
    for key in expected:
        assert ours[key] == pytest.approx(expected[key], rel=1e-6)
        assert theirs[key] == pytest.approx(expected[key], rel=1e-5)
