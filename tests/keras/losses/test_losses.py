"""Keras losses: values against real Keras 3 on random inputs, reductions, weights, config."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf

RNG = np.random.default_rng(0)
N, C = 6, 4


def _probs(shape):
    x = RNG.random(shape).astype(np.float32) + 0.05
    return x / x.sum(-1, keepdims=True)


def _inputs(kind):
    if kind == "regression":
        return RNG.normal(size=(N, C)).astype(np.float32), RNG.normal(size=(N, C)).astype(
            np.float32
        )
    if kind == "positive":
        return RNG.random((N, C)).astype(np.float32) * 3, RNG.random((N, C)).astype(np.float32) * 3
    if kind == "binary":
        return (RNG.random((N, C)) > 0.5).astype(np.float32), RNG.random((N, C)).astype(
            np.float32
        ) * 0.9 + 0.05
    if kind == "binary_logits":
        return (RNG.random((N, C)) > 0.5).astype(np.float32), RNG.normal(size=(N, C)).astype(
            np.float32
        ) * 2
    if kind == "onehot":
        return np.eye(C, dtype=np.float32)[RNG.integers(0, C, N)], _probs((N, C))
    if kind == "onehot_logits":
        return np.eye(C, dtype=np.float32)[RNG.integers(0, C, N)], RNG.normal(size=(N, C)).astype(
            np.float32
        )
    if kind == "sparse":
        return RNG.integers(0, C, N).astype(np.int64), _probs((N, C))
    if kind == "sparse_logits":
        return RNG.integers(0, C, (N, 1)).astype(np.int32), RNG.normal(size=(N, C)).astype(
            np.float32
        )
    if kind == "distribution":
        return _probs((N, C)), _probs((N, C))
    if kind == "hinge":
        return np.sign(RNG.normal(size=(N, C))).astype(np.float32), RNG.normal(size=(N, C)).astype(
            np.float32
        )
    raise KeyError(kind)


CASES = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.3}, "regression"),
    ("LogCosh", {}, "regression"),
    ("Hinge", {}, "binary_logits"),
    ("Hinge", {}, "hinge"),
    ("SquaredHinge", {}, "binary_logits"),
    ("CategoricalHinge", {}, "onehot_logits"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    (
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "from_logits": True},
        "binary_logits",
    ),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("CategoricalFocalCrossentropy", {}, "onehot"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "gamma": 1.0}, "onehot_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
]


@pytest.mark.parity
@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "sum", None, "mean_with_sample_weight"]
)
@pytest.mark.parametrize("cls,kwargs,kind", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_loss_class_matches_keras(real_tf, cls, kwargs, kind, reduction):
    y_true, y_pred = _inputs(kind)
    weight = RNG.random(N).astype(np.float32)
    ours = getattr(tf.keras.losses, cls)(reduction=reduction, **kwargs)
    theirs = getattr(real_tf.keras.losses, cls)(reduction=reduction, **kwargs)
    for sw in (None, weight):
        got = ours(y_true, y_pred, sample_weight=sw)
        want = theirs(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=2e-5, atol=2e-6)
        assert got.dtype.name == "float32"
    ours_config = ours.get_config()
    assert {k: ours_config.get(k) for k in theirs.get_config()} == theirs.get_config()


FUNCS = [
    ("mean_squared_error", "regression"),
    ("mean_absolute_error", "regression"),
    ("mean_absolute_percentage_error", "regression"),
    ("mean_squared_logarithmic_error", "positive"),
    ("cosine_similarity", "regression"),
    ("huber", "regression"),
    ("log_cosh", "regression"),
    ("hinge", "binary_logits"),
    ("squared_hinge", "hinge"),
    ("categorical_hinge", "onehot_logits"),
    ("kl_divergence", "distribution"),
    ("poisson", "positive"),
    ("binary_crossentropy", "binary"),
    ("binary_focal_crossentropy", "binary"),
    ("categorical_crossentropy", "onehot"),
    ("sparse_categorical_crossentropy", "sparse"),
    ("categorical_focal_crossentropy", "onehot"),
    ("MSE", "regression"),
    ("mae", "regression"),
    ("kld", "distribution"),
    ("MAPE", "regression"),
    ("msle", "positive"),
    ("logcosh", "regression"),
]


@pytest.mark.parity
@pytest.mark.parametrize("fn,kind", FUNCS)
def test_loss_function_matches_keras(real_tf, fn, kind):
    y_true, y_pred = _inputs(kind)
    got = getattr(tf.keras.losses, fn)(y_true, y_pred)
    keras = pytest.importorskip("keras")
    want = getattr(real_tf.keras.losses, fn, None) or getattr(keras.losses, fn)
    want = want(y_true, y_pred)
    np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=2e-5, atol=2e-6)
    assert got.shape == tuple(want.shape)


def test_float64_inputs_keep_their_dtype_in_functions_but_losses_use_float32():
    y = np.ones((2, 3))
    assert tf.keras.losses.mse(y, y * 2).dtype == tf.float64
    assert tf.keras.losses.MeanSquaredError()(y, y * 2).dtype == tf.float32


def test_tf_losses_alias_is_keras_losses():
    assert tf.losses.mean_squared_error is tf.keras.losses.mean_squared_error
    assert tf.keras.losses.MSE is tf.keras.losses.mean_squared_error


def test_rank_one_labels_are_expanded_against_column_predictions():
    got = tf.keras.losses.MeanSquaredError()([1.0, 2.0], [[1.0], [4.0]])
    assert float(got) == pytest.approx(2.0)


def test_sample_weight_matches_rank_of_per_sample_losses():
    loss = tf.keras.losses.MeanAbsoluteError(reduction="none")
    got = loss([[1.0, 1.0], [2.0, 2.0]], [[0.0, 0.0], [0.0, 0.0]], sample_weight=[[2.0], [0.5]])
    np.testing.assert_allclose(got.numpy(), [2.0, 1.0])


def test_categorical_crossentropy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="target.shape=.*output.shape="):
        tf.keras.losses.categorical_crossentropy(np.ones((2, 3)), np.ones((2, 4)))


def test_sparse_crossentropy_rejects_wrong_label_rank():
    with pytest.raises(ValueError, match="target.ndim - 1"):
        tf.keras.losses.sparse_categorical_crossentropy(np.ones((2, 3, 2)), np.ones((2, 4)))


def test_invalid_reduction_is_rejected():
    with pytest.raises(ValueError, match="reduction=bogus"):
        tf.keras.losses.MeanSquaredError(reduction="bogus")


def test_gradient_flows_through_a_loss():
    x = tf.Variable([[0.5, -1.0]])
    with tf.GradientTape() as tape:
        loss = tf.keras.losses.CategoricalCrossentropy(from_logits=True)([[1.0, 0.0]], x)
    g = tape.gradient(loss, x)
    p = np.exp([0.5, -1.0]) / np.exp([0.5, -1.0]).sum()
    np.testing.assert_allclose(g.numpy(), [p - [1.0, 0.0]], rtol=1e-5)


def test_get_serialize_deserialize_round_trip():
    losses = tf.keras.losses
    assert losses.get("mse") is losses.mean_squared_error
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    loss = losses.Huber(delta=0.5, reduction="sum", name="h")
    config = losses.serialize(loss)
    assert config["class_name"] == "Huber" and config["module"] == "keras.losses"
    again = losses.deserialize(config)
    assert isinstance(again, losses.Huber) and again.get_config() == loss.get_config()
    assert losses.deserialize(losses.serialize(losses.mse)) is losses.mean_squared_error
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        losses.get("nope")


def test_subclassed_loss_uses_reduction_and_weights():
    class L1(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

    got = L1(reduction="sum")([[1.0], [2.0]], [[0.0], [0.0]], sample_weight=[1.0, 3.0])
    assert float(got) == pytest.approx(7.0)
    assert L1().name == "l1"


def test_names_that_are_not_scope_names_still_work():
    assert float(tf.keras.losses.MeanSquaredError(name="my loss")([1.0], [2.0])) == 1.0
    opt = tf.keras.optimizers.SGD(name="my opt!")
    assert opt.name == "my opt!" and opt.iterations.name.startswith("my_opt_/")
    m = tf.keras.metrics.Mean(name="loss (train)")
    assert float(m([2.0])) == 2.0
