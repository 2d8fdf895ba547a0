"""`tf.saved_model`: save and load objects with their traced functions."""

from ndflow._src.saved_model.load import LoadOptions as LoadOptions
from ndflow._src.saved_model.load import load as load
from ndflow._src.saved_model.save import (
    DEFAULT_SERVING_SIGNATURE_DEF_KEY as DEFAULT_SERVING_SIGNATURE_DEF_KEY,
)
from ndflow._src.saved_model.save import EVAL as EVAL
from ndflow._src.saved_model.save import GPU as GPU
from ndflow._src.saved_model.save import SaveOptions as SaveOptions
from ndflow._src.saved_model.save import SERVING as SERVING
from ndflow._src.saved_model.save import TPU as TPU
from ndflow._src.saved_model.save import TRAINING as TRAINING
from ndflow._src.saved_model.save import contains_saved_model as contains_saved_model
from ndflow._src.saved_model.save import save as save
