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
from ndflow._src.data.options import AUTOTUNE as AUTOTUNE
from ndflow._src.data.options import INFINITE_CARDINALITY as INFINITE_CARDINALITY
from ndflow._src.data.options import UNKNOWN_CARDINALITY as UNKNOWN_CARDINALITY
