"""Fewer BLAS threads while other processes keep the cores busy (for graph runs).

OpenBLAS splits a matmul over a fixed number of threads and waits for all of them. When
another process holds a core, one part waits for the scheduler and the whole matmul
stalls: on the 2-core development machine, with other test runs going, the CNN training
step took 17-27 ms with 2 BLAS threads and 5-7.5 ms with 1 (and 3.5-4.5 ms idle with 2).
TensorFlow's work-stealing pool degrades gracefully; this gives ndflow the same property.

`adapt()` runs at the start of every graph run and, at most every `_INTERVAL` seconds,
reads the number of runnable tasks from /proc/loadavg (a ~1 us pread), less this
process's own running threads (read from /proc/self/task only when others may be
running): the cores not taken by others (smoothed over a few readings) become OpenBLAS's
thread count, never more than it started with. Nothing happens when the user chose a thread count
(OPENBLAS_NUM_THREADS, OMP_NUM_THREADS), when NDFLOW_BLAS_ADAPT=0, off Linux, or when
NumPy's BLAS is not OpenBLAS.

>>> adapt()  # harmless anywhere; returns nothing
"""

from __future__ import annotations

import ctypes
import os
import time
from typing import Any

_INTERVAL = 0.02  # seconds between readings
_SMOOTHING = 0.5  # weight of the newest reading

_state: dict[str, Any] = {"ready": False, "next": 0.0}


def _find_setter() -> tuple[Any, Any] | None:
    """(set_num_threads, get_num_threads) of the OpenBLAS NumPy loaded, or None."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        if not path.endswith(".so") and ".so." not in path:
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"openblas_get_num_threads{suffix}", None) or getattr(
                    lib, f"{prefix}_get_num_threads{suffix}", None
                )
                if setter is not None and getter is not None:
                    setter.argtypes = [ctypes.c_int]
                    setter.restype = None
                    getter.restype = ctypes.c_int
                    return setter, getter
    return None


def _setup() -> None:
    _state["ready"] = True
    _state["active"] = False
    if os.environ.get("NDFLOW_BLAS_ADAPT", "1") in ("0", "false", "False"):
        return
    if "OPENBLAS_NUM_THREADS" in os.environ or "OMP_NUM_THREADS" in os.environ:
        return
    try:
        fd = os.open("/proc/loadavg", os.O_RDONLY)
    except OSError:
        return
    found = _find_setter()
    if found is None:
        os.close(fd)
        return
    setter, getter = found
    most = int(getter())
    if most < 2:
        os.close(fd)
        return
    _state.update(
        active=True, fd=fd, set=setter, most=most, current=most, busy=0.0, cores=os.cpu_count()
    )


def adapt() -> None:
    """Sets OpenBLAS's thread count to the cores other processes leave free (see module)."""
    st = _state
    now = time.monotonic()
    if now < st["next"]:
        return
    st["next"] = now + _INTERVAL
    if not st["ready"]:
        _setup()
    if not st["active"]:
        st["next"] = float("inf")
        return
    try:
        text = os.pread(st["fd"], 80, 0)
        runnable = int(text.split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        st["active"] = False
        return
    # Runnable tasks of this process (this thread, OpenBLAS workers still spinning after
    # the last matmul, data threads) are not competition: count only when needed.
    others = max(runnable - _own_running(), 0) if runnable > 1 else 0
    st["busy"] += _SMOOTHING * (others - st["busy"])
    free = (st["cores"] or st["most"]) - int(st["busy"] + 0.5)
    want = max(1, min(st["most"], free))
    if want != st["current"]:
        st["set"](want)
        st["current"] = want


def _own_running() -> int:
    """How many of this process's threads are running or runnable (at least 1: this one)."""
    n = 0
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return 1
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The state follows the parenthesised command name, which may contain spaces.
        if stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] == b"R":
            n += 1
    return max(n, 1)


def current_threads() -> int | None:
    """The thread count last set (None when not adapting): for tests and benchmarks."""
    return _state.get("current") if _state.get("active") else None
