"""tf.data benchmark: ndflow against TensorFlow on the seed documents' pipelines.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /tmp/tfenv/bin/python bench/data.py
Prints each case's time in both libraries and the ratio (target: ndflow <= 0.5x TF).
Cases: one epoch of from_tensor_slices((x, y)).shuffle(10000).batch(32) over
60,000 x 28 x 28 x 1 float32 images; the same with .map(lambda x, y: (x / 255.0, y))
before batching; the same with .prefetch(AUTOTUNE); and make_csv_dataset over a
generated ~100 MB CSV file (use --csv-mb to change its size).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _epoch(ds) -> tuple[float, int]:
    t = time.perf_counter()
    n = 0
    for _ in ds:
        n += 1
    return time.perf_counter() - t, n


def _best(make, repeats: int) -> tuple[float, int]:
    times = []
    n = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        _, n = _epoch(make())  # construction counts: make_csv_dataset parses there
        times.append(time.perf_counter() - t0)
    return min(times), n


def _write_csv(path: str, megabytes: float) -> int:
    rng = np.random.default_rng(0)
    row_bytes = 80
    rows = int(megabytes * 1e6 / row_bytes)
    with open(path, "w") as f:
        f.write(",".join([f"f{i}" for i in range(8)] + ["label"]) + "\n")
        chunk = 100_000
        for s in range(0, rows, chunk):
            m = min(chunk, rows - s)
            x = rng.random((m, 8))
            y = rng.integers(0, 10, m)
            block = np.column_stack([x, y])
            np.savetxt(f, block, delimiter=",", fmt=["%.6f"] * 8 + ["%d"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv-mb", type=float, default=100.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    import tensorflow as real_tf

    import ndflow as nd

    rng = np.random.default_rng(0)
    x = rng.random((60000, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 60000).astype(np.int64)

    cases = {
        "shuffle+batch": lambda tf: (
            tf.data.Dataset.from_tensor_slices((x, y)).shuffle(10000).batch(32)
        ),
        "shuffle+map+batch": lambda tf: (
            tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(10000)
            .map(lambda a, b: (a / 255.0, b))
            .batch(32)
        ),
        "shuffle+map+batch+prefetch": lambda tf: (
            tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(10000)
            .map(lambda a, b: (a / 255.0, b))
            .batch(32)
            .prefetch(tf.data.AUTOTUNE)
        ),
    }
    tmp = tempfile.mkdtemp()
    try:
        path = os.path.join(tmp, "data.csv")
        rows = _write_csv(path, args.csv_mb)
        size = os.path.getsize(path) / 1e6
        cases[f"make_csv_dataset ({size:.0f} MB, {rows} rows)"] = lambda tf: (
            tf.data.experimental.make_csv_dataset(
                path, batch_size=32, label_name="label", num_epochs=1
            )
        )
        print(f"{'case':44s} {'ndflow s':>9s} {'TF s':>9s} {'ratio':>7s}")
        for name, make in cases.items():
            reps = 1 if name.startswith("make_csv") else args.repeats
            t_nd, n_nd = _best(lambda m=make: m(nd), reps)
            t_tf, n_tf = _best(lambda m=make: m(real_tf), reps)
            if n_nd != n_tf:
                raise RuntimeError(f"{name}: ndflow gave {n_nd} batches, TF {n_tf}")
            print(f"{name:44s} {t_nd:9.3f} {t_tf:9.3f} {t_nd / t_tf:7.2f}x", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
