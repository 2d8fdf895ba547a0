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
from ndflow._src.ops.binary_ops import atan2 as atan2
from ndflow._src.ops.binary_ops import maximum as maximum
from ndflow._src.ops.binary_ops import minimum as minimum
from ndflow._src.ops.binary_ops import realdiv as realdiv
from ndflow._src.ops.binary_ops import scalar_mul as scalar_mul
from ndflow._src.ops.binary_ops import truncatediv as truncatediv
from ndflow._src.ops.binary_ops import truncatemod as truncatemod
from ndflow._src.ops.bitwise_ops import bitcast as bitcast
from ndflow._src.ops.bitwise_ops import saturate_cast as saturate_cast
from ndflow._src.ops.clip_ops import clip_by_global_norm as clip_by_global_norm
from ndflow._src.ops.clip_ops import clip_by_norm as clip_by_norm
from ndflow._src.ops.clip_ops import clip_by_value as clip_by_value
from ndflow._src.ops.math_ops import add as add
from ndflow._src.ops.math_ops import add_n as add_n
from ndflow._src.ops.math_ops import cast as cast
from ndflow._src.ops.math_ops import divide as divide
from ndflow._src.ops.math_ops import equal as equal
from ndflow._src.ops.math_ops import exp as exp
from ndflow._src.ops.math_ops import greater as greater
from ndflow._src.ops.math_ops import greater_equal as greater_equal
from ndflow._src.ops.math_ops import less as less
from ndflow._src.ops.math_ops import less_equal as less_equal
from ndflow._src.ops.math_ops import logical_and as logical_and
from ndflow._src.ops.math_ops import logical_not as logical_not
from ndflow._src.ops.math_ops import logical_or as logical_or
from ndflow._src.ops.math_ops import multiply as multiply
from ndflow._src.ops.math_ops import negative as negative
from ndflow._src.ops.math_ops import not_equal as not_equal
from ndflow._src.ops.math_ops import ones_like as ones_like
from ndflow._src.ops.math_ops import pow as pow
from ndflow._src.ops.math_ops import reduce_mean as reduce_mean
from ndflow._src.ops.math_ops import reduce_sum as reduce_sum
from ndflow._src.ops.math_ops import square as square
from ndflow._src.ops.math_ops import subtract as subtract
from ndflow._src.ops.math_ops import truediv as truediv
from ndflow._src.ops.math_ops import zeros_like as zeros_like
from ndflow._src.ops.reduction_ops import argmax as argmax
from ndflow._src.ops.reduction_ops import argmin as argmin
from ndflow._src.ops.reduction_ops import cumsum as cumsum
from ndflow._src.ops.reduction_ops import reduce_all as reduce_all
from ndflow._src.ops.reduction_ops import reduce_any as reduce_any
from ndflow._src.ops.reduction_ops import reduce_logsumexp as reduce_logsumexp
from ndflow._src.ops.reduction_ops import reduce_max as reduce_max
from ndflow._src.ops.reduction_ops import reduce_min as reduce_min
from ndflow._src.ops.reduction_ops import reduce_prod as reduce_prod
from ndflow._src.ops.sort_ops import argsort as argsort
from ndflow._src.ops.sort_ops import sort as sort
from ndflow._src.ops.unary_ops import abs as abs
from ndflow._src.ops.unary_ops import acos as acos
from ndflow._src.ops.unary_ops import acosh as acosh
from ndflow._src.ops.unary_ops import asin as asin
from ndflow._src.ops.unary_ops import asinh as asinh
from ndflow._src.ops.unary_ops import atan as atan
from ndflow._src.ops.unary_ops import atanh as atanh
from ndflow._src.ops.unary_ops import complex as complex
from ndflow._src.ops.unary_ops import cos as cos
from ndflow._src.ops.unary_ops import cosh as cosh
from ndflow._src.ops.unary_ops import floor as floor
from ndflow._src.ops.unary_ops import round as round
from ndflow._src.ops.unary_ops import sigmoid as sigmoid
from ndflow._src.ops.unary_ops import sign as sign
from ndflow._src.ops.unary_ops import sin as sin
from ndflow._src.ops.unary_ops import sinh as sinh
from ndflow._src.ops.unary_ops import sqrt as sqrt
from ndflow._src.ops.unary_ops import tan as tan
from ndflow._src.ops.unary_ops import tanh as tanh
from ndflow import bitwise as bitwise

# --- array (ndflow/_src/ops/array_ops.py) -------------------------------------------------
from ndflow._src.ops.array_ops import broadcast_to as broadcast_to
from ndflow._src.ops.array_ops import concat as concat
from ndflow._src.ops.array_ops import expand_dims as expand_dims
from ndflow._src.ops.array_ops import identity as identity
from ndflow._src.ops.array_ops import rank as rank
from ndflow._src.ops.array_ops import reshape as reshape
from ndflow._src.ops.array_ops import reverse as reverse
from ndflow._src.ops.array_ops import shape as shape
from ndflow._src.ops.array_ops import size as size
from ndflow._src.ops.array_ops import split as split
from ndflow._src.ops.array_ops import squeeze as squeeze
from ndflow._src.ops.array_ops import stack as stack
from ndflow._src.ops.array_ops import stop_gradient as stop_gradient
from ndflow._src.ops.array_ops import transpose as transpose
from ndflow._src.ops.array_ops import unstack as unstack
from ndflow._src.ops.array_ops import where as where
from ndflow._src.ops.construction_ops import eye as eye
from ndflow._src.ops.construction_ops import fill as fill
from ndflow._src.ops.construction_ops import linspace as linspace
from ndflow._src.ops.construction_ops import meshgrid as meshgrid
from ndflow._src.ops.construction_ops import ones as ones
from ndflow._src.ops.construction_ops import range as range
from ndflow._src.ops.construction_ops import zeros as zeros
from ndflow._src.ops.gather_ops import boolean_mask as boolean_mask
from ndflow._src.ops.gather_ops import gather as gather
from ndflow._src.ops.gather_ops import gather_nd as gather_nd
from ndflow._src.ops.gather_ops import one_hot as one_hot
from ndflow._src.ops.gather_ops import scatter_nd as scatter_nd
from ndflow._src.ops.gather_ops import tensor_scatter_nd_add as tensor_scatter_nd_add
from ndflow._src.ops.gather_ops import tensor_scatter_nd_update as tensor_scatter_nd_update
from ndflow._src.ops.gather_ops import unique as unique
from ndflow._src.ops.slicing_ops import slice as slice
from ndflow._src.ops.slicing_ops import strided_slice as strided_slice
from ndflow._src.ops.tile_pad_ops import pad as pad
from ndflow._src.ops.tile_pad_ops import repeat as repeat
from ndflow._src.ops.tile_pad_ops import tile as tile

# --- linalg (ndflow/_src/ops/linalg_ops.py) -----------------------------------------------
from ndflow._src.ops.linalg_ops import einsum as einsum
from ndflow._src.ops.linalg_ops import matmul as matmul
from ndflow._src.ops.linalg_ops import norm as norm
from ndflow._src.ops.linalg_ops import tensordot as tensordot

# --- nn (ndflow/_src/ops/nn_ops.py, nn_loss_ops.py) ---------------------------------------
from ndflow import nn as nn

# --- random (ndflow/_src/ops/random_ops.py) -----------------------------------------------
from ndflow import random as random

# --- strings (ndflow/_src/ops/string_ops.py) ----------------------------------------------
from ndflow import strings as strings
from ndflow._src.ops.ragged import RaggedTensor as RaggedTensor

# --- autodiff extras (ndflow/_src/autodiff) -----------------------------------------------
from ndflow._src.autodiff.custom_gradient import custom_gradient as custom_gradient

# --- namespaces ---------------------------------------------------------------------------
from ndflow import linalg as linalg
from ndflow import math as math

__version__ = "0.1.0"

# --- graph and function (ndflow/_src/graph, ndflow/_src/function) ------------------------
from ndflow import config as config
from ndflow._src.function.polymorphic_function import function as function
from ndflow._src.function.polymorphic_function import get_static_value as get_static_value
from ndflow._src.function.polymorphic_function import init_scope as init_scope
from ndflow._src.function.tensor_spec import TensorSpec as TensorSpec
from ndflow._src.graph.control_flow import case as case
from ndflow._src.graph.control_flow import cond as cond
from ndflow._src.graph.control_flow import switch_case as switch_case
from ndflow._src.graph.control_flow import while_loop as while_loop
from ndflow._src.graph.graph import Graph as Graph
from ndflow._src.graph.tensor_array import TensorArray as TensorArray
from ndflow._src.ops.logging_ops import print as print
from ndflow._src.ops.script_ops import numpy_function as numpy_function
from ndflow._src.ops.script_ops import py_function as py_function

# --- module and checkpoint (ndflow/_src/module, ndflow/_src/checkpoint) -------------------
from ndflow._src.module.module import Module as Module

# --- lazily imported namespaces -----------------------------------------------------------
# Imported on first use: they cost import time most programs never need. `tf.losses`,
# `tf.metrics`, `tf.optimizers`, `tf.initializers` are TensorFlow's aliases of Keras modules.
_LAZY_MODULES = {
    "autograph": "ndflow.autograph",
    "data": "ndflow.data",
    "io": "ndflow.io",
    "train": "ndflow.train",
    "saved_model": "ndflow.saved_model",  # --- saved_model (ndflow/_src/saved_model)
    "keras": "ndflow.keras",
    "losses": "ndflow.keras.losses",
    "metrics": "ndflow.keras.metrics",
    "optimizers": "ndflow.keras.optimizers",
    "initializers": "ndflow.keras.initializers",
}


def __getattr__(name: str):
    target = _LAZY_MODULES.get(name)
    if target is None:
        raise AttributeError(f"module 'ndflow' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(target)
    globals()[name] = module
    return module


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY_MODULES))
