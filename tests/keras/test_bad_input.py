"""Bad input to Keras models, against what real tf.keras raises.

Each case runs the same code in ndflow and in real TensorFlow 2.21 and checks that both
raise the same exception class, and that both messages name the layer or argument and
what was received (the given fragments, regexes, must be found in both messages): a
wrong input shape into Sequential/functional models and layers, a missing dict key for
the seeds' two-input model, labels of the wrong shape for the losses, unknown string
identifiers (optimizer, loss, metric, activation, initializer, ...)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import ndflow as tf

K = tf.keras

pytestmark = pytest.mark.parity

# Inside `fit` real Keras traces the step with an unknown batch size; ndflow may report
# the concrete one. Either is an honest report of what was received.
BATCH = r"(None|\d+)"


def _seq(keras):
    return keras.Sequential(
        [keras.layers.Dense(4, input_shape=(3,), name="hidden"), keras.layers.Dense(1, name="out")]
    )


def _fun(keras):
    a = keras.Input((3,), name="x_in")
    return keras.Model(a, keras.layers.Dense(2, name="d")(a), name="fun")


def _two_input(keras):
    input_1 = keras.Input(shape=(10,), name="wide_input")
    input_2 = keras.Input(shape=(5,), name="deep_input")
    x1 = keras.layers.Dense(16, activation="relu")(input_1)
    x2 = keras.layers.Dense(32, activation="relu")(input_2)
    concat = keras.layers.concatenate([x1, x2])
    output = keras.layers.Dense(1, activation="sigmoid")(concat)
    return keras.Model(inputs=[input_1, input_2], outputs=output, name="two")


def _fit(model, loss, x, y, metrics=None):
    model.compile(optimizer="sgd", loss=loss, metrics=metrics)
    model.fit(x, y, verbose=0)


def _loss_fit(keras, loss, y, units=3, activation=None):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation)])
    _fit(model, loss, np.zeros((6, 4), "float32"), y)


def _call_twice(layer, first, second):
    layer(first)  # builds the layer for `first`'s shape
    return layer(second)


def _x(*shape):
    return np.zeros(shape, "float32")


def _both_raise(real_tf, case):
    """Runs `case(keras, tf_module)` in both libraries; returns (ours, theirs) errors."""
    with pytest.raises(Exception) as theirs:
        case(real_tf.keras, real_tf)
    with pytest.raises(Exception) as ours:
        case(K, tf)
    return ours.value, theirs.value


def _same_class(ours, theirs):
    t_ours, t_theirs = type(ours), type(theirs)
    assert t_ours.__name__ == t_theirs.__name__, (t_ours, t_theirs, ours, theirs)
    if t_theirs.__module__ == "builtins":
        assert t_ours is t_theirs


# name -> (case(keras, tf_module), fragments both messages must contain)
WRONG_INPUT_SHAPE = {
    "sequential_call": (
        lambda k, t: _seq(k)(_x(2, 4)),
        [r"layer 'hidden'", r"expected axis -1 of input shape to have value 3", r"\(2, 4\)"],
    ),
    "sequential_predict": (
        lambda k, t: _seq(k).predict(_x(2, 4), verbose=0),
        [r"layer 'hidden'", r"value 3", r"\(2, 4\)"],
    ),
    "sequential_fit": (
        lambda k, t: _fit(_seq(k), "mse", _x(2, 4), _x(2, 1)),
        [r"layer 'hidden'", r"value 3", rf"\({BATCH}, 4\)"],
    ),
    "sequential_wrong_rank": (
        lambda k, t: _seq(k)(_x(2, 3, 2)),
        [r"Expected shape \(None, 3\)", r"incompatible shape \(2, 3, 2\)"],
    ),
    "functional_call": (
        lambda k, t: _fun(k)(_x(2, 5)),
        [r"'x_in'", r"layer 'fun'", r"expected shape=\(None, 3\)", r"found shape=\(2, 5\)"],
    ),
    "functional_predict": (
        lambda k, t: _fun(k).predict(_x(2, 5), verbose=0),
        [r"'x_in'", r"layer 'fun'", r"expected shape=\(None, 3\)", r"found shape=\(2, 5\)"],
    ),
    "functional_wrong_rank": (
        lambda k, t: _fun(k).predict(_x(2, 3, 4), verbose=0),
        [r"name 'x_in'", r"Expected shape \(None, 3\)", r"incompatible shape \(2, 3, 4\)"],
    ),
    "functional_dict_wrong_shape": (
        lambda k, t: _two_input(k).predict(
            {"wide_input": _x(4, 10), "deep_input": _x(4, 6)}, verbose=0
        ),
        [r"Input 1 with name 'deep_input'", r"expected shape=\(None, 5\)", r"\(4, 6\)"],
    ),
    "dense_after_build": (
        lambda k, t: _call_twice(k.layers.Dense(2, name="dd"), _x(1, 3), _x(1, 4)),
        [r"layer 'dd'", r"value 3", r"\(1, 4\)"],
    ),
    "dense_symbolic": (
        lambda k, t: _call_twice(k.layers.Dense(2, name="dd"), k.Input((3,)), k.Input((4,))),
        [r"layer 'dd'", r"value 3", r"\(None, 4\)"],
    ),
    "conv2d_rank": (
        lambda k, t: k.layers.Conv2D(2, 3, name="cc")(_x(1, 5, 5)),
        [r"layer 'cc'", r"min_ndim=4", r"ndim=3", r"\(1, 5, 5\)"],
    ),
}

# more layers and data checks that name what they received
OTHER_BAD_INPUT = {
    "reshape_symbolic": (
        lambda k, t: k.layers.Reshape((5,))(k.Input((4,))),
        [r"total size of the tensor must be unchanged", r"input_shape=\(4,\)", r"\(5,\)"],
    ),
    "reshape_eager": (
        lambda k, t: k.layers.Reshape((-1, 3))(_x(2, 4)),
        [r"total size of the tensor must be unchanged", r"input_shape=\(4,\)", r"\(-1, 3\)"],
    ),
    "conv2d_channels_after_build": (
        lambda k, t: _call_twice(k.layers.Conv2D(2, 3, name="cv"), _x(1, 5, 5, 1), _x(1, 5, 5, 2)),
        [r"layer 'cv'", r"axis -1 of input shape to have value 1", r"\(1, 5, 5, 2\)"],
    ),
    "concatenate_shapes": (
        lambda k, t: k.layers.concatenate([k.Input((3, 2)), k.Input((4, 3))]),
        [r"`Concatenate` layer", r"\[\(None, 3, 2\), \(None, 4, 3\)\]"],
    ),
    "add_shapes": (
        lambda k, t: k.layers.Add()([k.Input((3,)), k.Input((4,))]),
        [r"incompatible shapes", r"\(3,\) and \(4,\)"],
    ),
    "sample_weight_length": (
        lambda k, t: (
            lambda m: (m.compile("sgd", "mse"), m.fit(_x(6, 3), _x(6, 1), sample_weight=_x(5)))
        )(_seq(k)),
        [r"Data cardinality is ambiguous", r"'sample_weight' sizes: 5"],
    ),
    "sparse_label_out_of_range_fit": (
        lambda k, t: _loss_fit(
            k, k.losses.SparseCategoricalCrossentropy(from_logits=True), np.array([0, 1, 5] * 2)
        ),
        [r"Received a label value of 5 which is outside the valid range of \[0, 3\)"],
    ),
    "sparse_label_out_of_range_loss": (
        lambda k, t: k.losses.SparseCategoricalCrossentropy(from_logits=True)(
            np.array([0, 1, 5]), _x(3, 3)
        ),
        [r"label value of 5 .* range of \[0, 3\)", r"\[Op:SparseSoftmaxCrossEntropyWithLogits\]"],
    ),
}


def _two_output_fit(keras, y):
    a = keras.Input((4,), name="a")
    model = keras.Model(
        a, [keras.layers.Dense(1, name="o1")(a), keras.layers.Dense(2, name="o2")(a)]
    )
    _fit(model, {"o1": "mse", "o2": "mse"}, _x(6, 4), y)


OTHER_BAD_INPUT.update(
    {
        "y_dict_missing_output_key": (
            lambda k, t: _two_output_fit(k, {"o1": _x(6, 1)}),
            [r"y_true and y_pred have different structures", r"y_true: \{'o1': '\*'\}"],
        ),
        "y_dict_extra_key": (
            lambda k, t: _two_output_fit(k, {"o1": _x(6, 1), "o2": _x(6, 2), "o3": _x(6, 1)}),
            [r"different structures", r"y_true: \{'o1': '\*', 'o2': '\*', 'o3': '\*'\}"],
        ),
    }
)

MISSING_KEY = {
    "fit": lambda k, t: _fit(
        _two_input(k), "binary_crossentropy", {"wide_input": _x(4, 10)}, _x(4, 1)
    ),
    "predict": lambda k, t: _two_input(k).predict({"wide_input": _x(4, 10)}, verbose=0),
    "evaluate": lambda k, t: (
        lambda m: (m.compile("adam", "mse"), m.evaluate({"wide_input": _x(4, 10)}, _x(4, 1)))
    )(_two_input(k)),
    "call": lambda k, t: _two_input(k)({"wide_input": _x(4, 10)}),
    "misspelled": lambda k, t: _two_input(k).predict(
        {"wide_input": _x(4, 10), "deep": _x(4, 5)}, verbose=0
    ),
}

ONE_HOT = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2]]
SPARSE = np.array([0, 1, 2, 0, 1, 2])
WRONG_LABELS = {
    "sparse_ce_given_one_hot": (
        lambda k, t: _loss_fit(k, "sparse_categorical_crossentropy", ONE_HOT),
        [r"`output` must have rank", rf"target.shape=\({BATCH}, 3\)", r"output.shape="],
    ),
    "sparse_ce_object": (
        lambda k, t: k.losses.SparseCategoricalCrossentropy()(ONE_HOT, np.full((6, 3), 1 / 3)),
        [r"`output` must have rank", r"target.shape=\(6, 3\)", r"output.shape=\(6, 3\)"],
    ),
    "categorical_ce_given_sparse": (
        lambda k, t: _loss_fit(k, "categorical_crossentropy", SPARSE),
        [r"same rank", rf"target.shape=\({BATCH},\)", rf"output.shape=\({BATCH}, 3\)"],
    ),
    "categorical_ce_object": (
        lambda k, t: k.losses.CategoricalCrossentropy()(SPARSE, np.full((6, 3), 1 / 3)),
        [r"same rank", r"target.shape=\(6,\)", r"output.shape=\(6, 3\)"],
    ),
    "categorical_ce_wrong_classes": (
        lambda k, t: _loss_fit(k, "categorical_crossentropy", np.eye(4)[[0, 1, 2, 0, 1, 2]]),
        [r"same shape", rf"target.shape=\({BATCH}, 4\)", rf"output.shape=\({BATCH}, 3\)"],
    ),
    "binary_ce_wrong_shape": (
        lambda k, t: _loss_fit(k, "binary_crossentropy", _x(6, 2), 1, "sigmoid"),
        [r"same shape", rf"target.shape=\({BATCH}, 2\)", rf"output.shape=\({BATCH}, 1\)"],
    ),
    "mse_wrong_shape": (
        lambda k, t: _loss_fit(k, "mse", _x(6, 2), 3),
        [r"\b2\b.*\b3\b", r"input shapes: \[(\?|6),2\], \[(\?|6),3\]"],
    ),
    "mse_object": (
        lambda k, t: k.losses.MeanSquaredError()(_x(6, 2), _x(6, 3)),
        [r"Incompatible shapes: \[6,2\] vs. \[6,3\]", r"\[Op:Sub\]"],
    ),
}

UNKNOWN_IDENTIFIER = {
    "optimizer_in_compile": (
        lambda k, t: _seq(k).compile(optimizer="adamm", loss="mse"),
        "Could not interpret optimizer identifier: adamm",
    ),
    "loss_in_compile": (  # real Keras resolves the loss lazily, at the first fit step
        lambda k, t: _fit(_seq(k), "msee", _x(2, 3), _x(2, 1)),
        "Could not interpret loss identifier: msee",
    ),
    "metric_in_compile": (  # real Keras resolves metrics when fit first sees data
        lambda k, t: _fit(_seq(k), "mse", _x(2, 3), _x(2, 1), metrics=["acc", "foo"]),
        "Could not interpret metric identifier: foo",
    ),
    "activation": (
        lambda k, t: k.layers.Dense(2, activation="relux"),
        "Could not interpret activation function identifier: relux",
    ),
    "initializer": (
        lambda k, t: k.layers.Dense(2, kernel_initializer="glorot"),
        "Could not interpret initializer identifier: glorot",
    ),
    "regularizer": (
        lambda k, t: k.layers.Dense(2, kernel_regularizer="l3"),
        "Could not interpret regularizer identifier: l3",
    ),
    "constraint": (
        lambda k, t: k.layers.Dense(2, kernel_constraint="nonnegg"),
        "Could not interpret constraint identifier: nonnegg",
    ),
    "optimizers_get": (
        lambda k, t: k.optimizers.get("adamm"),
        "Could not interpret optimizer identifier: adamm",
    ),
    "losses_get": (
        lambda k, t: k.losses.get("msee"),
        "Could not interpret loss identifier: msee",
    ),
    "metrics_get": (
        lambda k, t: k.metrics.get("foo"),
        "Could not interpret metric identifier: foo",
    ),
    "activations_get": (
        lambda k, t: k.activations.get("relux"),
        "Could not interpret activation function identifier: relux",
    ),
    "initializers_get": (
        lambda k, t: k.initializers.get("glorot"),
        "Could not interpret initializer identifier: glorot",
    ),
    "optimizer_not_a_string": (
        lambda k, t: _seq(k).compile(optimizer=3, loss="mse"),
        "Could not interpret optimizer identifier: 3",
    ),
}


def _check_fragments(ours, theirs, fragments):
    for fragment in fragments:
        assert re.search(fragment, str(theirs)), ("real Keras", fragment, str(theirs))
        assert re.search(fragment, str(ours)), ("ndflow", fragment, str(ours))


@pytest.mark.parametrize("name", sorted(WRONG_INPUT_SHAPE))
def test_wrong_input_shape(real_tf, name):
    case, fragments = WRONG_INPUT_SHAPE[name]
    ours, theirs = _both_raise(real_tf, case)
    _same_class(ours, theirs)
    _check_fragments(ours, theirs, fragments)


@pytest.mark.parametrize("name", sorted(MISSING_KEY))
def test_missing_dict_key_for_the_two_input_model(real_tf, name):
    ours, theirs = _both_raise(real_tf, MISSING_KEY[name])
    _same_class(ours, theirs)
    assert str(ours) == str(theirs)
    assert 'Missing data for input "deep_input"' in str(ours)
    assert "Expected the following keys: ['wide_input', 'deep_input']" in str(ours)


@pytest.mark.parametrize("name", sorted(WRONG_LABELS))
def test_labels_of_the_wrong_shape_for_the_loss(real_tf, name):
    case, fragments = WRONG_LABELS[name]
    ours, theirs = _both_raise(real_tf, case)
    _same_class(ours, theirs)
    _check_fragments(ours, theirs, fragments)


@pytest.mark.parametrize("name", sorted(UNKNOWN_IDENTIFIER))
def test_unknown_string_identifier(real_tf, name):
    case, message = UNKNOWN_IDENTIFIER[name]
    ours, theirs = _both_raise(real_tf, case)
    _same_class(ours, theirs)
    assert str(ours) == str(theirs) == message


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_missing_targets_for_a_compiled_loss(real_tf, method):
    def case(k, t):
        model = _seq(k)
        model.compile(optimizer="sgd", loss="mse")
        getattr(model, method)(_x(4, 3), verbose=0)

    ours, theirs = _both_raise(real_tf, case)
    _same_class(ours, theirs)
    _check_fragments(ours, theirs, [r"^None values not supported\."])
    assert "Received: y=None" in str(ours)


def test_unknown_loss_and_metric_are_reported_at_compile_already():
    # A deliberate difference: ndflow checks string identifiers in `compile`, where the
    # mistake is made; real Keras raises the same error at the first `fit`.
    with pytest.raises(ValueError, match="Could not interpret loss identifier: msee"):
        _seq(K).compile(optimizer="sgd", loss="msee")
    with pytest.raises(ValueError, match="Could not interpret metric identifier: foo"):
        _seq(K).compile(optimizer="sgd", loss="mse", metrics=["foo"])


@pytest.mark.parametrize("name", sorted(OTHER_BAD_INPUT))
def test_other_bad_layer_and_data_input(real_tf, name):
    case, fragments = OTHER_BAD_INPUT[name]
    ours, theirs = _both_raise(real_tf, case)
    _same_class(ours, theirs)
    _check_fragments(ours, theirs, fragments)
