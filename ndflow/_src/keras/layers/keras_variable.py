"""`KerasVariable`: the weights `Layer.add_weight` creates.

A `tf.Variable` (so tapes, checkpoints and optimizers see an ordinary variable) with Keras
3's plain `name`, a `path` ("dense/kernel"), a settable `trainable` flag (layer freezing
flips it) and the `regularizer` whose penalty joins `Layer.losses`.

>>> v = KerasVariable(1.0, name="w", path="layer/w", trainable=True, dtype="float32")
>>> v.name, v.path
('w', 'layer/w')
"""

from __future__ import annotations

from typing import Any

from ndflow._src.variables.variable import Variable


class KerasVariable(Variable):
    """A layer weight: a `tf.Variable` with Keras' plain `name`, a `path` ("dense/kernel"),
    a settable `trainable` flag and an optional `regularizer`."""

    def __init__(
        self,
        initial_value: Any,
        *,
        name: str,
        path: str,
        trainable: bool,
        dtype: Any,
        constraint: Any = None,
        regularizer: Any = None,
        aggregation: str = "none",
    ) -> None:
        super().__init__(
            initial_value, trainable=trainable, name=name, dtype=dtype, constraint=constraint
        )
        self._keras_name = name
        self._path = path
        self.regularizer = regularizer
        self._keras_aggregation = aggregation

    @property
    def name(self) -> str:
        return self._keras_name

    @property
    def path(self) -> str:
        return self._path

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)

    def __repr__(self) -> str:
        return (
            f"<Variable path={self._path}, shape={tuple(self.shape.as_list())}, "
            f"dtype={self.dtype.name}, value={self.numpy()}>"
        )

    __str__ = __repr__
