"""`keras.activations`."""

# ruff: noqa: F401
from ndflow._src.keras.activations import deserialize as deserialize
from ndflow._src.keras.activations import elu as elu
from ndflow._src.keras.activations import exponential as exponential
from ndflow._src.keras.activations import gelu as gelu
from ndflow._src.keras.activations import get as get
from ndflow._src.keras.activations import hard_sigmoid as hard_sigmoid
from ndflow._src.keras.activations import hard_silu as hard_silu
from ndflow._src.keras.activations import hard_swish as hard_swish
from ndflow._src.keras.activations import leaky_relu as leaky_relu
from ndflow._src.keras.activations import linear as linear
from ndflow._src.keras.activations import log_softmax as log_softmax
from ndflow._src.keras.activations import mish as mish
from ndflow._src.keras.activations import relu as relu
from ndflow._src.keras.activations import relu6 as relu6
from ndflow._src.keras.activations import selu as selu
from ndflow._src.keras.activations import serialize as serialize
from ndflow._src.keras.activations import sigmoid as sigmoid
from ndflow._src.keras.activations import silu as silu
from ndflow._src.keras.activations import softmax as softmax
from ndflow._src.keras.activations import softplus as softplus
from ndflow._src.keras.activations import softsign as softsign
from ndflow._src.keras.activations import swish as swish
from ndflow._src.keras.activations import tanh as tanh
