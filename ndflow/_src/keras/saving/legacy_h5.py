"""The legacy whole-model HDF5 format (`model.save("m.h5")`), as Keras 3 writes it.

Root attributes: `keras_version`, `backend`, `model_config` (JSON: `{"class_name",
"config"}`) and, for compiled models, `training_config` (the compile arguments with an
`optimizer_config`). The group `model_weights` lists `layer_names`; each layer's group
lists `weight_names` and holds one dataset per weight at that name. The optimizer's
variables go to `optimizer_weights` the same way.

>>> import ndflow as tf, os, tempfile, warnings
>>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
>>> path = os.path.join(tempfile.mkdtemp(), "m.h5")
>>> save_model_to_hdf5(model, path)
>>> load_model_from_hdf5(path).layers[0].units
2
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

import numpy as np

from ndflow._src.keras.saving import saving_lib, serialization_lib


def _short(name: str) -> str:
    return name.split(":")[0].split("/")[-1]


def _weight_name(layer: Any, v: Any) -> str:
    path = getattr(v, "path", None)
    if isinstance(path, str) and path:
        return path
    return f"{layer.name}/{_short(v.name)}"


def _layer_weights(layer: Any) -> list:
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _name_array(names: list[str]) -> np.ndarray:
    # Keras writes an empty float array when a layer has no weights.
    return np.array([n.encode("utf8") for n in names]) if names else np.array([], "float64")


def _write_group(group: Any, names: list[str], values: list) -> None:
    """One dataset per weight; repeated names get a `_1`, `_2` suffix so that
    `weight_names` always lists distinct datasets."""
    keys: list[str] = []
    for name in names:
        key, n = name, 1
        while key in keys:
            key = f"{name}_{n}"
            n += 1
        keys.append(key)
    group.attrs["weight_names"] = _name_array(keys)
    for key, value in zip(keys, values):
        group.create_dataset(key, data=np.asarray(value))


def save_weights_to_hdf5_group(f: Any, model: Any) -> None:
    """Keras' legacy per-layer weights layout under `f` (the `model_weights` group)."""
    layers = list(model.layers)
    f.attrs["layer_names"] = _name_array([x.name for x in layers])
    f.attrs["backend"] = "tensorflow"
    f.attrs["keras_version"] = saving_lib.KERAS_VERSION
    for layer in layers:
        g = f.create_group(layer.name)
        weights = _layer_weights(layer)
        _write_group(g, [_weight_name(layer, w) for w in weights], [w.numpy() for w in weights])
    top = [w for w in model.__dict__.get("_own_trainable", [])] + [
        w for w in model.__dict__.get("_own_non_trainable", [])
    ]
    g = f.create_group("top_level_model_weights")
    _write_group(g, [_weight_name(model, w) for w in top], [w.numpy() for w in top])


def _training_config(model: Any) -> dict | None:
    if not getattr(model, "compiled", False):
        return None
    config = dict(model.get_compile_config())
    optimizer = config.pop("optimizer", None)
    if isinstance(optimizer, dict):
        config["optimizer_config"] = {
            "class_name": optimizer["class_name"],
            "config": optimizer["config"],
        }
    return config


def save_model_to_hdf5(model: Any, filepath: str, include_optimizer: bool = True) -> None:
    """Writes `model` in the legacy HDF5 layout (atomically)."""
    h5 = saving_lib.h5py()
    full = serialization_lib.serialize_keras_object(model)
    model_config = {"class_name": full["class_name"], "config": full["config"]}
    training_config = _training_config(model) if include_optimizer else None

    def write(tmp: str) -> None:
        with h5.File(tmp, "w") as f:
            f.attrs["backend"] = "tensorflow"
            f.attrs["keras_version"] = saving_lib.KERAS_VERSION
            f.attrs["model_config"] = json.dumps(
                model_config, default=saving_lib._json_default
            ).encode("utf8")
            if training_config is not None:
                f.attrs["training_config"] = json.dumps(
                    training_config, default=saving_lib._json_default
                ).encode("utf8")
            save_weights_to_hdf5_group(f.create_group("model_weights"), model)
            optimizer = getattr(model, "optimizer", None)
            if include_optimizer and optimizer is not None and optimizer.variables:
                variables = saving_lib.optimizer_variables(optimizer)
                names = [f"{optimizer.name}/{_short(v.name)}" for v in variables]
                _write_group(
                    f.create_group("optimizer_weights"), names, [v.numpy() for v in variables]
                )

    saving_lib.write_atomically(filepath, write)


def _attr_text(value: Any) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _names(group: Any, key: str) -> list[str]:
    return [_attr_text(n) for n in group.attrs.get(key, [])]


def _open(filepath: str) -> Any:
    h5 = saving_lib.h5py()
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file or directory: '{filepath}'")
    try:
        return h5.File(filepath, "r")
    except OSError as e:
        raise ValueError(
            f"Could not load the Keras file {filepath}: not a valid HDF5 file ({e}). The "
            "file is corrupt, truncated or not a Keras file."
        ) from e


def _load_group(model: Any, f: Any, filepath: str, skip_mismatch: bool) -> None:
    layer_names = _names(f, "layer_names")
    layers = [x for x in model.layers if _layer_weights(x)]
    stored = [n for n in layer_names if _names(f[n], "weight_names")]
    if len(stored) != len(layers) and not skip_mismatch:
        raise ValueError(
            f"Layer count mismatch when loading weights from file {filepath}. Model "
            f"expected {len(layers)} layers, found {len(stored)} saved layers."
        )
    for layer, name in zip(layers, stored):
        g = f[name]
        values = [np.asarray(g[n][()]) for n in _names(g, "weight_names")]
        weights = _layer_weights(layer)
        problem = None
        if len(values) != len(weights):
            problem = (
                f"Layer '{layer.name}' expected {len(weights)} variables, but received "
                f"{len(values)} variables during loading."
            )
        else:
            for w, v in zip(weights, values):
                if tuple(w.shape.as_list()) != v.shape:
                    problem = (
                        f"Shape mismatch in layer '{layer.name}' for weight {w.name}. Weight "
                        f"expects shape {tuple(w.shape.as_list())}. Received saved weight "
                        f"with shape {v.shape}"
                    )
                    break
        if problem:
            if skip_mismatch:
                warnings.warn(
                    f"Skipping loading weights for layer '{layer.name}': {problem}", stacklevel=2
                )
                continue
            raise ValueError(problem)
        for w, v in zip(weights, values):
            w.assign(v.astype(w.dtype.as_numpy_dtype))


def load_weights_from_hdf5(model: Any, filepath: str, skip_mismatch: bool = False) -> None:
    """Loads weights from a legacy `.h5` file (whole model or weights only), in layer
    order, as Keras' legacy loader does."""
    with _open(filepath) as f:
        group = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
        if "layer_names" not in group.attrs:
            raise ValueError(f"The file {filepath} does not contain Keras weights.")
        _load_group(model, group, filepath, skip_mismatch)


def load_model_from_hdf5(
    filepath: str, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True
) -> Any:
    """Rebuilds a model saved with `save_model_to_hdf5` (ndflow or Keras 3)."""
    with _open(filepath) as f:
        raw = f.attrs.get("model_config")
        if raw is None:
            raise ValueError(f"No model config found in the file at {filepath}.")
        try:
            model_config = json.loads(_attr_text(raw))
        except json.JSONDecodeError as e:
            raise ValueError(f"The model config in {filepath} is not valid JSON ({e}).") from e
        with serialization_lib.SafeModeScope(safe_mode):
            model = serialization_lib.deserialize_keras_object(
                model_config, custom_objects=custom_objects, safe_mode=safe_mode
            )
        _load_group(model, f["model_weights"], filepath, skip_mismatch=False)
        raw_training = f.attrs.get("training_config")
        if not compile or raw_training is None:
            return model
        training = json.loads(_attr_text(raw_training))
        opt = training.pop("optimizer_config", None)
        config = dict(training)
        if opt is not None:
            config["optimizer"] = {"module": "keras.optimizers", **opt}
        with serialization_lib.CustomObjectScope(custom_objects):
            model.compile_from_config(config)
        if "optimizer_weights" in f and getattr(model, "optimizer", None) is not None:
            g = f["optimizer_weights"]
            values = [np.asarray(g[n][()]) for n in _names(g, "weight_names")]
            variables = saving_lib.optimizer_variables(model.optimizer)
            if len(values) == len(variables):
                for v, value in zip(variables, values):
                    v.assign(value.astype(v.dtype.as_numpy_dtype))
            else:
                warnings.warn(
                    "Error in loading the saved optimizer state. As a result, your model is "
                    "starting with a freshly initialized optimizer.",
                    stacklevel=2,
                )
    return model
