"""Learning rate schedules against real Keras 3 at several steps; config round trips."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf

CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.7)),
    (
        "ExponentialDecay",
        dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.7, staircase=True),
    ),
    ("PiecewiseConstantDecay", dict(boundaries=[2, 5], values=[1.0, 0.5, 0.1])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=6, power=2.0)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=4, cycle=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)),
    (
        "InverseTimeDecay",
        dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5, staircase=True),
    ),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=7, alpha=0.1)),
    (
        "CosineDecay",
        dict(initial_learning_rate=0.0, decay_steps=6, warmup_target=0.2, warmup_steps=3),
    ),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=3)),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.1, first_decay_steps=2, t_mul=1.0, m_mul=0.5, alpha=0.1),
    ),
]
STEPS = [0, 1, 2, 3, 4, 5, 7, 10, 13]


@pytest.mark.parity
@pytest.mark.parametrize("cls,kwargs", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_schedule_matches_keras(real_tf, cls, kwargs):
    ours = getattr(tf.keras.optimizers.schedules, cls)(**kwargs)
    theirs = getattr(real_tf.keras.optimizers.schedules, cls)(**kwargs)
    for step in STEPS:
        got = ours(tf.constant(step, tf.int64))
        want = theirs(real_tf.constant(step, real_tf.int64))
        np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-5, atol=1e-7)
        assert got.dtype.name == want.dtype.name
    assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("cls,kwargs", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_schedule_serialization_round_trip(cls, kwargs):
    schedules = tf.keras.optimizers.schedules
    s = getattr(schedules, cls)(**kwargs)
    config = schedules.serialize(s)
    assert config["module"] == "keras.optimizers.schedules" and config["class_name"] == cls
    again = schedules.deserialize(config)
    assert type(again) is type(s) and again.get_config() == s.get_config()


def test_schedule_accepts_python_ints_and_optimizer_iterations():
    s = tf.keras.optimizers.schedules.ExponentialDecay(1.0, 1, 0.5)
    assert float(s(2)) == pytest.approx(0.25)
    opt = tf.keras.optimizers.SGD(s)
    opt.iterations.assign(3)
    assert float(opt.learning_rate) == pytest.approx(0.125)


def test_invalid_arguments_raise_keras_errors():
    schedules = tf.keras.optimizers.schedules
    with pytest.raises(ValueError, match="length of boundaries should be 1 less"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0])
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)


def test_custom_schedule_subclass_drives_an_optimizer():
    class Halve(tf.keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / tf.pow(2.0, tf.cast(step, tf.float32))

        def get_config(self):
            return {}

    v = tf.Variable(0.0)
    opt = tf.keras.optimizers.SGD(Halve())
    for _ in range(3):
        opt.apply_gradients([(tf.constant(1.0), v)])
    assert float(v) == pytest.approx(-1.75)
