"""`tf.autograph`: control flow conversion for `tf.function` (re-exports only)."""

# ruff: noqa: F401
from types import SimpleNamespace as _Namespace

from ndflow._src.function.autograph import Feature as _Feature
from ndflow._src.function.autograph import do_not_convert as _do_not_convert
from ndflow._src.function.autograph import set_loop_options as _set_loop_options
from ndflow._src.function.autograph import set_verbosity as set_verbosity
from ndflow._src.function.autograph import to_code as to_code
from ndflow._src.function.autograph import to_graph as to_graph
from ndflow._src.function.autograph import trace as trace

experimental = _Namespace(
    Feature=_Feature, do_not_convert=_do_not_convert, set_loop_options=_set_loop_options
)
