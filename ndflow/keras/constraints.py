"""`keras.constraints`."""

# ruff: noqa: F401, N813
from ndflow._src.keras.constraints import Constraint as Constraint
from ndflow._src.keras.constraints import MaxNorm as MaxNorm
from ndflow._src.keras.constraints import MinMaxNorm as MinMaxNorm
from ndflow._src.keras.constraints import NonNeg as NonNeg
from ndflow._src.keras.constraints import UnitNorm as UnitNorm
from ndflow._src.keras.constraints import deserialize as deserialize
from ndflow._src.keras.constraints import get as get
from ndflow._src.keras.constraints import serialize as serialize
from ndflow._src.keras.constraints import MaxNorm as max_norm
from ndflow._src.keras.constraints import MinMaxNorm as min_max_norm
from ndflow._src.keras.constraints import NonNeg as non_neg
from ndflow._src.keras.constraints import UnitNorm as unit_norm
