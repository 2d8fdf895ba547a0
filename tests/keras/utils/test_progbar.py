"""Progbar prints Keras 3's bar byte for byte on a terminal, and clean lines in logs."""

from __future__ import annotations

import io
import sys
import time

import pytest

from ndflow._src.keras.utils.progbar import Progbar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


SCENARIOS = {
    "known target, slow first step": (1875, [1, 900, 1875], 1.7, 1, [
        [("loss", 1.0)], [("loss", 3.0), ("accuracy", 0.5)], [("loss", 2.0), ("accuracy", 0.91204)],
    ]),
    "every step redrawn": (10, list(range(1, 11)), 0.3, 1, [[("loss", float(i))] for i in range(10)]),
    "verbose 2": (10, [3, 10], 0.002, 1 * 2, [[("loss", 1.0)], [("loss", 3.0)]]),
    "hours and tiny values": (100, [3, 100], 200.0, 1, [[("loss", 1e-5)], [("loss", 123456.7)]]),
    "skipped redraws": (3, [1, 2, 3], 0.0001, 1, [[], [], []]),
    "unknown target": (None, [3, 7], 0.5, 1, [[("loss", 1.0)], [("loss", 2.0)]]),
}  # fmt: skip


def _run(cls, monkeypatch, target, steps, dt, verbose, values, stream):
    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    monkeypatch.setattr(sys, "stdout", stream)
    bar = cls(target, verbose=verbose)
    for step, vals in zip(steps, values):
        clock[0] += dt
        bar.update(step, values=vals)
    monkeypatch.undo()
    return stream.getvalue()


@pytest.mark.parity
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_terminal_output_matches_keras(real_tf, monkeypatch, name):
    keras_progbar = real_tf.keras.utils.Progbar
    ours = _run(Progbar, monkeypatch, *SCENARIOS[name], _Terminal())
    theirs = _run(keras_progbar, monkeypatch, *SCENARIOS[name], _Terminal())
    assert ours == theirs


def test_log_output_has_only_finished_lines_without_colour(monkeypatch):
    target, steps, dt, verbose, values = SCENARIOS["every step redrawn"]
    out = _run(Progbar, monkeypatch, target, steps, dt, verbose, values, io.StringIO())
    assert out == "10/10 ━━━━━━━━━━━━━━━━━━━━ 3s 300ms/step - loss: 9.0000\n"


def test_running_average_weights_by_steps(monkeypatch):
    target, steps, dt, verbose, values = SCENARIOS["known target, slow first step"]
    out = _run(Progbar, monkeypatch, target, steps, dt, verbose, values, _Terminal())
    assert "loss: 2.9978" in out  # (1 * 1 + 3 * 899) / 900
    assert "\x1b[1m53:05\x1b[0m 2s/step" in out  # ETA 1874 * 1.7 s
