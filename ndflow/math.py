"""`tf.math`: element-wise math, reductions and comparisons."""

# ruff: noqa: F401, A004
from ndflow._src.ops.math_ops import add as add
from ndflow._src.ops.math_ops import divide as divide
from ndflow._src.ops.math_ops import exp as exp
from ndflow._src.ops.math_ops import greater as greater
from ndflow._src.ops.math_ops import greater_equal as greater_equal
from ndflow._src.ops.math_ops import less as less
from ndflow._src.ops.math_ops import less_equal as less_equal
from ndflow._src.ops.math_ops import log as log
from ndflow._src.ops.math_ops import multiply as multiply
from ndflow._src.ops.math_ops import negative as negative
from ndflow._src.ops.math_ops import pow as pow
from ndflow._src.ops.math_ops import reduce_mean as reduce_mean
from ndflow._src.ops.math_ops import reduce_sum as reduce_sum
from ndflow._src.ops.math_ops import square as square
from ndflow._src.ops.math_ops import subtract as subtract
from ndflow._src.ops.math_ops import truediv as truediv
