"""`keras.utils`."""

# ruff: noqa: F401
from ndflow._src.keras.utils.progbar import Progbar as Progbar
from ndflow._src.keras.trainers.py_dataset import PyDataset as PyDataset
