"""The Keras 3 `.keras` format and `.weights.h5` files.

A `.keras` file is a zip archive holding `metadata.json` (Keras version, date),
`config.json` (the model's `serialize_keras_object` config, with its compile config) and
`model.weights.h5`. The weights file stores each object's own variables in a group
`<object path>/vars` as datasets `"0"`, `"1"`, ... . The object path is Keras 3's: the
layers of a Sequential/functional model live under `layers/<snake_case class name>`
(`dense`, `dense_1`, ... counted per class in that list), other attributes holding layers
or an optimizer under their attribute name (public names sorted, then private ones), and
an object already saved under an earlier path is not saved again. Because the paths and
the variable order are Keras' own, Keras 3 reads files ndflow writes and vice versa.

Files are written to a temporary name in the target directory and renamed into place, so
an interrupted save leaves the previous file intact. Nothing is ever unpickled or executed
from a file (a Lambda layer's marshalled code is only loaded with `safe_mode=False`).

>>> import ndflow as tf, os, tempfile
>>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
>>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
>>> save_model(model, path)
>>> sorted(zipfile.ZipFile(path).namelist())
['config.json', 'metadata.json', 'model.weights.h5']
"""

from __future__ import annotations

import datetime
import io
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ndflow._src.keras.layers.layer import Layer
from ndflow._src.keras.optimizers.base_optimizer import Optimizer
from ndflow._src.keras.saving import serialization_lib

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
VARS_FILENAME = "model.weights.h5"
# The Keras release whose format and behaviour ndflow follows (written to metadata.json).
KERAS_VERSION = "3.15.1"

H5PY_MISSING = 'Saving and loading Keras files needs h5py: pip install "ndflow[h5]"'


def h5py() -> Any:
    """Imports h5py on first use (an optional dependency: `ndflow[h5]`)."""
    try:
        import h5py as module
    except ImportError as e:
        raise ImportError(H5PY_MISSING) from e
    return module


_REGISTERING_MODULES = (
    "layers.convolutional",
    "layers.core",
    "layers.input_layer",
    "layers.merging",
    "layers.normalization",
    "layers.pooling",
    "layers.regularization",
    "layers.reshaping",
    "models.functional",
    "models.sequential",
)


def register_training_families() -> None:
    """Makes optimizers, losses and metrics known to `serialization_lib` under their
    public Keras modules, so compile configs serialize as Keras writes them
    (`"module": "keras.optimizers"`) and deserialize by class name."""
    import importlib

    from ndflow._src.keras import losses, metrics, optimizers

    for name in _REGISTERING_MODULES:  # built-in layers and models register on import
        importlib.import_module(f"ndflow._src.keras.{name}")

    for module, family in (
        ("keras.optimizers", optimizers),
        ("keras.losses", losses),
        ("keras.metrics", metrics),
    ):
        for name, obj in family.ALL_OBJECTS_DICT.items():
            if getattr(obj, "__name__", None) != name:
                continue  # aliases ("adam", "mse") stay strings, as Keras writes them
            if (module, name) not in serialization_lib._BUILTINS:
                serialization_lib.register_builtin(module, obj)


register_training_families()


# ------------------------------------------------------------------ atomic writes
def write_atomically(filepath: str, write: Callable[[str], None]) -> None:
    """Calls `write(tmp_path)` for a temporary file beside `filepath`, then renames it
    into place; if `write` raises, the temporary file is removed and `filepath` is left
    as it was."""
    directory = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(filepath)}.", suffix=".tmp", dir=directory
    )
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _file_mode(filepath))  # mkstemp's 0600 would hide the file from others
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _file_mode(filepath: str) -> int:
    """The replaced file's permissions, or those a plain `open(path, "w")` would give."""
    if os.path.exists(filepath):
        return os.stat(filepath).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ------------------------------------------------------------------ object paths
def _is_saveable(obj: Any) -> bool:
    return isinstance(obj, (Layer, Optimizer))


# Attributes of ndflow's own Layer/Model/Functional/Sequential bookkeeping: Keras skips
# the attributes its base classes define and so do we (they would duplicate `layers`).
_INTERNAL_ATTRS = frozenset(
    {
        "_functional_layers",
        "_seq_layers",
        "_nodes",
        "_inputs_struct",
        "_outputs_struct",
        "inputs",
        "outputs",
        "_sym_inputs",
        "_sym_outputs",
        "_output_shapes",
        "_self_tracked",
        "_own_trainable",
        "_own_non_trainable",
        "_initial_weights",
        "_losses",
        "_init_args",
        "_symbolic_calls",
        "_input_tensor",
        "_keras_history",
        "_loss_tracker",
        "_output_loss_trackers",
        "_compiled_metrics",
        "history",
        "input_spec",
        "_train_fn",
        "_test_fn",
        "_predict_fn",
    }
)


def _name_key(name: str) -> str:
    # Keras visits public attributes first, then private ones, each group sorted.
    return f"~{name}" if name.startswith("_") else name


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    """(attribute name, value) pairs to walk from `obj`, in Keras 3's order."""
    from ndflow._src.keras.models.model import Model

    d = obj.__dict__
    is_graph = "_functional_layers" in d or "_seq_layers" in d
    if is_graph:
        yield "layers", obj.layers
    names = [k for k in d if not k.startswith("__") and k not in _INTERNAL_ATTRS]
    if isinstance(obj, Model) and not is_graph:
        names.append("layers")
    if isinstance(obj, Optimizer):
        return
    for name in sorted(set(names), key=_name_key):
        value = obj.layers if name == "layers" else d[name]
        yield name, value


def to_snake_case(name: str) -> str:
    """Keras' `naming.to_snake_case` (the container naming rule)."""
    import re

    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def walk(root: Any) -> list[tuple[str, Any]]:
    """Every saveable reachable from `root` with its Keras 3 path, in save order."""
    out: list[tuple[str, Any]] = []
    visited: set[int] = set()

    def visit(obj: Any, path: str) -> None:
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        for name, value in _children(obj):
            if _is_saveable(value):
                visit(value, _join(path, name))
            elif isinstance(value, (list, tuple, dict)):
                container(value, _join(path, name), set())

    def container(items: Any, path: str, seen: set[int]) -> None:
        if id(items) in seen:
            return
        seen.add(id(items))
        used: dict[str, int] = {}
        values = list(items.values()) if isinstance(items, dict) else list(items)
        for item in values:
            if _is_saveable(item):
                visit(item, _join(path, _unique(to_snake_case(type(item).__name__), used)))
            elif isinstance(item, (list, tuple, dict)):
                container(item, _join(path, _unique("container", used)), seen)

    visit(root, "")
    return out


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def optimizer_variables(opt: Any) -> list:
    """The optimizer's variables in Keras 3's order.

    ndflow creates one slot kind for all variables, then the next kind; Keras 3.15
    creates the first two kinds of Adam, AdamW, Nadam, Adamax, Adadelta and Ftrl together,
    interleaved per variable (`dense_kernel_momentum`, `dense_kernel_velocity`,
    `dense_bias_momentum`, ...). Files list them in Keras' order."""
    from ndflow._src.keras.optimizers import optimizers as opts

    variables = list(opt.variables)
    n = len(getattr(opt, "_trainable_variables", []))
    interleaved = (opts.Adam, opts.Nadam, opts.Adamax, opts.Adadelta, opts.Ftrl)
    if not n or not isinstance(opt, interleaved):
        return variables
    head = 1 + int(any(v is getattr(opt, "_learning_rate", None) for v in variables))
    if getattr(opt, "use_ema", False):
        head += n
    slots = variables[head:]
    if len(slots) < 2 * n:  # trailing extras (Nadam's u_product) keep their place
        return variables
    first, second = slots[:n], slots[n : 2 * n]
    mixed = [v for pair in zip(first, second) for v in pair]
    return variables[:head] + mixed + slots[2 * n :]


def _own_variables(obj: Any) -> list:
    if isinstance(obj, Optimizer):
        return optimizer_variables(obj)
    d = obj.__dict__
    return list(d.get("_own_trainable", [])) + list(d.get("_own_non_trainable", []))


def _overrides(obj: Any, method: str) -> bool:
    """Whether `obj` defines its own `save_own_variables`/`load_own_variables` (a user
    class taking control of its layout, as Keras allows)."""
    impl = getattr(type(obj), method, None)
    return impl is not None and impl is not getattr(Optimizer, method, None)


def _save_own(obj: Any, store: dict) -> None:
    if _overrides(obj, "save_own_variables"):
        obj.save_own_variables(store)
        return
    for i, v in enumerate(_own_variables(obj)):
        store[str(i)] = np.asarray(v.numpy())


def _check_count(obj: Any, store: Any) -> None:
    all_vars = _own_variables(obj)
    n = len(store.keys())
    if n == len(all_vars):
        return
    if not all_vars and not getattr(obj, "built", True):
        raise ValueError(
            f"Layer '{obj.name}' was never built and thus it doesn't have any variables. "
            f"However the weights file lists {n} variables for this layer.\n"
            "In most cases, this error indicates that either:\n\n"
            "1. The layer is owned by a parent layer that implements a `build()` method, "
            "but calling the parent's `build()` method did NOT create the state of the "
            f"child layer '{obj.name}'. A `build()` method must create ALL state for the "
            "layer, including the state of any children layers.\n\n"
            "2. You need to implement the `def build_from_config(self, config)` method on "
            f"layer '{obj.name}', to specify how to rebuild it during loading."
        )
    raise ValueError(
        f"Layer '{obj.name}' expected {len(all_vars)} variables, but received {n} "
        f"variables during loading. Expected: {[v.name for v in all_vars]}"
    )


def _load_own(obj: Any, store: Any) -> None:
    if _overrides(obj, "load_own_variables"):
        obj.load_own_variables(store)
        return
    if isinstance(obj, Optimizer):
        count = len(_own_variables(obj))
        if len(store.keys()) != count:
            msg = (
                f"Skipping variable loading for optimizer '{obj.name}', because it has "
                f"{count} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables. "
            )
            if not obj.built:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=3)
            return
    _check_count(obj, store)
    for i, v in enumerate(_own_variables(obj)):
        value = np.asarray(store[str(i)])
        shape = tuple(v.shape.as_list())
        if value.shape != shape:
            raise ValueError(
                f"The shape of the target variable and the shape of the target value in "
                f"`variable.assign(value)` must match. variable.shape={shape}, Received: "
                f"value.shape={value.shape}. Target variable: {v}"
            )
        v.assign(value.astype(v.dtype.as_numpy_dtype))


# ------------------------------------------------------------------ H5 store
class _H5Store:
    """Keras 3's H5IOStore layout: group `<path>/vars` (or `vars` at the root) with the
    object's name as attribute, datasets "0", "1", ... ."""

    def __init__(self, f: Any) -> None:
        self.f = f

    def make(self, path: str, name: str | None) -> Any:
        group = self.f.create_group(_join(path, "vars"))
        if name is not None:
            group.attrs["name"] = name
        return _H5Writer(group)

    def get(self, path: str) -> Any:
        key = _join(path, "vars")
        h5 = h5py()
        node = self.f
        for part in key.split("/"):
            if not isinstance(node, h5.Group) or part not in node:
                return {}
            link = node.get(part, getlink=True)
            if isinstance(link, (h5.ExternalLink, h5.SoftLink)):
                raise ValueError(f"Not allowed: H5 file with {type(link).__name__}")
            node = node[part]
        if not isinstance(node, h5.Group):
            raise ValueError(f"Invalid H5 file, expected Group but received {type(node)}")
        return _H5Reader(node)


class _H5Writer(dict):
    def __init__(self, group: Any) -> None:
        super().__init__()
        self.group = group

    def __setitem__(self, key: str, value: Any) -> None:
        value = np.asarray(value)
        self.group.create_dataset(str(key), data=value)
        super().__setitem__(key, value)


class _H5Reader:
    def __init__(self, group: Any) -> None:
        self.group = group

    def keys(self) -> list:
        return list(self.group.keys())

    def __len__(self) -> int:
        return len(self.group)

    def __contains__(self, key: str) -> bool:
        return key in self.group

    def __getitem__(self, key: str) -> np.ndarray:
        return np.asarray(self.group[key][()])


def save_state(root: Any, f: Any) -> None:
    """Writes the variables of `root` and everything it reaches into the h5py file `f`."""
    store = _H5Store(f)
    for path, obj in walk(root):
        name = getattr(obj, "name", None)
        _save_own(obj, store.make(path, name if isinstance(name, str) else None))


def load_state(root: Any, f: Any, skip_mismatch: bool = False) -> None:
    """Assigns the variables stored in the h5py file `f` to `root`'s objects (matched by
    Keras 3 object path). Failures are collected and raised together, as Keras does;
    with `skip_mismatch` they are warnings."""
    store = _H5Store(f)
    errors: list[tuple[Any, Exception]] = []
    for path, obj in walk(root):
        try:
            _load_own(obj, store.get(path))
        except Exception as e:  # noqa: BLE001 - reported together below, as Keras does
            errors.append((obj, e))
    if errors:
        obj, err = errors[0]
        msg = (
            f"A total of {len(errors)} objects could not be loaded. Example error message "
            f"for object {obj}:\n\n{err}\n\nList of objects that could not be loaded:\n"
            f"{[x[0] for x in errors]}"
        )
        if skip_mismatch:
            warnings.warn(msg, stacklevel=3)
        else:
            raise ValueError(msg)


# ------------------------------------------------------------------ .keras files
def _h5_bytes(root: Any) -> bytes:
    buf = io.BytesIO()
    with h5py().File(buf, "w") as f:
        save_state(root, f)
    return buf.getvalue()


def model_config(model: Any) -> dict:
    """The `config.json` content: `serialize_keras_object(model)` plus the compile
    config (an empty dict when the model is not compiled)."""
    config = serialization_lib.serialize_keras_object(model)
    compile_config = model.get_compile_config() if hasattr(model, "get_compile_config") else {}
    config["compile_config"] = compile_config
    return config


def save_model(model: Any, filepath: str) -> None:
    """Writes `model` as a Keras 3 `.keras` zip to `filepath` (atomically)."""
    h5py()
    config_json = json.dumps(model_config(model), default=_json_default)
    metadata = json.dumps(
        {
            "keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        }
    )
    weights = _h5_bytes(model)

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(METADATA_FILENAME, metadata)
            zf.writestr(CONFIG_FILENAME, config_json)
            zf.writestr(VARS_FILENAME, weights)

    write_atomically(filepath, write)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if hasattr(obj, "as_list"):  # TensorShape
        return obj.as_list()
    if hasattr(obj, "name") and hasattr(obj, "as_numpy_dtype"):  # DType
        return obj.name
    raise TypeError(f"Unable to serialize {obj!r} to JSON (type {type(obj).__name__}).")


def _bad_file(filepath: str, why: str) -> ValueError:
    return ValueError(
        f"Could not load the Keras file {filepath}: {why}. The file is corrupt, truncated "
        "or not a Keras file."
    )


def _read_zip(filepath: str) -> tuple[dict, bytes]:
    try:
        with zipfile.ZipFile(filepath, "r") as zf:
            names = zf.namelist()
            if CONFIG_FILENAME not in names:
                raise _bad_file(filepath, f"it has no {CONFIG_FILENAME}")
            if VARS_FILENAME not in names:
                raise _bad_file(filepath, f"Expected a {VARS_FILENAME} file")
            config_bytes = zf.read(CONFIG_FILENAME)
            weights = zf.read(VARS_FILENAME)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise _bad_file(filepath, f"{type(e).__name__}: {e}") from e
    try:
        config = json.loads(config_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _bad_file(filepath, f"{CONFIG_FILENAME} is not valid JSON ({e})") from e
    if not isinstance(config, dict) or "class_name" not in config:
        raise _bad_file(filepath, f"{CONFIG_FILENAME} does not describe a Keras object")
    return config, weights


def _open_h5_bytes(data: bytes, filepath: str) -> Any:
    try:
        return h5py().File(io.BytesIO(data), "r")
    except (OSError, ValueError) as e:
        raise _bad_file(filepath, f"{VARS_FILENAME} is not a valid HDF5 file ({e})") from e


def model_from_config(
    config: dict, custom_objects: dict | None, compile: bool, safe_mode: bool
) -> Any:
    """Rebuilds a model from `config.json`'s dict; compiles it when asked and possible."""
    config = dict(config)
    compile_config = config.pop("compile_config", None)
    with serialization_lib.SafeModeScope(safe_mode):
        model = serialization_lib.deserialize_keras_object(
            config, custom_objects=custom_objects, safe_mode=safe_mode
        )
    if compile and compile_config and hasattr(model, "compile_from_config"):
        with serialization_lib.CustomObjectScope(custom_objects):
            model.compile_from_config(compile_config)
    return model


def load_model(
    filepath: str, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True
) -> Any:
    """Reads a `.keras` zip written by ndflow or Keras 3."""
    h5py()
    config, weights = _read_zip(filepath)
    model = model_from_config(config, custom_objects, compile, safe_mode)
    with _open_h5_bytes(weights, filepath) as f:
        load_state(model, f)
    return model


# ------------------------------------------------------------------ weights files
def save_weights(model: Any, filepath: str) -> None:
    """Writes `model`'s variables (and its optimizer's) as a Keras 3 `.weights.h5`."""
    if not model.built:
        raise ValueError(
            "You are saving a model that has not yet been built. Try building the model "
            "first by calling it on some data or by using `build()`."
        )
    h5 = h5py()

    def write(tmp: str) -> None:
        with h5.File(tmp, "w") as f:
            save_state(model, f)

    write_atomically(filepath, write)


def load_weights(model: Any, filepath: str, skip_mismatch: bool = False) -> None:
    """Loads a `.weights.h5` file (or the weights inside a `.keras` zip) into `model`."""
    h5 = h5py()
    if str(filepath).endswith(".keras"):
        _, weights = _read_zip(filepath)
        f = _open_h5_bytes(weights, filepath)
    else:
        try:
            f = h5.File(filepath, "r")
        except FileNotFoundError:
            raise
        except OSError as e:
            if not os.path.exists(filepath):
                raise FileNotFoundError(f"No such file or directory: '{filepath}'") from e
            raise _bad_file(filepath, f"not a valid HDF5 file ({e})") from e
    with f:
        load_state(model, f, skip_mismatch=skip_mismatch)
