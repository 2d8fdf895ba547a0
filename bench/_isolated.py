"""Runs each library's half of a benchmark in its own process.

TensorFlow's thread pools stay alive (and spinning) after it runs, and on 2 cores they
slow whatever runs next in the same process, ndflow's BLAS calls included. Measuring each
library in a fresh interpreter keeps the comparison fair; the parent prints the table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure_in_subprocess(script: str, lib: str) -> dict:
    """Runs `script --lib LIB` and returns the JSON dict it prints on its last line."""
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    if lib == "ndflow":
        # What `ndflow run` and `import ndflow` before NumPy set (core/process_settings.py);
        # the benchmark scripts import NumPy first. TensorFlow's kernels do not use OpenBLAS.
        env.setdefault("OPENBLAS_THREAD_TIMEOUT", "19")
    out = subprocess.run(
        [sys.executable, script, "--lib", lib], capture_output=True, text=True, env=env
    )
    if out.returncode != 0:
        raise RuntimeError(f"{script} --lib {lib} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def library(name: str):
    if name == "ndflow":
        import ndflow

        return ndflow
    # bench/ holds keras.py: off the path, or `import keras` inside TensorFlow finds it.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    import tensorflow

    return tensorflow


def child_lib(argv: list[str]) -> str | None:
    """The library named by `--lib` when this process is a measuring child, else None."""
    if "--lib" in argv:
        return argv[argv.index("--lib") + 1]
    return None
