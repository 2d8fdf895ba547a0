"""The `Layer` base class: tracking, ordering, locking, calling conventions, config."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.keras import backend
from ndflow._src.keras.saving import serialization_lib

keras = tf.keras
L = keras.layers


class Block(L.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = L.Dense(3)
        self.pair = [L.Dense(2), L.Dense(2)]
        self.named = {"b": L.Dense(1), "a": L.Dense(1)}

    def build(self, input_shape):
        self.stat = self.add_weight(shape=(1,), initializer="zeros", trainable=False, name="stat")
        self.scale = self.add_weight(shape=(1,), initializer="ones", name="scale")

    def call(self, x, training=None):
        h = self.first(x)
        outs = [layer(h) for layer in self.pair] + [self.named["b"](h), self.named["a"](h)]
        return tf.concat(outs, axis=-1) * self.scale


def test_weights_follow_keras_order_not_sorted_attributes():
    block = Block()
    block(np.ones((2, 4), "float32"))
    paths = [w.path for w in block.weights]
    assert paths[:2] == ["block/scale", "block/stat"]  # own trainable, then non-trainable
    names = [p.split("/")[1] for p in paths[2::2]]
    assert names == ["dense", "dense_1", "dense_2", "dense_3", "dense_4"]
    assert len(block.trainable_weights) == 11 and len(block.non_trainable_weights) == 1
    assert block.variables == block.weights
    assert block.trainable_variables == block.trainable_weights


@pytest.fixture(autouse=True)
def _fresh_names():
    backend.clear_session()
    yield
    backend.clear_session()


def test_names_are_unique_per_class_snake_case():
    assert [L.Dense(1).name, L.Dense(1).name, L.Conv2DTranspose(1, 1).name] == [
        "dense",
        "dense_1",
        "conv2d_transpose",
    ]
    assert L.MaxPooling2D().name == "max_pooling2d"
    assert L.Dense(1, name="head").name == "head"


def test_freezing_moves_weights_to_non_trainable():
    block = Block()
    block(np.ones((1, 4), "float32"))
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 12
    assert not block.first.trainable and not block.first.kernel.trainable
    block.trainable = True
    assert len(block.trainable_weights) == 11


def test_state_is_locked_after_build():
    class Late(L.Layer):
        def call(self, x):
            self.extra = L.Dense(2)
            return x

    with pytest.raises(ValueError, match="already built"):
        Late()(np.ones((1, 2), "float32"))

    dense = L.Dense(2)
    dense.build((None, 3))
    with pytest.raises(ValueError, match="You cannot add new elements of state"):
        dense.add_weight(shape=(2,))


def test_add_weight_keyword_order_and_legacy_positional_name():
    layer = L.Layer()
    w = layer.add_weight((2, 3), "ones")
    assert tuple(w.shape) == (2, 3) and np.all(w.numpy() == 1)
    with pytest.raises(ValueError, match="`name` must be passed as a keyword argument"):
        layer.add_weight("legacy", (4,))
    legacy = layer.add_weight(shape=(4,), name="legacy")
    assert legacy.name == "legacy" and tuple(legacy.shape) == (4,)
    counter = layer.add_weight(name="n", shape=(), dtype="int32", trainable=False)
    assert counter.dtype == tf.int32 and counter.numpy() == 0
    assert [v.name for v in layer.weights] == ["variable", "legacy", "n"]


def test_training_flag_reaches_nested_layers():
    seen = []

    class Probe(L.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class Outer(L.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Probe()

        def call(self, x):
            return self.inner(x)

    outer = Outer()
    outer(np.ones((1, 1), "float32"), training=True)
    outer(np.ones((1, 1), "float32"))
    assert seen == [True, None]


def test_numpy_inputs_are_converted_and_floats_autocast():
    class Echo(L.Layer):
        def call(self, x):
            return x

    assert Echo()(np.ones((1, 2))).dtype == tf.float32
    assert Echo()(np.ones((1, 2), "int64")).dtype == tf.int64
    assert Echo(dtype="float64")(np.ones((1, 2), "float32")).dtype == tf.float64
    assert Echo().dtype == "float32" and Echo().compute_dtype == "float32"


def test_input_spec_error_uses_keras_wording():
    dense = L.Dense(3)
    dense(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError) as err:
        dense(np.ones((2, 4), "float32"))
    assert str(err.value) == (
        "Input 0 with name 'None' of layer 'dense' is incompatible with the layer: expected "
        "axis -1 of input shape to have value 3, but received input with shape (2, 4)"
    )
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        L.Dense(2)(np.ones((3,), "float32"))


def test_get_set_weights_and_errors():
    dense = L.Dense(3)
    dense.build((None, 2))
    values = [np.ones((2, 3), "float32"), np.arange(3, dtype="float32")]
    dense.set_weights(values)
    np.testing.assert_array_equal(dense.get_weights()[1], [0, 1, 2])
    with pytest.raises(ValueError, match="weight list of length 1, but the layer was expecting 2"):
        dense.set_weights(values[:1])
    with pytest.raises(
        ValueError,
        match=r"weight shape \(2, 3\) is not compatible with "
        r"provided weight shape \(1, 3\)",
    ):
        dense.set_weights([np.ones((1, 3)), values[1]])
    assert dense.count_params() == 9


def test_losses_from_add_loss_activity_and_weight_regularizers():
    class WithLoss(L.Layer):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(
                2, kernel_regularizer=keras.regularizers.L2(0.5), activity_regularizer="l1"
            )

        def call(self, x):
            self.add_loss(tf.constant(1.0))
            return self.dense(x)

    layer = WithLoss()
    layer(np.ones((2, 3), "float32"))
    assert len(layer.losses) == 3
    layer(np.ones((2, 3), "float32"))
    assert len(layer.losses) == 3  # cleared at each outer call
    kernel = layer.dense.kernel.numpy()
    np.testing.assert_allclose(float(layer.losses[-1]), 0.5 * np.sum(kernel**2), rtol=1e-6)


def test_custom_layer_auto_config_and_registration_round_trip():
    @(
        keras.saving.register_keras_serializable(package="tests")
        if hasattr(keras, "saving")
        else serialization_lib.register_keras_serializable(package="tests")
    )
    class Scale(L.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    layer = Scale(3.0, name="s")
    config = layer.get_config()
    assert config["factor"] == 3.0 and config["name"] == "s"
    blob = serialization_lib.serialize_keras_object(layer)
    assert blob["registered_name"] == "tests>Scale"
    again = serialization_lib.deserialize_keras_object(blob)
    assert isinstance(again, Scale) and again.factor == 3.0


def test_forgetting_super_init_raises_keras_error():
    class Bad(L.Layer):
        def __init__(self):
            self.dense = L.Dense(1)

    with pytest.raises(RuntimeError, match="forgot to call `super\\(\\).__init__\\(\\)`"):
        Bad()


def test_default_compute_output_shape_runs_call():
    class Double(L.Layer):
        def call(self, x):
            return tf.concat([x, x], axis=-1)

    assert Double().compute_output_shape((None, 3)) == (None, 6)


def test_plain_callable_initializer_like_tf_random_normal():
    dense = L.Dense(1, kernel_initializer=tf.random.normal)
    out = dense(np.ones((2, 3), "float32"))
    assert out.shape == (2, 1) and dense.kernel.dtype == tf.float32


def test_input_and_symbolic_call_give_keras_tensors():
    x = keras.Input(shape=(4,), name="feats")
    assert L.Input is keras.Input
    assert x.shape == (None, 4) and x.dtype == tf.float32 and x.name == "feats"
    y = L.Dense(3)(x)
    assert isinstance(y, keras.KerasTensor) and y.shape == (None, 3)
    layer = L.InputLayer(shape=(2, 3))
    assert layer.get_config() == {
        "batch_shape": (None, 2, 3),
        "dtype": "float32",
        "sparse": False,
        "ragged": False,
        "name": layer.name,
        "optional": False,
    }


def test_dtype_policy_serialized_in_config():
    config = L.Dense(2, dtype="float64").get_config()
    assert config["dtype"]["config"] == {"name": "float64"}
    again = L.Dense.from_config(config)
    assert again.dtype == "float64"
    again.build((None, 2))
    assert again.kernel.dtype == tf.float64


def test_checkpoint_round_trip_of_layer_weights(tmp_path):
    dense = L.Dense(2)
    dense.build((None, 3))
    path = tf.train.Checkpoint(layer=dense).save(str(tmp_path / "ckpt"))
    saved = dense.get_weights()
    dense.set_weights([np.zeros_like(w) for w in saved])
    tf.train.Checkpoint(layer=dense).restore(path)
    for a, b in zip(dense.get_weights(), saved):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parity
def test_weight_order_and_config_match_real_keras(real_tf):
    rk = real_tf.keras

    class RBlock(rk.layers.Layer):
        def __init__(self):
            super().__init__()
            self.a = rk.layers.Dense(2)
            self.b = [rk.layers.Dense(3)]

        def build(self, s):
            self.n = self.add_weight(shape=(1,), trainable=False, name="n")
            self.t = self.add_weight(shape=(1,), name="t")

        def call(self, x):
            return self.b[0](self.a(x)) * self.t

    class NBlock(L.Layer):
        def __init__(self):
            super().__init__()
            self.a = L.Dense(2)
            self.b = [L.Dense(3)]

        def build(self, s):
            self.n = self.add_weight(shape=(1,), trainable=False, name="n")
            self.t = self.add_weight(shape=(1,), name="t")

        def call(self, x):
            return self.b[0](self.a(x)) * self.t

    r, n = RBlock(), NBlock()
    r(np.ones((1, 4), "float32"))
    n(np.ones((1, 4), "float32"))
    assert [w.name for w in n.weights] == [w.name for w in r.weights]
    assert [tuple(w.shape) for w in n.weights] == [tuple(w.shape) for w in r.weights]


def test_super_build_first_then_add_weight_is_allowed():
    class Early(L.Layer):
        def build(self, input_shape):
            super().build(input_shape)
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w

    layer = Early()
    layer(np.ones((1, 3), "float32"))
    assert [w.name for w in layer.weights] == ["w"]
    with pytest.raises(ValueError, match="already built"):
        layer.add_weight(shape=(1,))


def test_mixed_precision_policy_keeps_float32_variables():
    dense = L.Dense(2, dtype="mixed_float16")
    out = dense(np.ones((1, 3), "float32"))
    assert out.dtype == tf.float16 and dense.kernel.dtype == tf.float32
    assert dense.compute_dtype == "float16" and dense.variable_dtype == "float32"


def test_mask_propagates_from_embedding_through_dense():
    emb = L.Embedding(4, 2, mask_zero=True)
    dense = L.Dense(3)
    ids = tf.constant([[1, 0, 2]])
    out = dense(emb(ids))
    np.testing.assert_array_equal(backend.get_mask(out).numpy(), [[True, False, True]])


def test_plain_tf_variables_assigned_as_attributes_are_tracked():
    class Affine(L.Layer):
        def build(self, input_shape):
            self.w = tf.Variable(tf.ones((input_shape[-1], 2)))
            self.frozen = tf.Variable(0.0, trainable=False)

        def call(self, x):
            return tf.matmul(x, self.w) + self.frozen

    layer = Affine()
    layer(np.ones((1, 3), "float32"))
    assert layer.trainable_weights == [layer.w]
    assert layer.non_trainable_weights == [layer.frozen]


def test_constant_initializer_broadcasts_arrays_and_adapt_takes_tensor_batches():
    layer = L.Layer()
    w = layer.add_weight(shape=(2, 3), initializer=keras.initializers.Constant([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(w.numpy(), [[1, 2, 3], [1, 2, 3]])
    norm = L.Normalization()
    norm.adapt([tf.constant([[1.0], [2.0]]), tf.constant([[3.0], [4.0]])])
    np.testing.assert_allclose(norm.adapt_mean.numpy(), [2.5])


def test_auto_config_drops_name_when_init_cannot_take_it():
    class Fixed(L.Layer):
        def __init__(self, units=3):
            super().__init__()
            self.units = units

        def call(self, x):
            return x

    config = Fixed(4).get_config()
    assert config["units"] == 4 and "name" not in config and config["trainable"] is True
    assert repr(L.Dense(1, name="d").add_weight(shape=(1,), initializer="zeros", name="k")) == (
        "<Variable path=d/k, shape=(1,), dtype=float32, value=[0.]>"
    )


@pytest.mark.parity
def test_regularization_losses_match_real_keras(real_tf):
    kw = {
        "units": 3,
        "activity_regularizer": "l2",
        "kernel_regularizer": "l1",
        "bias_regularizer": keras.regularizers.L2(0.3),
    }
    ours = L.Dense(**kw)
    kw["bias_regularizer"] = real_tf.keras.regularizers.L2(0.3)
    theirs = real_tf.keras.layers.Dense(**kw)
    x = np.random.default_rng(1).standard_normal((4, 2)).astype("float32")
    ours(x)
    theirs(x)
    ours.set_weights([w + 0.5 for w in theirs.get_weights()])
    theirs.set_weights(ours.get_weights())
    ours(x)
    theirs(x)
    np.testing.assert_allclose(
        [float(v) for v in ours.losses], [float(v) for v in theirs.losses], rtol=1e-5
    )
