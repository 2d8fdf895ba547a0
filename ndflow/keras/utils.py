"""`keras.utils`."""

# ruff: noqa: F401
from ndflow._src.keras.utils.progbar import Progbar as Progbar
from ndflow._src.keras.trainers.py_dataset import PyDataset as PyDataset
from ndflow._src.keras.utils.array_utils import normalize as normalize
from ndflow._src.keras.utils.array_utils import pad_sequences as pad_sequences
from ndflow._src.keras.utils.array_utils import set_random_seed as set_random_seed
from ndflow._src.keras.utils.array_utils import to_categorical as to_categorical
from ndflow._src.keras.utils.dataset_utils import split_dataset as split_dataset
