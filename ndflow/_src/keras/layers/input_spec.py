"""`keras.layers.InputSpec` and the input check every layer call runs.

>>> spec = InputSpec(min_ndim=2, axes={-1: 3})
>>> assert_input_compatibility([spec], [_Shaped((2, 4))], "dense")
Traceback (most recent call last):
...
ValueError: Input 0 with name 'None' of layer 'dense' is incompatible with the layer: expected axis -1 of input shape to have value 3, but received input with shape (2, 4)
"""

from __future__ import annotations

from typing import Any


class _Shaped:
    def __init__(self, shape: tuple) -> None:
        self.shape = shape


class InputSpec:
    """What a layer accepts: dtype, rank (`ndim`, `max_ndim`, `min_ndim`), full `shape` or
    the size of some `axes` ({axis: size})."""

    def __init__(
        self,
        dtype: Any = None,
        shape: Any = None,
        ndim: int | None = None,
        max_ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict | None = None,
        allow_last_axis_squeeze: bool = False,
        name: str | None = None,
        optional: bool = False,
    ) -> None:
        self.dtype = dtype
        if shape is not None:
            self.shape = tuple(shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(
                f"Argument `axes` must be a dict with integer keys. Received: axes={axes}"
            ) from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            max_axis = max(self.axes)
            if max_axis > max_dim:
                raise ValueError(
                    f"Axis {max_axis} is greater than the maximum allowed value: {max_dim}"
                )

    def __repr__(self) -> str:
        spec = [
            ("dtype=" + str(self.dtype)) if self.dtype else "",
            ("shape=" + str(self.shape)) if self.shape else "",
            ("ndim=" + str(self.ndim)) if self.ndim else "",
            ("max_ndim=" + str(self.max_ndim)) if self.max_ndim else "",
            ("min_ndim=" + str(self.min_ndim)) if self.min_ndim else "",
            ("axes=" + str(self.axes)) if self.axes else "",
        ]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self) -> dict:
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
        }

    @classmethod
    def from_config(cls, config: dict) -> InputSpec:
        return cls(**config)


def _shape_of(x: Any) -> tuple | None:
    shape = getattr(x, "shape", None)
    if shape is None:
        return None
    dims = getattr(shape, "_dims", "missing")
    if dims != "missing":
        return None if dims is None else tuple(dims)
    return tuple(shape)


def assert_input_compatibility(input_spec: Any, inputs: list, layer_name: str) -> None:
    """Raises ValueError (Keras' wording) when `inputs` do not match `input_spec`."""
    if not input_spec:
        return
    specs = list(input_spec) if isinstance(input_spec, (list, tuple)) else [input_spec]
    if len(inputs) != len(specs):
        raise ValueError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
            f"{len(inputs)} input tensors. Inputs received: {inputs}"
        )
    for i, (spec, x) in enumerate(zip(specs, inputs)):
        if spec is None:
            continue
        if x is None and spec.optional:
            continue
        shape = _shape_of(x)
        if shape is None:
            continue
        head = f"Input {i} with name '{spec.name}' of layer '{layer_name}' is incompatible with the layer: "
        ndim = len(shape)
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(
                head + f"expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}"
            )
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(head + f"expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(
                head + f"expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape "
                f"received: {shape}"
            )
        if spec.dtype is not None:
            dtype = getattr(getattr(x, "dtype", None), "name", None)
            if dtype is not None and dtype != spec.dtype:
                raise ValueError(head + f"expected dtype={spec.dtype}, found dtype={dtype}")
        if spec.axes:
            for axis, value in spec.axes.items():
                if value is None:
                    continue
                if axis >= ndim or axis < -ndim:
                    raise ValueError(
                        head + f"expected axis {axis} of input shape to have value {value}, "
                        f"but received input with shape {shape}"
                    )
                if shape[axis] not in (value, None):
                    raise ValueError(
                        head + f"expected axis {axis} of input shape to have value {value}, "
                        f"but received input with shape {shape}"
                    )
        if spec.shape is not None:
            for a, b in zip(spec.shape, shape):
                if a is not None and b is not None and a != b:
                    raise ValueError(head + f"expected shape={spec.shape}, found shape={shape}")
