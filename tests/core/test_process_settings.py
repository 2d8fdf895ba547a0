"""The allocator tuning is applied at import on glibc and can be turned off."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tuned(env_value):
    env = dict(os.environ, PYTHONPATH=ROOT)
    if env_value is not None:
        env["NDFLOW_MALLOC_TUNING"] = env_value
    code = "import ndflow; from ndflow._src.core import process_settings as p; print(p.tuned())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_import_tunes_glibc_malloc_unless_disabled():
    assert _tuned(None) == "True"
    assert _tuned("0") == "False"


def test_blas_threads_are_asked_to_sleep_only_before_numpy_loads():
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    code = "import {first}; import os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
    for first, expected in (("ndflow", "19"), ("numpy, ndflow", "None")):
        out = subprocess.run(
            [sys.executable, "-c", code.format(first=first)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert out.stdout.strip() == expected, out.stderr
    env["OPENBLAS_THREAD_TIMEOUT"] = "20"  # the user's own setting wins
    out = subprocess.run(
        [sys.executable, "-c", code.format(first="ndflow")], env=env, capture_output=True, text=True
    )
    assert out.stdout.strip() == "20"
