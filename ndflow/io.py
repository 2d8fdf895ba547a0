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
from ndflow._src.data.io_ops import decode_csv as decode_csv
from ndflow._src.data.io_ops import decode_raw as decode_raw
from ndflow._src.data.io_ops import gfile as gfile
from ndflow._src.data.io_ops import matching_files as matching_files
from ndflow._src.data.io_ops import read_file as read_file
from ndflow._src.data.io_ops import write_file as write_file
