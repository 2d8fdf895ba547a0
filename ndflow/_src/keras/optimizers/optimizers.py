"""Keras 3's optimizers. Each `update_step` is one fused in-place op per variable.

>>> import ndflow as tf
>>> w = tf.Variable([1.0])
>>> opt = tf.keras.optimizers.Adam(learning_rate=0.1)
>>> _ = opt.apply_gradients([(tf.constant([2.0]), w)])
>>> round(float(w[0]), 4)
0.9
"""

from __future__ import annotations

from typing import Any

import ndflow as tf
from ndflow._src.keras.optimizers.base_optimizer import Optimizer
from ndflow._src.ops import training_ops

_BASE_DEFAULTS = dict(
    weight_decay=None,
    clipnorm=None,
    clipvalue=None,
    global_clipnorm=None,
    use_ema=False,
    ema_momentum=0.99,
    ema_overwrite_frequency=None,
    loss_scale_factor=None,
    gradient_accumulation_steps=None,
)


def _lr(learning_rate: Any, variable: Any) -> Any:
    return tf.cast(learning_rate, variable.dtype)


def _check_unit(name: str, value: float, message: str | None = None) -> None:
    if not isinstance(value, (int, float)) or value < 0 or value > 1:
        raise ValueError(message or f"`{name}` must be a float between [0, 1].")


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum."""

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        name: str = "SGD",
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        _check_unit("momentum", momentum, "`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = (
            self.add_optimizer_variables(variables, "momentum") if self.momentum != 0 else []
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = _lr(learning_rate, variable)
        if self.momentum != 0:
            m = self.momentums[self._get_variable_index(variable)]
            training_ops.apply_keras_momentum(
                variable, m, lr, gradient, self.momentum, self.nesterov
            )
        else:
            training_ops.apply_gradient_descent(variable, lr, gradient)

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (optionally AMSGrad), with Keras's bias-corrected step size."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        name: str = "adam",
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(variables, "momentum")
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._velocity_hats = (
            self.add_optimizer_variables(variables, "velocity_hat") if self.amsgrad else []
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dt = variable.dtype
        i = self._get_variable_index(variable)
        b1_power = self._step_power(self.beta_1, dt)
        b2_power = self._step_power(self.beta_2, dt)
        m, v = self._momentums[i], self._velocities[i]
        args = (b1_power, b2_power, _lr(learning_rate, variable), self.beta_1, self.beta_2)
        if self.amsgrad:
            training_ops.apply_adam_with_amsgrad(
                variable, m, v, self._velocity_hats[i], *args, self.epsilon, gradient
            )
        else:
            training_ops.apply_adam(variable, m, v, *args, self.epsilon, gradient)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (`weight_decay`, 0.004 by default)."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        name: str = "adamw",
        **kwargs: Any,
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            name=name,
            weight_decay=weight_decay,
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


class RMSprop(Optimizer):
    """RMSprop (optionally centered, with momentum)."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        name: str = "rmsprop",
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = (
            self.add_optimizer_variables(variables, "momentum") if self.momentum > 0 else []
        )
        self._average_gradients = (
            self.add_optimizer_variables(variables, "average_gradient") if self.centered else []
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        i = self._get_variable_index(variable)
        training_ops.apply_keras_rmsprop(
            variable,
            self._velocities[i],
            self._momentums[i] if self.momentum > 0 else None,
            self._average_gradients[i] if self.centered else None,
            _lr(learning_rate, variable),
            self.rho,
            self.momentum,
            self.epsilon,
            gradient,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


class Adagrad(Optimizer):
    """Adagrad: per-coordinate steps scaled by accumulated squared gradients."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        name: str = "adagrad",
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(
            variables, "accumulator", self.initial_accumulator_value
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        acc = self._accumulators[self._get_variable_index(variable)]
        training_ops.apply_keras_adagrad(
            variable, acc, _lr(learning_rate, variable), self.epsilon, gradient
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class Adadelta(Optimizer):
    """Adadelta."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        name: str = "adadelta",
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads = self.add_optimizer_variables(variables, "accumulated_grad")
        self._accumulated_delta_vars = self.add_optimizer_variables(
            variables, "accumulated_delta_var"
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        i = self._get_variable_index(variable)
        training_ops.apply_adadelta(
            variable,
            self._accumulated_grads[i],
            self._accumulated_delta_vars[i],
            _lr(learning_rate, variable),
            self.rho,
            self.epsilon,
            gradient,
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        name: str = "adamax",
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self._m = self.add_optimizer_variables(variables, "momentum")
        self._u = self.add_optimizer_variables(variables, "norm")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dt = variable.dtype
        i = self._get_variable_index(variable)
        b1_power = self._step_power(self.beta_1, dt)
        training_ops.apply_ada_max(
            variable,
            self._m[i],
            self._u[i],
            b1_power,
            _lr(learning_rate, variable),
            self.beta_1,
            self.beta_2,
            self.epsilon,
            gradient,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum and Keras's momentum schedule (decay 0.96)."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        name: str = "nadam",
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(variables, "momentum")
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        dtype = variables[0].dtype if variables else tf.float32
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype, name="u_product")

    def _backend_update_step(self, grads: list, variables: list, learning_rate: Any) -> None:
        dt = self._u_product.dtype
        factor = tf.cast(self.beta_1, dt) * (
            1.0 - 0.5 * tf.pow(tf.cast(0.96, dt), self._local_step(dt))
        )
        self._u_product.assign(self._u_product * factor)
        super()._backend_update_step(grads, variables, learning_rate)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dt = variable.dtype
        i = self._get_variable_index(variable)
        step = self._local_step(dt)
        next_step = tf.cast(self._iterations + 2, dt)
        decay = tf.cast(0.96, dt)
        beta_1 = tf.cast(self.beta_1, dt)
        u_t = beta_1 * (1.0 - 0.5 * tf.pow(decay, step))
        u_t_1 = beta_1 * (1.0 - 0.5 * tf.pow(decay, next_step))
        u_product_t = tf.cast(self._u_product, dt)
        u_product_t_1 = u_product_t * u_t_1
        b2_power = tf.pow(tf.cast(self.beta_2, dt), step)
        training_ops.apply_keras_nadam(
            variable,
            self._momentums[i],
            self._velocities[i],
            _lr(learning_rate, variable),
            self.beta_1,
            self.beta_2,
            self.epsilon,
            u_t,
            u_t_1,
            u_product_t,
            u_product_t_1,
            b2_power,
            gradient,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Ftrl(Optimizer):
    """FTRL-proximal with L1/L2 regularization and L2 shrinkage."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        name: str = "ftrl",
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        checks = (
            ("initial_accumulator_value", initial_accumulator_value),
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        )
        for arg, value in checks:
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be positive or zero. Received: {arg}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(
            variables, "accumulator", self.initial_accumulator_value
        )
        self._linears = self.add_optimizer_variables(variables, "linear")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        i = self._get_variable_index(variable)
        lr = _lr(learning_rate, variable)
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        training_ops.apply_ftrl_v2(
            variable,
            self._accumulators[i],
            self._linears[i],
            gradient,
            lr,
            self.l1_regularization_strength,
            l2,
            self.l2_shrinkage_regularization_strength,
            self.learning_rate_power,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }


class Lion(Optimizer):
    """Lion: sign of an interpolated momentum."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        name: str = "lion",
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                f"Argument for `beta_1` must be in range (0, 1]. Received: beta_1={beta_1}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        m = self._momentums[self._get_variable_index(variable)]
        training_ops.apply_lion(
            variable, m, _lr(learning_rate, variable), self.beta_1, self.beta_2, gradient
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
