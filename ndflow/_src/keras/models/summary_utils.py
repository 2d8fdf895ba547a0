"""`Model.summary()`: Keras 3's box-drawing table, laid out as Keras' rich table is
(column widths from `positions` of a `line_length` capped by the terminal width, cells
padded by one space and wrapped at words).

>>> import ndflow as tf
>>> m = tf.keras.Sequential([tf.keras.layers.Dense(2, input_shape=(3,))], name="s")
>>> m.summary(line_length=60)  # doctest: +ELLIPSIS
Model: "s"
...
"""

from __future__ import annotations

import re
import shutil
from typing import Any

import numpy as np

from ndflow._src.keras.layers.input_layer import InputLayer


def _count(weights: list) -> int:
    seen, total = set(), 0
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            total += int(np.prod(w.shape.as_list()))
    return total


def _memory(weights: list) -> int:
    seen, total = set(), 0
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            total += int(np.prod(w.shape.as_list())) * w.dtype.size
    return total


def readable_memory_size(nbytes: float) -> str:
    """Bytes as Keras prints them: "364.54 KB"."""
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    scale = 1024
    for unit in units:
        if nbytes / scale < 1:
            return f"{nbytes:.2f} {unit}"
        nbytes /= scale
    return f"{nbytes:.2f} {units[-1]}"


def _ratio_reduce(total: int, ratios: list, maximums: list, values: list) -> list:
    # Shrinks `values` by `total` in proportion to `ratios` (how rich fits a table).
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(values)
    remaining, out = total, []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            dist = min(maximum, round(ratio * remaining / total_ratio))
            out.append(value - dist)
            remaining -= dist
            total_ratio -= ratio
        else:
            out.append(value)
    return out


def _wrap(text: str, width: int) -> list[str]:
    """Word wrap as rich does it: greedy at word boundaries (leading spaces kept); a word
    longer than `width` gets a line of its own, cut with an ellipsis."""
    lines: list[str] = []
    for para in text.split("\n"):
        line, offset = "", 0
        for token in re.findall(r"\s*\S+\s*", para) or [""]:
            length = len(token.rstrip())
            if width - offset >= length:
                line += token
                offset += len(token)
            else:
                if line:
                    lines.append(line)
                line, offset = token, len(token)
        lines.append(line)
    out = []
    for line in lines:
        line = line.rstrip()
        if len(line) > width:
            line = line[: max(width - 1, 0)] + "…"
        out.append(line)
    return out or [""]


def _align(text: str, width: int, how: str) -> str:
    if how == "right":
        return text.rjust(width)
    if how == "center":
        excess = width - len(text)
        left = excess // 2
        return " " * left + text + " " * (excess - left)
    return text.ljust(width)


def _render_table(header: list, rows: list, widths: list, align: list) -> list[str]:
    inner = [w - 2 for w in widths]

    def border(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * w for w in widths) + right

    def cells(row: list, sep: str) -> list[str]:
        wrapped = [_wrap(str(c), w) for c, w in zip(row, inner)]
        height = max(len(c) for c in wrapped)
        out = []
        for i in range(height):
            parts = []
            for col, w, a in zip(wrapped, inner, align):
                text = col[i] if i < len(col) else ""
                parts.append(" " + _align(text, w, a) + " ")
            out.append(sep + sep.join(parts) + sep)
        return out

    lines = [border("┏", "━", "┳", "┓")]
    lines += cells(header, "┃")
    lines.append(border("┡", "━", "╇", "┩"))
    for i, row in enumerate(rows):
        if i:
            lines.append(border("├", "─", "┼", "┤"))
        lines += cells(row, "│")
    lines.append(border("└", "─", "┴", "┘"))
    return lines


def _format_shape(shape: Any) -> str:
    return str(tuple(shape))


def _layer_shape(model: Any, layer: Any) -> str:
    from ndflow._src.keras.models.functional import Functional
    from ndflow._src.keras.models.sequential import Sequential

    if isinstance(layer, InputLayer):
        return _format_shape(layer.batch_shape)
    if isinstance(model, Sequential):
        shape = model.__dict__.get("_output_shapes", {}).get(id(layer))
        if shape is not None:
            return _format_shape(shape)
    if isinstance(model, Functional):
        shapes = []
        for node in model._nodes:
            if node.layer is layer:
                outs = sorted(node.outputs, key=lambda t: getattr(t, "_keras_output_index", 0))
                shapes = [_format_shape(t.shape) for t in outs]
                break
        if len(shapes) == 1:
            return shapes[0]
        if shapes:
            return "[" + ", ".join(shapes) + "]"
    build_shapes = layer.__dict__.get("_build_shapes")
    if layer.built and build_shapes is not None:
        try:
            out = layer.compute_output_shape(build_shapes)
        except Exception:  # noqa: BLE001 - a shape we cannot compute prints as "?"
            return "?"
        from ndflow._src.keras.layers.layer import _is_shape

        if _is_shape(out):
            return _format_shape(out)
        return str([_format_shape(s) for s in out]).replace("'", "")
    return "?"


def _is_sequential_like(model: Any) -> bool:
    """Keras' rule: one node per depth (depth counted back from the outputs), each with
    at most one input tensor, and no layer called twice."""
    from ndflow._src.keras.models.functional import Functional

    if not isinstance(model, Functional):
        return True
    if len(model.inputs) > 1:
        return False  # the input layers sit at the same depth
    producer: dict[int, Any] = {}
    for node in model._nodes:
        for t in node.outputs:
            producer[id(t)] = node
    depth: dict[int, int] = {}
    for node in reversed(model._nodes):  # consumers come after producers in _nodes
        d = depth.setdefault(id(node), 0)
        for t in node.input_tensors:
            src = producer.get(id(t))
            if src is not None:
                depth[id(src)] = max(depth.get(id(src), 0), d + 1)
    per_depth: dict[int, int] = {}
    for node in model._nodes:
        per_depth[depth[id(node)]] = per_depth.get(depth[id(node)], 0) + 1
        if len(node.input_tensors) > 1:
            return False
    if any(n > 1 for n in per_depth.values()):
        return False
    layers = [node.layer for node in model._nodes]
    return len({id(x) for x in layers}) == len(layers)


def _connections(model: Any, layer: Any) -> str:
    parts = []
    for node in model._nodes:
        if node.layer is not layer:
            continue
        for t in node.input_tensors:
            history = t._keras_history
            inbound = history[0]
            node_index = 0
            for other in model._nodes:
                if _same_call(other, history):
                    node_index = other.node_index
                    break
            parts.append(f"{inbound.name}[{node_index}][{getattr(t, '_keras_output_index', 0)}]")
    return ", ".join(parts) or "-"


def _same_call(node: Any, history: tuple) -> bool:
    return (
        node.layer is history[0]
        and node.first is history[1]
        and node.args is history[2]
        and node.kwargs is history[3]
    )


def print_summary(
    model: Any,
    line_length: int | None = None,
    positions: Any = None,
    print_fn: Any = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Any = None,
) -> None:
    """Prints `model`'s summary as Keras 3 does (see `Model.summary`)."""
    # A functional model's rows include its operation nodes (`inputs / 255.0`), which
    # `model.layers` leaves out, as in Keras 3.
    layers = list(model.__dict__.get("_functional_layers") or model.layers)
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        default_length = 88
        positions = positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
    else:
        default_length = 108
        positions = positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length
    widths, current = [], 0
    for pos in positions:
        width = int(pos * line_length) - current if pos <= 1 else int(pos) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    # Each cell adds one space of padding on both sides; the table (borders included)
    # must fit `line_length`, so columns shrink evenly as rich does.
    widths = [w + 2 for w in widths]
    available = line_length - (len(widths) + 1)
    if sum(widths) > available:
        excess = sum(widths) - available
        widths = _ratio_reduce(excess, [1] * len(widths), widths, widths)

    def fields(layer: Any, prefix: str = "") -> list:
        name = f"{prefix}{layer.name} ({type(layer).__name__})"
        if not layer.built:
            params = "0 (unbuilt)"
        else:
            params = f"{layer.count_params():,}"
        row = [name, _layer_shape(model, layer), params]
        if not sequential_like:
            row.append(_connections(model, layer))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        return row

    def rows_for(layer: Any, level: int = 0) -> list:
        prefix = "   " * level + "└ " if level else ""
        out = [fields(layer, prefix)]
        if expand_nested and getattr(layer, "layers", None):
            for sub in layer.layers:
                out.extend(rows_for(sub, level + 1))
        return out

    lo, hi = _layer_bounds(layers, layer_range)
    rows = []
    for layer in layers[lo:hi]:
        rows.extend(rows_for(layer))

    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    t_count, t_mem = _count(trainable), _memory(trainable)
    n_count, n_mem = _count(non_trainable), _memory(non_trainable)
    opt = getattr(model, "optimizer", None)
    opt_vars = []
    if getattr(model, "compiled", False) and opt is not None and getattr(opt, "built", False):
        opt_vars = list(getattr(opt, "variables", []))
    o_count, o_mem = _count(opt_vars), _memory(opt_vars)
    lines = [f'Model: "{model.name}"']
    lines += _render_table(header, rows, widths, align)
    total, total_mem = t_count + n_count + o_count, t_mem + n_mem + o_mem
    lines.append(f" Total params: {total:,} ({readable_memory_size(total_mem)})")
    lines.append(f" Trainable params: {t_count:,} ({readable_memory_size(t_mem)})")
    lines.append(f" Non-trainable params: {n_count:,} ({readable_memory_size(n_mem)})")
    if opt_vars:
        lines.append(f" Optimizer params: {o_count:,} ({readable_memory_size(o_mem)})")
    # rich crops what it prints to the console width (80 when it is not a terminal).
    console_width = shutil.get_terminal_size().columns
    text = "\n".join(line[:console_width] for line in lines) + "\n"
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)


def _layer_bounds(layers: list, layer_range: Any) -> tuple[int, int]:
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(
            "layer_range must be a list or tuple of length 2. Received: "
            f"layer_range = {layer_range} of length {len(layer_range)}"
        )
    if not all(isinstance(x, str) for x in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, x in enumerate(layers) if re.match(layer_range[0], x.name)]
    upper = [i for i, x in enumerate(layers) if re.match(layer_range[1], x.name)]
    if not lower or not upper:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: {layer_range}"
        )
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1
