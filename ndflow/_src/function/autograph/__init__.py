"""Autograph: Python control flow on tensors inside `tf.function` becomes graph control flow.

`convert(fn)` rewrites `fn`'s source (see `transformer`) so that `if`, `while` and `for`
call the runtime operators in `operators`, which run plain Python for Python values and
eager tensors and stage `cond` / `while_loop` for graph tensors.
"""

from ndflow._src.function.autograph.api import convert as convert
from ndflow._src.function.autograph.api import do_not_convert as do_not_convert
from ndflow._src.function.autograph.api import set_verbosity as set_verbosity
from ndflow._src.function.autograph.api import to_code as to_code
from ndflow._src.function.autograph.api import to_graph as to_graph
from ndflow._src.function.autograph.api import trace as trace
from ndflow._src.function.autograph.operators import set_loop_options as set_loop_options
