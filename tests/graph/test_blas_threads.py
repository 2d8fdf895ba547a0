"""The BLAS thread count follows the cores other processes leave free (graph runs)."""

from __future__ import annotations

import os

import numpy as np

from ndflow._src.graph import blas_threads


def test_adapt_is_harmless_and_keeps_the_count_in_range():
    blas_threads.adapt()
    n = blas_threads.current_threads()
    assert n is None or n >= 1
    np.testing.assert_allclose(np.ones((64, 64)) @ np.ones((64, 64)), 64.0)


def test_threads_drop_while_others_run_and_come_back(monkeypatch, tmp_path):
    path = tmp_path / "loadavg"
    calls = []
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    state = {
        "ready": True,
        "active": True,
        "next": 0.0,
        "fd": fd,
        "set": calls.append,
        "most": 2,
        "current": 2,
        "busy": 0.0,
        "cores": 2,
    }
    monkeypatch.setattr(blas_threads, "_state", state)
    monkeypatch.setattr(blas_threads, "_INTERVAL", 0.0)

    def run(runnable: int, times: int) -> None:
        os.pwrite(fd, f"1.00 1.00 1.00 {runnable}/120 999\n".ljust(40).encode(), 0)
        for _ in range(times):
            blas_threads.adapt()

    try:
        run(1, 3)  # only this thread runs: both cores
        assert calls == [] and blas_threads.current_threads() == 2
        run(3, 3)  # two others running: one core left
        assert calls == [1] and blas_threads.current_threads() == 1
        run(1, 6)
        assert calls == [1, 2]
        run(9, 6)  # never fewer than one thread
        assert calls[-1] == 1
        run(1, 6)
        assert calls[-1] == 2
        # Runnable threads of this process (spinning BLAS workers) are not competition.
        monkeypatch.setattr(blas_threads, "_own_running", lambda: 3)
        calls.clear()
        run(3, 6)
        assert calls == []
    finally:
        os.close(fd)


def test_a_thread_count_the_user_chose_is_left_alone(monkeypatch):
    monkeypatch.setattr(blas_threads, "_state", {"ready": False, "next": 0.0})
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    blas_threads.adapt()
    assert blas_threads.current_threads() is None
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.setattr(blas_threads, "_state", {"ready": False, "next": 0.0})
    monkeypatch.setenv("NDFLOW_BLAS_ADAPT", "0")
    blas_threads.adapt()
    assert blas_threads.current_threads() is None


def test_own_running_counts_this_thread():
    assert blas_threads._own_running() >= 1
