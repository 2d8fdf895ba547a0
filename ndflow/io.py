"""`tf.io`: TFRecord files and tf.train.Example parsing. Re-exports only."""

# ruff: noqa: F401
from ndflow._src.data.parsing import FixedLenFeature as FixedLenFeature
from ndflow._src.data.parsing import FixedLenSequenceFeature as FixedLenSequenceFeature
from ndflow._src.data.parsing import VarLenFeature as VarLenFeature
from ndflow._src.data.parsing import parse_example as parse_example
from ndflow._src.data.parsing import parse_single_example as parse_single_example
from ndflow._src.data.tfrecord import TFRecordOptions as TFRecordOptions
from ndflow._src.data.tfrecord import TFRecordWriter as TFRecordWriter
from ndflow._src.data.tfrecord import tf_record_iterator as tf_record_iterator
