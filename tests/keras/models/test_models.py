"""Sequential, functional and subclassed models: building, calling, layers, errors and
summary text against real Keras."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.keras import backend

K = tf.keras


def _seed_cnn(keras):
    from_layers = keras.layers
    inputs = from_layers.Input(shape=(28, 28, 1))
    x = from_layers.Conv2D(32, 3, activation="relu")(inputs)
    x = from_layers.MaxPooling2D((2, 2))(x)
    x = from_layers.Conv2D(64, 3, activation="relu")(x)
    x = from_layers.MaxPooling2D((2, 2))(x)
    x = from_layers.Conv2D(64, 3, activation="relu")(x)
    x = from_layers.Flatten()(x)
    x = from_layers.Dense(64, activation="relu")(x)
    outputs = from_layers.Dense(10)(x)
    return keras.models.Model(inputs, outputs)


def _two_input(keras):
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    c = keras.layers.Concatenate()([a, b])
    o1 = keras.layers.Dense(1, name="o1")(c)
    o2 = keras.layers.Dense(2, name="o2")(c)
    return keras.Model([a, b], [o1, o2])


def _seq_input_shape(keras):
    return keras.Sequential(
        [keras.layers.Dense(4, input_shape=(3,)), keras.layers.Dense(1)], name="seq"
    )


def _seq_unbuilt(keras):
    return keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(1)], name="seq2")


def _seq_add_input(keras):
    model = keras.Sequential(name="seq3")
    model.add(keras.Input(shape=(28, 28)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(16, activation="relu", use_bias=False))
    model.add(keras.layers.BatchNormalization())
    model.add(keras.layers.Dense(10))
    return model


def _seq_called(keras):
    model = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(1)], name="seq4")
    model(np.ones((4, 3), "float32"))
    return model


def _subclassed_called(keras):
    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.conv = keras.layers.Conv2D(4, 3, activation="relu")
            self.flatten = keras.layers.Flatten()
            self.out = keras.layers.Dense(10)

        def call(self, x, training=False):
            return self.out(self.flatten(self.conv(x)))

    model = Net()
    model(np.zeros((8, 10, 10, 1), "float32"))
    return model


def _summary_text(model) -> str:
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


# ------------------------------------------------------------------ Sequential
def test_sequential_list_add_pop_and_layers():
    model = K.Sequential([K.layers.Dense(4, input_shape=(3,))])
    model.add(K.layers.Dense(2))
    assert [type(x).__name__ for x in model.layers] == ["Dense", "Dense"]
    assert model.built
    assert model(np.ones((5, 3), "float32")).shape == (5, 2)
    popped = model.pop()
    assert isinstance(popped, K.layers.Dense)
    assert len(model.layers) == 1
    assert model(tf.ones((2, 3))).shape == (2, 4)
    model.pop()
    with pytest.raises(TypeError, match="no layers"):
        model.pop()


def test_sequential_deferred_build_on_first_call():
    model = K.Sequential([K.layers.Dense(4), K.layers.Dense(1)])
    assert not model.built
    assert model.weights == []
    out = model(np.zeros((2, 6), "float32"))
    assert out.shape == (2, 1)
    assert model.built
    assert [tuple(w.shape.as_list()) for w in model.weights] == [(6, 4), (4,), (4, 1), (1,)]


def test_sequential_explicit_build_and_count_params():
    model = K.Sequential([K.layers.Dense(4), K.layers.Dense(1)])
    model.build((None, 3))
    assert model.count_params() == 21
    assert model.output_shape == (None, 1)


def test_sequential_rejects_non_layers():
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        K.Sequential([3])


def test_sequential_wrong_input_shape_raises_value_error():
    model = K.Sequential([K.layers.Dense(4, input_shape=(3,))])
    # as in Keras, the first layer's input spec reports a size mismatch
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        model(np.zeros((2, 4), "float32"))


@pytest.mark.parametrize("functional", [False, True])
def test_input_rank_is_adjusted_or_rejected_as_keras(functional):
    if functional:
        a = K.Input((28, 28))
        model = K.Model(a, K.layers.Dense(2)(K.layers.Flatten()(a)))
    else:
        model = K.Sequential([K.Input((28, 28)), K.layers.Flatten(), K.layers.Dense(2)])
    assert model(np.zeros((2, 28, 28, 1), "float32")).shape == (2, 2)
    with pytest.raises(
        ValueError,
        match=r"(?s)Invalid input shape for input .* Expected shape \(None, 28, 28\), but "
        r"input has incompatible shape \(2, 28\)",
    ):
        model(np.zeros((2, 28), "float32"))


# ------------------------------------------------------------------ functional
def test_functional_seed_cnn_runs_and_layers():
    backend.clear_session()
    model = _seed_cnn(K)
    assert model.name == "functional"
    assert [x.name for x in model.layers][:2] == ["input_layer", "conv2d"]
    out = model(np.zeros((2, 28, 28, 1), "float32"))
    assert out.shape == (2, 10)
    assert model.count_params() == 93322
    assert model.get_layer("dense_1") is model.layers[-1]
    assert model.get_layer(index=1).name == "conv2d"
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")


def test_functional_multi_io_list_and_dict_inputs():
    model = _two_input(K)
    xa, xb = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    o1, o2 = model([xa, xb])
    assert o1.shape == (4, 1) and o2.shape == (4, 2)
    d1, d2 = model({"a": xa, "b": xb})
    np.testing.assert_allclose(d1.numpy(), o1.numpy())
    np.testing.assert_allclose(d2.numpy(), o2.numpy())
    with pytest.raises(ValueError, match='Missing data for input "b"'):
        model({"a": xa})


def test_functional_dict_inputs_and_outputs():
    a = K.Input((2,), name="x1")
    b = K.Input((2,), name="x2")
    s = K.layers.Add()([a, b])
    model = K.Model({"x1": a, "x2": b}, {"sum": s, "dense": K.layers.Dense(3)(s)})
    out = model({"x1": np.ones((1, 2)), "x2": np.ones((1, 2))})
    assert set(out) == {"sum", "dense"}
    np.testing.assert_allclose(out["sum"].numpy(), [[2.0, 2.0]])


def test_functional_shared_layer_and_nested_model():
    shared = K.layers.Dense(3, name="shared")
    a = K.Input((4,))
    b = K.Input((4,))
    model = K.Model([a, b], K.layers.Add()([shared(a), shared(b)]))
    assert sum(1 for x in model.layers if x is shared) == 1
    xa = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    out = model([xa, xa])
    np.testing.assert_allclose(out.numpy(), 2 * shared(xa).numpy(), rtol=1e-6)
    inner = K.Model(a, K.layers.Dense(2)(a))
    c = K.Input((4,))
    outer = K.Model(c, K.layers.Dense(1)(inner(c)))
    assert outer(np.ones((3, 4))).shape == (3, 1)
    assert inner in outer.layers
    assert len(outer.weights) == 4


def test_functional_wrong_shape_names_input_and_shapes():
    backend.clear_session()
    model = _seed_cnn(K)
    with pytest.raises(
        ValueError,
        match=r"Input 0 with name 'input_layer' of layer 'functional' is incompatible.*"
        r"expected shape=\(None, 28, 28, 1\), found shape=\(2, 28, 27, 1\)",
    ):
        model(np.zeros((2, 28, 27, 1), "float32"))


def test_functional_rejects_non_keras_tensors():
    with pytest.raises(ValueError, match="must be KerasTensors"):
        K.Model(K.Input((2,)), np.zeros(2))


# ------------------------------------------------------------------ subclassed
class MyModel(K.Model):
    def __init__(self):
        super(MyModel, self).__init__()  # noqa: UP008 - the seeds spell it this way
        self.conv1 = K.layers.Conv2D(4, 3, activation="relu")
        self.flatten = K.layers.Flatten()
        self.d1 = K.layers.Dense(8, activation="relu")
        self.d2 = K.layers.Dense(10)

    def call(self, x, training=False):
        x = self.conv1(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


def test_subclassed_model_builds_and_tracks_layers():
    model = MyModel()
    assert model.name.startswith("my_model")
    assert not model.built
    out = model(tf.zeros((2, 8, 8, 1)))
    assert out.shape == (2, 10)
    assert [type(x).__name__ for x in model.layers] == ["Conv2D", "Flatten", "Dense", "Dense"]
    assert len(model.trainable_weights) == 6


def test_subclassed_model_inside_tf_function_and_gradient_tape():
    model = MyModel()
    x = tf.ones((2, 8, 8, 1))

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True)))
        return loss, tape.gradient(loss, model.trainable_variables)

    loss, grads = step(x)
    assert loss.shape == ()
    assert len(grads) == 6 and all(g is not None for g in grads)


def test_model_build_on_subclass_warns_and_leaves_layers_to_the_first_call():
    model = MyModel()
    with pytest.warns(UserWarning, match="does not have a `build\\(\\)` method"):
        model.build((None, 8, 8, 1))
    assert model.built and not model.conv1.built
    assert model(tf.zeros((1, 8, 8, 1))).shape == (1, 10)


def test_fit_builds_a_deferred_sequential_with_unknown_batch():
    model = K.Sequential([K.layers.Dense(4), K.layers.Dense(1)])
    assert model.predict(np.ones((5, 3)), verbose=0).shape == (5, 1)
    assert model.output_shape == (None, 1)


# ------------------------------------------------------------------ summary
_CASES = [
    _seed_cnn,
    _two_input,
    _seq_input_shape,
    _seq_unbuilt,
    _seq_add_input,
    _seq_called,
    _subclassed_called,
]


@pytest.mark.parity
@pytest.mark.parametrize("make", _CASES, ids=lambda f: f.__name__)
def test_summary_matches_real_keras(real_tf, make):
    real_tf.keras.backend.clear_session()
    backend.clear_session()
    expected = _summary_text(make(real_tf.keras))
    got = _summary_text(make(K))
    assert got == expected


def _nested_two_outputs(keras):
    inner = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()],
        name="inner",
    )
    a = keras.Input((4,), name="x")
    h = inner(a)
    b = keras.layers.Dense(2, name="head", trainable=False)(h)
    return keras.Model(a, [b, h], name="outer")


def _long_names(keras):
    a = keras.Input((4,), name="an_input_with_a_very_long_name_that_needs_cutting")
    b = keras.Input((4,), name="b")
    out = keras.layers.Add(name="added_together_" + "x" * 30)([a, b])
    return keras.Model([a, b], out, name="long")


@pytest.mark.parity
@pytest.mark.parametrize(
    "make,kwargs",
    [
        (_nested_two_outputs, {"expand_nested": True, "show_trainable": True}),
        (_nested_two_outputs, {"line_length": 120}),
        (_nested_two_outputs, {"layer_range": ["inner", "head"]}),
        (_long_names, {}),
        (_seed_cnn, {"line_length": 60, "positions": [0.5, 0.8, 1.0]}),
    ],
)
def test_summary_options_match_real_keras(real_tf, make, kwargs):
    real_tf.keras.backend.clear_session()
    backend.clear_session()
    lines_tf, lines_nd = [], []
    make(real_tf.keras).summary(print_fn=lines_tf.append, **kwargs)
    make(K).summary(print_fn=lines_nd.append, **kwargs)
    assert lines_nd == lines_tf


def test_summary_prints_to_stdout_and_wraps_long_names():
    model = K.Sequential([K.layers.Dense(2, input_shape=(3,), name="a" * 50)], name="s")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        model.summary()
    text = buf.getvalue()
    assert text.startswith('Model: "s"\n')
    assert " Total params: 8 (32.00 B)\n" in text
    widths = {len(line) for line in text.splitlines()[1:-3]}
    assert len(widths) == 1  # every table line has the same width


def test_model_subclass_with_functional_init():
    class Wrapped(K.Model):
        def __init__(self):
            inputs = K.Input((3,))
            super().__init__(inputs=inputs, outputs=K.layers.Dense(2)(inputs), name="wrapped")

        def extra(self):
            return "extra"

    model = Wrapped()
    assert model.name == "wrapped" and model.extra() == "extra"
    assert isinstance(model, Wrapped)
    assert model(np.ones((4, 3))).shape == (4, 2)
    assert len(model.layers) == 2


# ------------------------------------------------------------------ config
@pytest.mark.parity
@pytest.mark.parametrize("make", [_two_input, _seq_input_shape, _seq_add_input, _seq_unbuilt])
def test_get_config_matches_real_keras_and_round_trips(real_tf, make):
    real_tf.keras.backend.clear_session()
    backend.clear_session()
    want = make(real_tf.keras).get_config()
    model = make(K)
    got = model.get_config()
    assert json_normal(got) == json_normal(want)
    clone = type(model).from_config(got)
    assert [x.name for x in clone.layers] == [x.name for x in model.layers]
    assert [w.shape.as_list() for w in clone.weights] == [w.shape.as_list() for w in model.weights]
    if model.built:
        clone.set_weights(model.get_weights())
        x = [np.ones((2, 3)), np.ones((2, 2))] if make is _two_input else None
        if x is None:
            x = np.ones((2,) + tuple(model.input_shape[1:]), "float32")
        for a, b in zip(tf.nest.flatten(model(x)), tf.nest.flatten(clone(x))):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def json_normal(config):
    import json

    def drop(x):
        # quantization_config is a newer Dense key the layers family does not write yet
        if isinstance(x, dict):
            return {k: drop(v) for k, v in x.items() if k != "quantization_config"}
        if isinstance(x, list):
            return [drop(v) for v in x]
        return x

    return drop(json.loads(json.dumps(config)))


def test_clone_model_and_json_round_trip():
    backend.clear_session()
    for model in (_two_input(K), _seq_add_input(K)):
        clone = K.models.clone_model(model)
        assert clone is not model
        assert [x.name for x in clone.layers] == [x.name for x in model.layers]
        assert all(a is not b for a, b in zip(clone.weights, model.weights))
        again = K.models.model_from_json(model.to_json())
        assert type(again).__name__ == type(model).__name__
        assert again.count_params() == model.count_params()


def test_save_delegates_to_the_saving_module_or_says_it_is_missing(tmp_path):
    import importlib.util

    model = _seq_input_shape(K)
    if importlib.util.find_spec("ndflow._src.keras.saving.saving_api") is None:
        with pytest.raises(NotImplementedError, match="ndflow.keras.saving"):
            model.save_weights(str(tmp_path / "m.weights.h5"))
    else:
        model.save_weights(str(tmp_path / "m.weights.h5"))
        model.load_weights(str(tmp_path / "m.weights.h5"))


def test_layer_output_and_feature_extraction():
    backend.clear_session()
    model = _seed_cnn(K)
    with pytest.raises(AttributeError, match="has never been called"):
        K.layers.Dense(2).output
    features = K.Model(inputs=model.input, outputs=model.get_layer("flatten").output)
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    assert features(x).shape == (2, 576)
    assert model.get_layer("dense").input is model.get_layer("flatten").output
    seq = K.Sequential([K.Input((3,)), K.layers.Dense(4, name="h"), K.layers.Dense(1)])
    trunk = K.Model(seq.inputs, seq.get_layer("h").output)
    assert trunk(np.ones((5, 3))).shape == (5, 4)
    assert seq.output.shape == (None, 1)


def test_input_and_output_are_ordinary_attribute_names_in_subclasses():
    class Net(K.Model):
        def __init__(self):
            super().__init__()
            self.output = K.layers.Dense(2)

        def call(self, x):
            return self.output(x)

    net = Net()
    assert net(np.ones((1, 3))).shape == (1, 2)
    assert len(net.weights) == 2
