"""`tf.data.experimental`: the aliases TensorFlow 2.21 still has."""

# ruff: noqa: F401
from ndflow._src.data.csv_ops import CsvDataset as CsvDataset
from ndflow._src.data.csv_ops import make_csv_dataset as make_csv_dataset
from ndflow._src.data.experimental import AutoShardPolicy as AutoShardPolicy
from ndflow._src.data.experimental import OptimizationOptions as OptimizationOptions
from ndflow._src.data.experimental import assert_cardinality as assert_cardinality
from ndflow._src.data.experimental import bucket_by_sequence_length as bucket_by_sequence_length
from ndflow._src.data.experimental import cardinality as cardinality
from ndflow._src.data.experimental import choose_from_datasets as choose_from_datasets
from ndflow._src.data.experimental import dense_to_ragged_batch as dense_to_ragged_batch
from ndflow._src.data.experimental import enumerate_dataset as enumerate_dataset
from ndflow._src.data.experimental import get_single_element as get_single_element
from ndflow._src.data.experimental import group_by_window as group_by_window
from ndflow._src.data.experimental import ignore_errors as ignore_errors
from ndflow._src.data.experimental import load as load
from ndflow._src.data.experimental import make_saveable_from_iterator as make_saveable_from_iterator
from ndflow._src.data.experimental import rejection_resample as rejection_resample
from ndflow._src.data.experimental import sample_from_datasets as sample_from_datasets
from ndflow._src.data.experimental import save as save
from ndflow._src.data.experimental import scan as scan
from ndflow._src.data.experimental import shuffle_and_repeat as shuffle_and_repeat
from ndflow._src.data.experimental import take_while as take_while
from ndflow._src.data.experimental import unbatch as unbatch
from ndflow._src.data.experimental import unique as unique
from ndflow._src.data.experimental import AutotuneOptions as AutotuneOptions
from ndflow._src.data.experimental import Counter as Counter
from ndflow._src.data.experimental import DistributeOptions as DistributeOptions
from ndflow._src.data.experimental import ExternalStatePolicy as ExternalStatePolicy
from ndflow._src.data.experimental import TFRecordWriter as TFRecordWriter
from ndflow._src.data.experimental import ThreadingOptions as ThreadingOptions
from ndflow._src.data.experimental import at as at
from ndflow._src.data.experimental import copy_to_device as copy_to_device
from ndflow._src.data.experimental import enable_debug_mode as enable_debug_mode
from ndflow._src.data.experimental import from_list as from_list
from ndflow._src.data.experimental import get_next_as_optional as get_next_as_optional
from ndflow._src.data.experimental import get_structure as get_structure
from ndflow._src.data.experimental import (
    make_batched_features_dataset as make_batched_features_dataset,
)
from ndflow._src.data.experimental import map_and_batch as map_and_batch
from ndflow._src.data.experimental import parallel_interleave as parallel_interleave
from ndflow._src.data.experimental import prefetch_to_device as prefetch_to_device
from ndflow._src.data.experimental import snapshot as snapshot
from ndflow._src.data.iterator import Optional as Optional
from ndflow._src.data.options import AUTOTUNE as AUTOTUNE
from ndflow._src.data.options import INFINITE_CARDINALITY as INFINITE_CARDINALITY
from ndflow._src.data.options import UNKNOWN_CARDINALITY as UNKNOWN_CARDINALITY
