"""Autograph: Python control flow on tensors inside `tf.function` becomes graph control flow.

`convert(fn)` rewrites `fn`'s source (see `transformer`) so that `if`, `while` and `for`
(with `break`, `continue` and `return` inside them), `and` / `or` / `not` and conditional
expressions call the runtime operators in `operators`. Those run plain Python for Python
values and eager tensors, and stage `control_flow.cond` / `control_flow.while_loop` for
graph tensors. `tf.function` calls `convert` once per Python function (it is cached) and
traces the result.

>>> def f(x):
...     while x > 10:
...         x = x // 2
...     return x
>>> convert(f)(100)
6

Differences from TensorFlow and known limits:
- a `return` inside a tensor loop, or a variable first assigned inside a tensor loop and
  read after it, is carried through the loop from a zero initial value whose dtype and
  shape come from tracing the body once more (TF rejects the first and asserts at run
  time that the loop ran for the second); values of unknown shape stay loop-local, and
  reading them after the loop raises;
- a Python loop whose condition becomes a tensor after it started is an error;
- `assert`, `len` and `print` are left as written; `range(tensor)` in a `for` is staged;
- generators, coroutines and lambdas run unconverted;
- converted code runs in generated nested functions, so code that counts stack frames
  (`warnings.warn(stacklevel=...)`, `sys._getframe`) sees the operators' frames, and
  deep recursion reaches the recursion limit sooner (two frames per converted block);
- functions calling `locals()`, `vars()`, `dir()` or one-argument `eval` / `exec` are
  run unconverted (with a warning): conversion would split the scope they read.
"""

from ndflow._src.function.autograph.api import Feature as Feature
from ndflow._src.function.autograph.api import convert as convert
from ndflow._src.function.autograph.api import do_not_convert as do_not_convert
from ndflow._src.function.autograph.api import set_verbosity as set_verbosity
from ndflow._src.function.autograph.api import to_code as to_code
from ndflow._src.function.autograph.api import to_graph as to_graph
from ndflow._src.function.autograph.api import trace as trace
from ndflow._src.function.autograph.operators import set_loop_options as set_loop_options
