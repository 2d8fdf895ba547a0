"""`keras.optimizers.schedules`: learning rates as functions of the optimizer step.

A schedule is called with the step (the optimizer's `iterations`, a tensor) and returns
the learning rate, computed with ndflow ops only, so it also works inside a traced
training step.

>>> import ndflow as tf
>>> s = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> round(float(s(10)), 6)
0.05
"""

from __future__ import annotations

import math
from typing import Any

import ndflow as tf
from ndflow._src.keras import _registry


class LearningRateSchedule:
    """Base class: subclass and implement `__call__(step)` and `get_config()`."""

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        return cls(**config)


def _setup(initial: Any, step: Any) -> tuple:
    initial = tf.convert_to_tensor(initial)
    if not initial.dtype.is_floating:
        initial = tf.cast(initial, tf.float32)
    return initial, initial.dtype, tf.cast(step, initial.dtype)


def _check_steps(name: str, value: Any) -> None:
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class ExponentialDecay(LearningRateSchedule):
    """initial * decay_rate ** (step / decay_steps), floored exponent when `staircase`."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> Any:
        with tf.name_scope(self.name):
            initial, dtype, step = _setup(self.initial_learning_rate, step)
            p = step / tf.cast(self.decay_steps, dtype)
            if self.staircase:
                p = tf.math.floor(p)
            return initial * tf.pow(tf.cast(self.decay_rate, dtype), p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] up to boundaries[0], values[i] in (boundaries[i-1], boundaries[i]], ..."""

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> Any:
        with tf.name_scope(self.name):
            values = [tf.convert_to_tensor(v) for v in self.values]
            step = tf.convert_to_tensor(step)
            result = values[-1]
            # Walk from the last interval to the first so the earliest match wins.
            for b, v in zip(reversed(self.boundaries), reversed(values[:-1])):
                result = tf.where(step <= tf.cast(b, step.dtype), v, result)
            return result

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """(initial - end) * (1 - step / decay_steps) ** power + end; `cycle` restarts."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Any) -> Any:
        with tf.name_scope(self.name):
            initial, dtype, step = _setup(self.initial_learning_rate, step)
            end = tf.cast(self.end_learning_rate, dtype)
            power = tf.cast(self.power, dtype)
            decay_steps = tf.cast(self.decay_steps, dtype)
            if self.cycle:
                multiplier = tf.where(
                    tf.equal(step, 0), tf.ones_like(step), tf.math.ceil(step / decay_steps)
                )
                decay_steps = decay_steps * multiplier
            else:
                step = tf.minimum(step, decay_steps)
            p = step / decay_steps
            return (initial - end) * tf.pow(1 - p, power) + end

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """initial / (1 + decay_rate * step / decay_steps), floored ratio when `staircase`."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> Any:
        with tf.name_scope(self.name):
            initial, dtype, step = _setup(self.initial_learning_rate, step)
            p = step / tf.cast(self.decay_steps, dtype)
            if self.staircase:
                p = tf.math.floor(p)
            return initial / (1 + tf.cast(self.decay_rate, dtype) * p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


def _cosine(step: Any, decay_steps: Any, start: Any, alpha: float) -> Any:
    fraction = step / decay_steps
    cosine = 0.5 * (1.0 + tf.cos(tf.cast(math.pi, step.dtype) * fraction))
    return start * ((1 - alpha) * cosine + alpha)


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial rate (or from `warmup_target` after a linear warmup
    of `warmup_steps`) down to `alpha` times it over `decay_steps`."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step: Any) -> Any:
        with tf.name_scope(self.name):
            initial, dtype, step = _setup(self.initial_learning_rate, step)
            decay_steps = tf.cast(self.decay_steps, dtype)
            if self.warmup_target is None:
                return _cosine(tf.minimum(step, decay_steps), decay_steps, initial, self.alpha)
            target = tf.cast(self.warmup_target, dtype)
            warmup_steps = tf.cast(self.warmup_steps, dtype)
            step = tf.minimum(step, decay_steps + warmup_steps)
            safe_warmup = tf.maximum(warmup_steps, tf.ones_like(warmup_steps))
            warm = (target - initial) * (step / safe_warmup) + initial
            decayed = _cosine(step - warmup_steps, decay_steps, target, self.alpha)
            return tf.where(step < warmup_steps, warm, decayed)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods grow by `t_mul`, peaks by `m_mul`."""

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        _check_steps("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: Any) -> Any:
        with tf.name_scope(self.name):
            initial, dtype, step = _setup(self.initial_learning_rate, step)
            fraction = step / tf.cast(self.first_decay_steps, dtype)
            t_mul = tf.cast(self._t_mul, dtype)
            if self._t_mul == 1.0:
                i_restart = tf.math.floor(fraction)
                fraction = fraction - i_restart
            else:
                i_restart = tf.math.floor(
                    tf.math.log(1.0 - fraction * (1.0 - t_mul)) / tf.math.log(t_mul)
                )
                sum_r = (1.0 - tf.pow(t_mul, i_restart)) / (1.0 - t_mul)
                fraction = (fraction - sum_r) / tf.pow(t_mul, i_restart)
            m_fac = tf.pow(tf.cast(self._m_mul, dtype), i_restart)
            cosine = 0.5 * m_fac * (1.0 + tf.cos(tf.cast(math.pi, dtype) * fraction))
            return initial * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


ALL_OBJECTS_DICT: dict[str, type] = {
    c.__name__: c
    for c in (
        LearningRateSchedule,
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict:
    """`keras.optimizers.schedules.serialize`."""
    return _registry.serialize(learning_rate_schedule, "keras.optimizers.schedules")


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """`keras.optimizers.schedules.deserialize`."""
    return _registry.deserialize(config, ALL_OBJECTS_DICT, "learning rate schedule", custom_objects)
