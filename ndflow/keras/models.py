"""`tf.keras.models`: `Model`, `Sequential`, `clone_model`, `model_from_json`,
`save_model`, `load_model`."""

# ruff: noqa: F401
from ndflow._src.keras.models.cloning import clone_model as clone_model
from ndflow._src.keras.models.cloning import model_from_json as model_from_json
from ndflow._src.keras.models.model import Model as Model
from ndflow._src.keras.models.sequential import Sequential as Sequential
from ndflow._src.keras.saving.saving_api import load_model as load_model
from ndflow._src.keras.saving.saving_api import save_model as save_model
