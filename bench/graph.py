"""`tf.function` training steps of the seeds' MLP and CNN, ndflow against TensorFlow.

Both libraries run the same program written with raw ops and variables (Keras comes in
another issue): forward, `GradientTape`, and one fused Adam update per variable
(TensorFlow's `raw_ops.ResourceApplyAdam`, ndflow's `training_ops.apply_adam`).
Targets (graphs issue): MLP step <= 0.5x TensorFlow's time, CNN step <= 1.0x.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/graph.py
(OPENBLAS_NUM_THREADS=1 or NDFLOW_BLAS_ADAPT=0 fix ndflow's BLAS thread count for A/B runs.)
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _isolated import child_lib, library, measure_in_subprocess  # noqa: E402


def glorot(rng, shape, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(np.float32)


def mlp_params(rng):
    return [
        glorot(rng, (784, 128), 784, 128), np.zeros(128, np.float32),
        glorot(rng, (128, 10), 128, 10), np.zeros(10, np.float32),
    ]  # fmt: skip


def cnn_params(rng):
    return [
        glorot(rng, (3, 3, 1, 32), 9, 288), np.zeros(32, np.float32),
        glorot(rng, (3, 3, 32, 64), 288, 576), np.zeros(64, np.float32),
        glorot(rng, (3, 3, 64, 64), 576, 576), np.zeros(64, np.float32),
        glorot(rng, (576, 64), 576, 64), np.zeros(64, np.float32),
        glorot(rng, (64, 10), 64, 10), np.zeros(10, np.float32),
    ]  # fmt: skip


def mlp_forward(tf, p, x):
    h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, p[0]), p[1]))
    return tf.nn.bias_add(tf.matmul(h, p[2]), p[3])


def cnn_forward(tf, p, x):
    def conv(x, w, b):
        return tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w, 1, "VALID"), b))

    x = tf.nn.max_pool2d(conv(x, p[0], p[1]), 2, 2, "VALID")
    x = tf.nn.max_pool2d(conv(x, p[2], p[3]), 2, 2, "VALID")
    x = conv(x, p[4], p[5])
    x = tf.reshape(x, [-1, 576])
    x = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, p[6]), p[7]))
    return tf.nn.bias_add(tf.matmul(x, p[8]), p[9])


def make_step(tf, apply_adam, forward, init):
    params = [tf.Variable(a) for a in init]
    ms = [tf.Variable(np.zeros_like(a)) for a in init]
    vs = [tf.Variable(np.zeros_like(a)) for a in init]
    t = tf.Variable(0.0)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            logits = forward(tf, params, x)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            )
        grads = tape.gradient(loss, params)
        t.assign_add(1.0)
        b1p, b2p = 0.9**t, 0.999**t
        for p, g, m, v in zip(params, grads, ms, vs):
            apply_adam(p, m, v, b1p, b2p, 0.001, 0.9, 0.999, 1e-7, g)
        return loss

    return step


def tf_adam(tf):
    def apply(p, m, v, b1p, b2p, lr, b1, b2, eps, g):
        tf.raw_ops.ResourceApplyAdam(
            var=p.handle, m=m.handle, v=v.handle, beta1_power=b1p, beta2_power=b2p, lr=lr,
            beta1=b1, beta2=b2, epsilon=eps, grad=g,
        )  # fmt: skip

    return apply


def time_steps(step, x, y, warmup=5, seconds=3.0):
    for _ in range(warmup):
        loss = step(x, y)
    float(loss)
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 10:
        t0 = time.perf_counter()
        float(step(x, y))
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(loss)


CASES = {
    "MLP (784-128-10, batch 64)": (mlp_forward, mlp_params, (64, 784), 0.5),
    "CNN (seed's, batch 32)": (cnn_forward, cnn_params, (32, 28, 28, 1), 1.0),
}


def measure(lib_name: str) -> dict:
    """This library's median step time and loss for each case (run in a child process)."""
    tf = library(lib_name)
    if lib_name == "ndflow":
        from ndflow._src.ops.training_ops import apply_adam
    else:
        apply_adam = tf_adam(tf)
    results = {}
    for name, (forward, params, shape, _) in CASES.items():
        rng = np.random.default_rng(0)
        x = rng.random(shape, np.float32)
        y = rng.integers(0, 10, shape[0]).astype(np.int32)
        step = make_step(tf, apply_adam, forward, params(np.random.default_rng(1)))
        results[name] = time_steps(step, x, y)
    if lib_name == "ndflow":
        from ndflow._src.graph.blas_threads import current_threads

        results["blas_threads"] = current_threads()
    return results


def main() -> None:
    lib = child_lib(sys.argv)
    if lib is not None:
        print(json.dumps(measure(lib)))
        return
    ours = measure_in_subprocess(__file__, "ndflow")
    theirs = measure_in_subprocess(__file__, "tensorflow")
    print(
        f"{'tf.function train step':<30}{'ndflow':>10}{'TensorFlow':>12}{'ratio':>8}{'target':>8}"
    )
    for name, (*_, target) in CASES.items():
        (t_nd, loss_nd), (t_tf, loss_tf) = ours[name], theirs[name]
        print(
            f"{name:<30}{t_nd * 1e3:>8.2f}ms{t_tf * 1e3:>10.2f}ms{t_nd / t_tf:>8.2f}"
            f"{target:>8.1f}   (loss after warmup: {loss_nd:.4f} vs {loss_tf:.4f})"
        )
    # ndflow lowers its BLAS thread count while other processes hold cores
    # (graph/blas_threads.py): a 1 here means the machine was busy.
    print(f"ndflow BLAS threads at the end: {ours.get('blas_threads')} (None: not adapted)")


if __name__ == "__main__":
    main()
