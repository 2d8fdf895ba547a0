"""ndflow: TensorFlow 2's Python API on NumPy. Use it as `import ndflow as tf`.

This module only re-exports; the implementation lives in `ndflow._src`.
"""

# ruff: noqa: F401, A004
from ndflow import errors as errors
from ndflow import nest as nest
from ndflow._src.autodiff.tape import GradientTape as GradientTape
from ndflow._src.autodiff.tape import UnconnectedGradients as UnconnectedGradients
from ndflow._src.core.context import executing_eagerly as executing_eagerly
from ndflow._src.core.context import name_scope as name_scope
from ndflow._src.core.dtypes import DType as DType
from ndflow._src.core.dtypes import as_dtype as as_dtype
from ndflow._src.core.dtypes import bfloat16 as bfloat16
from ndflow._src.core.dtypes import bool as bool
from ndflow._src.core.dtypes import complex64 as complex64
from ndflow._src.core.dtypes import complex128 as complex128
from ndflow._src.core.dtypes import double as double
from ndflow._src.core.dtypes import float16 as float16
from ndflow._src.core.dtypes import float32 as float32
from ndflow._src.core.dtypes import float64 as float64
from ndflow._src.core.dtypes import half as half
from ndflow._src.core.dtypes import int8 as int8
from ndflow._src.core.dtypes import int16 as int16
from ndflow._src.core.dtypes import int32 as int32
from ndflow._src.core.dtypes import int64 as int64
from ndflow._src.core.dtypes import resource as resource
from ndflow._src.core.dtypes import string as string
from ndflow._src.core.dtypes import uint8 as uint8
from ndflow._src.core.dtypes import uint16 as uint16
from ndflow._src.core.dtypes import uint32 as uint32
from ndflow._src.core.dtypes import uint64 as uint64
from ndflow._src.core.dtypes import variant as variant
from ndflow._src.core.tensor_shape import TensorShape as TensorShape
from ndflow._src.framework.constant import constant as constant
from ndflow._src.framework.constant import convert_to_tensor as convert_to_tensor
from ndflow._src.framework.constant import (
    register_tensor_conversion_function as register_tensor_conversion_function,
)
from ndflow._src.framework.op_registry import RegisterGradient as RegisterGradient
from ndflow._src.framework.op_registry import no_gradient as no_gradient
from ndflow._src.framework.tensor import Tensor as Tensor
from ndflow._src.framework.tensor import is_tensor as is_tensor
from ndflow._src.variables.variable import Variable as Variable
from ndflow._src.variables.variable import VariableAggregation as VariableAggregation
from ndflow._src.variables.variable import VariableSynchronization as VariableSynchronization

newaxis = None

# --- math (ndflow/_src/ops/math_ops.py) ---------------------------------------------------
from ndflow._src.ops.math_ops import add as add
from ndflow._src.ops.math_ops import cast as cast
from ndflow._src.ops.math_ops import divide as divide
from ndflow._src.ops.math_ops import exp as exp
from ndflow._src.ops.math_ops import greater as greater
from ndflow._src.ops.math_ops import greater_equal as greater_equal
from ndflow._src.ops.math_ops import less as less
from ndflow._src.ops.math_ops import less_equal as less_equal
from ndflow._src.ops.math_ops import multiply as multiply
from ndflow._src.ops.math_ops import negative as negative
from ndflow._src.ops.math_ops import ones_like as ones_like
from ndflow._src.ops.math_ops import pow as pow
from ndflow._src.ops.math_ops import reduce_mean as reduce_mean
from ndflow._src.ops.math_ops import reduce_sum as reduce_sum
from ndflow._src.ops.math_ops import square as square
from ndflow._src.ops.math_ops import subtract as subtract
from ndflow._src.ops.math_ops import truediv as truediv
from ndflow._src.ops.math_ops import zeros_like as zeros_like

# --- array (ndflow/_src/ops/array_ops.py) -------------------------------------------------
from ndflow._src.ops.array_ops import identity as identity
from ndflow._src.ops.array_ops import reshape as reshape
from ndflow._src.ops.array_ops import shape as shape
from ndflow._src.ops.array_ops import stop_gradient as stop_gradient
from ndflow._src.ops.array_ops import where as where

# --- nn (ndflow/_src/ops/nn_ops.py) -------------------------------------------------------

# --- random (ndflow/_src/ops/random_ops.py) -----------------------------------------------

# --- strings (ndflow/_src/ops/string_ops.py) ----------------------------------------------

# --- autodiff extras (ndflow/_src/autodiff) -----------------------------------------------

# --- autograph (ndflow/_src/function/autograph) -------------------------------------------
from ndflow import autograph as autograph

# --- namespaces ---------------------------------------------------------------------------
from ndflow import math as math

__version__ = "0.1.0"
