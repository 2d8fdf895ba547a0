"""Keras 3's optimizer base: learning rate (float or schedule), clipping, weight decay,
EMA, the iteration counter and slot variables.

Subclasses declare their slots in `build` and update one variable in `update_step`,
through one fused in-place op (`ndflow._src.ops.training_ops`). All state is in
`tf.Variable`s and every computation is an ndflow op, so a traced training step runs the
update at every call.

>>> import ndflow as tf
>>> v = tf.Variable([1.0, 2.0])
>>> opt = tf.keras.optimizers.SGD(learning_rate=0.5)
>>> _ = opt.apply_gradients([(tf.constant([1.0, 1.0]), v)])
>>> v.numpy().tolist(), int(opt.iterations)
([0.5, 1.5], 1)
"""

from __future__ import annotations

import collections
import re
import warnings
from typing import Any

import ndflow as tf
from ndflow._src.keras import _scope
from ndflow._src.keras.optimizers import schedules as schedules_lib
from ndflow._src.module import trackable
from ndflow._src.variables.variable import Variable

_name_counts: collections.Counter = collections.Counter()


_BUILTIN_RULES = "ndflow._src.keras.optimizers.optimizers"


def _unique_name(base: str) -> str:
    n = _name_counts[base]
    _name_counts[base] += 1
    return base if n == 0 else f"{base}_{n}"


def _var_key(variable: Any) -> int:
    return id(variable)


def _short_name(variable: Any) -> str:
    return str(getattr(variable, "name", "variable")).split(":")[0]


class Optimizer:
    """Base class of Keras optimizers (`keras.optimizers.Optimizer`)."""

    def __init__(
        self,
        learning_rate: Any,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        if kwargs.pop("decay", None) is not None:
            warnings.warn(
                "Argument `decay` is no longer supported and will be ignored.", stacklevel=2
            )
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        # Default names are made unique ("sgd", "sgd_1", ...); given names are kept.
        if name is None or name.lower() == type(self).__name__.lower():
            name = _unique_name(type(self).__name__.lower())
        self.name = name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if gradient_accumulation_steps:
            raise NotImplementedError("gradient_accumulation_steps is not supported yet.")
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(
                    "`ema_momentum` must be in the range [0, 1]. "
                    f"Received: ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if sum(x is not None for x in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.built = False
        self._variables: list = []
        self._trainable_variables: list = []
        self._trainable_variables_indices: dict = {}
        self._exclude_from_weight_decay: set = set()
        self._exclude_names: list = []
        with _scope.scope(self.name):
            self._iterations = Variable(0, dtype=tf.int64, name="iteration", trainable=False)
        self._variables.append(self._iterations)
        if isinstance(learning_rate, schedules_lib.LearningRateSchedule):
            self._learning_rate = learning_rate
        elif callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            if not isinstance(learning_rate, (int, float)) and not tf.is_tensor(learning_rate):
                try:
                    learning_rate = float(learning_rate)
                except (TypeError, ValueError):
                    raise ValueError(
                        "Argument `learning_rate` should be float, or an instance of "
                        "LearningRateSchedule, or a callable (that takes in the current "
                        "iteration value and returns the corresponding learning rate "
                        f"value). Received instead: learning_rate={learning_rate}"
                    ) from None
            with _scope.scope(self.name):
                self._learning_rate = Variable(
                    tf.cast(learning_rate, tf.float32), name="learning_rate", trainable=False
                )
            self._variables.append(self._learning_rate)

    # ------------------------------------------------------------------ properties

    @property
    def iterations(self) -> Variable:
        """The number of update steps applied so far (an int64 Variable)."""
        return self._iterations

    @property
    def variables(self) -> list:
        """The optimizer's variables: iteration, learning rate (when a float), slots."""
        return self._variables[:]

    @property
    def learning_rate(self) -> Any:
        """The learning rate: its Variable, or the schedule's value at `iterations`."""
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(value, schedules_lib.LearningRateSchedule) or (
            callable(value) and not isinstance(value, Variable)
        ):
            self._learning_rate = value
            return
        if not isinstance(self._learning_rate, Variable):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument."
            )
        self._learning_rate.assign(tf.cast(value, self._learning_rate.dtype))

    def _get_current_learning_rate(self) -> Any:
        lr = self._learning_rate
        if isinstance(lr, schedules_lib.LearningRateSchedule):
            return lr(self._iterations)
        if callable(lr) and not isinstance(lr, Variable):
            return lr()
        return lr

    # ------------------------------------------------------------------ variables

    def add_variable(
        self, shape: Any, initializer: str = "zeros", dtype: Any = None, name: str | None = None
    ) -> Variable:
        """Creates an optimizer variable (not trainable) and tracks it."""
        dtype = tf.as_dtype(dtype or tf.float32)
        if initializer == "zeros":
            value = tf.zeros(shape, dtype)
        elif initializer == "ones":
            value = tf.ones(shape, dtype)
        elif callable(initializer):
            value = initializer(shape, dtype)
        else:
            raise ValueError(f"Unsupported initializer: {initializer}")
        with _scope.scope(self.name):
            var = Variable(value, name=name, trainable=False)
        self._variables.append(var)
        # A checkpoint restored before this slot existed hands it its value now.
        trackable.notify_attached(self, "variables", self._variables)
        return var

    def add_variable_from_reference(
        self, reference_variable: Any, name: str | None = None, initializer: Any = "zeros"
    ) -> Variable:
        """A slot shaped like `reference_variable`, named `<variable>_<name>`."""
        if isinstance(initializer, (int, float)) and not isinstance(initializer, bool):
            value = initializer

            def initializer(shape, dtype):
                return tf.fill(shape, tf.cast(value, dtype))

        return self.add_variable(
            tuple(reference_variable.shape),
            initializer=initializer,
            dtype=reference_variable.dtype,
            name=f"{_short_name(reference_variable).replace('/', '_')}_{name}",
        )

    def add_optimizer_variables(
        self, trainable_variables: list, name: str, initializer: Any = "zeros"
    ) -> list:
        """One slot per trainable variable."""
        return [self.add_variable_from_reference(v, name, initializer) for v in trainable_variables]

    def build(self, variables: list) -> None:
        """Records the variables this optimizer updates and creates its EMA slots.

        Subclasses call `super().build(variables)` first, then create their slots.
        """
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average"
            )
        self._trainable_variables = list(variables)
        self._trainable_variables_indices = {_var_key(v): i for i, v in enumerate(variables)}
        self.built = True

    def _get_variable_index(self, variable: Any) -> int:
        return self._trainable_variables_indices[_var_key(variable)]

    # ------------------------------------------------------------------ applying

    def apply_gradients(self, grads_and_vars: Any) -> Any:
        """Applies `(gradient, variable)` pairs; returns `iterations`."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, variables = zip(*pairs)
        self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads: list, trainable_variables: list | None = None) -> None:
        """Applies `grads` to `trainable_variables` (or to the variables of `build`)."""
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first. "
                )
            trainable_variables = self._trainable_variables
        grads, trainable_variables = self._filter_empty_gradients(
            list(grads), list(trainable_variables)
        )
        if not grads:
            return
        if not self.built:
            self.build(self._all_known(trainable_variables))
        self._check_variables_are_known(trainable_variables)
        grads = [self._dense(g, v) for g, v in zip(grads, trainable_variables)]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        with _scope.scope(self.name):
            grads = self._clip_gradients(grads)
            self._apply_weight_decay(trainable_variables)
            lr = self.learning_rate
            self._backend_update_step(grads, trainable_variables, lr)
            for v in trainable_variables:
                constraint = getattr(v, "constraint", None)
                if constraint is not None:
                    v.assign(constraint(v))
            if self.use_ema:
                self._update_model_variables_moving_average(self._trainable_variables)
                if self.ema_overwrite_frequency:
                    self._overwrite_model_variables_with_average_value(self._trainable_variables)
            self._iterations.assign_add(1)

    def _all_known(self, variables: list) -> list:
        return list(variables)

    def _dense(self, grad: Any, variable: Any) -> Any:
        if hasattr(grad, "indices") and hasattr(grad, "values"):
            grad = tf.convert_to_tensor(grad)
        grad = tf.convert_to_tensor(grad)
        if grad.dtype != variable.dtype:
            grad = tf.cast(grad, variable.dtype)
        return grad

    def _filter_empty_gradients(self, grads: list, variables: list) -> tuple:
        missing = [v for g, v in zip(grads, variables) if g is None]
        if not missing:
            return grads, variables
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        warnings.warn(
            f"Gradients do not exist for variables {[_short_name(v) for v in missing]} when "
            "minimizing the loss. If using `model.compile()`, did you forget to provide a "
            "`loss` argument?",
            stacklevel=3,
        )
        return [g for g, _ in kept], [v for _, v in kept]

    def _check_variables_are_known(self, variables: list) -> None:
        for v in variables:
            if _var_key(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {v}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new set "
                    "of variables, you should recreate a new optimizer instance."
                )

    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm and self.clipnorm > 0:
            return [tf.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return list(tf.clip_by_global_norm(grads, self.global_clipnorm)[0])
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return [tf.clip_by_value(g, -v, v) for g in grads]
        return grads

    def exclude_from_weight_decay(
        self, var_list: list | None = None, var_names: list | None = None
    ) -> None:
        """Excludes variables (by object or by a substring of their name) from decay."""
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the optimizer "
                "is built."
            )
        self._exclude_from_weight_decay = {_var_key(v) for v in var_list or []}
        self._exclude_names = list(var_names or [])

    def _use_weight_decay(self, variable: Any) -> bool:
        if _var_key(variable) in self._exclude_from_weight_decay:
            return False
        name = _short_name(variable)
        return not any(re.search(n, name) for n in self._exclude_names)

    def _apply_weight_decay(self, variables: list) -> None:
        if self.weight_decay is None:
            return
        for v in variables:
            if self._use_weight_decay(v):
                lr = tf.cast(self.learning_rate, v.dtype)
                wd = tf.cast(self.weight_decay, v.dtype)
                v.assign(v - v * wd * lr)

    def _backend_update_step(self, grads: list, variables: list, learning_rate: Any) -> None:
        # One read of the learning rate and one `iterations + 1` per step, shared by every
        # variable's update: a traced step then holds one ReadVariableOp/AddV2/Cast (and,
        # after common-subexpression merging, one `beta ** step`) instead of one per
        # variable.
        # Built-in update rules only cast the rate; a user's `update_step` still receives
        # the Variable, as in Keras.
        if (
            isinstance(learning_rate, Variable)
            and type(self).update_step.__module__ == _BUILTIN_RULES
        ):
            learning_rate = learning_rate.value()
        self._step_cache = {}
        try:
            for g, v in zip(grads, variables):
                self.update_step(g, v, learning_rate)
        finally:
            self._step_cache = None

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        raise NotImplementedError

    def _local_step(self, dtype: Any) -> Any:
        cache = self.__dict__.get("_step_cache")
        if cache is None:
            return tf.cast(self._iterations + 1, dtype)
        step = cache.get(dtype)
        if step is None:
            step = cache[dtype] = tf.cast(self._iterations + 1, dtype)
        return step

    def _step_power(self, base: float, dtype: Any) -> Any:
        """`base ** (iterations + 1)` in `dtype` (Adam's bias corrections), computed once
        per step for all variables."""
        cache = self.__dict__.get("_step_cache")
        key = ("pow", base, dtype)
        if cache is not None and key in cache:
            return cache[key]
        value = tf.pow(tf.cast(base, dtype), self._local_step(dtype))
        if cache is not None:
            cache[key] = value
        return value

    # ------------------------------------------------------------------ EMA

    def _update_model_variables_moving_average(self, variables: list) -> None:
        for var, average in zip(variables, self._model_variables_moving_average):
            not_first = tf.cast(tf.not_equal(self._iterations, 0), var.dtype)
            momentum = not_first * tf.cast(self.ema_momentum, var.dtype)
            average.assign(momentum * average + (1 - momentum) * var)

    def _overwrite_model_variables_with_average_value(self, variables: list) -> None:
        should = tf.equal((self._iterations + 1) % self.ema_overwrite_frequency, 0)
        for var, average in zip(variables, self._model_variables_moving_average):
            var.assign(tf.where(should, tf.convert_to_tensor(average), var))

    def finalize_variable_values(self, var_list: list) -> None:
        """With EMA, sets the variables to their moving averages (end of training)."""
        if self.use_ema:
            for var, average in zip(var_list, self._model_variables_moving_average):
                var.assign(average)

    # ------------------------------------------------------------------ minimize

    def minimize(self, loss: Any, var_list: Any, tape: Any = None) -> Any:
        """Computes gradients of `loss` (a callable without `tape`) and applies them."""
        if tape is None:
            if not callable(loss):
                raise ValueError("`tape` is required when a `Tensor` loss is passed.")
            with tf.GradientTape() as tape:
                if callable(var_list):
                    var_list = var_list()
                tape.watch(var_list)
                loss = loss()
        if callable(var_list):
            var_list = var_list()
        grads = tape.gradient(loss, var_list)
        return self.apply_gradients(zip(grads, var_list))

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, schedules_lib.LearningRateSchedule):
            lr = schedules_lib.serialize(lr)
        elif isinstance(lr, Variable):
            lr = float(lr.numpy())
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Optimizer:
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules_lib.deserialize(
                config["learning_rate"], custom_objects
            )
        return cls(**config)

    # ------------------------------------------------------------------ helpers for subclasses

    def assign(self, variable: Any, value: Any) -> None:
        """`variable.assign(value)` (Keras's helper for custom `update_step`s)."""
        variable.assign(value)

    def assign_add(self, variable: Any, value: Any) -> None:
        variable.assign_add(value)

    def assign_sub(self, variable: Any, value: Any) -> None:
        variable.assign_sub(value)

    # ------------------------------------------------------------------ saving

    def save_own_variables(self, store: dict) -> None:
        """Writes every optimizer variable into `store` under "0", "1", ... (the layout
        of the optimizer group in a `.keras` weights file)."""
        for i, v in enumerate(self.variables):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store: dict) -> None:
        """Reads `save_own_variables`'s layout back; skips with Keras's warning when
        the variable counts differ."""
        if len(store.keys()) != len(self.variables):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self.variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables. "
            )
            if len(self.variables) == 0:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, v in enumerate(self.variables):
            v.assign(tf.cast(store[str(i)], v.dtype))

    # ------------------------------------------------------------------ checkpoints

    def _trackable_children(self, save_type: str = "checkpoint", **kwargs: Any) -> dict:
        """Checkpoint children: the iteration counter, the learning rate variable, and
        every other optimizer variable (slots) in creation order under `variables`."""
        children: dict = {"iteration": self._iterations}
        if isinstance(self._learning_rate, Variable):
            children["learning_rate"] = self._learning_rate
        children["variables"] = self._variables[2:] if len(self._variables) > 1 else []
        if not isinstance(self._learning_rate, Variable):
            children["variables"] = self._variables[1:]
        return children

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
