"""`serialization_lib`: Keras 3 dicts, registration, custom object scopes, lambdas."""

from __future__ import annotations

import pytest

import ndflow as tf
from ndflow._src.keras.saving import serialization_lib as sl


def test_builtin_object_dict_format():
    d = sl.serialize_keras_object(tf.keras.initializers.Zeros())
    assert d == {
        "module": "keras.initializers",
        "class_name": "Zeros",
        "config": {},
        "registered_name": None,
    }
    assert sl.serialize_keras_object(tf.keras.activations.relu) == {
        "module": "builtins",
        "class_name": "function",
        "config": "relu",
        "registered_name": "function",
    }
    assert (
        sl.deserialize_keras_object(sl.serialize_keras_object(tf.keras.activations.relu))
        is tf.keras.activations.relu
    )


def test_registered_function_and_class():
    @sl.register_keras_serializable(package="pkg")
    def scaled(x):
        return 2 * x

    assert sl.get_registered_name(scaled) == "pkg>scaled"
    assert sl.get_registered_object("pkg>scaled") is scaled
    blob = sl.serialize_keras_object(scaled)
    assert sl.deserialize_keras_object(blob) is scaled


def test_custom_object_scope_and_custom_objects():
    class MyInit(tf.keras.initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return tf.ones(shape)

    blob = {"module": None, "class_name": "MyInit", "config": {}, "registered_name": None}
    with pytest.raises(TypeError, match="Could not locate class 'MyInit'"):
        sl.deserialize_keras_object(blob)
    with sl.custom_object_scope({"MyInit": MyInit}):
        assert isinstance(sl.deserialize_keras_object(blob), MyInit)
        assert sl.get_registered_object("MyInit") is MyInit
    assert isinstance(sl.deserialize_keras_object(blob, custom_objects={"MyInit": MyInit}), MyInit)
    assert sl.get_registered_object("MyInit") is None


def test_lambda_needs_safe_mode_off():
    blob = sl.serialize_keras_object(lambda x: x + 1)
    assert blob["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="safe_mode=False"):
        sl.deserialize_keras_object(blob)
    fn = sl.deserialize_keras_object(blob, safe_mode=False)
    assert fn(1) == 2


def test_layer_round_trip_with_build_config():
    dense = tf.keras.layers.Dense(3, activation="relu")
    dense.build((None, 4))
    blob = sl.serialize_keras_object(dense)
    assert blob["build_config"] == {"input_shape": (None, 4)}
    again = sl.deserialize_keras_object(blob)
    assert again.built and tuple(again.kernel.shape) == (4, 3)


@pytest.mark.parity
def test_keras_written_layer_dicts_load(real_tf):
    real = real_tf.keras.layers.Conv2D(4, 3, activation="relu", kernel_regularizer="l2")
    blob = real_tf.keras.layers.serialize(real)
    ours = sl.deserialize_keras_object(blob)
    assert type(ours).__name__ == "Conv2D" and ours.filters == 4
    mine = sl.serialize_keras_object(ours)
    mine["config"].pop("name")
    blob["config"].pop("name")
    assert mine == blob
