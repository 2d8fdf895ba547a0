"""Model and weights files: `.keras`, `.weights.h5`, legacy `.h5` (ndflow alone)."""

from __future__ import annotations

import json
import os
import sys
import zipfile

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.keras.saving import saving_lib

pytest.importorskip("h5py")

keras = tf.keras
RNG = np.random.RandomState(0)
X4 = RNG.rand(8, 4).astype("float32")


def _predict(model, x):
    return np.asarray(model(x))


def _assert_same_outputs(a, b, x):
    out_a, out_b = a(x), b(x)
    for u, v in zip(tf.nest.flatten(out_a), tf.nest.flatten(out_b)):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-6, atol=1e-6)


def _round_trip(model, tmp_path, name="m.keras", **kwargs):
    path = str(tmp_path / name)
    model.save(path)
    return keras.saving.load_model(path, **kwargs)


def _sequential():
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(5, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(2),
        ]
    )


# ------------------------------------------------------------------ round trips
def test_sequential_round_trip_keeps_weights_and_outputs(tmp_path):
    model = _sequential()
    loaded = _round_trip(model, tmp_path)
    assert type(loaded).__name__ == "Sequential"
    assert [type(x).__name__ for x in loaded.layers] == [
        "Dense",
        "BatchNormalization",
        "Dropout",
        "Dense",
    ]
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    _assert_same_outputs(model, loaded, X4)


def test_keras_file_is_a_zip_with_keras_3_members(tmp_path):
    path = str(tmp_path / "m.keras")
    _sequential().save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        meta = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
    assert meta["keras_version"].startswith("3.")
    assert "date_saved" in meta
    assert config["class_name"] == "Sequential"
    assert config["compile_config"] == {}


def test_weights_file_uses_keras_object_paths(tmp_path):
    import h5py

    inputs = keras.Input((4,))
    x = keras.layers.Dense(3)(inputs)
    x = keras.layers.Dense(3)(x)
    model = keras.Model(inputs, keras.layers.BatchNormalization()(x))
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    with h5py.File(path) as f:
        names = []
        f.visit(names.append)
        assert f["layers/dense/vars"].attrs["name"] == model.layers[1].name
        assert f["layers/dense/vars/0"].shape == (4, 3)
        assert f["layers/dense_1/vars/0"].shape == (3, 3)
        assert len(f["layers/batch_normalization/vars"]) == 4
        assert "layers/input_layer/vars" in names
        assert "vars" in names


def test_functional_multi_input_output_shared_and_nested(tmp_path):
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = keras.layers.Dense(3, name="shared")
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="inner")
    ha, hb = shared(a), shared(b)
    merged = keras.layers.Concatenate()([ha, hb])
    out1 = keras.layers.Dense(1, name="out1")(merged)
    out2 = inner(ha)
    model = keras.Model([a, b], [out1, out2])
    loaded = _round_trip(model, tmp_path)
    assert [x.name for x in loaded.layers] == [x.name for x in model.layers]
    _assert_same_outputs(model, loaded, [X4, X4[::-1].copy()])


def test_functional_dict_outputs_round_trip(tmp_path):
    inputs = keras.Input((4,), name="x")
    h = keras.layers.Dense(3)(inputs)
    model = keras.Model(inputs, {"p": keras.layers.Dense(1)(h), "q": keras.layers.Dense(2)(h)})
    loaded = _round_trip(model, tmp_path)
    out = loaded(X4)
    assert sorted(out) == ["p", "q"]
    np.testing.assert_allclose(np.asarray(out["q"]), np.asarray(model(X4)["q"]), rtol=1e-6)


def test_keras_tensor_arithmetic_round_trips_as_operation_nodes(tmp_path):
    inputs = keras.Input((4,), name="pixels")
    x = inputs / 255.0
    x = 1.0 - x
    x = x * x + (-x) ** 2.0
    outputs = keras.layers.Dense(2)(x)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    divide = next(e for e in config["layers"] if e["class_name"] == "TrueDivide")
    assert divide["module"] == "keras.src.ops.numpy"
    assert divide["registered_name"] == "TrueDivide"
    args = divide["inbound_nodes"][0]["args"]
    assert args[0]["class_name"] == "__keras_tensor__" and args[1] == 255.0
    subtract = next(e for e in config["layers"] if e["class_name"] == "Subtract")
    assert subtract["inbound_nodes"][0]["args"][0] == 1.0
    loaded = _round_trip(model, tmp_path)
    assert [x.name for x in loaded.layers] == [x.name for x in model.layers]
    _assert_same_outputs(model, loaded, X4 * 255)


def test_functional_from_config_rejects_unknown_operations():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, inputs * 2.0)
    config = model.get_config()
    op = next(e for e in config["layers"] if e["class_name"] == "Multiply")
    op["class_name"] = "Einsum"
    with pytest.raises(ValueError, match="Unsupported Keras operation 'Einsum'"):
        keras.Model.from_config(config)


class _Block(keras.layers.Layer):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = [keras.layers.Dense(units), keras.layers.Dense(units)]

    def call(self, x):
        for layer in self.inner:
            x = layer(x)
        return x

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class _Subclassed(keras.Model):
    def __init__(self, hidden=4, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.block = _Block(hidden)
        self.head = keras.layers.Dense(2)

    def call(self, x):
        return self.head(self.block(x))

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


def test_subclassed_model_loads_with_custom_objects(tmp_path):
    model = _Subclassed(hidden=5)
    model(X4)
    path = str(tmp_path / "sub.keras")
    model.save(path)
    with pytest.raises(TypeError, match="Could not locate class '_Subclassed'"):
        keras.saving.load_model(path)
    loaded = keras.saving.load_model(
        path, custom_objects={"_Subclassed": _Subclassed, "_Block": _Block}
    )
    assert loaded.hidden == 5
    _assert_same_outputs(model, loaded, X4)


def test_registered_subclass_loads_without_custom_objects(tmp_path):
    @keras.saving.register_keras_serializable(package="ndflow_tests")
    class Scaled(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    inputs = keras.Input((4,))
    layer = Scaled(3.0)
    model = keras.Model(inputs, layer(inputs))
    layer.w.assign(np.arange(4, dtype="float32"))
    loaded = _round_trip(model, tmp_path)
    assert type(loaded.layers[1]) is Scaled
    _assert_same_outputs(model, loaded, X4)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: keras.layers.Dense(3), (4,)),
        (lambda: keras.layers.Embedding(10, 3), (5,)),
        (lambda: keras.layers.Conv1D(2, 3), (8, 3)),
        (lambda: keras.layers.Conv2D(2, 3), (6, 6, 2)),
        (lambda: keras.layers.Conv2DTranspose(2, 3), (4, 4, 2)),
        (lambda: keras.layers.DepthwiseConv2D(3), (6, 6, 2)),
        (lambda: keras.layers.SeparableConv2D(2, 3), (6, 6, 2)),
        (lambda: keras.layers.BatchNormalization(), (4,)),
        (lambda: keras.layers.LayerNormalization(), (4,)),
    ],
)
def test_every_weight_bearing_layer_round_trips(layer, shape, tmp_path):
    made = layer()
    model = keras.Sequential([keras.Input(shape), made])
    dtype = "int32" if isinstance(made, keras.layers.Embedding) else "float32"
    x = (RNG.rand(2, *shape) * 9).astype(dtype)
    # Non-default values everywhere, so a mix-up of variables cannot pass.
    for w in model.weights:
        w.assign(RNG.rand(*w.shape).astype(w.dtype.as_numpy_dtype) + 0.5)
    loaded = _round_trip(model, tmp_path)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    _assert_same_outputs(model, loaded, x)


def test_normalization_layer_state_round_trips(tmp_path):
    norm = keras.layers.Normalization()
    norm.adapt(RNG.rand(20, 4).astype("float32") * 5)
    model = keras.Sequential([keras.Input((4,)), norm])
    loaded = _round_trip(model, tmp_path)
    _assert_same_outputs(model, loaded, X4)


# ------------------------------------------------------------------ compiled state
def _compiled(seed=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def test_compile_config_saved_and_restored(tmp_path):
    model = _compiled()
    config = model.get_compile_config()
    assert config["optimizer"]["module"] == "keras.optimizers"
    assert config["optimizer"]["class_name"] == "Adam"
    assert config["loss"] == "mse" and config["metrics"] == ["mae"]
    loaded = _round_trip(model, tmp_path)
    assert loaded.compiled
    assert type(loaded.optimizer).__name__ == "Adam"
    assert loaded.optimizer.learning_rate.numpy() == pytest.approx(0.01)
    not_compiled = keras.saving.load_model(str(tmp_path / "m.keras"), compile=False)
    assert not not_compiled.compiled


def test_training_continues_identically_after_load(tmp_path):
    x = RNG.rand(32, 4).astype("float32")
    y = RNG.rand(32, 1).astype("float32")
    straight = _compiled()
    straight.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    resumed = _compiled()
    resumed.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    loaded = _round_trip(resumed, tmp_path)
    assert int(loaded.optimizer.iterations.numpy()) == 4
    loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_save_weights_includes_optimizer_state(tmp_path):
    x = RNG.rand(16, 4).astype("float32")
    y = RNG.rand(16, 1).astype("float32")
    model = _compiled()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    other = _compiled(seed=7)
    other.optimizer.build(other.trainable_variables)
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, other.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_adam_slots_are_stored_interleaved_as_keras_does():
    model = _compiled()
    model.optimizer.build(model.trainable_variables)
    names = [
        v.name.split("/")[-1].split(":")[0] for v in saving_lib.optimizer_variables(model.optimizer)
    ]
    assert names[:2] == ["iteration", "learning_rate"]
    assert names[2].endswith("kernel_momentum") and names[3].endswith("kernel_velocity")
    assert names[4].endswith("bias_momentum") and names[5].endswith("bias_velocity")


# ------------------------------------------------------------------ weights files
def test_save_weights_requires_weights_h5_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"The filename must end in `\.weights\.h5`"):
        _sequential().save_weights(str(tmp_path / "w.h5x"))


def test_load_weights_mismatch_raises_and_skip_mismatch_warns(tmp_path):
    path = str(tmp_path / "w.weights.h5")
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]).save_weights(path)
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5)])
    with pytest.raises(ValueError, match="could not be loaded"):
        other.load_weights(path)
    with pytest.warns(UserWarning, match="could not be loaded"):
        other.load_weights(path, skip_mismatch=True)


def test_load_weights_from_keras_file(tmp_path):
    model = _sequential()
    path = str(tmp_path / "m.keras")
    model.save(path)
    other = _sequential()
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_unbuilt_model_cannot_save_weights(tmp_path):
    model = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has not yet been built"):
        model.save_weights(str(tmp_path / "w.weights.h5"))


# ------------------------------------------------------------------ extensions, overwrite
def test_save_model_requires_keras_or_h5_extension(tmp_path):
    with pytest.raises(ValueError, match="Invalid filepath extension for saving"):
        _sequential().save(str(tmp_path / "model.tf"))
    with pytest.raises(ValueError, match="not supported"):
        _sequential().save(str(tmp_path / "m.keras"), bogus=1)


def test_load_model_errors_name_the_file(tmp_path):
    missing = str(tmp_path / "nope.keras")
    with pytest.raises(ValueError, match="File not found: filepath=.*nope.keras"):
        keras.saving.load_model(missing)
    with pytest.raises(ValueError, match="File format not supported: filepath=.*model.pb"):
        keras.saving.load_model(str(tmp_path / "model.pb"))


def test_overwrite_false_prompts(tmp_path, monkeypatch):
    path = str(tmp_path / "m.keras")
    model = _sequential()
    model.save(path)
    before = open(path, "rb").read()
    answers = iter(["maybe", "n"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)]).save(path, overwrite=False)
    assert open(path, "rb").read() == before
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)]).save(path, overwrite=False)
    assert len(keras.saving.load_model(path).layers) == 1


def test_missing_h5py_raises_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r'pip install "ndflow\[h5\]"'):
        _sequential().save(str(tmp_path / "m.keras"))
    with pytest.raises(ImportError, match=r'pip install "ndflow\[h5\]"'):
        _sequential().save_weights(str(tmp_path / "m.weights.h5"))


# ------------------------------------------------------------------ corrupt files, atomicity
def test_corrupt_truncated_and_foreign_files_raise_naming_the_file(tmp_path):
    good = str(tmp_path / "good.keras")
    _sequential().save(good)
    data = open(good, "rb").read()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.keras"):
        keras.saving.load_model(str(truncated))
    foreign = tmp_path / "foreign.keras"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("hello.txt", "not a model")
    with pytest.raises(ValueError, match="foreign.keras.*config.json"):
        keras.saving.load_model(str(foreign))
    bad_json = tmp_path / "badjson.keras"
    with zipfile.ZipFile(bad_json, "w") as zf:
        zf.writestr("config.json", "{not json")
        zf.writestr("model.weights.h5", b"")
    with pytest.raises(ValueError, match="badjson.keras.*not valid JSON"):
        keras.saving.load_model(str(bad_json))
    bad_h5 = tmp_path / "badh5.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad_h5, "w") as zf:
        zf.writestr("config.json", src.read("config.json"))
        zf.writestr("model.weights.h5", b"garbage" * 10)
    with pytest.raises(ValueError, match="badh5.keras.*HDF5"):
        keras.saving.load_model(str(bad_h5))
    weights = tmp_path / "junk.weights.h5"
    weights.write_bytes(b"junk" * 100)
    with pytest.raises(ValueError, match="junk.weights.h5"):
        _sequential().load_weights(str(weights))
    legacy = tmp_path / "junk.h5"
    legacy.write_bytes(b"junk" * 100)
    with pytest.raises(ValueError, match="junk.h5"):
        keras.saving.load_model(str(legacy))


@pytest.mark.parametrize("name", ["m.keras", "m.weights.h5", "m.h5"])
def test_interrupted_save_leaves_previous_file_intact(name, tmp_path, monkeypatch):
    path = str(tmp_path / name)
    first = _sequential()
    if name.endswith(".weights.h5"):
        first.save_weights(path)
    else:
        first.save(path)
    before = open(path, "rb").read()

    def fail_midway(*args, **kwargs):
        raise OSError("disk full")

    # Fail after part of the new file has been written: the zip's third member, the
    # HDF5 writers' per-object datasets.
    real_writestr = zipfile.ZipFile.writestr

    def writestr(self, name, data, *args, **kwargs):
        if name == "model.weights.h5":
            raise OSError("disk full")
        return real_writestr(self, name, data, *args, **kwargs)

    written = []

    def fail_after_first(obj, store):
        if written:
            raise OSError("disk full")
        written.append(obj)
        real_save_own(obj, store)

    real_save_own = saving_lib._save_own
    from ndflow._src.keras.saving import legacy_h5

    if name == "m.keras":
        monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    elif name == "m.weights.h5":
        monkeypatch.setattr(saving_lib, "_save_own", fail_after_first)
    else:
        monkeypatch.setattr(legacy_h5, "_write_group", fail_midway)
    second = _sequential()
    with pytest.raises(OSError, match="disk full"):
        if name.endswith(".weights.h5"):
            second.save_weights(path)
        else:
            second.save(path)
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == [name]  # no temporary file left behind
    restored = _sequential()
    restored.load_weights(path)
    for a, b in zip(first.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ safe mode
def test_lambda_layer_loads_only_with_safe_mode_false(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 3.0 + 1.0)(inputs))
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.load_model(path)
    loaded = keras.saving.load_model(path, safe_mode=False)
    _assert_same_outputs(model, loaded, X4)


def test_unknown_class_in_file_is_not_imported(tmp_path):
    path = str(tmp_path / "m.keras")
    _sequential().save(path)
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.h5")
    config["config"]["layers"][1]["module"] = "os"
    config["config"]["layers"][1]["class_name"] = "system"
    evil = str(tmp_path / "evil.keras")
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights)
    with pytest.raises(TypeError, match="Could not locate class 'system'"):
        keras.saving.load_model(evil)


# ------------------------------------------------------------------ legacy h5
def test_legacy_h5_round_trip_with_compile_state(tmp_path):
    x = RNG.rand(16, 4).astype("float32")
    y = RNG.rand(16, 1).astype("float32")
    model = _compiled()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = str(tmp_path / "m.h5")
    with pytest.warns(UserWarning, match="legacy"):
        model.save(path)
    import h5py

    with h5py.File(path) as f:
        assert json.loads(f.attrs["model_config"])["class_name"] == "Sequential"
        assert "training_config" in f.attrs
        names = [n.decode() for n in f["model_weights"].attrs["layer_names"]]
        assert names == [x.name for x in model.layers]
        assert "optimizer_weights" in f
    loaded = keras.saving.load_model(path)
    _assert_same_outputs(model, loaded, x)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    fresh = _compiled(seed=3)
    fresh.load_weights(path)
    _assert_same_outputs(model, fresh, x)


def _my_loss(y_true, y_pred):
    return tf.reduce_mean(tf.abs(y_true - y_pred))


def test_custom_loss_function_needs_custom_objects(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=_my_loss)
    path = str(tmp_path / "m.keras")
    model.save(path)
    with pytest.raises(TypeError, match="Could not locate function '_my_loss'"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"_my_loss": _my_loss})
    assert loaded.compiled
    loaded.fit(X4, np.zeros((8, 1), "float32"), epochs=1, verbose=0)
    assert keras.models.load_model(path, compile=False) is not None


def test_keras2_legacy_h5_file_loads(tmp_path):
    """tf.keras 2.x wrote nodes as `[[layer, node, tensor, kwargs]]`, class names without
    modules and `weight_names` ending in ":0"."""
    import h5py

    config = {
        "class_name": "Functional",
        "config": {
            "name": "model",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_input_shape": [None, 3], "dtype": "float32", "name": "in"},
                    "name": "in",
                    "inbound_nodes": [],
                },
                {
                    "class_name": "Dense",
                    "config": {
                        "name": "d1",
                        "units": 2,
                        "activation": "relu",
                        "kernel_initializer": {"class_name": "GlorotUniform", "config": {}},
                    },
                    "name": "d1",
                    "inbound_nodes": [[["in", 0, 0, {}]]],
                },
                {
                    "class_name": "Dense",
                    "config": {"name": "d2", "units": 2},
                    "name": "d2",
                    "inbound_nodes": [[["in", 0, 0, {}]]],
                },
                {
                    "class_name": "Add",
                    "config": {"name": "add"},
                    "name": "add",
                    "inbound_nodes": [[["d1", 0, 0, {}], ["d2", 0, 0, {}]]],
                },
            ],
            "input_layers": [["in", 0, 0]],
            "output_layers": [["add", 0, 0]],
        },
    }
    k1, b1 = RNG.rand(3, 2).astype("float32"), RNG.rand(2).astype("float32")
    k2, b2 = RNG.rand(3, 2).astype("float32"), RNG.rand(2).astype("float32")
    path = str(tmp_path / "keras2.h5")
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [b"in", b"d1", b"d2", b"add"]
        for name, values in (("in", []), ("d1", [k1, b1]), ("d2", [k2, b2]), ("add", [])):
            g = weights.create_group(name)
            names = [f"{name}/{w}:0".encode() for w in ("kernel", "bias")[: len(values)]]
            g.attrs["weight_names"] = names if names else np.array([], "float64")
            for n, v in zip(names, values):
                g.create_dataset(n.decode(), data=v)
    model = keras.models.load_model(path)
    x = RNG.rand(4, 3).astype("float32")
    expected = np.maximum(x @ k1 + b1, 0) + x @ k2 + b2
    np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-5)
