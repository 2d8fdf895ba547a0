"""`tf.data`: input pipelines. Re-exports only; the code lives in `ndflow._src.data`."""

# ruff: noqa: F401
from ndflow._src.data.dataset_ops import Dataset as Dataset
from ndflow._src.data.dataset_ops import DatasetV2 as DatasetV2
from ndflow._src.data.iterator import NumpyIterator as NumpyIterator
from ndflow._src.data.iterator import OwnedIterator as Iterator
from ndflow._src.data.options import AUTOTUNE as AUTOTUNE
from ndflow._src.data.options import INFINITE_CARDINALITY as INFINITE_CARDINALITY
from ndflow._src.data.options import UNKNOWN_CARDINALITY as UNKNOWN_CARDINALITY
from ndflow._src.data.options import Options as Options
from ndflow._src.data.options import ThreadingOptions as ThreadingOptions
from ndflow._src.data.readers import FixedLengthRecordDataset as FixedLengthRecordDataset
from ndflow._src.data.readers import TextLineDataset as TextLineDataset
from ndflow._src.data.readers import TFRecordDataset as TFRecordDataset
from ndflow._src.data.structure import DatasetSpec as DatasetSpec
from ndflow.data import experimental as experimental
