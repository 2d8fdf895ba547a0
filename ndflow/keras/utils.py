"""`keras.utils`."""

# ruff: noqa: F401
from ndflow._src.keras.utils.progbar import Progbar as Progbar
