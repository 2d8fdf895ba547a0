"""tf.data tests: their shared helpers (data_helpers.py) importable by name."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
