"""`Trainer`: the part of `keras.Model` that compiles and trains.

`fit` runs `train_step` (wrapped in `ndflow.function` unless `run_eagerly=True`) over the
batches of a data adapter, calls the callbacks' hooks and returns a `History`.

>>> import numpy as np, ndflow as tf
>>> model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
>>> model.predict(np.ones((5, 2)), batch_size=2, verbose=0).shape
(5, 1)
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

import ndflow as tf
from ndflow._src.core import nest
from ndflow._src.framework.tensor import Tensor
from ndflow._src.function.polymorphic_function import _counter_for
from ndflow._src.graph.func_graph import call_function
from ndflow._src.keras.trainers import compile_utils, data_adapters
from ndflow._src.keras.trainers.callback_list import CallbackList

_TRAINER_STATE = (
    "optimizer",
    "compiled",
    "loss",
    "_compile_args",
    "_loss_fns",
    "_loss_weights",
    "_metric_specs",
    "_weighted_metric_specs",
    "_compiled_metrics",
    "_loss_tracker",
    "_output_loss_trackers",
    "_metrics_built",
    "run_eagerly",
    "steps_per_execution",
    "jit_compile",
    "stop_training",
    "history",
    "_train_fn",
    "_test_fn",
    "_predict_fn",
    "_runners",
    "_in_fit",
)


def _scalar(v: Any) -> Any:
    if isinstance(v, Tensor):
        v = v.numpy()
    if isinstance(v, np.ndarray) and v.size == 1:
        return float(v.reshape(()))
    if isinstance(v, np.generic):
        return float(v)
    return v


def _flatten_logs(logs: Any) -> dict:
    """A step's returned dict as Python floats; nested dicts (a metric whose result is
    a dict) are merged in. Keys are sorted, as Keras' logs come out of its traced step."""
    out: dict = {}
    if not isinstance(logs, dict):
        return {"outputs": logs} if logs is not None else out
    for k, v in logs.items():
        if isinstance(v, dict):
            out.update(_flatten_logs(v))
        else:
            out[k] = _scalar(v)
    return dict(sorted(out.items()))


class Trainer:
    """Mixin giving a model `compile`, `fit`, `evaluate`, `predict` and the step methods."""

    def __init__(self) -> None:
        d = self.__dict__
        d["optimizer"] = None
        d["compiled"] = False
        d["loss"] = None
        d["run_eagerly"] = False
        d["steps_per_execution"] = 1
        d["jit_compile"] = False
        d["stop_training"] = False
        d["history"] = None
        d["_loss_tracker"] = None
        d["_output_loss_trackers"] = []
        d["_compiled_metrics"] = []
        d["_metrics_built"] = False
        d["_in_fit"] = False
        d["_train_fn"] = d["_test_fn"] = d["_predict_fn"] = None
        d["_runners"] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        # Training state is plain bookkeeping: it must not be tracked as layer state.
        if name in _TRAINER_STATE:
            self.__dict__[name] = value
            return
        super().__setattr__(name, value)

    # ------------------------------------------------------------------ compile
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = "auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Configures training: optimizer, loss(es), metrics and execution mode.

        `loss`/`metrics` may be one item, a list (one per output) or a dict keyed by output
        name; strings are looked up ("mse", "accuracy", ...). With `steps_per_execution=N`,
        `fit`/`evaluate`/`predict` run N batches per call of the traced function and call
        the batch callbacks once per N batches (Keras 3's indices: `begin`, `begin+N-1`).

        >>> import numpy as np, ndflow as tf
        >>> m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
        >>> m.compile("sgd", "mse", steps_per_execution=4)
        >>> _ = m.fit(np.ones((10, 2)), np.ones((10, 1)), batch_size=2, verbose=0)
        >>> int(m.optimizer.iterations)
        5
        """
        d = self.__dict__
        d["optimizer"] = compile_utils.get_optimizer(optimizer)
        names = self._output_names_for_compile()
        if loss is not None:
            per_output = compile_utils.map_to_outputs(loss, names, "loss")
            d["_loss_fns"] = [
                None if x is None else compile_utils.LossFn(compile_utils.get_loss(x))
                for x in per_output
            ]
        else:
            d["_loss_fns"] = None
        d["loss"] = loss
        if loss_weights is not None:
            d["_loss_weights"] = compile_utils.map_to_outputs(loss_weights, names, "loss_weights")
        else:
            d["_loss_weights"] = None
        d["_metric_specs"] = self._normalize_metric_specs(metrics, names, "metrics")
        d["_weighted_metric_specs"] = self._normalize_metric_specs(
            weighted_metrics, names, "weighted_metrics"
        )
        for spec in d["_metric_specs"] + d["_weighted_metric_specs"]:
            for m in spec:
                if (
                    isinstance(m, str)
                    and m not in compile_utils._ACCURACY + compile_utils._CROSSENTROPY
                ):
                    compile_utils.get_metric(m, tf.zeros((1, 1)), tf.zeros((1, 1)))
        d["_compiled_metrics"] = []
        d["_metrics_built"] = False
        d["_loss_tracker"] = compile_utils.MeanTracker("loss")
        # Keras 3 logs each output's (weighted) loss as "<output>_loss" for multi-output
        # models.
        d["_output_loss_trackers"] = (
            [
                None if fn is None else compile_utils.MeanTracker(f"{name}_loss")
                for fn, name in zip(d["_loss_fns"], names)
            ]
            if d["_loss_fns"] is not None and len(names) > 1
            else []
        )
        d["run_eagerly"] = bool(run_eagerly)
        d["steps_per_execution"] = steps_per_execution
        d["jit_compile"] = False if jit_compile == "auto" else bool(jit_compile)
        d["compiled"] = True
        d["_compile_args"] = {
            "optimizer": optimizer,
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }
        d["_train_fn"] = d["_test_fn"] = d["_predict_fn"] = None
        d["_runners"] = {}

    def _output_names_for_compile(self) -> list:
        names = getattr(self, "output_names", None)
        if names:
            return list(names)
        return ["output"]

    @staticmethod
    def _normalize_metric_specs(metrics: Any, names: list, what: str) -> list:
        if metrics is None:
            return [[] for _ in names]
        if isinstance(metrics, dict):
            per = compile_utils.map_to_outputs(metrics, names, what)
            return [
                [] if m is None else list(m) if isinstance(m, (list, tuple)) else [m] for m in per
            ]
        if not isinstance(metrics, (list, tuple)):
            raise TypeError(
                f"Expected `{what}` argument to be a list, tuple, or dict. Received instead: "
                f"{what}={metrics} of type {type(metrics)}"
            )
        if len(names) > 1 and metrics:
            if len(metrics) == len(names) and all(
                m is None or isinstance(m, (list, tuple)) for m in metrics
            ):
                return [[] if m is None else list(m) for m in metrics]
            raise ValueError(
                f"Invalid `{what}`. `{what}` should contain metrics objects and either be a "
                "dict or a list matching the output names of the functional model "
                f"{names} or match the output structure of the model: "
                f"{['X'] * len(names)}.\nReceived: {what}={metrics}"
            )
        return [list(metrics) for _ in names]

    def _build_metrics(self, y: Any, y_pred: Any) -> None:
        d = self.__dict__
        if d["_metrics_built"]:
            return
        ys, ps = nest.flatten(y), nest.flatten(y_pred)
        names = self._output_names_for_compile()
        out = []
        multi = len(ps) > 1
        used: dict[str, int] = {}  # Keras' display names: repeats get "_1", "_2", ...
        with tf.init_scope():
            for weighted, specs in (
                (False, d["_metric_specs"]),
                (True, d["_weighted_metric_specs"]),
            ):
                for i, spec in enumerate(specs):
                    if i >= len(ps):
                        break
                    for ident in spec:
                        m = compile_utils.get_metric(ident, tf.convert_to_tensor(ys[i]), ps[i])
                        prefix = f"{names[i]}_" if multi else ""
                        base = getattr(m, "name", str(ident))
                        display = prefix + base
                        if display in used and weighted:
                            # a weighted metric is "weighted_" only when its name is taken
                            display = prefix + "weighted_" + base
                        if display in used:
                            used[display] += 1
                            display = f"{display}_{used[display] - 1}"
                        else:
                            used[display] = 1
                        out.append((i, weighted, m, display))
        d["_compiled_metrics"] = out
        d["_metrics_built"] = True

    @property
    def metrics(self) -> list:
        """The loss tracker then the compiled metrics (once data has built them)."""
        out = []
        if self.__dict__.get("_loss_tracker") is not None:
            out.append(self._loss_tracker)
        out.extend(m for _, _, m, _ in self.__dict__.get("_compiled_metrics", []))
        out.extend(m for m in self.__dict__.get("_output_loss_trackers", []) if m is not None)
        seen = {id(m) for m in out}
        out.extend(m for m in self._tracked_metrics() if id(m) not in seen)
        return out

    def _tracked_metrics(self) -> list:
        """Metric objects set as attributes of the model or its layers (Keras 3 counts
        them in `metrics`, so `fit` resets and logs them each epoch)."""
        out: list = []
        seen: set[int] = set()
        for layer in self._flatten_layers(include_self=True):
            for key, value in layer.__dict__.items():
                if layer is self and key in _TRAINER_STATE:
                    continue
                stack = [value]
                while stack:
                    x = stack.pop()
                    if isinstance(x, (list, tuple, dict)):
                        if id(x) not in seen:
                            seen.add(id(x))
                            items = x.values() if isinstance(x, dict) else x
                            stack.extend(reversed(list(items)))
                    elif (
                        id(x) not in seen
                        and not isinstance(x, type)
                        and callable(getattr(x, "update_state", None))
                        and callable(getattr(x, "result", None))
                        and callable(getattr(x, "reset_state", None))
                    ):
                        seen.add(id(x))
                        out.append(x)
        return out

    @property
    def metrics_names(self) -> list:
        """Keras 3's names: the compiled metrics count as one container, "compile_metrics"
        (present once `metrics`/`weighted_metrics` were given to `compile`)."""
        d = self.__dict__
        compiled = {id(m) for _, _, m, _ in d.get("_compiled_metrics", [])}
        args = d.get("_compile_args") or {}
        wanted = args.get("metrics") is not None or args.get("weighted_metrics") is not None
        names: list = []
        for m in self.metrics:
            if id(m) in compiled:
                if "compile_metrics" not in names:
                    names.append("compile_metrics")
                continue
            names.append(getattr(m, "name", ""))
            if wanted and m is d.get("_loss_tracker") and not compiled:
                names.append("compile_metrics")
        return names

    def reset_metrics(self) -> None:
        for m in self.metrics:
            if hasattr(m, "reset_state"):
                m.reset_state()
            elif hasattr(m, "reset_states"):
                m.reset_states()

    # ------------------------------------------------------------------ steps
    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """The weighted sum of the compiled losses plus the model's `losses`."""
        d = self.__dict__
        total = None
        fns = d.get("_loss_fns")
        if fns is not None and y is None and any(fn is not None for fn in fns):
            # Keras fails here too (converting the missing targets); say which ones.
            raise ValueError(
                "None values not supported. The model was compiled with a `loss`, which "
                "needs targets, but none were given. Received: y=None"
            )
        if fns is not None and y is not None:
            ys, ps = nest.flatten(y), nest.flatten(y_pred)
            if isinstance(y, dict) and not isinstance(y_pred, dict):
                names = self._output_names_for_compile()
                if set(y) != set(names):
                    raise ValueError(
                        "y_true and y_pred have different structures.\n"
                        f"y_true: {nest.map_structure(lambda _: '*', y)}\n"
                        f"y_pred: {nest.map_structure(lambda _: '*', y_pred)}\n"
                        f"(`y` is keyed by output name; the model's outputs are {names})"
                    )
                ys = [y[n] for n in names]
            if len(ys) != len(ps):
                raise ValueError(
                    f"The model has {len(ps)} outputs, but `y` has {len(ys)} entries. "
                    f"Received: y={y}"
                )
            weights = d.get("_loss_weights") or [1.0] * len(ps)
            sws = nest.flatten(sample_weight) if sample_weight is not None else [None]
            trackers = d.get("_output_loss_trackers") or []
            for i, (fn, yt, yp) in enumerate(zip(fns, ys, ps)):
                if fn is None:
                    continue
                sw = sws[i] if i < len(sws) else sws[0]
                value = fn(yt, yp, sw)
                if i < len(trackers) and trackers[i] is not None:
                    # Keras logs each output's loss before `loss_weights` apply.
                    batch = tf.cast(tf.shape(yp)[0], "float32")
                    trackers[i].update_state(value, sample_weight=batch)
                w = weights[i]
                if w is not None and w != 1.0:
                    value = value * w
                total = value if total is None else total + value
        for extra in self.losses:
            extra = tf.cast(extra, "float32")
            total = extra if total is None else total + extra
        if total is None:
            if fns is None:
                raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
            return tf.constant(0.0)
        return total

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict:
        """Updates the compiled metrics and returns every metric's current result."""
        if y is not None:
            self._build_metrics(y, y_pred)
            ys, ps = nest.flatten(y), nest.flatten(y_pred)
            sws = nest.flatten(sample_weight) if sample_weight is not None else [None]
            for i, weighted, m, _ in self._compiled_metrics:
                sw = (sws[i] if i < len(sws) else sws[0]) if weighted else None
                m.update_state(ys[i], ps[i], sample_weight=sw)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """Every metric's current result, keys sorted as Keras 3 logs them."""
        return dict(sorted(self._ordered_results().items()))

    def _ordered_results(self) -> dict:
        # Compile order: the loss, the metrics, then per-output losses (`evaluate`'s
        # list follows this order).
        # `self.metrics` may be overridden by a subclass (Keras' custom train_step guide).
        display = {id(m): name for _, _, m, name in self.__dict__.get("_compiled_metrics", [])}
        out = {}
        for m in self.metrics:
            result = m.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[display.get(id(m), getattr(m, "name", ""))] = result
        return out

    def _batch_size_of(self, x: Any) -> Any:
        first = nest.flatten(x)[0]
        return tf.cast(tf.shape(first)[0], "float32")

    def train_step(self, data: Any) -> dict:
        """One optimizer step on a batch; returns the metrics' results."""
        x, y, sample_weight = data_adapters.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
            )
        self._loss_tracker.update_state(loss, sample_weight=self._batch_size_of(x))
        variables = self.trainable_weights
        grads = tape.gradient(loss, variables)
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if pairs:
            self.optimizer.apply_gradients(pairs)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> dict:
        x, y, sample_weight = data_adapters.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False
        )
        self._loss_tracker.update_state(loss, sample_weight=self._batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        x, _, _ = data_adapters.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _build_from_batch(self, batch: Any, training: bool = False) -> None:
        """Creates all state before the first traced step, as Keras' symbolic build does:
        an unbuilt Sequential is built from the batch's shape (batch size unknown), the
        compiled metrics from one eager forward pass, and the optimizer's slots. The
        traced step then creates no variables and traces once."""
        x, y, _ = data_adapters.unpack_x_y_sample_weight(batch)
        if not self.built and "_seq_layers" in self.__dict__:
            dims = getattr(getattr(x, "shape", None), "_dims", None)
            if dims:
                self.build((None,) + tuple(dims[1:]))
        if not self.compiled:
            return
        y_pred = None
        if y is not None and not self._metrics_built:
            specs = self.__dict__["_metric_specs"] + self.__dict__["_weighted_metric_specs"]
            if any(specs):
                y_pred = self(x, training=False)
                self._build_metrics(y, y_pred)
            else:
                self.__dict__["_metrics_built"] = True
        if y_pred is None and not self.built:
            self(x, training=False)  # a subclassed model creates its weights on first call
        optimizer = self.optimizer
        if training and hasattr(optimizer, "build") and not getattr(optimizer, "built", True):
            optimizer.build(self.trainable_variables)

    def _step_fn(self, kind: str) -> Any:
        d = self.__dict__
        key = f"_{kind}_fn"
        if d.get(key) is None:
            step = getattr(self, f"{kind}_step")
            if self.run_eagerly:
                d[key] = step
            else:
                d[key] = tf.function(step, reduce_retracing=True)
        return d[key]

    def _runner(self, kind: str) -> _StepRunner:
        d = self.__dict__
        spe = d.get("steps_per_execution") or 1
        key = (kind, spe, bool(self.run_eagerly))
        runners = d.setdefault("_runners", {})
        runner = runners.get(key)
        if runner is None:
            runner = runners[key] = _StepRunner(self, kind, spe)
        return runner

    def _assert_compiled(self, what: str) -> None:
        if not self.compiled:
            raise ValueError(
                "You must call `compile()` before using the model."
                if what != "predict"
                else "The model must be compiled."
            )

    # ------------------------------------------------------------------ loops
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: Any = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ) -> Any:
        """Trains for `epochs` epochs; returns the `History` callback."""
        self._assert_compiled("fit")
        verbose = 1 if verbose == "auto" else verbose
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = data_adapters.train_validation_split(
                (x, y, sample_weight), validation_split
            )
        adapter = data_adapters.get_adapter(
            x,
            y,
            sample_weight=sample_weight,
            batch_size=batch_size,
            shuffle=shuffle,
            class_weight=class_weight,
            steps=steps_per_epoch,
        )
        val_adapter = None
        if validation_data is not None:
            if isinstance(validation_data, tuple):
                vx, vy, vsw = data_adapters.unpack_x_y_sample_weight(validation_data)
                val_adapter = data_adapters.get_adapter(
                    vx,
                    vy,
                    vsw,
                    batch_size=validation_batch_size or batch_size,
                    steps=validation_steps,
                )
            else:
                val_adapter = data_adapters.get_adapter(
                    validation_data, batch_size=validation_batch_size, steps=validation_steps
                )
        cbs = CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=adapter.num_batches,
        )
        runner = self._runner("train")
        self.stop_training = False
        self._in_fit = True
        try:
            cbs.on_train_begin()
            # BackupAndRestore sets the epoch to resume from in on_train_begin (Keras 3).
            initial_epoch = self.__dict__.pop("_initial_epoch", None) or initial_epoch
            logs: dict = {}
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                raw: Any = _NOTHING
                for out in self._run_executions(runner, adapter, cbs, "train"):
                    raw = out
                    if self.stop_training:
                        break
                if raw is _NOTHING and epoch > initial_epoch:
                    break  # the data ran out for good (a spent generator): warned already
                if raw is _NOTHING:
                    raise ValueError(
                        "Unexpected result of `train_function` (Empty logs). This could be "
                        "due to issues in input pipeline that resulted in an empty dataset. "
                        "Otherwise, please use `Model.compile(..., run_eagerly=True)`, or "
                        "`tf.config.run_functions_eagerly(True)` for more information of "
                        "where went wrong, or file a issue/bug to `tf.keras`."
                    )
                logs = _flatten_logs(raw)
                epoch_logs = self._metrics_result_or_logs(logs)
                if val_adapter is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._run_evaluate(val_adapter, cbs)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                    epoch_logs = dict(sorted(epoch_logs.items()))  # as Keras' History
                cbs.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
            cbs.on_train_end(epoch_logs if epochs > initial_epoch else None)
        finally:
            self._in_fit = False
        self.history = cbs.history
        return cbs.history

    def _run_executions(self, runner: Any, adapter: Any, cbs: Any, mode: str) -> Any:
        """One pass over `adapter`: builds what the first batch needs, runs each execution
        between the `mode` ("train", "test", "predict") batch hooks, and yields its result
        (the last step's raw logs, or predict's list of outputs)."""
        fixed = getattr(adapter, "fixed_structure", False)
        begin_hooks = cbs.hooks(f"on_{mode}_batch_begin")
        end_hooks = cbs.hooks(f"on_{mode}_batch_end")
        first = True
        for begin, end, batches in runner.executions(adapter):
            if first:
                self._build_from_batch(batches[0], training=mode == "train")
                first = False
            for hook in begin_hooks:
                hook(begin)
            out = runner(batches, fixed)
            if end_hooks:
                # Callbacks get Python floats (Keras' pythonify_logs); without batch hooks
                # the step's tensors are only read at the end of the pass.
                if mode == "predict":
                    logs = {"outputs": out[0] if len(out) == 1 else _concat_outputs(out)}
                else:
                    logs = _flatten_logs(out)
                for hook in end_hooks:
                    hook(end, logs)
            yield out

    def _current_results(self) -> dict:
        return {k: _scalar(v) for k, v in self.get_metrics_result().items()}

    def _metrics_result_or_logs(self, logs: dict) -> dict:
        """The metrics' results when the step reported exactly them (the usual case),
        otherwise what a custom step returned last, as Keras does."""
        results = self._current_results()
        if not logs or set(logs) == set(results):
            return results
        return dict(logs)

    def _run_evaluate(self, adapter: Any, cbs: Any) -> dict:
        runner = self._runner("test")
        self.reset_metrics()
        adapter.reset()  # every evaluation starts from the top of its data, as in Keras
        cbs.on_test_begin()
        raw: Any = None
        for out in self._run_executions(runner, adapter, cbs, "test"):
            raw = out
        logs = self._metrics_result_or_logs(_flatten_logs(raw))
        cbs.on_test_end(logs)
        return logs

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Any = None,
        return_dict: bool = False,
        **kwargs: Any,
    ) -> Any:
        """The loss (and metrics) on the data: a scalar, a list, or a dict."""
        self._assert_compiled("evaluate")
        verbose = 1 if verbose == "auto" else verbose
        adapter = data_adapters.get_adapter(
            x, y, sample_weight=sample_weight, batch_size=batch_size, steps=steps
        )
        cbs = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=adapter.num_batches,
        )
        logs = self._run_evaluate(adapter, cbs)
        return self._format_logs(logs, return_dict)

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
    ) -> Any:
        """Outputs for `x`, computed batch by batch and concatenated as NumPy arrays."""
        verbose = 1 if verbose == "auto" else verbose
        adapter = data_adapters.get_adapter(x, batch_size=batch_size, steps=steps)
        cbs = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=adapter.num_batches,
        )
        runner = self._runner("predict")
        cbs.on_predict_begin()
        outputs: list = []
        for outs in self._run_executions(runner, adapter, cbs, "predict"):
            outputs.extend(outs)
        if not outputs:
            raise ValueError(
                "Unexpected result of `predict_function` (Empty batch_outputs). Please use "
                "`Model.compile(..., run_eagerly=True)`, or `tf.config.run_functions_eagerly"
                "(True)` for more information of where went wrong, or file a issue/bug to "
                "`tf.keras`."
            )
        cbs.on_predict_end()
        return _concat_outputs(outputs)

    # ------------------------------------------------------------------ single batches
    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One training step on exactly this batch."""
        self._assert_compiled("train_on_batch")
        adapter = data_adapters.ArrayAdapter(
            x, y, sample_weight, batch_size=len(nest.flatten(x)[0]), class_weight=class_weight
        )
        batch = next(iter(adapter.get_epoch()))
        self._build_from_batch(batch, training=True)
        logs = _flatten_logs(self._step_fn("train")(batch))
        return self._format_logs(logs, return_dict)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """Loss and metrics on one batch (metrics are reset first)."""
        self._assert_compiled("test_on_batch")
        self.reset_metrics()
        adapter = data_adapters.ArrayAdapter(
            x, y, sample_weight, batch_size=len(nest.flatten(x)[0])
        )
        batch = next(iter(adapter.get_epoch()))
        self._build_from_batch(batch)
        logs = _flatten_logs(self._step_fn("test")(batch))
        return self._format_logs(logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs on one batch, as NumPy arrays."""
        batch = (nest.map_structure(data_adapters._to_array, x),)
        batch = nest.map_structure(tf.convert_to_tensor, batch)
        out = self._step_fn("predict")(batch)
        return nest.map_structure(lambda t: t.numpy() if isinstance(t, Tensor) else t, out)

    def _format_logs(self, logs: dict, return_dict: bool) -> Any:
        if return_dict:
            return logs
        # Keras' list: the logs named by the metrics' own names in `metrics` order (a name
        # shared by several metrics repeats its value), then the other logs by key.
        names = [getattr(m, "name", "") for m in self.metrics]
        values = [_scalar(logs[n]) for n in names if n in logs]
        values += [_scalar(logs[k]) for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values


_NOTHING = object()

# Larger executions are run as several traced calls of at most this many unrolled steps
# (one trace of 1,000 copies of a training step would take longer than it saves).
_MAX_UNROLL = 32


def _concat_outputs(outputs: list) -> Any:
    """Per-batch prediction outputs joined along the batch axis, as NumPy arrays."""
    flat = [nest.flatten(o) for o in outputs]
    joined = [
        np.concatenate(
            [np.asarray(f[i].numpy() if isinstance(f[i], Tensor) else f[i]) for f in flat]
        )
        for i in range(len(flat[0]))
    ]
    return nest.pack_sequence_as(outputs[0], joined)


class _StepRunner:
    """Runs one execution (`steps_per_execution` batches) of a model's train, test or
    predict step.

    With `steps_per_execution=N` one traced function runs N steps (unrolled when traced),
    as Keras 3 does; the last, partial execution of an epoch gets its own trace. The
    callbacks' batch hooks run once per execution: `begin` is the first step's index and
    `end` is `begin + N - 1`, as in Keras 3 (also for the partial execution).

    Calls skip `tf.function`'s argument binding and cache lookup when the batches'
    structure is fixed (arrays, `tf.data`): the concrete function is found once per
    distinct batch shapes and called with the flat tensors.
    """

    def __init__(self, model: Any, kind: str, steps_per_execution: int) -> None:
        self.kind = kind
        self.per_execution = steps_per_execution
        self.traced = not model.run_eagerly
        self.single = model._step_fn(kind)
        step = getattr(model, f"{kind}_step")
        self.multi: Any = None
        if steps_per_execution > 1:

            def multi_step(batches: tuple) -> Any:
                if kind == "predict":
                    return tuple(step(b) for b in batches)
                logs = None
                for b in batches:
                    logs = step(b)
                return logs

            self.multi = (
                tf.function(multi_step, reduce_retracing=True) if self.traced else multi_step
            )
        self._concrete: dict = {}

    def executions(self, adapter: Any) -> Any:
        """`(begin, end, batches)` for each execution of one epoch."""
        n = self.per_execution
        it = iter(adapter.get_epoch())
        if n == 1:
            for step, batch in enumerate(it):
                yield step, step, [batch]
            return
        begin = 0
        while True:
            batches = list(itertools.islice(it, n))
            if not batches:
                return
            yield begin, begin + n - 1, batches
            begin += n

    def __call__(self, batches: list, fixed_structure: bool = False) -> Any:
        """The last step's logs (train/test), or the list of per-batch outputs (predict)."""
        if len(batches) == 1:
            out = self._call(self.single, batches[0], fixed_structure)
            return [out] if self.kind == "predict" else out
        results: list = []
        out = None
        for i in range(0, len(batches), _MAX_UNROLL):
            chunk = tuple(batches[i : i + _MAX_UNROLL])
            if len(chunk) == 1:
                out = self._call(self.single, chunk[0], fixed_structure)
                results.append(out)
            else:
                out = self._call(self.multi, chunk, fixed_structure)
                if self.kind == "predict":
                    results.extend(out)
        return results if self.kind == "predict" else out

    def _call(self, fn: Any, arg: Any, fixed_structure: bool) -> Any:
        if not (self.traced and fixed_structure) or tf.config.functions_run_eagerly():
            return fn(arg)
        flat = nest.flatten(arg)
        key: list = [id(fn)]
        for t in flat:
            if type(t) is not Tensor:
                return fn(arg)
            key.append((t._value.shape, t._dtype))
        hashable = tuple(key)
        entry = self._concrete.get(hashable)
        if entry is None:
            out = fn(arg)  # traces (or finds the trace) as a plain call would
            concrete = fn.get_concrete_function(arg)
            python_fn = getattr(fn, "_python_function", None)
            counter = _counter_for(python_fn) if python_fn is not None else None
            self._concrete[hashable] = (concrete, _output_packer(concrete), counter)
            return out
        concrete, pack, counter = entry
        if counter is not None:
            # Counted as a cache hit, as tf.function's own call would, so retracing
            # warnings see the real share of traced calls.
            counter.not_traced()
        if pack is None:
            return concrete._call_flat(flat)
        return pack(call_function(concrete._gf, flat))


def _output_packer(concrete: Any) -> Any:
    """A quick rebuild of the step's usual output, a flat dict of tensors (flattened in
    sorted key order, rebuilt in the dict's own order); None for any other structure."""
    template = getattr(concrete, "_out_template", None)
    if (
        not isinstance(template, dict)
        or type(template) is not dict
        or not template
        or not all(isinstance(v, Tensor) for v in template.values())
        or not hasattr(concrete, "_gf")
    ):
        return None
    order = list(template)
    ranks = {k: i for i, k in enumerate(sorted(order))}
    index = [ranks[k] for k in order]

    def pack(outs: Any) -> dict:
        return {k: outs[i] for k, i in zip(order, index)}

    return pack
