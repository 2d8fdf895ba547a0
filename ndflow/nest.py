"""`tf.nest`: flatten and rebuild nested structures."""

# ruff: noqa: F401
from ndflow._src.core.nest import assert_same_structure as assert_same_structure
from ndflow._src.core.nest import flatten as flatten
from ndflow._src.core.nest import (
    flatten_with_joined_string_paths as flatten_with_joined_string_paths,
)
from ndflow._src.core.nest import is_nested as is_nested
from ndflow._src.core.nest import map_structure as map_structure
from ndflow._src.core.nest import pack_sequence_as as pack_sequence_as
