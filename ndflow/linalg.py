"""`tf.linalg`: matrix products, decompositions and norms."""

# ruff: noqa: F401
from ndflow._src.ops.construction_ops import eye as eye
from ndflow._src.ops.linalg_ops import adjoint as adjoint
from ndflow._src.ops.linalg_ops import det as det
from ndflow._src.ops.linalg_ops import diag as diag
from ndflow._src.ops.linalg_ops import diag_part as diag_part
from ndflow._src.ops.linalg_ops import einsum as einsum
from ndflow._src.ops.linalg_ops import inv as inv
from ndflow._src.ops.linalg_ops import matmul as matmul
from ndflow._src.ops.linalg_ops import matrix_transpose as matrix_transpose
from ndflow._src.ops.linalg_ops import norm as norm
from ndflow._src.ops.linalg_ops import set_diag as set_diag
from ndflow._src.ops.linalg_ops import tensordot as tensordot
from ndflow._src.ops.linalg_ops import trace as trace
