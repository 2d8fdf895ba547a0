"""Which status checks pass or fail, scenario by scenario, against real TensorFlow."""

from __future__ import annotations

import pytest


def scenario(tf, name, directory):
    """Saves a small model, restores it into a variant; returns the status and a hook
    that finishes deferred creation."""

    class Sub(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable([1.0, 2.0])

    class Full(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(1.0)
            self.layers = [Sub(), tf.Variable(3)]

    path = tf.train.Checkpoint(model=Full()).save(directory + "/ckpt")
    finish = None
    if name == "same":
        status = tf.train.Checkpoint(model=Full()).restore(path)
    elif name == "python_has_more":
        m = Full()
        m.extra = tf.Variable(5.0)
        status = tf.train.Checkpoint(model=m).restore(path)
    elif name == "checkpoint_has_more":
        m = tf.Module()
        m.w = tf.Variable(0.0)
        status = tf.train.Checkpoint(model=m).restore(path)
    elif name == "unrelated":
        status = tf.train.Checkpoint(other=tf.Variable(1.0)).restore(path)
    elif name in ("deferred_before", "deferred_after"):
        m = tf.Module()
        status = tf.train.Checkpoint(model=m).restore(path)

        def finish():
            m.w = tf.Variable(0.0)
            m.layers = [Sub(), tf.Variable(0)]

    else:
        raise ValueError(name)
    if name == "deferred_after":
        finish()
    return status


def outcomes(status):
    out = []
    for check in ("assert_consumed", "assert_existing_objects_matched", "assert_nontrivial_match"):
        try:
            getattr(status, check)()
            out.append("ok")
        except AssertionError as e:
            out.append(str(e).split(" ")[0])  # first word identifies the kind of failure
    return out


@pytest.mark.parity
@pytest.mark.parametrize(
    "name",
    [
        "same",
        "python_has_more",
        "checkpoint_has_more",
        "unrelated",
        "deferred_before",
        "deferred_after",
    ],
)
def test_status_checks_match_tensorflow(real_tf, tmp_path, name):
    import ndflow as nd

    mine = outcomes(scenario(nd, name, str(tmp_path / "nd")))
    theirs = outcomes(scenario(real_tf, name, str(tmp_path / "tf")))
    assert mine == theirs
