"""The `>>>` examples in the math family's docstrings run and print what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["math", "binary", "unary", "reduction", "clip", "sort", "segment", "bitwise"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"ndflow._src.ops.{name}_ops")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}_ops"
    assert result.attempted > 0
