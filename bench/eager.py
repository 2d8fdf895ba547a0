"""Eager-mode overheads of ndflow against TensorFlow, measured in one run.

Prints, for each figure, ndflow's time, TensorFlow's, and the ratio against the target in
the foundation issue: import <= 0.3 s, single eager ops <= 1/5 of TensorFlow's time, the
seeds' quadratic tape step <= 1/20 of TensorFlow's.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/eager.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _isolated import child_lib, library, measure_in_subprocess  # noqa: E402


def import_time(module: str, repeats: int = 3) -> float:
    """Best wall time of `import module` in a fresh interpreter."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = dict(os.environ, PYTHONPATH=ROOT)
    best = float("inf")
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        best = min(best, float(out.stdout.strip().splitlines()[-1]))
    return best


def per_call(fn, min_time: float = 0.5) -> float:
    """Median seconds per call of fn over batches totalling about `min_time`."""
    fn()
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t
        if dt > 0.05:
            break
        n *= 2
    samples = []
    for _ in range(max(3, int(min_time / dt))):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t) / n)
    return float(np.median(samples))


def quadratic_step(lib):
    """The seeds' quadratic model: a tape step over a batch of 32 with three assign_sub."""
    rng = np.random.default_rng(0)
    x = lib.constant(rng.uniform(-3, 3, 32).astype(np.float32))
    y = lib.constant(rng.normal(size=32).astype(np.float32))
    w_q, w_l, b = lib.Variable(1.0), lib.Variable(2.0), lib.Variable(0.5)
    variables = [w_q, w_l, b]

    def step():
        with lib.GradientTape() as tape:
            pred = w_q * (x**2) + w_l * x + b
            loss = lib.reduce_mean(lib.square(pred - y))
        grads = tape.gradient(loss, variables)
        for g, v in zip(grads, variables):
            v.assign_sub(0.01 * g)

    return step


def figures(lib):
    a = lib.constant([1.0, 2.0, 3.0, 4.0])
    b = lib.constant([4.0, 3.0, 2.0, 1.0])
    m = lib.constant(np.random.default_rng(1).standard_normal((256, 256)).astype(np.float32))
    return {
        "add 4 elements": per_call(lambda: lib.add(a, b)),
        "matmul 256x256": per_call(lambda: lib.matmul(m, m)),
        "quadratic tape step": per_call(quadratic_step(lib)),
    }


TARGETS = {"add 4 elements": 1 / 5, "matmul 256x256": 1 / 5, "quadratic tape step": 1 / 20}


def main() -> None:
    lib = child_lib(sys.argv)
    if lib is not None:
        print(json.dumps(figures(library(lib))))
        return
    nd_import = import_time("ndflow")
    tf_import = import_time("tensorflow", repeats=1)
    ours = measure_in_subprocess(__file__, "ndflow")
    theirs = measure_in_subprocess(__file__, "tensorflow")
    print(f"{'figure':<22}{'ndflow':>12}{'TensorFlow':>14}{'ratio':>9}{'target':>9}")
    print(
        f"{'import':<22}{nd_import * 1e3:>10.0f}ms{tf_import * 1e3:>12.0f}ms"
        f"{nd_import / tf_import:>9.3f}{'0.3 s':>9}"
    )
    for name, t in ours.items():
        ratio = t / theirs[name]
        print(
            f"{name:<22}{t * 1e6:>10.1f}us{theirs[name] * 1e6:>12.1f}us{ratio:>9.3f}"
            f"{TARGETS[name]:>9.3f}"
        )


if __name__ == "__main__":
    main()
