"""`ndflow run` and `ndflow.compat.install()` serve TensorFlow scripts unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable, "-m", "ndflow", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ndflow_run_serves_tensorflow_imports_and_passes_arguments(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent("""
        import sys
        import tensorflow as tf
        from tensorflow import nest
        x = tf.constant(3.0)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        print("dy/dx:", tape.gradient(y, x))
        print(tf.__name__, nest.__name__, sys.argv[1:], __name__)
    """)
    )
    result = _run(["run", str(script), "--flag", "7"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "dy/dx: tf.Tensor(6.0, shape=(), dtype=float32)"
    assert lines[1] == "ndflow ndflow.nest ['--flag', '7'] __main__"


def test_ndflow_run_reports_a_missing_script(tmp_path):
    result = _run(["run", str(tmp_path / "missing.py")], tmp_path)
    assert result.returncode != 0


def test_install_aliases_only_in_this_process():
    code = textwrap.dedent("""
        import ndflow.compat, sys
        ndflow.compat.install()
        import tensorflow
        assert tensorflow.__name__ == "ndflow", tensorflow
        ndflow.compat.uninstall()
        assert "tensorflow" not in sys.modules
        print("ok")
    """)
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_lazy_namespaces_load_on_first_use():
    code = textwrap.dedent("""
        import sys, ndflow as tf
        assert "ndflow.data" not in sys.modules and "ndflow.keras" not in sys.modules
        assert "data" in dir(tf) and "keras" in dir(tf)
        assert tf.data.Dataset.range(3).cardinality().numpy() == 3
        assert tf.losses.mean_squared_error is tf.keras.losses.mean_squared_error
        try:
            tf.no_such_name
        except AttributeError as e:
            assert "no_such_name" in str(e)
        print("ok")
    """)
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
