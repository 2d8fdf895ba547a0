"""Linear algebra: matmul, einsum, tensordot, inverse, determinant, norms, matrix
transpose and diagonals.

`tf.matmul` runs `MatMul` for two matrices and `BatchMatMulV2` (batch dimensions
broadcast) otherwise, as TensorFlow does; both take TF's transpose/adjoint flags.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, register_operator, wrap_with_dtype
from ndflow._src.ops import array_ops, math_ops
from ndflow._src.ops.op_util import (
    COMPLEX,
    FLOATS,
    binary_operands,
    broadcast_dims,
    cpp_name,
    dims_of,
    dims_str,
    invalid,
    normalize_axis,
    to_tensor,
)

_MATRIX_DTYPES = (dtypes.float16, dtypes.float32, dtypes.float64) + COMPLEX


def _skip(op: Any, i: int) -> bool:
    return i in op.skip_input_indices


def _check_dtype(x: Tensor, allowed: tuple, op_type: str) -> None:
    if x.dtype not in allowed:
        names = ", ".join(cpp_name(d) for d in allowed)
        raise invalid(
            op_type,
            f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed values: {names}",
        )


# ---------------------------------------------------------------------------- matmul


def _apply_flags(x: np.ndarray, transpose: bool, adjoint: bool) -> np.ndarray:
    if transpose or adjoint:
        x = np.swapaxes(x, -1, -2)
    if adjoint and x.dtype.kind == "c":
        x = np.conj(x)
    return x


def _matmul_kernel(a, b, transpose_a, transpose_b, adjoint_a, adjoint_b):
    if a.ndim == 2 and b.ndim == 2 and a.dtype.kind == "f":
        # Real matrices (every training step's MatMuls): the same views and np.matmul
        # call as below, without the helper calls (~1 us per call).
        if transpose_a or adjoint_a:
            a = a.T
        if transpose_b or adjoint_b:
            b = b.T
        if a.shape[1] != b.shape[0]:
            raise ValueError("inner")
        return np.matmul(a, b)
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError("rank")
    a2 = _apply_flags(a, transpose_a, adjoint_a)
    b2 = _apply_flags(b, transpose_b, adjoint_b)
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError("inner")
    return np.matmul(a2, b2)


def _matmul_rule(op_type: str):
    def rule(inputs, attrs):
        a, b = inputs
        ad, bd = dims_of(a), dims_of(b)
        if ad is None or bd is None:
            return [(None, a.dtype)]
        for i, d in enumerate((ad, bd)):
            if len(d) < 2:
                raise invalid(op_type, f"In[{i}] ndims must be >= 2")
        fa = attrs["transpose_a"] or attrs["adjoint_a"]
        fb = attrs["transpose_b"] or attrs["adjoint_b"]
        m, ka = (ad[-1], ad[-2]) if fa else (ad[-2], ad[-1])
        kb, n = (bd[-1], bd[-2]) if fb else (bd[-2], bd[-1])
        if op_type == "MatMul" and (len(ad) != 2 or len(bd) != 2):
            raise invalid(op_type, "In[0] and In[1] must be matrices")
        try:
            batch = broadcast_dims(ad[:-2], bd[:-2], op_type)
        except Exception:
            raise invalid(
                op_type,
                "In[0] and In[1] must have compatible batch dimensions: "
                f"{dims_str(ad)} vs. {dims_str(bd)}",
            ) from None
        if ka is not None and kb is not None and ka != kb:
            msg = f"Matrix size-incompatible: In[0]: {dims_str(ad)}, In[1]: {dims_str(bd)}"
            if op_type == "BatchMatMulV2":
                msg += f" {int(fa)} {int(fb)}"
            raise invalid(op_type, msg)
        return [(batch + (m, n), a.dtype)]

    return rule


def _matmul_grad(op, g):
    a, b = op.inputs
    at = op.attrs
    if a.dtype.is_complex:
        return _complex_matmul_grad(op, g)
    ta = at["transpose_a"] or at["adjoint_a"]
    tb = at["transpose_b"] or at["adjoint_b"]
    ga = gb = None
    if not ta and not tb:
        ga = None if _skip(op, 0) else matmul(g, b, transpose_b=True)
        gb = None if _skip(op, 1) else matmul(a, g, transpose_a=True)
    elif not ta and tb:
        ga = None if _skip(op, 0) else matmul(g, b)
        gb = None if _skip(op, 1) else matmul(g, a, transpose_a=True)
    elif ta and not tb:
        ga = None if _skip(op, 0) else matmul(b, g, transpose_b=True)
        gb = None if _skip(op, 1) else matmul(a, g)
    else:
        ga = None if _skip(op, 0) else matmul(b, g, transpose_a=True, transpose_b=True)
        gb = None if _skip(op, 1) else matmul(g, a, transpose_a=True, transpose_b=True)
    return ga, gb


def _complex_matmul_grad(op, g):
    # Differentiate through the effective operands A' = op_a(a), B' = op_b(b), then map
    # each gradient back through its flag (transpose, or conjugate transpose).
    a, b = op.inputs
    at = op.attrs
    a2 = _flagged(a, at["transpose_a"], at["adjoint_a"])
    b2 = _flagged(b, at["transpose_b"], at["adjoint_b"])
    ga = _flagged(matmul(g, b2, adjoint_b=True), at["transpose_a"], at["adjoint_a"])
    gb = _flagged(matmul(a2, g, adjoint_a=True), at["transpose_b"], at["adjoint_b"])
    return ga, gb


def _flagged(x: Tensor, transpose: bool, adjoint: bool) -> Tensor:
    if adjoint:
        return matrix_transpose(x, conjugate=True)
    if transpose:
        return matrix_transpose(x)
    return x


register_op("MatMul", _matmul_kernel, _matmul_rule("MatMul"), _matmul_grad)
register_op("BatchMatMulV2", _matmul_kernel, _matmul_rule("BatchMatMulV2"), _matmul_grad)

_MATMUL_DTYPES = FLOATS + COMPLEX + (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64)


def matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    output_type: Any = None,
    grad_a: bool = False,
    grad_b: bool = False,
    name: str | None = None,
) -> Tensor:
    """`tf.linalg.matmul`: the matrix product `a @ b` over the last two dimensions, with
    broadcast batch dimensions; `transpose_*`/`adjoint_*` transpose (and conjugate) an
    operand first.

    >>> import ndflow as tf
    >>> tf.matmul(tf.ones([5, 2, 3]), tf.ones([3, 4])).shape
    TensorShape([5, 2, 4])
    """
    if transpose_a and adjoint_a:
        raise ValueError("Only one of transpose_a and adjoint_a can be True.")
    if transpose_b and adjoint_b:
        raise ValueError("Only one of transpose_b and adjoint_b can be True.")
    x, y = binary_operands(a, b, "MatMul")
    if x.dtype not in _MATMUL_DTYPES:
        _check_dtype(x, _MATMUL_DTYPES, "MatMul")
    attrs = {
        "transpose_a": bool(transpose_a),
        "transpose_b": bool(transpose_b),
        "adjoint_a": bool(adjoint_a),
        "adjoint_b": bool(adjoint_b),
    }
    ra, rb = x.shape.rank, y.shape.rank
    op_type = "MatMul" if ra == 2 and rb == 2 else "BatchMatMulV2"
    if ra is not None and ra < 2 and op_type == "BatchMatMulV2" and rb == 2:
        op_type = "MatMul"
    out = execute(op_type, (x, y), attrs)
    if output_type is not None:
        out = math_ops.cast(out, output_type)
    return out


register_operator("__matmul__", lambda self, other: matmul(self, other))
register_operator("__rmatmul__", lambda self, other: matmul(other, self))


def matrix_transpose(a: Any, name: str = "matrix_transpose", conjugate: bool = False) -> Tensor:
    """`tf.linalg.matrix_transpose`: swaps the last two dimensions (conjugating complex
    values if `conjugate`).

    >>> import ndflow as tf
    >>> tf.linalg.matrix_transpose(tf.zeros([2, 3, 4])).shape
    TensorShape([2, 4, 3])
    """
    x = to_tensor(a)
    r = x.shape.rank
    if r is None:
        raise ValueError("ndflow's matrix_transpose needs a tensor of known rank.")
    if r < 2:
        raise ValueError(
            f"Argument `a` should be a (batch) matrix with rank >= 2.  Received `a` = {x!r}"
        )
    perm = list(range(r - 2)) + [r - 1, r - 2]
    return array_ops.transpose(x, perm, conjugate=conjugate)


def adjoint(matrix: Any, name: str | None = None) -> Tensor:
    """`tf.linalg.adjoint`: the conjugate transpose of the last two dimensions."""
    return matrix_transpose(matrix, conjugate=True)


# ---------------------------------------------------------------------------- einsum


def _parse_equation(equation: str, n_inputs: int) -> tuple[list[str], str]:
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs = eq
        letters = lhs.replace(",", "").replace(".", "")
        out = ("..." if "..." in lhs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1)
        )
    terms = lhs.split(",")
    if len(terms) != n_inputs:
        raise ValueError(
            f"Expecting {len(terms)} inputs but got {n_inputs} for equation {equation!r}"
        )
    return terms, out


def _term_dims(term: str, dims: tuple) -> list[tuple[str, Any]]:
    """Pairs each axis of an operand with its label ('.k' for the k-th ellipsis axis from
    the right)."""
    if "..." in term:
        left, right = term.split("...")
        span = len(dims) - len(left) - len(right)
        if span < 0:
            raise ValueError("rank")
        labels = list(left) + [f".{span - i}" for i in range(span)] + list(right)
    else:
        if len(term) != len(dims):
            raise ValueError("rank")
        labels = list(term)
    return list(zip(labels, dims))


def _einsum_rule(inputs, attrs):
    eq = attrs["equation"]
    terms, out = _parse_equation(eq, len(inputs))
    sizes: dict = {}
    ell: tuple | None = ()
    for t, term in zip(inputs, terms):
        dims = dims_of(t)
        if dims is None:
            return [(None, inputs[0].dtype)]
        try:
            pairs = _term_dims(term, dims)
        except ValueError:
            raise invalid(
                "Einsum",
                f"Input {terms.index(term)} to einsum has rank {len(dims)} which does not match "
                f"the subscript {term!r}",
            ) from None
        e = tuple(d for lab, d in pairs if lab.startswith("."))
        ell = broadcast_dims(ell, e, "Einsum")
        for axis, (lab, d) in enumerate(pairs):
            if lab.startswith(".") or d is None:
                continue
            prev = sizes.get(lab)
            if prev is not None and prev != d and prev != 1 and d != 1:
                raise invalid(
                    "Einsum",
                    f"Expected dimension {prev} at axis {axis} of the input shaped "
                    f"{dims_str(dims)} but got dimension {d}",
                )
            if prev is None or prev == 1:
                sizes[lab] = d
    left, sep, right = out.partition("...")
    result = [sizes.get(c) for c in left] + (list(ell) if sep else [])
    result += [sizes.get(c) for c in right]
    return [(tuple(result), inputs[0].dtype)]


def _einsum_kernel(*xs, equation):
    return np.asarray(np.einsum(equation, *xs))


def _einsum_grad(op, g):
    eq = op.attrs["equation"]
    xs = op.inputs
    terms, out = _parse_equation(eq, len(xs))
    grads = []
    for i, (x, term) in enumerate(zip(xs, terms)):
        if _skip(op, i):
            grads.append(None)
            continue
        others = [t for j, t in enumerate(terms) if j != i]
        other_xs = [xs[j] for j in range(len(xs)) if j != i]
        letters = term.replace("...", "")
        if len(set(letters)) == len(letters):
            grads.append(_operand_grad(g, out, others, other_xs, term, x))
            continue
        if "..." in term:
            raise NotImplementedError(
                f"ndflow's einsum gradient does not support repeated subscripts with an "
                f"ellipsis ({term!r})"
            )
        # A repeated label reads a diagonal: differentiate with respect to that diagonal,
        # then place its gradient back on the diagonal with identity matrices.
        dedup = "".join(dict.fromkeys(term))
        diag = einsum(f"{term}->{dedup}", x)
        gd = _operand_grad(g, out, others, other_xs, dedup, diag)
        fresh = iter(c for c in string.ascii_letters if c not in eq)
        renamed, eyes, seen = "", [], set()
        for axis, c in enumerate(term):
            if c in seen:
                n = next(fresh)
                renamed += n
                size = dims_of(x)[axis]
                if size is None:
                    raise NotImplementedError("einsum's diagonal gradient needs static sizes.")
                eyes.append((c + n, np.eye(size, dtype=x.dtype._np)))
            else:
                seen.add(c)
                renamed += c
        sub = ",".join([dedup] + [e for e, _ in eyes]) + "->" + renamed
        grads.append(einsum(sub, gd, *[wrap_with_dtype(m, x.dtype) for _, m in eyes]))
    return tuple(grads)


def _operand_grad(g, out, others, other_xs, term, x) -> Tensor:
    """The gradient for one operand whose subscript `term` has no repeated labels."""
    letters = term.replace("...", "")
    present = set(out) | set("".join(others))
    left, sep, right = term.partition("...")
    target = "".join(c for c in left if c in present) + sep
    target += "".join(c for c in right if c in present)
    gi = einsum(",".join([out] + others) + "->" + target, g, *other_xs)
    if target.replace("...", "") != letters:
        gi = _restore_summed(gi, term, present, x)
    return gi


def _restore_summed(gi: Tensor, term: str, present: set, x: Tensor) -> Tensor:
    """Broadcasts a gradient back over the labels `term` sums away (absent elsewhere)."""
    r = x.shape.rank
    left, sep, right = term.partition("...")
    span = r - len(left) - len(right) if sep else 0
    axes = [i for i, c in enumerate(left) if c not in present]
    axes += [len(left) + span + i for i, c in enumerate(right) if c not in present]
    for a in sorted(axes):
        gi = array_ops.expand_dims(gi, a)
    return array_ops.broadcast_to(gi, array_ops.shape(x))


register_op("Einsum", _einsum_kernel, _einsum_rule, _einsum_grad)


def einsum(equation: str, *inputs: Any, **kwargs: Any) -> Tensor:
    """`tf.einsum`: a tensor contraction written in Einstein summation notation.

    >>> import ndflow as tf
    >>> tf.einsum("ij,jk->ik", tf.ones([2, 3]), tf.ones([3, 4])).shape
    TensorShape([2, 4])
    """
    kwargs.pop("name", None)
    kwargs.pop("optimize", None)
    if kwargs:
        raise TypeError(f"Invalid keyword arguments for einsum: {', '.join(kwargs)}")
    xs = [to_tensor(x) for x in inputs]
    n_terms = equation.split("->")[0].count(",") + 1
    if n_terms != len(xs):
        raise ValueError(f'Got {len(xs)} inputs for equation "{equation}", expecting {n_terms}')
    for i, x in enumerate(xs[1:], 1):
        if x.dtype is not xs[0].dtype:
            raise invalid(
                "Einsum",
                f"cannot compute Einsum as input #{i}(zero-based) was expected to be a "
                f"{cpp_name(xs[0].dtype)} tensor but is a {cpp_name(x.dtype)} tensor",
            )
    return execute("Einsum", tuple(xs), {"equation": equation.replace(" ", "")})


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Tensor:
    """`tf.tensordot`: sums the products of `a` and `b` over the given axes (`axes=N`:
    the last N of `a` with the first N of `b`; or a pair of axis lists).

    >>> import ndflow as tf
    >>> tf.tensordot(tf.ones([2, 3]), tf.ones([3, 4]), axes=1).shape
    TensorShape([2, 4])
    """
    x, y = binary_operands(a, b, "Einsum")
    ra, rb = x.shape.rank, y.shape.rank
    if ra is None or rb is None:
        raise ValueError("ndflow's tensordot needs tensors of known rank.")
    if isinstance(axes, Tensor):
        axes = axes.numpy().tolist()
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0:
            raise ValueError(f"'axes' must be at least 0, got {n}.")
        if n > ra or n > rb:
            raise ValueError(
                f"'axes' must not be larger than the number of dimensions of tensor {x!r}."
            )
        a_axes, b_axes = list(range(ra - n, ra)), list(range(n))
    elif isinstance(axes, (list, tuple)):
        if len(axes) != 2:
            raise ValueError(f"'axes' must be an integer or have length 2. Received {axes}.")
        a_axes, b_axes = axes
        a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
        b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
        if len(a_axes) != len(b_axes):
            raise ValueError(
                f"Different number of contraction axes 'a' and 'b', {len(a_axes)} != {len(b_axes)}."
            )
    else:
        raise ValueError(f"'axes' must be an integer or have length 2. Received {axes}.")
    a_axes = [normalize_axis(int(i), ra, "Einsum") for i in a_axes]
    b_axes = [normalize_axis(int(i), rb, "Einsum") for i in b_axes]
    letters = iter(string.ascii_letters)
    la = [next(letters) for _ in range(ra)]
    lb = [next(letters) for _ in range(rb)]
    for i, j in zip(a_axes, b_axes):
        lb[j] = la[i]
    out = [c for k, c in enumerate(la) if k not in a_axes] + [
        c for k, c in enumerate(lb) if k not in b_axes
    ]
    return execute("Einsum", (x, y), {"equation": f"{''.join(la)},{''.join(lb)}->{''.join(out)}"})


# ---------------------------------------------------------------------------- inverse, det


def _square_rule(op_type: str, drop: bool):
    def rule(inputs, attrs):
        dims = dims_of(inputs[0])
        if dims is None:
            return [(None, inputs[0].dtype)]
        if len(dims) < 2:
            raise invalid(op_type, f"Input must have rank >= 2, got {len(dims)}")
        if dims[-1] is not None and dims[-2] is not None and dims[-1] != dims[-2]:
            raise invalid(op_type, "Input matrix must be square.")
        return [(dims[:-2] if drop else dims, inputs[0].dtype)]

    return rule


def _inverse_kernel(x, adjoint):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError("square")
    if adjoint:
        x = np.conj(np.swapaxes(x, -1, -2))
    try:
        return np.linalg.inv(x).astype(x.dtype)
    except np.linalg.LinAlgError:
        raise invalid("MatrixInverse", "Input is not invertible.") from None


def _inverse_grad(op, g):
    ainv = op.outputs[0]
    if op.attrs["adjoint"]:
        # C = inv(A^H): dL/dA = -C G^H C.
        return (math_ops.negative(matmul(ainv, matmul(g, ainv, adjoint_a=True))),)
    inner = matmul(g, ainv, adjoint_b=True)
    return (math_ops.negative(matmul(ainv, inner, adjoint_a=True)),)


register_op("MatrixInverse", _inverse_kernel, _square_rule("MatrixInverse", False), _inverse_grad)


def inv(input: Any, adjoint: bool = False, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.linalg.inv`: the inverse of each (batch) square matrix; raises
    InvalidArgumentError when one is singular.

    >>> import ndflow as tf
    >>> tf.linalg.inv(tf.constant([[2.0, 0.0], [0.0, 4.0]])).numpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    x = to_tensor(input)
    _check_dtype(x, _MATRIX_DTYPES, "MatrixInverse")
    return execute("MatrixInverse", (x,), {"adjoint": bool(adjoint)})


def _det_kernel(x):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError("square")
    return np.asarray(np.linalg.det(x)).astype(x.dtype)


def _det_grad(op, g):
    a = op.inputs[0]
    scale = math_ops.multiply(g, op.outputs[0])
    scale = array_ops.expand_dims(array_ops.expand_dims(scale, -1), -1)
    return (math_ops.multiply(scale, inv(a, adjoint=True)),)


register_op("MatrixDeterminant", _det_kernel, _square_rule("MatrixDeterminant", True), _det_grad)


def det(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.linalg.det`: the determinant of each (batch) square matrix.

    >>> import ndflow as tf
    >>> float(tf.linalg.det(tf.constant([[1.0, 2.0], [3.0, 4.0]])))
    -2.0...
    """
    x = to_tensor(input)
    _check_dtype(x, _MATRIX_DTYPES, "MatrixDeterminant")
    return execute("MatrixDeterminant", (x,))


# ---------------------------------------------------------------------------- diagonals


def _diag_part_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    if dims is None:
        return [(None, inputs[0].dtype)]
    if len(dims) < 2:
        raise invalid(
            "MatrixDiagPartV3", f"input must be at least 2-dim, received shape: {dims_str(dims)}"
        )
    m, n = dims[-2], dims[-1]
    return [(dims[:-2] + (None if m is None or n is None else min(m, n),), inputs[0].dtype)]


register_op(
    "MatrixDiagPartV3",
    lambda x: np.diagonal(x, axis1=-2, axis2=-1).copy(),
    _diag_part_rule,
    lambda op, g: (set_diag(math_ops.zeros_like(op.inputs[0]), g),),
)


def diag_part(
    input: Any,
    name: str = "diag_part",
    k: int = 0,
    padding_value: Any = 0,
    align: str = "RIGHT_LEFT",
) -> Tensor:  # noqa: A002
    """`tf.linalg.diag_part`: the main diagonal of each (batch) matrix.

    >>> import ndflow as tf
    >>> tf.linalg.diag_part(tf.reshape(tf.range(6), [2, 3])).numpy()
    array([0, 4], dtype=int32)
    """
    if k != 0:
        raise NotImplementedError("ndflow's diag_part supports only k=0.")
    return execute("MatrixDiagPartV3", (to_tensor(input),))


def _set_diag_kernel(x, d):
    out = x.copy()
    n = min(x.shape[-2], x.shape[-1])
    i = np.arange(n)
    out[..., i, i] = d
    return out


def _set_diag_grad(op, g):
    return set_diag(g, math_ops.zeros_like(op.inputs[1])), diag_part(g)


register_op(
    "MatrixSetDiagV3",
    _set_diag_kernel,
    lambda inputs, attrs: [(dims_of(inputs[0]), inputs[0].dtype)],
    _set_diag_grad,
)


def set_diag(
    input: Any, diagonal: Any, name: str = "set_diag", k: int = 0, align: str = "RIGHT_LEFT"
) -> Tensor:  # noqa: A002
    """`tf.linalg.set_diag`: a copy of `input` with its main diagonal replaced.

    >>> import ndflow as tf
    >>> tf.linalg.set_diag(tf.zeros([2, 2]), [1.0, 2.0]).numpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    """
    if k != 0:
        raise NotImplementedError("ndflow's set_diag supports only k=0.")
    x = to_tensor(input)
    d = diagonal if isinstance(diagonal, Tensor) else to_tensor(diagonal, x.dtype)
    return execute("MatrixSetDiagV3", (x, d))


def diag(
    diagonal: Any,
    name: str = "diag",
    k: int = 0,
    num_rows: int = -1,
    num_cols: int = -1,
    padding_value: Any = 0,
    align: str = "RIGHT_LEFT",
) -> Tensor:
    """`tf.linalg.diag`: square matrices with `diagonal`'s last dimension on their main
    diagonal (zeros elsewhere).

    >>> import ndflow as tf
    >>> tf.linalg.diag([1, 2]).numpy()
    array([[1, 0],
           [0, 2]], dtype=int32)
    """
    if k != 0 or num_rows != -1 or num_cols != -1 or padding_value != 0:
        raise NotImplementedError("ndflow's diag supports only the main diagonal (k=0).")
    d = to_tensor(diagonal)
    dims = dims_of(d)
    if dims is not None and None not in dims:
        base = array_ops.zeros(list(dims) + [dims[-1]], d.dtype)
    else:
        sh = array_ops.shape(d)
        base = math_ops.zeros_like(
            array_ops.broadcast_to(array_ops.expand_dims(d, -1), array_ops.concat([sh, sh[-1:]], 0))
        )
    return set_diag(base, d)


def trace(x: Any, name: str | None = None) -> Tensor:
    """`tf.linalg.trace`: the sum of each (batch) matrix's main diagonal.

    >>> import ndflow as tf
    >>> float(tf.linalg.trace(tf.eye(3)))
    3.0
    """
    return math_ops.reduce_sum(diag_part(x), axis=-1)


# ---------------------------------------------------------------------------- norm
# Private helper ops: a max reduction whose gradient splits evenly between tied maxima.


def _norm_max_kernel(x, axis, keepdims):
    return np.max(x, axis=axis, keepdims=keepdims)


def _norm_max_mask_kernel(x, y, axis, keepdims):
    if not keepdims:
        y = np.expand_dims(y, axis) if axis is not None else np.reshape(y, (1,) * x.ndim)
    hit = (x == y).astype(x.dtype)
    return hit / np.sum(hit, axis=axis, keepdims=True)


def _norm_max_grad(op, g):
    x = op.inputs[0]
    mask = execute("_NormMaxMask", (x, op.outputs[0]), op.attrs)
    spread = math_ops.broadcast_like(g, x, op.attrs["axis"], op.attrs["keepdims"])
    return (math_ops.multiply(spread, mask),)


def _reduced_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    if dims is None:
        return [(None, inputs[0].dtype)]
    axis = attrs["axis"]
    axes = range(len(dims)) if axis is None else [a % len(dims) for a in axis]
    if attrs["keepdims"]:
        return [(tuple(1 if i in axes else d for i, d in enumerate(dims)), inputs[0].dtype)]
    return [(tuple(d for i, d in enumerate(dims) if i not in axes), inputs[0].dtype)]


register_op("_NormMax", _norm_max_kernel, _reduced_rule, _norm_max_grad)
register_op(
    "_NormMaxMask",
    _norm_max_mask_kernel,
    lambda inputs, attrs: [(dims_of(inputs[0]), inputs[0].dtype)],
)


def _to_matrices(x: np.ndarray, axis: tuple) -> np.ndarray:
    return np.moveaxis(x, axis, (-2, -1))


def _spectral_norm_kernel(x, axis, keepdims):
    y = np.linalg.svd(_to_matrices(x, axis), compute_uv=False)[..., 0].astype(x.dtype)
    if keepdims:
        for a in sorted(axis):
            y = np.expand_dims(y, a)
    return y


def _spectral_direction_kernel(x, axis, keepdims):
    # d(sigma_max)/dx = u1 v1^T, laid out like x.
    u, _, vh = np.linalg.svd(_to_matrices(x, axis), full_matrices=False)
    d = u[..., :, :1] * vh[..., :1, :]
    return np.moveaxis(d, (-2, -1), axis).astype(x.dtype)


def _spectral_norm_grad(op, g):
    x = op.inputs[0]
    direction = execute("_NormSpectralDirection", (x,), op.attrs)
    spread = math_ops.broadcast_like(g, x, op.attrs["axis"], op.attrs["keepdims"])
    return (math_ops.multiply(spread, direction),)


register_op("_NormSpectral", _spectral_norm_kernel, _reduced_rule, _spectral_norm_grad)
register_op(
    "_NormSpectralDirection",
    _spectral_direction_kernel,
    lambda inputs, attrs: [(dims_of(inputs[0]), inputs[0].dtype)],
)


def _abs(x: Tensor) -> Tensor:
    # |x| from where/negate; its gradient is sign(x) (0 at 0), like TF's Abs.
    zero = math_ops.zeros_like(x)
    return array_ops.where(
        math_ops.greater(x, zero),
        x,
        array_ops.where(math_ops.less(x, zero), math_ops.negative(x), math_ops.multiply(x, zero)),
    )


def _max(x: Tensor, axis: tuple | None, keepdims: bool) -> Tensor:
    return execute("_NormMax", (x,), {"axis": axis, "keepdims": keepdims})


_VECTOR_NORMS = ("euclidean", 1, 2, np.inf)
_MATRIX_NORMS = ("euclidean", "fro", 1, 2, np.inf)


def norm(
    tensor: Any,
    ord: Any = "euclidean",  # noqa: A002 - TF's name
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
) -> Tensor:
    """`tf.norm` / `tf.linalg.norm`: vector norms (`ord` "euclidean", 1, 2, np.inf or any
    p > 0) over `axis` (all elements when None), or matrix norms ("fro"/"euclidean", 1,
    2 (the largest singular value), np.inf) when `axis` is a pair.

    >>> import ndflow as tf
    >>> float(tf.norm(tf.constant([3.0, 4.0])))
    5.0
    """
    x = to_tensor(tensor)
    keep = bool(keepdims)
    is_matrix = isinstance(axis, (list, tuple)) and len(axis) == 2
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
        is_matrix = isinstance(axis, list) and len(axis) == 2
    if is_matrix:
        if int(axis[0]) == int(axis[1]):
            raise ValueError(
                f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}"
            )
        if ord not in _MATRIX_NORMS:
            raise ValueError(
                f"'ord' must be a supported matrix norm in {list(_MATRIX_NORMS)}, got {ord}"
            )
    else:
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]
        if not (axis is None or isinstance(axis, (int, np.integer))):
            raise ValueError(
                f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}"
            )
        real_ord = isinstance(ord, (int, float, np.integer, np.floating)) and not isinstance(
            ord, bool
        )
        if ord not in _VECTOR_NORMS and not (real_ord and ord > 0):
            raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    if x.dtype not in FLOATS:
        names = ", ".join(cpp_name(d) for d in FLOATS + COMPLEX)
        raise invalid(
            "Sqrt",
            f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed values: {names}",
        )
    r = x.shape.rank
    axes: tuple | None
    if axis is None:
        axes = None
    elif is_matrix:
        axes = tuple(normalize_axis(int(a), r, "Norm") for a in axis)
    else:
        axes = (normalize_axis(int(axis), r, "Norm"),)
    if ord in ("euclidean", "fro") or (ord == 2 and not is_matrix):
        s = math_ops.reduce_sum(math_ops.square(x), axis=axes, keepdims=keep)
        return math_ops.pow(s, wrap_with_dtype(np.asarray(0.5, x.dtype._np), x.dtype))
    if is_matrix and ord == 2:
        return execute("_NormSpectral", (x,), {"axis": axes, "keepdims": keep})
    a = _abs(x)
    if is_matrix:
        rows = axes[0] if ord == 1 else axes[1]
        sums = math_ops.reduce_sum(a, axis=rows, keepdims=True)
        out = _max(sums, axes, True)
        return out if keep else array_ops.squeeze(out, list(axes))
    if ord == np.inf:
        return _max(a, axes, keep)
    if ord == 1:
        return math_ops.reduce_sum(a, axis=axes, keepdims=keep)
    p = wrap_with_dtype(np.asarray(ord, x.dtype._np), x.dtype)
    s = math_ops.reduce_sum(math_ops.pow(a, p), axis=axes, keepdims=keep)
    return math_ops.pow(s, wrap_with_dtype(np.asarray(1.0 / ord, x.dtype._np), x.dtype))
