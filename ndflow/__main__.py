"""The `ndflow` command: `ndflow run script.py [args...]` runs a TensorFlow script on ndflow."""

from __future__ import annotations

import argparse
import runpy
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ndflow", description="Run TensorFlow programs on ndflow."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="run a script with `tensorflow`, `keras` and `keras_tuner` served by ndflow"
    )
    run.add_argument("script", help="path of the Python script to run")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    ns = parser.parse_args(argv)
    if ns.command == "run":
        from ndflow import compat

        compat.install()
        sys.argv = [ns.script, *ns.args]
        sys.path.insert(0, _script_dir(ns.script))
        runpy.run_path(ns.script, run_name="__main__")
    return 0


def _script_dir(path: str) -> str:
    import os

    return os.path.dirname(os.path.abspath(path))


if __name__ == "__main__":
    sys.exit(main())
