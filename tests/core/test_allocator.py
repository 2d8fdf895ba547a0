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
    code = "import ndflow; from ndflow._src.core import allocator; print(allocator.tuned())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_import_tunes_glibc_malloc_unless_disabled():
    assert _tuned(None) == "True"
    assert _tuned("0") == "False"
