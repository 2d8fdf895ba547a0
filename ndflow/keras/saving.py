"""`tf.keras.saving`: model files (`.keras`, legacy `.h5`), weights files and the
serialization registry."""

# ruff: noqa: F401
from ndflow._src.keras.saving.saving_api import load_model as load_model
from ndflow._src.keras.saving.saving_api import load_weights as load_weights
from ndflow._src.keras.saving.saving_api import save_model as save_model
from ndflow._src.keras.saving.saving_api import save_weights as save_weights
from ndflow._src.keras.saving.serialization_lib import CustomObjectScope as CustomObjectScope
from ndflow._src.keras.saving.serialization_lib import (
    custom_object_scope as custom_object_scope,
)
from ndflow._src.keras.saving.serialization_lib import (
    deserialize_keras_object as deserialize_keras_object,
)
from ndflow._src.keras.saving.serialization_lib import get_custom_objects as get_custom_objects
from ndflow._src.keras.saving.serialization_lib import (
    get_registered_name as get_registered_name,
)
from ndflow._src.keras.saving.serialization_lib import (
    get_registered_object as get_registered_object,
)
from ndflow._src.keras.saving.serialization_lib import (
    register_keras_serializable as register_keras_serializable,
)
from ndflow._src.keras.saving.serialization_lib import (
    serialize_keras_object as serialize_keras_object,
)
