"""`keras.saving.save_model` / `load_model` / `save_weights` / `load_weights`.

The file name picks the format, as in Keras 3: `.keras` is the native zip format
(`saving_lib`), `.h5`/`.hdf5` the legacy whole-model HDF5 format (`legacy_h5`), and
weights go to `.weights.h5` files.

>>> import ndflow as tf, os, tempfile
>>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
>>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
>>> model.save(path)
>>> restored = load_model(path)
>>> [w.shape for w in restored.get_weights()]
[(3, 2), (2,)]
"""

from __future__ import annotations

import os
import warnings
import zipfile
from typing import Any

from ndflow._src.keras.saving import legacy_h5, saving_lib


def _ask_to_proceed_with_overwrite(filepath: str) -> bool:
    """Keras' prompt before replacing an existing file when `overwrite=False`."""
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def save_model(
    model: Any, filepath: Any, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any
) -> None:
    """Saves `model` to `filepath`: a `.keras` zip, or legacy HDF5 for `.h5`/`.hdf5`.

    Args:
        model: the Keras model.
        filepath: a path ending in `.keras` (or `.h5`/`.hdf5`).
        overwrite: when False and the file exists, asks on the console first.
        zipped: only True (the default) is supported for `.keras`.

    Raises:
        ValueError: an unsupported extension or argument (Keras 3's messages).
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", False)
    path = os.fspath(filepath)
    if save_format:
        if path.endswith((".h5", ".hdf5", ".keras")):
            warnings.warn(
                "The `save_format` argument is deprecated in Keras 3. We recommend removing "
                "this argument as it can be inferred from the file path. "
                f"Received: save_format={save_format}",
                stacklevel=2,
            )
        else:
            raise ValueError(
                "The `save_format` argument is deprecated in Keras 3. Please remove this "
                "argument and pass a file path with either `.keras` or `.h5` extension."
                f"Received: save_format={save_format}"
            )
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    is_h5 = path.endswith((".h5", ".hdf5"))
    if not is_h5 and not path.endswith(".keras"):
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension "
            "for the native Keras format (recommended) or a `.h5` extension. Use "
            "`model.export(filepath)` if you want to export a SavedModel for use with "
            f"TFLite/TFServing/etc. Received: filepath={path}."
        )
    if zipped is False and path.endswith(".keras"):
        raise ValueError(
            f"ndflow only writes zipped `.keras` files. Received: zipped=False, filepath={path}"
        )
    if is_h5:
        warnings.warn(
            "You are saving your model as an HDF5 file via `model.save()` or "
            "`keras.saving.save_model(model)`. This file format is considered legacy. We "
            "recommend using instead the native Keras format, e.g. "
            "`model.save('my_model.keras')` or `keras.saving.save_model(model, "
            "'my_model.keras')`. ",
            stacklevel=2,
        )
    if not overwrite and os.path.exists(path):
        if not _ask_to_proceed_with_overwrite(path):
            return
    directory = os.path.dirname(path)
    if directory and not os.path.exists(directory):
        os.makedirs(directory, exist_ok=True)
    if is_h5:
        legacy_h5.save_model_to_hdf5(model, path, include_optimizer=include_optimizer)
    else:
        saving_lib.save_model(model, path)


def load_model(
    filepath: Any, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True
) -> Any:
    """Loads a model saved by `save_model` (ndflow or Keras 3): `.keras` or legacy `.h5`.

    Args:
        filepath: the file.
        custom_objects: name -> class/function for custom objects in the config.
        compile: recompile with the saved compile config (and restore the optimizer).
        safe_mode: refuse to load Lambda layers' code (marshalled bytecode).

    Raises:
        ValueError: missing, corrupt or unsupported files (the message names the file).
    """
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        if not os.path.isfile(path) or not zipfile.is_zipfile(path):
            raise ValueError(
                f"File not found: filepath={path}. Please ensure the file is an accessible "
                "`.keras` zip file."
            )
        return saving_lib.load_model(
            path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
        )
    if path.endswith((".h5", ".hdf5")):
        return legacy_h5.load_model_from_hdf5(
            path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
        )
    raise ValueError(
        f"File format not supported: filepath={path}. Keras 3 only supports V3 `.keras` "
        "files, legacy H5 format files (`.h5` extension). Note that the legacy SavedModel "
        "format is not supported by `load_model()` in Keras 3. In order to reload a "
        "TensorFlow SavedModel as an inference-only layer in Keras 3, use "
        f"`keras.layers.TFSMLayer({path}, call_endpoint='serving_default')` (note that "
        "your `call_endpoint` might have a different name)."
    )


def save_weights(model: Any, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """Saves the model's variables (and optimizer state) to a `.weights.h5` file."""
    path = os.fspath(filepath)
    if kwargs.get("max_shard_size") is not None:
        raise ValueError("ndflow does not write sharded weights (`max_shard_size`).")
    kwargs.pop("max_shard_size", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if not overwrite and os.path.exists(path):
        if not _ask_to_proceed_with_overwrite(path):
            return
    saving_lib.save_weights(model, path)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
    """Loads weights from a `.weights.h5`, a `.keras` or a legacy `.h5` file."""
    path = os.fspath(filepath)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if path.endswith((".keras", ".weights.h5")):
        if by_name:
            raise ValueError(
                f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: {path}"
            )
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such file or directory: '{path}'")
        saving_lib.load_weights(model, path, skip_mismatch=skip_mismatch)
    elif path.endswith((".h5", ".hdf5")):
        legacy_h5.load_weights_from_hdf5(model, path, skip_mismatch=skip_mismatch)
    else:
        raise ValueError(
            f"File format not supported: filepath={path}. Keras 3 only supports V3 `.keras` "
            "files, `.weights.h5` files, legacy H5 format files (`.h5` extension), or "
            "Orbax checkpoints."
        )
