"""`keras.backend`: session-wide Keras settings."""

# ruff: noqa: F401
from ndflow._src.keras.backend import clear_session as clear_session
from ndflow._src.keras.backend import epsilon as epsilon
from ndflow._src.keras.backend import image_data_format as image_data_format
from ndflow._src.keras.dtype_policies import floatx as floatx
