"""`fit(steps_per_epoch=...)` walks the data as Keras 3's epoch iterator does: the position
carries over between epochs, an epoch that runs out of batches ends early with Keras'
warning, and the next one starts the data again."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndflow as tf


def _recording_fit(keras, data, **fit_kwargs):
    """The first feature of every batch `fit` trains on, the History length and the
    number of "ran out of data" warnings."""
    seen = []

    class Recorder(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, batch):
            x = batch[0]
            seen.append(np.asarray(x)[:, 0].astype(int).tolist())
            return {"loss": 0.0}

    model = Recorder()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(*data, epochs=3, verbose=0, **fit_kwargs)
    ran_out = sum("ran out of data" in str(w.message) for w in caught)
    return seen, len(history.history["loss"]), ran_out


X = np.arange(10, dtype="float32").reshape(10, 1)


@pytest.mark.parametrize("steps", [2, 3, 4])
def test_arrays_carry_their_position_across_epochs(steps):
    seen, epochs, ran_out = _recording_fit(
        tf.keras, (X, X), batch_size=4, steps_per_epoch=steps, shuffle=False
    )
    # 3 batches of data: [0..3], [4..7], [8, 9].
    expected = {
        2: [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3], [4, 5, 6, 7]],
        3: [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 3,
        4: [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 3,
    }[steps]
    assert seen == expected
    assert epochs == 3
    assert ran_out == {2: 1, 3: 0, 4: 3}[steps]


def test_shuffled_arrays_see_every_sample_once_per_pass():
    seen, _, _ = _recording_fit(tf.keras, (X, X), batch_size=4, steps_per_epoch=3, shuffle=True)
    for p in range(3):
        assert sorted(sum(seen[3 * p : 3 * p + 3], [])) == list(range(10))


def test_a_spent_generator_ends_training_with_the_warning():
    def gen():
        for i in range(0, 10, 4):
            yield X[i : i + 4], X[i : i + 4]

    seen, epochs, ran_out = _recording_fit(tf.keras, (gen(),), steps_per_epoch=2)
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert epochs == 2 and ran_out == 2


def test_validation_steps_start_from_the_top_each_evaluation():
    model = tf.keras.Sequential([tf.keras.Input((1,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    val = tf.data.Dataset.from_tensor_slices((X, X)).batch(4)
    model.fit(X, X, epochs=1, verbose=0, validation_data=val, validation_steps=1)
    first = model.evaluate(val, steps=1, verbose=0)
    # The same first batch every time: equal to evaluating it directly.
    assert np.isclose(first, model.evaluate(X[:4], X[:4], verbose=0), rtol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("source", ["arrays", "dataset", "dataset_unknown_cardinality"])
@pytest.mark.parametrize("steps", [2, 4])
def test_batches_match_keras(real_tf, source, steps):
    def data(lib):
        if source == "arrays":
            return (X, X), {"batch_size": 4, "shuffle": False}
        ds = lib.data.Dataset.from_tensor_slices((X, X)).batch(4)
        if source == "dataset_unknown_cardinality":
            ds = ds.filter(lambda a, b: True)
        return (ds,), {}

    ours_args, ours_kw = data(tf)
    theirs_args, theirs_kw = data(real_tf)
    ours = _recording_fit(tf.keras, ours_args, steps_per_epoch=steps, **ours_kw)
    theirs = _recording_fit(real_tf.keras, theirs_args, steps_per_epoch=steps, **theirs_kw)
    assert ours[:2] == theirs[:2]
    assert (ours[2] > 0) == (theirs[2] > 0)
