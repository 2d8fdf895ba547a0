"""Keras metrics: results against real Keras 3 over two batches, weights, reset, config."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf

N, C = 8, 4


def _data(kind, rng):
    if kind == "values":
        return (rng.normal(size=(N, 3)).astype(np.float32),)
    if kind == "regression":
        return rng.normal(size=(N, C)).astype(np.float32), rng.normal(size=(N, C)).astype(
            np.float32
        )
    if kind == "positive":
        return rng.random((N, C)).astype(np.float32) * 2, rng.random((N, C)).astype(np.float32) * 2
    if kind == "binary":
        return (rng.random((N, 1)) > 0.5).astype(np.float32), rng.random((N, 1)).astype(np.float32)
    if kind == "multibinary":
        return (rng.random((N, C)) > 0.5).astype(np.float32), rng.random((N, C)).astype(np.float32)
    if kind == "onehot":
        p = rng.random((N, C)).astype(np.float32) + 0.01
        return np.eye(C, dtype=np.float32)[rng.integers(0, C, N)], p / p.sum(-1, keepdims=True)
    if kind == "sparse":
        p = rng.random((N, C)).astype(np.float32) + 0.01
        return rng.integers(0, C, N), p / p.sum(-1, keepdims=True)
    if kind == "sparse_col":
        return rng.integers(0, C, (N, 1)).astype(np.int32), rng.normal(size=(N, C)).astype(
            np.float32
        )
    if kind == "classes":
        return rng.integers(0, C, N), rng.integers(0, C, N)
    if kind == "equal":
        a = rng.integers(0, 3, (N, 2)).astype(np.float32)
        return a, np.where(rng.random((N, 2)) > 0.5, a, a + 1)
    raise KeyError(kind)


CASES = [
    ("Mean", {}, "values"),
    ("Sum", {}, "values"),
    ("Accuracy", {}, "equal"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.3}, "multibinary"),
    ("CategoricalAccuracy", {}, "onehot"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_col"),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("Hinge", {}, "multibinary"),
    ("KLDivergence", {}, "onehot"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "multibinary"),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_col"),
    ("TruePositives", {}, "multibinary"),
    ("FalsePositives", {"thresholds": [0.2, 0.6]}, "multibinary"),
    ("TrueNegatives", {}, "binary"),
    ("FalseNegatives", {"thresholds": 0.7}, "multibinary"),
    ("Precision", {}, "multibinary"),
    ("Precision", {"thresholds": [0.3, 0.6]}, "multibinary"),
    ("Precision", {"top_k": 2}, "multibinary"),
    ("Precision", {"class_id": 1}, "multibinary"),
    ("Recall", {}, "multibinary"),
    ("Recall", {"top_k": 1, "class_id": 2}, "multibinary"),
    ("AUC", {}, "multibinary"),
    ("AUC", {"num_thresholds": 10}, "binary"),
    ("AUC", {"curve": "PR"}, "multibinary"),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, "multibinary"),
    ("AUC", {"summation_method": "minoring", "thresholds": [0.2, 0.5, 0.9]}, "multibinary"),
    ("AUC", {"multi_label": True}, "multibinary"),
    ("AUC", {"multi_label": True, "num_labels": C}, "multibinary"),
    ("F1Score", {}, "onehot"),
    ("F1Score", {"average": "macro", "threshold": 0.3}, "onehot"),
    ("F1Score", {"average": "micro"}, "onehot"),
    ("F1Score", {"average": "weighted"}, "onehot"),
    ("FBetaScore", {"beta": 2.0, "average": "macro"}, "onehot"),
    ("R2Score", {}, "regression"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression"),
    ("R2Score", {"class_aggregation": None, "num_regressors": 2}, "regression"),
    ("MeanIoU", {"num_classes": C}, "classes"),
    ("MeanIoU", {"num_classes": C, "ignore_class": 0}, "classes"),
    ("MeanIoU", {"num_classes": C, "sparse_y_pred": False}, "sparse"),
]


@pytest.mark.parity
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "cls,kwargs,kind", CASES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)]
)
def test_metric_matches_keras(real_tf, cls, kwargs, kind, weighted):
    rng = np.random.default_rng(hash((cls, kind)) % 2**32)
    ours = getattr(tf.keras.metrics, cls)(**kwargs)
    theirs = getattr(real_tf.keras.metrics, cls)(**kwargs)
    for _ in range(2):
        data = _data(kind, rng)
        sw = rng.random(N).astype(np.float32) if weighted else None
        ours.update_state(*data, sample_weight=sw)
        theirs.update_state(*data, sample_weight=sw)
        np.testing.assert_allclose(
            np.asarray(ours.result()), np.asarray(theirs.result()), rtol=2e-5, atol=2e-6
        )
    assert len(ours.variables) == len(theirs.variables)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    ours_config.pop("name"), theirs_config.pop("name")  # Keras numbers unnamed instances
    assert {k: ours_config.get(k) for k in theirs_config} == theirs_config
    ours.reset_state()
    theirs.reset_state()
    np.testing.assert_allclose(np.asarray(ours.result()), np.asarray(theirs.result()), atol=1e-7)


def test_seed_training_loop_pattern():
    train_loss = tf.keras.metrics.Mean(name="train_loss")
    train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")
    train_loss(tf.constant(0.25))
    train_loss(tf.constant(0.75))
    train_accuracy(tf.constant([1, 0]), tf.constant([[0.2, 0.8], [0.1, 0.9]]))
    assert f"{train_loss.result():0.2f}" == "0.50"
    assert f"{train_accuracy.result() * 100:0.2f}" == "50.00"
    train_loss.reset_state()
    assert float(train_loss.result()) == 0.0


def test_subclassed_metric_with_add_weight():
    class MeanPred(tf.keras.metrics.Metric):
        def __init__(self, name="mean_pred", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_weight(name="total", initializer="zeros")
            self.count = self.add_weight(name="count", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(tf.reduce_sum(y_pred))
            self.count.assign_add(tf.cast(tf.size(y_pred), tf.float32))

        def result(self):
            return self.total / self.count

    m = MeanPred()
    m.update_state(None, tf.constant([1.0, 2.0, 6.0]))
    assert float(m.result()) == 3.0
    assert [v.name for v in m.variables] == ["mean_pred/total:0", "mean_pred/count:0"]
    assert all(not v.trainable for v in m.variables)
    m.reset_state()
    assert float(m.total) == 0.0


def test_metric_state_is_in_variables_and_checkpointable(tmp_path):
    m = tf.keras.metrics.Mean()
    m.update_state([1.0, 3.0])
    path = tf.train.Checkpoint(m=m).save(str(tmp_path / "ck"))
    m.reset_state()
    tf.train.Checkpoint(m=m).restore(path)
    assert float(m.result()) == 2.0


def test_mean_with_rank_two_weights_reduces_like_keras():
    m = tf.keras.metrics.Mean()
    m.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[[1.0, 0.0], [1.0, 1.0]])
    assert float(m.result()) == pytest.approx((0.5 + 3.5) / 1.5)


def test_get_serialize_deserialize():
    metrics = tf.keras.metrics
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("accuracy"), metrics.Accuracy)
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    auc = metrics.AUC(num_thresholds=50, curve="PR", name="pr")
    config = metrics.serialize(auc)
    assert config["class_name"] == "AUC" and config["module"] == "keras.metrics"
    again = metrics.deserialize(config)
    assert again.get_config() == auc.get_config()
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        metrics.get("acc")


def test_invalid_arguments():
    with pytest.raises(ValueError, match="Invalid `average` argument value"):
        tf.keras.metrics.F1Score(average="bogus")
    with pytest.raises(ValueError, match="Invalid AUC curve value"):
        tf.keras.metrics.AUC(curve="XYZ")
    with pytest.raises(ValueError, match="FBetaScore expects 2D inputs"):
        tf.keras.metrics.F1Score()([1.0, 0.0], [0.5, 0.5])


def test_repr_and_name_defaults():
    assert repr(tf.keras.metrics.Mean()) == "<Mean name=mean>"
    assert tf.keras.metrics.MeanIoU(2).name == "mean_io_u"
    assert tf.keras.metrics.AUC().name == "auc"
    assert tf.keras.metrics.Precision().name == "precision"
