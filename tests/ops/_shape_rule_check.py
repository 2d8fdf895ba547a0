"""Checks that an op's shape rule agrees with its kernel (graphs rely on the rule)."""

from __future__ import annotations

from ndflow._src.framework import execute as execute_module
from ndflow._src.framework.op_registry import get_op


def checking_execute(op_type, inputs, attrs=execute_module._EMPTY):
    out = execute_module.execute(op_type, inputs, attrs)
    rule = get_op(op_type).shape
    if rule is not None:
        specs = rule(list(inputs), attrs)
        outs = out if isinstance(out, tuple) else (out,)
        assert len(specs) == len(outs), (op_type, specs)
        for (dims, dtype), t in zip(specs, outs):
            assert dtype is t.dtype, (op_type, dtype, t.dtype)
            if dims is not None:
                assert len(dims) == t.ndim, (op_type, dims, t.shape)
                for d, actual in zip(dims, t.shape):
                    assert d is None or d == actual, (op_type, dims, t.shape)
    return out
