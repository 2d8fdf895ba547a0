"""Timing of the CNN benchmark's conv/pool layers: ndflow against real TensorFlow.

The model is Conv2D 32 -> MaxPool -> Conv2D 64 -> MaxPool -> Conv2D 64 on 28x28x1 input,
batch 32 (each conv with bias and ReLU). One step is forward plus backward to all weights
(the input gradient of the first conv is skipped, as in training).

    python bench/conv_kernels.py            # ndflow, eager
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /tmp/tfenv/bin/python bench/conv_kernels.py --tf

Not a test: prints milliseconds per call (median and minimum of the repeats).

What moves these numbers besides the kernels (measured on the shared 2-core AVX-512 box):
- OPENBLAS_CORETYPE=Haswell (set in this environment) makes OpenBLAS use AVX2 kernels:
  conv matmuls run about 2x slower than with the AVX-512 kernels it picks by itself.
- glibc returning freed activations to the OS: every step page-faults them back in. With
  MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 (or the same through
  mallopt) the single-thread step's CPU time roughly halves.
- OpenBLAS worker threads spin after each call (by default ~0.1 s) and compete with the
  main thread on 2 busy cores; ndflow sets OPENBLAS_THREAD_TIMEOUT=19 (~0.2 ms, see
  core/process_settings.py): awake between one step's matmuls, parked soon after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# BLAS reads its thread count when NumPy loads, so --threads is applied before that.
if "--threads" in sys.argv and "--tf" not in sys.argv:
    os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[sys.argv.index("--threads") + 1]

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timeit(fn, repeat: int = 30, warmup: int = 3) -> str:
    """'median  min  cpu' in milliseconds: wall-clock median and minimum, and the median
    CPU time of the process (all threads), the steadiest figure on a shared machine."""
    for _ in range(warmup):
        fn()
    times, cpu = [], []
    for _ in range(repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return (
        f"{statistics.median(times) * 1e3:8.3f} {min(times) * 1e3:8.3f} "
        f"{statistics.median(cpu) * 1e3:8.3f}"
    )


def make_params(rng):
    def he(*shape):
        return (rng.standard_normal(shape) * np.sqrt(2 / np.prod(shape[:-1]))).astype(np.float32)

    return [
        he(3, 3, 1, 32),
        np.zeros(32, np.float32),
        he(3, 3, 32, 64),
        np.zeros(64, np.float32),
        he(3, 3, 64, 64),
        np.zeros(64, np.float32),
    ]


def forward(tf, x, p):
    w1, b1, w2, b2, w3, b3 = p
    h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w1, 1, "VALID"), b1))
    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, w2, 1, "VALID"), b2))
    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, w3, 1, "VALID"), b3))
    return tf.reduce_sum(tf.square(h))


def layer_cases(tf, rng):
    """(name, fn) pairs timing each layer's forward + backward on the model's shapes."""
    f32 = np.float32
    cases = []
    for name, xs, ws, need_dx in (
        ("conv1 28x28x1->32", (32, 28, 28, 1), (3, 3, 1, 32), False),
        ("conv2 13x13x32->64", (32, 13, 13, 32), (3, 3, 32, 64), True),
        ("conv3 5x5x64->64", (32, 5, 5, 64), (3, 3, 64, 64), True),
    ):
        x = tf.constant(rng.standard_normal(xs).astype(f32))
        w = tf.Variable(rng.standard_normal(ws).astype(f32))

        def step(x=x, w=w, need_dx=need_dx):
            with tf.GradientTape() as t:
                if need_dx:
                    t.watch(x)
                y = tf.nn.conv2d(x, w, 1, "VALID")
            return t.gradient(y, [x, w] if need_dx else [w], output_gradients=tf.ones_like(y))

        cases.append((name + " fwd", lambda x=x, w=w: tf.nn.conv2d(x, w, 1, "VALID")))
        cases.append((name + " fwd+bwd", step))
    for name, xs in (("pool1 26x26x32", (32, 26, 26, 32)), ("pool2 11x11x64", (32, 11, 11, 64))):
        x = tf.constant(rng.standard_normal(xs).astype(f32))

        def pstep(x=x):
            with tf.GradientTape() as t:
                t.watch(x)
                y = tf.nn.max_pool2d(x, 2, 2, "VALID")
            return t.gradient(y, x, output_gradients=tf.ones_like(y))

        cases.append((name + " fwd", lambda x=x: tf.nn.max_pool2d(x, 2, 2, "VALID")))
        cases.append((name + " fwd+bwd", pstep))
    x = tf.constant(rng.standard_normal((32, 26, 26, 32)).astype(f32))

    def rstep(x=x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.nn.relu(x)
        return t.gradient(y, x, output_gradients=x)

    cases.append(("relu 26x26x32 fwd+bwd", rstep))
    return cases


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tf", action="store_true", help="time real TensorFlow instead")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--threads", type=int, default=0, help="limit BLAS / TF threads")
    args = ap.parse_args()
    if args.tf:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf

        if args.threads:
            tf.config.threading.set_intra_op_parallelism_threads(args.threads)
            tf.config.threading.set_inter_op_parallelism_threads(args.threads)
        lib = "tensorflow " + tf.__version__
    else:
        import ndflow as tf

        lib = "ndflow (numba off)" if os.environ.get("NDFLOW_DISABLE_NUMBA") == "1" else "ndflow"
    rng = np.random.default_rng(0)
    threads = f", {args.threads} thread(s)" if args.threads else ""
    print(f"{lib}{threads}: ms per call, {args.repeat} runs {'median':>8s} {'min':>8s} {'cpu':>8s}")
    for name, fn in layer_cases(tf, rng):
        print(f"  {name:28s} {timeit(fn, args.repeat)}")
    x = tf.constant(rng.standard_normal((32, 28, 28, 1)).astype(np.float32))
    params = [tf.Variable(p) for p in make_params(rng)]

    def step():
        with tf.GradientTape() as t:
            loss = forward(tf, x, params)
        return t.gradient(loss, params)

    print(f"  {'conv stack step (eager)':28s} {timeit(step, args.repeat)}")
    if args.tf:
        fstep = tf.function(step)
        print(f"  {'conv stack step (function)':28s} {timeit(fstep, args.repeat)}")


if __name__ == "__main__":
    main()
