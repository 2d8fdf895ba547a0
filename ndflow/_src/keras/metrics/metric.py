"""Keras 3's `Metric` base: state in non-trainable Variables, `update_state` / `result` /
`reset_state`, and `__call__` = update then result.

State lives in `tf.Variable`s changed only through ndflow ops, so a traced training step
updates a metric at every call.

>>> import ndflow as tf
>>> class MeanPred(tf.keras.metrics.Metric):
...     def __init__(self, name="mean_pred", **kwargs):
...         super().__init__(name=name, **kwargs)
...         self.total = self.add_weight(name="total", initializer="zeros")
...         self.count = self.add_weight(name="count", initializer="zeros")
...     def update_state(self, y_true, y_pred, sample_weight=None):
...         self.total.assign_add(tf.reduce_sum(y_pred))
...         self.count.assign_add(tf.cast(tf.size(y_pred), tf.float32))
...     def result(self):
...         return self.total / self.count
>>> m = MeanPred()
>>> float(m(None, [1.0, 3.0]))
2.0
"""

from __future__ import annotations

import re
from typing import Any

import ndflow as tf
from ndflow._src.keras import _scope
from ndflow._src.variables.variable import Variable


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class Metric:
    """Base class of Keras metrics: subclass, create state with `add_weight` in
    `__init__`, and implement `update_state` and `result`."""

    def __init__(self, dtype: Any = None, name: str | None = None):
        self.name = name or _snake(type(self).__name__)
        self._dtype = tf.as_dtype(dtype) if dtype is not None else tf.float32
        self._variables: list = []
        self._metrics: list = []

    @property
    def dtype(self) -> str:
        return self._dtype.name

    @property
    def variables(self) -> list:
        """The metric's state variables (and those of metrics it holds), creation order."""
        out = list(self._variables)
        for m in self._metrics:
            out.extend(m.variables)
        return out

    @property
    def trainable_variables(self) -> list:
        return []

    @property
    def non_trainable_variables(self) -> list:
        return self.variables

    def add_variable(
        self,
        shape: Any = (),
        initializer: Any = None,
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """Creates a non-trainable state variable and tracks it."""
        dtype = tf.as_dtype(dtype) if dtype is not None else self._dtype
        shape = tuple(shape) if shape is not None else ()
        if initializer is None or initializer == "zeros":
            value = tf.zeros(shape, dtype)
        elif initializer == "ones":
            value = tf.ones(shape, dtype)
        elif callable(initializer):
            value = tf.cast(initializer(shape, dtype=dtype), dtype)
        else:
            value = tf.cast(tf.broadcast_to(initializer, shape), dtype)
        with _scope.scope(self.name):
            var = Variable(value, name=name, trainable=False)
        var._metric_initial_value = value  # reset_state restores this
        self._variables.append(var)
        return var

    def add_weight(
        self, shape: Any = (), initializer: Any = None, dtype: Any = None, name: str | None = None
    ) -> Variable:
        """`add_variable` with Keras's `add_weight` signature."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Metric) and name != "_metrics" and "_metrics" in self.__dict__:
            if value not in self._metrics:
                self._metrics.append(value)
        object.__setattr__(self, name, value)

    def update_state(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def result(self) -> Any:
        raise NotImplementedError

    def reset_state(self) -> None:
        """Sets every state variable back to its initial value."""
        for v in self._variables:
            v.assign(getattr(v, "_metric_initial_value", tf.zeros(tuple(v.shape), v.dtype)))
        for m in self._metrics:
            m.reset_state()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        return cls(**config)

    def _trackable_children(self, save_type: str = "checkpoint", **kwargs: Any) -> dict:
        children: dict = {}
        for i, v in enumerate(self._variables):
            key = str(v.name).split(":")[0].split("/")[-1] or str(i)
            children[key if key not in children else f"{key}_{i}"] = v
        for i, m in enumerate(self._metrics):
            children[f"metric_{i}"] = m
        return children

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    def __str__(self) -> str:
        return repr(self)
