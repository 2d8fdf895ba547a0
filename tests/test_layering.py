"""Lower layers never import higher ones (DESIGN.md's stack)."""

from __future__ import annotations

import ast
import pathlib

# Bottom to top. A package may import itself and anything earlier in this list.
ORDER = [
    "core",
    "framework",
    "ops",
    "autodiff",
    "variables",
    "graph",
    "function",
    "module",
    "checkpoint",
    "saved_model",
    "data",
    "keras",
    "estimator",
    "keras_tuner",
]
SRC = pathlib.Path(__file__).resolve().parent.parent / "ndflow" / "_src"


def _imports(path: pathlib.Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((a.name, node.lineno) for a in node.names)
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["ndflow", "_src"] or len(parts) < 3:
        return None
    return parts[2]


def test_every_src_package_is_in_the_stack():
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert packages <= set(ORDER), packages - set(ORDER)


def test_no_module_imports_a_higher_layer():
    violations = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).parts
        if len(rel) < 2:
            continue
        own = ORDER.index(rel[0])
        for module, line in _imports(path):
            layer = _layer(module)
            if layer is None and module.startswith("ndflow") and module != "ndflow":
                violations.append(f"{path.relative_to(SRC)}:{line} imports public {module}")
            elif layer is not None and ORDER.index(layer) > own:
                violations.append(f"{path.relative_to(SRC)}:{line} imports {module}")
    assert not violations, "\n".join(violations)


def test_the_checker_catches_an_upward_import(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("from ndflow._src.keras import layers\n")
    assert _layer(_imports(bad)[0][0]) == "keras"
    assert ORDER.index("keras") > ORDER.index("core")
