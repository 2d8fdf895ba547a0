"""`tf.keras` (Keras 3's API): layers, models, losses, metrics, optimizers, callbacks.

This package only re-exports; the implementation lives in `ndflow._src.keras`.
"""

# ruff: noqa: F401
# --- utils (ndflow/_src/keras/utils) ------------------------------------------------------
from ndflow.keras import utils as utils

# --- layers, activations, initializers, regularizers, constraints -------------------------

# --- losses, metrics, optimizers, callbacks -----------------------------------------------
from ndflow.keras import callbacks as callbacks
from ndflow.keras import losses as losses
from ndflow.keras import metrics as metrics
from ndflow.keras import optimizers as optimizers
