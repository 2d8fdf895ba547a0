"""`tf.keras` (Keras 3's API): layers, models, losses, metrics, optimizers, callbacks.

This package only re-exports; the implementation lives in `ndflow._src.keras`.
"""

# ruff: noqa: F401
# --- utils (ndflow/_src/keras/utils) ------------------------------------------------------
from ndflow.keras import backend as backend
from ndflow.keras import utils as utils

# --- layers, activations, initializers, regularizers, constraints -------------------------
from ndflow._src.keras.dtype_policies import DTypePolicy as DTypePolicy
from ndflow._src.keras.layers.input_layer import Input as Input
from ndflow._src.keras.layers.input_layer import KerasTensor as KerasTensor
from ndflow._src.keras.layers.layer import Layer as Layer
from ndflow.keras import activations as activations
from ndflow.keras import constraints as constraints
from ndflow.keras import initializers as initializers
from ndflow.keras import layers as layers
from ndflow.keras import regularizers as regularizers

# --- models (ndflow/_src/keras/models) ----------------------------------------------------
from ndflow._src.keras.models.model import Model as Model
from ndflow._src.keras.models.sequential import Sequential as Sequential
from ndflow.keras import models as models

# --- saving (ndflow/_src/keras/saving) ----------------------------------------------------
from ndflow.keras import saving as saving

# --- losses, metrics, optimizers, callbacks -----------------------------------------------
from ndflow.keras import callbacks as callbacks
from ndflow.keras import losses as losses
from ndflow.keras import metrics as metrics
from ndflow.keras import optimizers as optimizers
