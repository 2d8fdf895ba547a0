"""`keras.regularizers`."""

# ruff: noqa: F401, N811, N813
from ndflow._src.keras.regularizers import L1 as L1
from ndflow._src.keras.regularizers import L1L2 as L1L2
from ndflow._src.keras.regularizers import L2 as L2
from ndflow._src.keras.regularizers import OrthogonalRegularizer as OrthogonalRegularizer
from ndflow._src.keras.regularizers import Regularizer as Regularizer
from ndflow._src.keras.regularizers import deserialize as deserialize
from ndflow._src.keras.regularizers import get as get
from ndflow._src.keras.regularizers import serialize as serialize
from ndflow._src.keras.regularizers import L1 as l1
from ndflow._src.keras.regularizers import L1L2 as l1_l2
from ndflow._src.keras.regularizers import L2 as l2
from ndflow._src.keras.regularizers import OrthogonalRegularizer as orthogonal_regularizer
