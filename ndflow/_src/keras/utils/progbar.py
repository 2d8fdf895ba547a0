"""`keras.utils.Progbar`: the progress bar `fit`, `evaluate` and `predict` print.

On a terminal it draws Keras 3's bar, updated in place:
`1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.9120 - loss: 0.2987`.
When output is not a terminal (a log file, CI), Keras would write every intermediate
frame with backspaces; here only finished lines are written, without colour codes, so
logs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _format_duration(seconds: float) -> str:
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_per_unit(seconds: float, unit: str) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _format_value(value: Any) -> str:
    if isinstance(value, (float, np.floating)) or (
        isinstance(value, np.ndarray) and value.size == 1
    ):
        v = float(value)
        return f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"
    return str(value)


class Progbar:
    """Displays a progress bar.

    Args:
        target: total number of steps expected, None if unknown.
        width: the bar's width in characters.
        verbose: 0 (silent), 1 (bar) or 2 (one line when done).
        interval: minimum seconds between redraws.
        stateful_metrics: names of metrics shown as given rather than averaged.
        unit_name: what a step is called ("step", "sample").
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Any = None,
        unit_name: str = "step",
    ) -> None:
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._values: dict[str, list] = {}
        self._values_order: list[str] = []
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_at_first_step: float | None = None
        self._prev_width = 0
        self._stream = sys.stdout

    def update(self, current: int, values: Any = None, finalize: bool | None = None) -> None:
        """Advances to step `current`, folding `values` ((name, value) pairs) in."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            if finalize or k in self.stateful_metrics:
                self._values[k] = [v, 1]
            else:
                base = max(current - self._seen_so_far, 1)
                if k not in self._values:
                    self._values[k] = [v * base, base]
                else:
                    self._values[k][0] += v * base
                    self._values[k][1] += base
        self._seen_so_far = current
        now = time.time()
        if current == 1:
            self._time_at_first_step = now
        if self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            self._draw(current, now, finalize)
        elif self.verbose == 2 and finalize:
            count = f"{current}/{self.target}" if self.target is not None else f"{current}"
            line = f"{count} - {now - self._start:.0f}s - "
            line += _format_per_unit(self._per_unit(current, now), self.unit_name)
            line += self._metrics_text()
            self._stream.write(line + "\n")
            self._stream.flush()
        self._last_update = now

    def add(self, n: int, values: Any = None) -> None:
        self.update(self._seen_so_far + n, values)

    def _per_unit(self, current: int, now: float) -> float:
        if self._time_at_first_step is not None and current > 1:
            return (now - self._time_at_first_step) / (current - 1)
        return (now - self._start) / current if current else 0.0

    def _metrics_text(self) -> str:
        text = ""
        for k in self._values_order:
            total, count = self._values[k]
            avg = total / count if isinstance(count, (int, float)) and count else total
            if isinstance(avg, np.ndarray) and avg.size == 1:
                avg = avg.item()
            text += f" - {k}: {_format_value(avg)}"
        return text

    def _draw(self, current: int, now: float, finalize: bool) -> None:
        terminal = _is_terminal(self._stream)
        if not terminal and not finalize:
            return  # only finished lines go to logs
        plain: list[str] = []  # visible text, for widths
        styled: list[str] = []
        if self.target is not None:
            digits = len(str(self.target))
            count = f"{current:>{digits}}/{self.target}"
            filled = int(self.width * min(current / self.target, 1.0)) if self.target else 0
            plain.append(f"{count} {'━' * self.width}")
            bar = f"{_GREEN}{'━' * filled}{_RESET}" if filled else ""
            bar += f"{_WHITE}{'━' * (self.width - filled)}{_RESET}"
            styled.append(f"{_BOLD}{count}{_RESET} {bar}")
        else:
            count = f"{current:7d}/Unknown"
            plain.append(count)
            styled.append(count)
        per_unit = self._per_unit(current, now)
        if self.target is not None and current < self.target:
            when = _format_duration(per_unit * (self.target - current))
        else:
            when = f"{now - self._start:.0f}s"
        rest = f" {_format_per_unit(per_unit, self.unit_name)}{self._metrics_text()}"
        plain.append(f" {when}{rest}")
        styled.append(f" {_BOLD}{when}{_RESET}{rest}")
        width = sum(len(p) for p in plain)
        if terminal:
            pad = " " * max(self._prev_width - width, 0)
            head = "\b" * self._prev_width + "\r" if self._prev_width else "\r"
            text = head + "".join(styled) + pad
            self._prev_width = width
        else:
            text = "".join(plain)
        if finalize:
            text += "\n"
        self._stream.write(text)
        self._stream.flush()
