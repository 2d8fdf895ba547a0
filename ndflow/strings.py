"""`tf.strings`: string tensor ops (case, split, regex, join, substr, numbers, Unicode)."""

# ruff: noqa: F401, A004
from ndflow._src.ops.string_ops import as_string as as_string
from ndflow._src.ops.string_ops import format as format
from ndflow._src.ops.string_ops import join as join
from ndflow._src.ops.string_ops import length as length
from ndflow._src.ops.string_ops import lower as lower
from ndflow._src.ops.string_ops import reduce_join as reduce_join
from ndflow._src.ops.string_ops import regex_full_match as regex_full_match
from ndflow._src.ops.string_ops import regex_replace as regex_replace
from ndflow._src.ops.string_ops import strip as strip
from ndflow._src.ops.string_ops import substr as substr
from ndflow._src.ops.string_ops import to_hash_bucket as to_hash_bucket
from ndflow._src.ops.string_ops import to_hash_bucket_fast as to_hash_bucket_fast
from ndflow._src.ops.string_ops import to_number as to_number
from ndflow._src.ops.string_ops import upper as upper
from ndflow._src.ops.string_ragged_ops import bytes_split as bytes_split
from ndflow._src.ops.string_ragged_ops import ngrams as ngrams
from ndflow._src.ops.string_ragged_ops import split as split
from ndflow._src.ops.string_ragged_ops import unicode_decode as unicode_decode
from ndflow._src.ops.string_ragged_ops import unicode_encode as unicode_encode
from ndflow._src.ops.string_ragged_ops import unicode_split as unicode_split
from ndflow._src.ops.string_ragged_ops import unicode_transcode as unicode_transcode
