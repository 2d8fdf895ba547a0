"""Process settings that NumPy-based training needs on small machines.

1. OpenBLAS worker threads spin for about 2**28 cycles (a tenth of a second) after every
BLAS call before sleeping. On 2 cores that spinning worker takes the core the next op
wanted: the seeds' MyModel `fit` step (a BLAS matmul, then a 2.8M-parameter Adam update
split over two threads) took 14.0 ms with spinning threads and 9.0 ms without.
Sleeping at once (a timeout of 2**4) has its own cost: waking a parked worker (on a VM, an
idle virtual CPU) took ~20 us per multithreaded call, so each of the MLP step's two
64x784x128 matmuls took ~60 us instead of ~38, and a matmul right after a worker parked
took ~88 us. `quiet_blas_threads` sets OPENBLAS_THREAD_TIMEOUT=19 (2**19 cycles: workers
measured awake after 200 us gaps, parked after ~400 us): they stay awake across a
training step and from one step to the next (the MLP steps' longest gap, optimizer
updates plus the next batch, is ~90-130 us, too close to 2**18's ~100 us) and park soon
after (MLP graph step 225 -> ~178 us on an idle 2-core machine; CNN and MyModel fit
steps no slower in interleaved runs). It is set when NumPy is not loaded yet, since
OpenBLAS reads it only at start-up; a value the user set wins.

2. Freed array memory is kept in the process instead of handed back to the OS.

With glibc's defaults, every activation-sized array (hundreds of KB to MBs) is mmapped
when allocated and unmapped when freed, so each training step page-faults all of its
buffers back in: measured on the seeds' CNN step, that was about 45% of the step time
(7.7 ms -> 4.0 ms with the settings below). TensorFlow avoids it with its own caching
allocator; NumPy has none, so ndflow asks glibc to serve arrays below 64 MB from its heap
and to keep up to 1 GB of freed heap for reuse.

Set NDFLOW_MALLOC_TUNING=0 to leave both alone. Not glibc (macOS, musl, Windows): the
allocator is left alone.
"""

from __future__ import annotations

import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 * 1024 * 1024
TRIM_THRESHOLD = 1024 * 1024 * 1024

_state = {"tuned": False}


BLAS_THREAD_TIMEOUT = "19"


def quiet_blas_threads() -> bool:
    """Asks OpenBLAS (read at NumPy's import) to park idle threads soon. Returns
    whether the setting could still take effect."""
    if os.environ.get("NDFLOW_MALLOC_TUNING", "1") in ("0", "false", "False"):
        return False
    if "numpy" in sys.modules:
        return False
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", BLAS_THREAD_TIMEOUT)
    return True


def tune_malloc() -> bool:
    """Applies the settings once; returns whether glibc accepted them."""
    if _state["tuned"]:
        return True
    if os.environ.get("NDFLOW_MALLOC_TUNING", "1") in ("0", "false", "False"):
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
        ok = libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    except (OSError, AttributeError):
        return False
    _state["tuned"] = ok
    return ok


def tuned() -> bool:
    return _state["tuned"]
