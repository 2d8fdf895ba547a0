"""`tf.errors`: TensorFlow's exception classes and error codes."""

# ruff: noqa: F401
from ndflow._src.core.errors import *  # noqa: F403
from ndflow._src.core.errors import OpError as OpError
