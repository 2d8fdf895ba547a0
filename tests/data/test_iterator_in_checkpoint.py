"""A dataset iterator saved in a tf.train.Checkpoint resumes at the same element."""

from __future__ import annotations

import numpy as np

import ndflow as tf


def test_checkpointed_iterator_resumes_mid_epoch(tmp_path):
    ds = tf.data.Dataset.range(20).shuffle(7, seed=3).map(lambda x: x * 10).batch(3)
    it = iter(ds)
    next(it)
    ckpt = tf.train.Checkpoint(iterator=it)
    path = ckpt.save(str(tmp_path / "ckpt"))
    expected = [next(it).numpy() for _ in range(3)]

    ckpt.restore(path)  # the same iterator rewinds
    np.testing.assert_array_equal([next(it).numpy() for _ in range(3)], expected)

    fresh = iter(ds)  # a rebuilt pipeline picks up where the saved one was
    status = tf.train.Checkpoint(iterator=fresh).restore(path)
    status.assert_consumed()
    np.testing.assert_array_equal([next(fresh).numpy() for _ in range(3)], expected)


def test_checkpointed_sample_from_datasets_resumes_mid_epoch(tmp_path):
    a = tf.data.Dataset.range(0, 30)
    b = tf.data.Dataset.range(100, 130)
    for rerandomize in (None, True):
        ds = tf.data.Dataset.sample_from_datasets(
            [a, b], [0.4, 0.6], seed=5, rerandomize_each_iteration=rerandomize
        ).batch(4)
        it = iter(ds)
        next(it)
        ckpt = tf.train.Checkpoint(iterator=it)
        path = ckpt.save(str(tmp_path / f"ckpt{rerandomize}"))
        expected = [next(it).numpy() for _ in range(3)]
        fresh = iter(ds)
        tf.train.Checkpoint(iterator=fresh).restore(path)
        np.testing.assert_array_equal([next(fresh).numpy() for _ in range(3)], expected)
