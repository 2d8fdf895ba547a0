"""`tf.config.threading`: thread-pool settings, accepted and remembered (no-ops)."""

from __future__ import annotations

_threads = {"inter": 0, "intra": 0}


def set_inter_op_parallelism_threads(num_threads: int) -> None:
    _threads["inter"] = int(num_threads)


def get_inter_op_parallelism_threads() -> int:
    return _threads["inter"]


def set_intra_op_parallelism_threads(num_threads: int) -> None:
    _threads["intra"] = int(num_threads)


def get_intra_op_parallelism_threads() -> int:
    return _threads["intra"]
