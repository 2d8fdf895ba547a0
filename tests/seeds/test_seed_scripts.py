"""Seed code, as the seeds write it, runs unchanged under `ndflow run`."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


def _run(name, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run(
        [sys.executable, "-m", "ndflow", "run", os.path.join(SCRIPTS, name)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_graphs_and_modules_seed(tmp_path):
    out = _run("graphs_and_modules.py", tmp_path).splitlines()
    mse = [float(line.rsplit(":", 1)[1]) for line in out if line.startswith("Mean squared")]
    assert len(mse) == 15 and mse[0] > 5 * mse[-1] and mse[-1] < 1.5  # the seed: ~1.09
    assert out.count("Tracing.") == 2  # once per input signature, as the seed prints
    assert "<tf.Tensor: shape=(), dtype=int32, numpy=36>" in out
    assert "<tf.Tensor: shape=(3,), dtype=int32, numpy=array([15, 18,  9], dtype=int32)>" in out


def test_keras_models_seed(tmp_path):
    out = _run("keras_models.py", tmp_path)
    assert "Total params: 93,322 (364.54 KB)" in out  # the functional CNN's summary
    for tag in ("evaluate", "multi-input", "subclassed", "quadratic"):
        assert any(line.startswith(tag) for line in out.splitlines()), tag
    quadratic = float(out.split("quadratic", 1)[1].split()[0])
    assert quadratic < 2.0  # 150 epochs of the Lambda+Dense model reach the noise floor
