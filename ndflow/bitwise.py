"""`tf.bitwise`: bit-level operations on integer tensors."""

# ruff: noqa: F401, A004
from ndflow._src.ops.bitwise_ops import bitwise_and as bitwise_and
from ndflow._src.ops.bitwise_ops import bitwise_or as bitwise_or
from ndflow._src.ops.bitwise_ops import bitwise_xor as bitwise_xor
from ndflow._src.ops.bitwise_ops import invert as invert
from ndflow._src.ops.bitwise_ops import left_shift as left_shift
from ndflow._src.ops.bitwise_ops import right_shift as right_shift
