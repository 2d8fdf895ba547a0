"""`keras.initializers` (classes and snake_case aliases)."""

# ruff: noqa: F401, N813
from ndflow._src.keras.initializers.initializers import Constant as Constant
from ndflow._src.keras.initializers.initializers import GlorotNormal as GlorotNormal
from ndflow._src.keras.initializers.initializers import GlorotUniform as GlorotUniform
from ndflow._src.keras.initializers.initializers import HeNormal as HeNormal
from ndflow._src.keras.initializers.initializers import HeUniform as HeUniform
from ndflow._src.keras.initializers.initializers import Identity as Identity
from ndflow._src.keras.initializers.initializers import Initializer as Initializer
from ndflow._src.keras.initializers.initializers import LecunNormal as LecunNormal
from ndflow._src.keras.initializers.initializers import LecunUniform as LecunUniform
from ndflow._src.keras.initializers.initializers import Ones as Ones
from ndflow._src.keras.initializers.initializers import Orthogonal as Orthogonal
from ndflow._src.keras.initializers.initializers import RandomNormal as RandomNormal
from ndflow._src.keras.initializers.initializers import RandomUniform as RandomUniform
from ndflow._src.keras.initializers.initializers import TruncatedNormal as TruncatedNormal
from ndflow._src.keras.initializers.initializers import VarianceScaling as VarianceScaling
from ndflow._src.keras.initializers.initializers import Zeros as Zeros
from ndflow._src.keras.initializers.initializers import deserialize as deserialize
from ndflow._src.keras.initializers.initializers import get as get
from ndflow._src.keras.initializers.initializers import serialize as serialize
from ndflow._src.keras.initializers.initializers import Constant as constant
from ndflow._src.keras.initializers.initializers import GlorotNormal as glorot_normal
from ndflow._src.keras.initializers.initializers import GlorotUniform as glorot_uniform
from ndflow._src.keras.initializers.initializers import HeNormal as he_normal
from ndflow._src.keras.initializers.initializers import HeUniform as he_uniform
from ndflow._src.keras.initializers.initializers import Identity as identity
from ndflow._src.keras.initializers.initializers import LecunNormal as lecun_normal
from ndflow._src.keras.initializers.initializers import LecunUniform as lecun_uniform
from ndflow._src.keras.initializers.initializers import Ones as ones
from ndflow._src.keras.initializers.initializers import Orthogonal as orthogonal
from ndflow._src.keras.initializers.initializers import RandomNormal as random_normal
from ndflow._src.keras.initializers.initializers import RandomUniform as random_uniform
from ndflow._src.keras.initializers.initializers import TruncatedNormal as truncated_normal
from ndflow._src.keras.initializers.initializers import VarianceScaling as variance_scaling
from ndflow._src.keras.initializers.initializers import Zeros as zeros
