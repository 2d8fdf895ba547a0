"""Keras optimizers: 5-step trajectories against real Keras 3, both kernel paths."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndflow as tf

CASES = [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.8, "nesterov": True}),
    ("Adam", {"learning_rate": 0.05}),
    ("Adam", {"learning_rate": 0.05, "amsgrad": True}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.1}),
    ("RMSprop", {"learning_rate": 0.01}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {"learning_rate": 0.05}),
    ("Nadam", {"learning_rate": 0.05}),
    ("Ftrl", {"learning_rate": 0.1}),
    (
        "Ftrl",
        {
            "learning_rate": 0.1,
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.02,
            "l2_shrinkage_regularization_strength": 0.01,
            "beta": 0.1,
        },
    ),
    ("Lion", {"learning_rate": 0.01}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.05, "global_clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "clipvalue": 0.2, "weight_decay": 0.05}),
    ("Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.9}),
]


def _trajectory(lib, cls, kwargs, grads, start):
    variables = [lib.Variable(s) for s in start]
    opt = getattr(lib.keras.optimizers, cls)(**kwargs)
    out = []
    for step in grads:
        opt.apply_gradients(zip([lib.constant(g) for g in step], variables))
        out.append([np.array(v.numpy()) for v in variables])
    return out, opt


@pytest.mark.parity
@pytest.mark.parametrize("cls,kwargs", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_trajectory_matches_keras(real_tf, kernels, cls, kwargs):
    rng = np.random.default_rng(len(cls) + len(kwargs))
    start = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(4,)).astype(np.float32)]
    grads = [[rng.normal(size=s.shape).astype(np.float32) for s in start] for _ in range(5)]
    ours, opt = _trajectory(tf, cls, kwargs, grads, start)
    theirs, ref = _trajectory(real_tf, cls, kwargs, grads, start)
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=2e-5, atol=2e-6)
    assert int(opt.iterations) == 5
    assert len(opt.variables) == len(ref.variables)


@pytest.mark.parity
@pytest.mark.parametrize("cls", ["SGD", "Adam", "RMSprop", "Nadam", "Ftrl", "Lion"])
def test_config_matches_keras(real_tf, cls):
    ours = getattr(tf.keras.optimizers, cls)(learning_rate=0.25).get_config()
    theirs = getattr(real_tf.keras.optimizers, cls)(learning_rate=0.25).get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs


@pytest.mark.parity
def test_schedule_learning_rate_trajectory_matches_keras(real_tf):
    def run(lib):
        sched = lib.keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)
        v = lib.Variable([1.0, -2.0])
        opt = lib.keras.optimizers.SGD(learning_rate=sched, momentum=0.5)
        for _ in range(4):
            opt.apply_gradients([(lib.constant([1.0, 1.0]), v)])
        return v.numpy(), float(opt.learning_rate)

    (a, lr_a), (b, lr_b) = run(tf), run(real_tf)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert lr_a == pytest.approx(lr_b)


def test_float64_variables_update_in_float64():
    v = tf.Variable(np.array([1.0, 2.0]))
    tf.keras.optimizers.Adam(0.1).apply_gradients([(tf.constant([1.0, 1.0], tf.float64), v)])
    assert v.dtype == tf.float64
    np.testing.assert_allclose(v.numpy(), [0.9, 1.9], rtol=1e-5)
    assert v.numpy().dtype == np.float64


def test_none_gradients_are_skipped_with_keras_warning():
    a, b = tf.Variable([1.0]), tf.Variable([1.0], name="b")
    opt = tf.keras.optimizers.SGD(1.0)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['b'\]"):
        opt.apply_gradients([(tf.constant([1.0]), a), (None, b)])
    assert a.numpy()[0] == 0.0 and b.numpy()[0] == 1.0
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, a)])


def test_unknown_variable_after_build_is_rejected():
    opt = tf.keras.optimizers.Adam()
    opt.apply_gradients([(tf.constant(1.0), tf.Variable(1.0))])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(tf.constant(1.0), tf.Variable(2.0))])


def test_apply_without_variables_uses_built_list():
    v = tf.Variable([1.0, 1.0])
    opt = tf.keras.optimizers.SGD(0.5)
    opt.build([v])
    opt.apply([tf.constant([1.0, 2.0])])
    np.testing.assert_allclose(v.numpy(), [0.5, 0.0])


def test_minimize_with_callable_loss_and_with_tape():
    v = tf.Variable(3.0)
    opt = tf.keras.optimizers.SGD(0.25)
    opt.minimize(lambda: v * v, [v])
    assert float(v) == pytest.approx(1.5)
    with tf.GradientTape() as tape:
        loss = v * v
    opt.minimize(loss, [v], tape=tape)
    assert float(v) == pytest.approx(0.75)


def test_learning_rate_is_a_settable_variable_unless_scheduled():
    opt = tf.keras.optimizers.Adam(0.5)
    assert isinstance(opt.learning_rate, tf.Variable)
    opt.learning_rate = 0.1
    assert float(opt.learning_rate) == pytest.approx(0.1)
    sched = tf.keras.optimizers.Adam(tf.keras.optimizers.schedules.ExponentialDecay(1.0, 1, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        sched.learning_rate = 0.1


def test_argument_validation_messages():
    with pytest.raises(ValueError, match="Only one of `clipnorm`"):
        tf.keras.optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match=r"Argument\(s\) not recognized: \{'foo': 1\}"):
        tf.keras.optimizers.SGD(foo=1)
    with pytest.raises(ValueError, match="`momentum` must be a float between"):
        tf.keras.optimizers.SGD(momentum=2.0)


def test_default_names_are_unique_snake_case():
    a, b = tf.keras.optimizers.SGD(), tf.keras.optimizers.SGD()
    assert a.name.startswith("sgd") and a.name != b.name
    assert tf.keras.optimizers.SGD(name="mine").name == "mine"


def test_get_serialize_deserialize_round_trip_with_schedule():
    opts = tf.keras.optimizers
    assert isinstance(opts.get("adam"), opts.Adam)
    assert isinstance(opts.get("RMSprop"), opts.RMSprop)
    sched = opts.schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=3)
    opt = opts.Adam(learning_rate=sched, beta_1=0.8)
    config = opts.serialize(opt)
    assert config["config"]["learning_rate"]["class_name"] == "CosineDecay"
    again = opts.deserialize(config)
    assert isinstance(again, opts.Adam) and again.beta_1 == 0.8
    assert isinstance(again._learning_rate, opts.schedules.CosineDecay)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        opts.get("nope")


def test_ema_finalize_sets_variables_to_average():
    v = tf.Variable([1.0])
    opt = tf.keras.optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
    opt.apply_gradients([(tf.constant([1.0]), v)])  # v=0, avg=0 (first step copies)
    opt.apply_gradients([(tf.constant([1.0]), v)])  # v=-1, avg=-0.5
    opt.finalize_variable_values([v])
    np.testing.assert_allclose(v.numpy(), [-0.5])


def test_checkpoint_saves_and_restores_slots(tmp_path):
    v = tf.Variable([1.0, 2.0])
    opt = tf.keras.optimizers.Adam(0.1)
    opt.apply_gradients([(tf.constant([1.0, -1.0]), v)])
    ckpt = tf.train.Checkpoint(opt=opt, v=v)
    path = ckpt.save(str(tmp_path / "ck"))
    saved = [np.array(x.numpy()) for x in opt.variables]
    opt.apply_gradients([(tf.constant([1.0, -1.0]), v)])
    ckpt.restore(path)
    for x, y in zip(opt.variables, saved):
        np.testing.assert_array_equal(x.numpy(), y)


def test_checkpoint_restore_before_build_is_deferred(tmp_path):
    v = tf.Variable([1.0, 2.0])
    opt = tf.keras.optimizers.Adam(0.1)
    opt.apply_gradients([(tf.constant([1.0, -1.0]), v)])
    path = tf.train.Checkpoint(opt=opt).save(str(tmp_path / "ck"))
    fresh = tf.keras.optimizers.Adam(0.1)
    tf.train.Checkpoint(opt=fresh).restore(path)
    assert int(fresh.iterations) == 1
    fresh.build([tf.Variable([0.0, 0.0])])
    np.testing.assert_array_equal(fresh.variables[2].numpy(), opt.variables[2].numpy())


def test_constraint_is_applied_after_update():
    v = tf.Variable([1.0, -1.0], constraint=lambda x: tf.clip_by_value(x, 0.0, 0.5))
    tf.keras.optimizers.SGD(0.1).apply_gradients([(tf.constant([1.0, 1.0]), v)])
    np.testing.assert_allclose(v.numpy(), [0.5, 0.0])


def test_shape_mismatch_names_the_op():
    v = tf.Variable([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(tf.errors.InvalidArgumentError, match="ResourceApplyAdam"):
            tf.keras.optimizers.Adam().apply_gradients([(tf.constant([1.0, 2.0, 3.0]), v)])


def test_custom_optimizer_subclass_with_keras_helpers():
    class SignSGD(tf.keras.optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, name="sign_sgd"):
            super().__init__(learning_rate=learning_rate, name=name)

        def build(self, variables):
            if self.built:
                return
            super().build(variables)
            self.steps = self.add_optimizer_variables(variables, "steps")

        def update_step(self, gradient, variable, learning_rate):
            i = self._get_variable_index(variable)
            self.assign_add(self.steps[i], tf.ones_like(gradient))
            self.assign_sub(variable, tf.cast(learning_rate, variable.dtype) * tf.sign(gradient))

    v = tf.Variable([1.0, -1.0])
    opt = SignSGD()
    opt.apply_gradients([(tf.constant([3.0, -0.5]), v)])
    np.testing.assert_allclose(v.numpy(), [0.9, -0.9])
    assert [x.name for x in opt.variables][-1].endswith("_steps:0")


def test_save_and_load_own_variables():
    v = tf.Variable([1.0, 2.0])
    opt = tf.keras.optimizers.Adam(0.1)
    opt.apply_gradients([(tf.constant([1.0, 1.0]), v)])
    store = {}
    opt.save_own_variables(store)
    assert sorted(store) == ["0", "1", "2", "3"]
    other = tf.keras.optimizers.Adam(0.1)
    other.build([tf.Variable([0.0, 0.0])])
    other.load_own_variables(store)
    assert int(other.iterations) == 1
    np.testing.assert_array_equal(other.variables[2].numpy(), store["2"])
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer 'empty'"):
        tf.keras.optimizers.SGD(name="empty").load_own_variables({"0": 1, "1": 2, "2": 3})


@pytest.mark.parity
def test_exclude_from_weight_decay_matches_keras(real_tf):
    def run(lib):
        a, b = lib.Variable([1.0, 2.0]), lib.Variable([3.0])
        opt = lib.keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
        opt.exclude_from_weight_decay(var_list=[b])
        for _ in range(3):
            opt.apply_gradients([(lib.constant([0.1, 0.2]), a), (lib.constant([0.3]), b)])
        return a.numpy(), b.numpy()

    for x, y in zip(run(tf), run(real_tf)):
        np.testing.assert_allclose(x, y, rtol=2e-5)
