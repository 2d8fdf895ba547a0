"""`tf.keras.models`: `Model`, `Sequential`."""

# ruff: noqa: F401
from ndflow._src.keras.models.model import Model as Model
from ndflow._src.keras.models.sequential import Sequential as Sequential
