"""Keras `fit` and `predict` of the seeds' models, ndflow against TensorFlow 2.21's Keras.

Figures (each library in its own process, the same data and batch sizes):
- one epoch of `fit` for the seed's MLP (Dense 128 relu -> Dense 10 on 784 features,
  batch 64, 60,000 samples), the functional CNN (batch 32, 60,000 28x28x1 images: 6,000
  here to keep the run short, reported per step), and the subclassed `MyModel`
  (Conv2D 32 -> Flatten -> Dense 128 -> Dense 10, batch 32, 6,000 images);
- 150 epochs of the Lambda-plus-Dense quadratic model on 201 points (batch 32);
- `predict` on one sample, repeated 1,000 times, and the process's memory growth over
  2,000 more calls (it should stay flat).
Target (Keras issue): every time at most the best of TensorFlow, Keras on JAX and
PyTorch measured here (MLP ~0.33 ms/step, CNN ~3.4-3.9 ms/step, MyModel ~5 ms/step,
quadratic ~0.6 ms/step); only TensorFlow is measured in this script.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/keras.py
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _isolated import child_lib, library, measure_in_subprocess  # noqa: E402


def mlp(tf):
    model = tf.keras.Sequential(
        [tf.keras.layers.Dense(128, activation="relu"), tf.keras.layers.Dense(10)]
    )
    return model, (784,), 64, 60000


def cnn(tf):
    from_layers = tf.keras.layers
    inputs = from_layers.Input(shape=(28, 28, 1))
    x = from_layers.Conv2D(32, 3, activation="relu")(inputs)
    x = from_layers.MaxPooling2D((2, 2))(x)
    x = from_layers.Conv2D(64, 3, activation="relu")(x)
    x = from_layers.MaxPooling2D((2, 2))(x)
    x = from_layers.Conv2D(64, 3, activation="relu")(x)
    x = from_layers.Flatten()(x)
    x = from_layers.Dense(64, activation="relu")(x)
    outputs = from_layers.Dense(10)(x)
    return tf.keras.models.Model(inputs, outputs), (28, 28, 1), 32, 6000


def my_model(tf):
    class MyModel(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.conv1 = tf.keras.layers.Conv2D(32, 3, activation="relu")
            self.flatten = tf.keras.layers.Flatten()
            self.d1 = tf.keras.layers.Dense(128, activation="relu")
            self.d2 = tf.keras.layers.Dense(10)

        def call(self, x):
            x = self.conv1(x)
            x = self.flatten(x)
            x = self.d1(x)
            return self.d2(x)

    return MyModel(), (28, 28, 1), 32, 6000


def fit_epoch(tf, build) -> float:
    """Seconds per step of one epoch (after a warm-up epoch on a few batches)."""
    model, shape, batch, n = build(tf)
    rng = np.random.default_rng(0)
    x = rng.random((n,) + shape, np.float32)
    y = rng.integers(0, 10, n).astype(np.int32)
    model.compile(
        optimizer="adam",
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x[: batch * 4], y[: batch * 4], batch_size=batch, epochs=1, verbose=0)
    t = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    return (time.perf_counter() - t) / (n // batch)


def quadratic(tf) -> float:
    x = tf.cast(tf.linspace(-3, 3, 201), tf.float32)
    y = x**2 + 2 * x - 8 + tf.random.normal(shape=[201])
    model = tf.keras.Sequential(
        [
            tf.keras.layers.Lambda(lambda x: tf.stack([x, x**2], axis=1)),
            tf.keras.layers.Dense(units=1, kernel_initializer=tf.random.normal),
        ]
    )
    model.compile(loss=tf.keras.losses.MSE, optimizer=tf.keras.optimizers.SGD(learning_rate=0.01))
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    t = time.perf_counter()
    model.fit(x, y, epochs=150, batch_size=32, verbose=0)
    return (time.perf_counter() - t) / (150 * 7)


def predict_single(tf) -> tuple[float, float]:
    model, shape, _, _ = mlp(tf)
    sample = np.random.default_rng(0).random((1,) + shape, np.float32)
    model.predict(sample, verbose=0)
    t = time.perf_counter()
    for _ in range(1000):
        model.predict(sample, verbose=0)
    per_call = (time.perf_counter() - t) / 1000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(2000):
        model.predict(sample, verbose=0)
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return per_call, growth_mb


def measure(lib_name: str) -> dict:
    tf = library(lib_name)
    tf.keras.utils.set_random_seed(0)
    per_call, growth = predict_single(tf)
    return {
        "MLP fit, per step": fit_epoch(tf, mlp),
        "CNN fit, per step": fit_epoch(tf, cnn),
        "MyModel fit, per step": fit_epoch(tf, my_model),
        "quadratic fit, per step": quadratic(tf),
        "predict(1 sample)": per_call,
        "_growth": growth,
    }


def main() -> None:
    lib = child_lib(sys.argv)
    if lib is not None:
        print(json.dumps(measure(lib)))
        return
    ours = measure_in_subprocess(__file__, "ndflow")
    theirs = measure_in_subprocess(__file__, "tensorflow")
    print(f"{'Keras figure':<26}{'ndflow':>10}{'TensorFlow':>12}{'ratio':>8}")
    for name in ours:
        if name.startswith("_"):
            continue
        a, b = ours[name], theirs[name]
        print(f"{name:<26}{a * 1e3:>8.3f}ms{b * 1e3:>10.3f}ms{a / b:>8.2f}")
    print(
        f"memory growth over 2,000 more predict calls: ndflow {ours['_growth']:.1f} MB, "
        f"TensorFlow {theirs['_growth']:.1f} MB"
    )


if __name__ == "__main__":
    main()
