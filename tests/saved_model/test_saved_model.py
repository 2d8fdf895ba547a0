"""tf.saved_model.save / load: round trips, dispatch, signatures, gradients, errors,
atomic writes and parity with real TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.checkpoint import fileio as ckpt_io

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class MyModule(tf.Module):
    def __init__(self, value):
        self.weight = tf.Variable(value)

    @tf.function
    def multiply(self, x):
        return x * self.weight


class Quadratic(tf.Module):
    """A Keras-free model: y = a x^2 + b x + c."""

    def __init__(self):
        self.a = tf.Variable(2.0)
        self.b = tf.Variable(-1.0)
        self.c = tf.Variable(0.5)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def __call__(self, x):
        return self.a * x * x + self.b * x + self.c


def _save_load(obj, tmp_path, **kw):
    d = str(tmp_path / "sm")
    tf.saved_model.save(obj, d, **kw)
    return tf.saved_model.load(d)


# ---------------------------------------------------------------------------- fresh process


class AdamTrainer(tf.Module):
    def __init__(self):
        self.w = tf.Variable([0.5, -0.3])
        self.opt = tf.keras.optimizers.Adam(0.1)

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
    def train(self, x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((x * self.w) ** 2)
        self.opt.apply_gradients([(tape.gradient(loss, self.w), self.w)])
        return loss


def test_seed_example_in_a_fresh_process(tmp_path):
    mod = MyModule(3)
    mod.multiply(tf.constant([5, 6, 3]))
    d = str(tmp_path / "saved")
    tf.saved_model.save(mod, d)
    # A Keras optimizer step (its ops are registered by a module the loader imports).
    trainer = AdamTrainer()
    x = tf.constant([1.0, 2.0])
    trainer.train(x)
    d2 = str(tmp_path / "trainer")
    tf.saved_model.save(trainer, d2)
    expected = trainer.train(x).numpy()
    script = tmp_path / "load_it.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import ndflow as tf
            reloaded = tf.saved_model.load({d!r})
            print(repr(reloaded.multiply(tf.constant([5, 6, 3]))))
            print(reloaded.weight.numpy(), type(reloaded).__name__)
            trainer = tf.saved_model.load({d2!r})
            print("loss", repr(float(trainer.train(tf.constant([1.0, 2.0])).numpy())))
            """
        )
    )
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "numpy=array([15, 18,  9], dtype=int32)" in out.stdout
    assert "<tf.Tensor: shape=(3,), dtype=int32" in out.stdout
    assert "MyModule" not in out.stdout
    loss = float(out.stdout.split("loss ")[1].strip())
    np.testing.assert_allclose(loss, expected, rtol=1e-6)


def test_attribute_named_like_a_module_property(tmp_path):
    trainer = AdamTrainer()
    trainer.train(tf.constant([1.0, 2.0]))
    r = _save_load(trainer, tmp_path)
    # The optimizer's `variables` child shadows tf.Module.variables on its loaded object.
    assert isinstance(r.opt.variables, list)
    assert len(r.variables) >= 1


# ---------------------------------------------------------------------------- round trips


def test_seed_example_in_process(tmp_path):
    mod = MyModule(3)
    mod.multiply(tf.constant([5, 6, 3]))
    r = _save_load(mod, tmp_path)
    y = r.multiply(tf.constant([5, 6, 3]))
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(y.numpy(), [15, 18, 9])
    assert r.weight.numpy() == 3
    assert r.weight is not mod.weight
    assert [v.numpy() for v in r.variables] == [3]
    assert len(r.trainable_variables) == 1
    assert tf.saved_model.contains_saved_model(str(tmp_path / "sm"))
    assert not tf.saved_model.contains_saved_model(str(tmp_path))


def test_no_matching_concrete_function(tmp_path):
    mod = MyModule(3)
    mod.multiply(tf.constant([5, 6, 3]))
    r = _save_load(mod, tmp_path)
    with pytest.raises(ValueError) as e:
        r.multiply(tf.constant([5.0, 6.0]))
    msg = str(e.value)
    assert msg.startswith(
        "Could not find matching concrete function to call loaded from the SavedModel. Got:"
    )
    assert "Expected these arguments to match one of the following 1 option(s):" in msg
    assert "TensorSpec(shape=(3,), dtype=tf.int32, name='x')" in msg


def test_never_called_function_has_no_concrete_functions(tmp_path):
    mod = MyModule(3)
    r = _save_load(mod, tmp_path)
    with pytest.raises(ValueError, match="0 option"):
        r.multiply(tf.constant([1, 2, 3]))


def test_input_signature_with_none_dims(tmp_path):
    m = Quadratic()
    r = _save_load(m, tmp_path)
    x = tf.constant([0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(r(x).numpy(), m(x).numpy())
    np.testing.assert_allclose(r(tf.constant([5.0])).numpy(), m(tf.constant([5.0])).numpy())
    cf = r.__call__.concrete_functions[0]
    assert cf.structured_input_signature[0][0].shape.as_list() == [None]


def test_multiple_concrete_functions(tmp_path):
    class M(tf.Module):
        def __init__(self):
            self.v = tf.Variable(2.0)

        @tf.function
        def f(self, x, scale=1.0):
            return x * self.v * scale

    m = M()
    m.f(tf.constant(1.0))
    m.f(tf.constant([1.0, 2.0]))
    m.f(tf.constant([1.0, 2.0]), scale=3.0)
    m.f(tf.constant([1, 2]) if False else tf.constant([[1.0]]))
    r = _save_load(m, tmp_path)
    assert len(r.f.concrete_functions) == 4
    assert r.f(tf.constant(4.0)).numpy() == 8.0
    np.testing.assert_allclose(r.f(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(r.f(tf.constant([1.0, 2.0]), scale=3.0).numpy(), [6.0, 12.0])
    np.testing.assert_allclose(r.f(tf.constant([[3.0]])).numpy(), [[6.0]])
    with pytest.raises(ValueError, match="4 option"):
        r.f(tf.constant([1.0, 2.0]), scale=5.0)


def test_nested_modules_lists_and_dicts(tmp_path):
    class Inner(tf.Module):
        def __init__(self):
            self.w = tf.Variable([1.0, 2.0])

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def apply(self, x):
            return x * self.w

    class Outer(tf.Module):
        def __init__(self):
            self.inner = Inner()
            self.layers = [tf.Variable(1.0), tf.Variable(2.0, trainable=False)]
            self.table = {"a": tf.Variable(3.0), "b": Inner()}

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def __call__(self, x):
            return self.inner.apply(x) + self.layers[0] + self.table["a"] + self.table["b"].apply(x)

    m = Outer()
    x = tf.constant([1.0, 1.0])
    r = _save_load(m, tmp_path)
    np.testing.assert_allclose(r(x).numpy(), m(x).numpy())
    np.testing.assert_allclose(r.inner.apply(x).numpy(), [1.0, 2.0])
    assert isinstance(r.layers, list) and r.layers[1].numpy() == 2.0
    assert r.layers[1].trainable is False
    assert r.table["a"].numpy() == 3.0
    np.testing.assert_allclose(r.table["b"].apply(x).numpy(), [1.0, 2.0])
    assert len(r.variables) == 5
    assert len(r.trainable_variables) == 4
    # Loaded variables are shared between functions: an update is seen by both.
    r.inner.w.assign([10.0, 10.0])
    np.testing.assert_allclose(r.inner.apply(x).numpy(), [10.0, 10.0])


def test_control_flow(tmp_path):
    class M(tf.Module):
        def __init__(self):
            self.v = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def branch(self, x):
            return tf.cond(x > 0.0, lambda: x * self.v, lambda: x - self.v)

        @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
        def loop(self, n):
            i = tf.constant(0)
            acc = tf.constant(1.0)
            _, acc = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a * self.v), [i, acc])
            return acc

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def autograph(self, x):
            if x > 1.0:
                y = x * 10.0
            else:
                y = x + self.v
            return y

    m = M()
    r = _save_load(m, tmp_path)
    assert r.branch(tf.constant(3.0)).numpy() == 6.0
    assert r.branch(tf.constant(-3.0)).numpy() == -5.0
    assert r.loop(tf.constant(5)).numpy() == 32.0
    assert r.autograph(tf.constant(2.0)).numpy() == 20.0
    assert r.autograph(tf.constant(0.5)).numpy() == 2.5


def test_nested_tf_function_calls(tmp_path):
    class M(tf.Module):
        def __init__(self):
            self.v = tf.Variable(3.0)

        @tf.function
        def inner(self, x):
            return x * self.v

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def outer(self, x):
            return self.inner(x) + 1.0

    m = M()
    r = _save_load(m, tmp_path)
    np.testing.assert_allclose(r.outer(tf.constant([1.0, 2.0])).numpy(), [4.0, 7.0])


def test_gradients_through_loaded_function(tmp_path):
    m = Quadratic()
    r = _save_load(m, tmp_path)
    x = tf.constant([0.5, 1.5, -2.0])
    grads = []
    for model in (m, r):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x))
        grads.append(tape.gradient(loss, [model.a, model.b, model.c]))
    for g0, g1 in zip(*grads):
        np.testing.assert_allclose(g1.numpy(), g0.numpy(), rtol=1e-6)
    # Train the loaded model a few steps: it learns like the original would.
    target = tf.constant([1.0, 2.0, 3.0])
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((r(x) - target) ** 2)
        for v, g in zip(r.trainable_variables, tape.gradient(loss, r.trainable_variables)):
            v.assign_sub(0.01 * g)
    assert r.a.numpy() != 2.0 and m.a.numpy() == 2.0


def test_serving_default_signature(tmp_path):
    class M(tf.Module):
        def __init__(self):
            self.v = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def serve(self, x):
            return {"y": x * self.v}

        @tf.function
        def other(self, x):
            return x

    m = M()
    r = _save_load(m, tmp_path)
    assert list(r.signatures) == ["serving_default"]
    out = r.signatures["serving_default"](x=tf.constant([1.0, 2.0]))
    assert list(out) == ["y"]
    np.testing.assert_allclose(out["y"].numpy(), [2.0, 4.0])
    out = r.signatures[tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY](tf.constant([1.0]))
    np.testing.assert_allclose(out["y"].numpy(), [2.0])
    sig = r.signatures["serving_default"]
    assert sig.structured_input_signature == ((), {"x": tf.TensorSpec([None], tf.float32, "x")})
    with pytest.raises(TypeError, match="unexpected keyword"):
        sig(z=tf.constant([1.0]))


def test_explicit_signatures(tmp_path):
    m = tf.Module()
    m.v = tf.Variable(3.0)
    f = tf.function(lambda x: x * m.v, input_signature=[tf.TensorSpec([], tf.float32)])
    g = tf.function(lambda a, b: (a + b, a - b))
    cg = g.get_concrete_function(tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32))
    r = _save_load(m, tmp_path, signatures={"serving_default": f, "pair": cg})
    assert sorted(r.signatures) == ["pair", "serving_default"]
    assert r.signatures["serving_default"](x=tf.constant(2.0))["output_0"].numpy() == 6.0
    out = r.signatures["pair"](a=tf.constant(5.0), b=tf.constant(2.0))
    assert out["output_0"].numpy() == 7.0 and out["output_1"].numpy() == 3.0


def test_signature_rules(tmp_path):
    class Two(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def foo(self, x):
            return x + 1

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def bar(self, x):
            return x + 2

    assert list(_save_load(Two(), tmp_path).signatures) == []
    m = tf.Module()
    with pytest.raises(ValueError, match="input signature"):
        tf.saved_model.save(m, str(tmp_path / "x"), signatures=tf.function(lambda x: x))


def test_quadratic_model_round_trip_and_resave(tmp_path):
    m = Quadratic()
    r = _save_load(m, tmp_path)
    r2 = tf.saved_model.load(str(tmp_path / "sm"))
    d2 = str(tmp_path / "again")
    tf.saved_model.save(r, d2)
    r3 = tf.saved_model.load(d2)
    x = tf.constant([1.0, -1.0])
    for mm in (r, r2, r3):
        np.testing.assert_allclose(mm(x).numpy(), m(x).numpy())
    # A loaded model saved again keeps its signatures.
    assert list(r3.signatures) == ["serving_default"]
    out = r3.signatures["serving_default"](x=x)["output_0"]
    np.testing.assert_allclose(out.numpy(), m(x).numpy())
    cf = r3.__call__.get_concrete_function(tf.TensorSpec([5], tf.float32))
    assert cf is r3.__call__.concrete_functions[0]
    with pytest.raises(ValueError, match="Could not find matching"):
        r3.__call__.get_concrete_function(tf.TensorSpec([5], tf.int32))


def test_variables_created_on_first_call(tmp_path):
    class Lazy(tf.Module):
        def __init__(self):
            self.w = None

        @tf.function
        def __call__(self, x):
            if self.w is None:
                self.w = tf.Variable(tf.ones([x.shape[-1], 2]))
            return tf.matmul(x, self.w)

    m = Lazy()
    x = tf.constant([[1.0, 2.0, 3.0]])
    expected = m(x).numpy()
    r = _save_load(m, tmp_path)
    np.testing.assert_allclose(r(x).numpy(), expected)
    assert r.w.shape == (3, 2)


def test_loaded_variables_are_checkpointable(tmp_path):
    r = _save_load(Quadratic(), tmp_path)
    r.a.assign(7.0)
    ckpt = tf.train.Checkpoint(model=r)
    path = ckpt.write(str(tmp_path / "ck" / "c"))
    r.a.assign(0.0)
    ckpt.restore(path)
    assert r.a.numpy() == 7.0


def test_string_and_constant_captures(tmp_path):
    table = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
        def row(self, i):
            return tf.gather(table, i) * 2.0, tf.constant("hi")

    r = _save_load(M(), tmp_path)
    row, s = r.row(tf.constant(1))
    np.testing.assert_allclose(row.numpy(), [6.0, 8.0, 10.0])
    assert s.numpy() == b"hi"


def test_python_callable_attrs_cannot_be_saved(tmp_path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def f(self, x):
            return tf.py_function(lambda v: v * 2, [x], tf.float32)

    with pytest.raises(
        ValueError,
        match=r"Unable to save function 'f'.*EagerPyFunc|Unable to save function 'f'.*py_function",
    ):
        tf.saved_model.save(M(), str(tmp_path / "x"))
    assert not tf.saved_model.contains_saved_model(str(tmp_path / "x"))


def test_custom_gradient_cannot_be_saved(tmp_path):
    @tf.custom_gradient
    def clip(x):
        return tf.identity(x), lambda dy: tf.clip_by_value(dy, -1.0, 1.0)

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def f(self, x):
            return clip(x)

    with pytest.raises(ValueError, match="Unable to save function 'f'"):
        tf.saved_model.save(M(), str(tmp_path / "x"))


def test_untracked_variable_is_an_error(tmp_path):
    v = tf.Variable(1.0)
    m = tf.Module()
    m.f = tf.function(lambda x: x * v, input_signature=[tf.TensorSpec([], tf.float32)])
    with pytest.raises(ValueError, match="untracked"):
        tf.saved_model.save(m, str(tmp_path / "x"))


def test_save_options_and_constants():
    assert tf.saved_model.SERVING == "serve"
    assert tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY == "serving_default"
    tf.saved_model.SaveOptions(namespace_whitelist=["x"])
    tf.saved_model.LoadOptions(experimental_io_device="/job:localhost")


# ---------------------------------------------------------------------------- bad files


def test_missing_directory(tmp_path):
    d = str(tmp_path / "nope")
    with pytest.raises(OSError, match="SavedModel file does not exist at: .*nope"):
        tf.saved_model.load(d)


def test_tensorflow_savedmodel_is_reported(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"\x08\x01")
    with pytest.raises(OSError, match="TensorFlow SavedModel"):
        tf.saved_model.load(str(tmp_path))


@pytest.fixture
def saved(tmp_path):
    m = Quadratic()
    d = str(tmp_path / "sm")
    tf.saved_model.save(m, d)
    return d


def _json_path(d):
    return os.path.join(d, "saved_model.json")


def _data_path(d):
    vdir = os.path.join(d, "variables")
    (name,) = [n for n in os.listdir(vdir) if n.endswith(".data-00000-of-00001")]
    return os.path.join(vdir, name)


def test_truncated_json(saved):
    p = _json_path(saved)
    raw = open(p, "rb").read()
    open(p, "wb").write(raw[: len(raw) // 2])
    with pytest.raises(OSError, match="Cannot parse file .*saved_model.json"):
        tf.saved_model.load(saved)


def test_pickle_in_place_of_json_is_not_executed(saved):
    import pickle

    marker = os.path.join(saved, "pwned")
    payload = pickle.dumps(_Evil(marker))
    open(_json_path(saved), "wb").write(payload)
    with pytest.raises(OSError, match="Cannot parse file"):
        tf.saved_model.load(saved)
    assert not os.path.exists(marker)


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_corrupt_structure(saved):
    p = _json_path(saved)
    doc = json.load(open(p))
    lib = doc["function_library"]
    node = next(n for n in lib["__call__"]["nodes"] if n.get("op"))
    node["op"] = "os.system"
    json.dump(doc, open(p, "w"))
    with pytest.raises(OSError, match="unknown op type 'os.system'"):
        tf.saved_model.load(saved)
    doc["object_graph"] = {"nodes": [{"children": [{"node_id": 99, "local_name": "x"}]}]}
    json.dump(doc, open(p, "w"))
    with pytest.raises(OSError, match="Cannot parse file .*bad child reference"):
        tf.saved_model.load(saved)
    json.dump({"format": "something else"}, open(p, "w"))
    with pytest.raises(OSError, match="not an ndflow SavedModel"):
        tf.saved_model.load(saved)


def test_inconsistent_graph(saved):
    p = _json_path(saved)
    doc = json.load(open(p))
    entry = doc["function_library"]["__call__"]
    entry["inputs"][0][1] = [None, None, None]  # a rank-3 x where the graph needs rank 1
    node = next(n for n in entry["nodes"] if n.get("op") == "Mul")
    node["outputs"][0][1] = "int64"
    json.dump(doc, open(p, "w"))
    with pytest.raises(OSError, match="Cannot parse file .*saved_model.json.*Mul"):
        tf.saved_model.load(saved)


def test_truncated_npz(saved):
    p = _data_path(saved)
    raw = open(p, "rb").read()
    open(p, "wb").write(raw[: len(raw) - 20])
    with pytest.raises(tf.errors.DataLossError, match="variables-.*data-00000-of-00001"):
        tf.saved_model.load(saved)


def test_corrupt_npz(saved):
    p = _data_path(saved)
    raw = bytearray(open(p, "rb").read())
    raw[len(raw) // 2] ^= 0xFF
    open(p, "wb").write(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match="checksum"):
        tf.saved_model.load(saved)


def test_missing_variables(saved):
    os.remove(_data_path(saved))
    with pytest.raises(tf.errors.NotFoundError):
        tf.saved_model.load(saved)


@pytest.mark.parametrize("fail_at", [0, -1])
def test_interrupted_save_keeps_previous_model(saved, monkeypatch, fail_at):
    calls = []
    real = ckpt_io._rename

    def flaky(src, dst):
        calls.append(dst)
        if fail_at == 0 or dst.endswith("saved_model.json"):
            raise OSError("disk on fire")
        real(src, dst)

    m2 = Quadratic()
    m2.a.assign(100.0)
    monkeypatch.setattr(ckpt_io, "_rename", flaky)
    with pytest.raises(OSError, match="disk on fire"):
        tf.saved_model.save(m2, saved)
    monkeypatch.setattr(ckpt_io, "_rename", real)
    r = tf.saved_model.load(saved)
    assert r.a.numpy() == 2.0
    assert sorted(os.listdir(saved)) == ["saved_model.json", "variables"]
    assert len(os.listdir(os.path.join(saved, "variables"))) == 2
    # A later successful save replaces it and cleans up the old variables.
    tf.saved_model.save(m2, saved)
    assert tf.saved_model.load(saved).a.numpy() == 100.0
    assert len(os.listdir(os.path.join(saved, "variables"))) == 2


# ---------------------------------------------------------------------------- parity


@pytest.mark.parity
def test_parity_with_tensorflow(tmp_path, real_tf):
    def build(lib):
        class M(lib.Module):
            def __init__(self):
                self.w = lib.Variable([[1.0, -2.0], [0.5, 3.0]])
                self.b = lib.Variable([0.1, -0.2])

            @lib.function(input_signature=[lib.TensorSpec([None, 2], lib.float32)])
            def __call__(self, x):
                y = lib.matmul(x, self.w) + self.b
                return lib.cond(
                    lib.reduce_sum(y) > 0.0, lambda: lib.nn.relu(y), lambda: lib.tanh(y)
                )

        return M()

    x = np.array([[1.0, 2.0], [-3.0, 0.5]], np.float32)
    results = []
    for lib, name in ((tf, "nd"), (real_tf, "tf")):
        d = str(tmp_path / name)
        lib.saved_model.save(build(lib), d)
        r = lib.saved_model.load(d)
        out = r(lib.constant(x)).numpy()
        sig = r.signatures["serving_default"](x=lib.constant(-x))
        results.append((out, {k: v.numpy() for k, v in sig.items()}))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    assert results[0][1].keys() == results[1][1].keys()
    for k in results[0][1]:
        np.testing.assert_allclose(results[0][1][k], results[1][1][k], rtol=1e-6)


def test_train_step_inside_saved_function(tmp_path):
    """Gradient graphs (of calls, cond and while_loop) inside a saved function."""

    class M(tf.Module):
        def __init__(self):
            self.w = tf.Variable([0.5, -0.3])

        @tf.function
        def inner(self, x):
            return tf.reduce_sum(x * self.w)

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def train(self, x):
            with tf.GradientTape() as tape:
                y = tf.cond(x[0] > 0, lambda: self.inner(x) ** 2, lambda: tf.reduce_sum(self.w))
                _, acc = tf.while_loop(
                    lambda i, a: i < 3, lambda i, a: (i + 1, a * self.w), [0, tf.ones([2])]
                )
                loss = y + tf.reduce_sum(acc)
            self.w.assign_sub(0.1 * tape.gradient(loss, self.w))
            return loss

    m = M()
    r = _save_load(m, tmp_path)
    x = tf.constant([1.0, 2.0])
    for _ in range(3):
        np.testing.assert_allclose(r.train(x).numpy(), m.train(x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(r.w.numpy(), m.w.numpy(), rtol=1e-6)


def test_signature_names_and_output_rules(tmp_path):
    class M(tf.Module):
        @tf.function(
            input_signature=[
                {"a": tf.TensorSpec([None], tf.float32), "b": tf.TensorSpec([], tf.float32)},
                tf.TensorSpec([], tf.int32),
            ]
        )
        def f(self, d, n):
            return {"z": d["a"] * d["b"], "a": tf.cast(n, tf.float32) + d["b"]}

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def g(self, x):
            return x, [x, 3]

    m = M()
    r = _save_load(m, tmp_path, signatures={"f": m.f})
    sig = r.signatures["f"]
    assert sorted(sig.structured_input_signature[1]) == ["d", "d_1", "n"]
    out = sig(d=tf.constant([1.0, 2.0]), d_1=tf.constant(3.0), n=tf.constant(4))
    np.testing.assert_allclose(out["z"].numpy(), [3.0, 6.0])
    assert out["a"].numpy() == 7.0
    with pytest.raises(ValueError, match="Got a non-Tensor value .* for key 'output_1'"):
        tf.saved_model.save(m, str(tmp_path / "bad"), signatures=m.g)
    # Found by the default rule, a function that cannot be a signature is saved without.
    only_g = tf.Module()
    only_g.g = m.g
    assert list(_save_load(only_g, tmp_path / "g").signatures) == []


def test_deeply_nested_json_is_a_parse_error(saved):
    p = _json_path(saved)
    doc = json.load(open(p))
    deep = '{"list": [' * 5000 + "1" + "]}" * 5000
    text = json.dumps(doc).replace('"args": {"list"', '"args": ' + deep + ', "x": {"list"', 1)
    open(p, "w").write(text)
    with pytest.raises(OSError, match="Cannot parse file"):
        tf.saved_model.load(saved)
