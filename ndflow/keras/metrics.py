"""`tf.keras.metrics`: re-exports only (see ndflow/_src/keras/metrics)."""

# ruff: noqa: F401
from ndflow._src.keras.metrics import AUC as AUC
from ndflow._src.keras.metrics import Accuracy as Accuracy
from ndflow._src.keras.metrics import BinaryAccuracy as BinaryAccuracy
from ndflow._src.keras.metrics import BinaryCrossentropy as BinaryCrossentropy
from ndflow._src.keras.metrics import CategoricalAccuracy as CategoricalAccuracy
from ndflow._src.keras.metrics import CategoricalCrossentropy as CategoricalCrossentropy
from ndflow._src.keras.metrics import CategoricalHinge as CategoricalHinge
from ndflow._src.keras.metrics import CosineSimilarity as CosineSimilarity
from ndflow._src.keras.metrics import F1Score as F1Score
from ndflow._src.keras.metrics import FBetaScore as FBetaScore
from ndflow._src.keras.metrics import FalseNegatives as FalseNegatives
from ndflow._src.keras.metrics import FalsePositives as FalsePositives
from ndflow._src.keras.metrics import Hinge as Hinge
from ndflow._src.keras.metrics import KLDivergence as KLDivergence
from ndflow._src.keras.metrics import LogCoshError as LogCoshError
from ndflow._src.keras.metrics import Mean as Mean
from ndflow._src.keras.metrics import MeanAbsoluteError as MeanAbsoluteError
from ndflow._src.keras.metrics import MeanAbsolutePercentageError as MeanAbsolutePercentageError
from ndflow._src.keras.metrics import MeanIoU as MeanIoU
from ndflow._src.keras.metrics import MeanMetricWrapper as MeanMetricWrapper
from ndflow._src.keras.metrics import MeanSquaredError as MeanSquaredError
from ndflow._src.keras.metrics import MeanSquaredLogarithmicError as MeanSquaredLogarithmicError
from ndflow._src.keras.metrics import Metric as Metric
from ndflow._src.keras.metrics import Poisson as Poisson
from ndflow._src.keras.metrics import Precision as Precision
from ndflow._src.keras.metrics import R2Score as R2Score
from ndflow._src.keras.metrics import Recall as Recall
from ndflow._src.keras.metrics import RootMeanSquaredError as RootMeanSquaredError
from ndflow._src.keras.metrics import SparseCategoricalAccuracy as SparseCategoricalAccuracy
from ndflow._src.keras.metrics import SparseCategoricalCrossentropy as SparseCategoricalCrossentropy
from ndflow._src.keras.metrics import SparseTopKCategoricalAccuracy as SparseTopKCategoricalAccuracy
from ndflow._src.keras.metrics import SquaredHinge as SquaredHinge
from ndflow._src.keras.metrics import Sum as Sum
from ndflow._src.keras.metrics import TopKCategoricalAccuracy as TopKCategoricalAccuracy
from ndflow._src.keras.metrics import TrueNegatives as TrueNegatives
from ndflow._src.keras.metrics import TruePositives as TruePositives
from ndflow._src.keras.metrics import accuracy as accuracy
from ndflow._src.keras.metrics import binary_accuracy as binary_accuracy
from ndflow._src.keras.metrics import binary_crossentropy as binary_crossentropy
from ndflow._src.keras.metrics import categorical_accuracy as categorical_accuracy
from ndflow._src.keras.metrics import categorical_crossentropy as categorical_crossentropy
from ndflow._src.keras.metrics import categorical_hinge as categorical_hinge
from ndflow._src.keras.metrics import deserialize as deserialize
from ndflow._src.keras.metrics import get as get
from ndflow._src.keras.metrics import hinge as hinge
from ndflow._src.keras.metrics import kl_divergence as kl_divergence
from ndflow._src.keras.metrics import log_cosh as log_cosh
from ndflow._src.keras.metrics import mean_absolute_error as mean_absolute_error
from ndflow._src.keras.metrics import (
    mean_absolute_percentage_error as mean_absolute_percentage_error,
)
from ndflow._src.keras.metrics import mean_squared_error as mean_squared_error
from ndflow._src.keras.metrics import (
    mean_squared_logarithmic_error as mean_squared_logarithmic_error,
)
from ndflow._src.keras.metrics import poisson as poisson
from ndflow._src.keras.metrics import serialize as serialize
from ndflow._src.keras.metrics import sparse_categorical_accuracy as sparse_categorical_accuracy
from ndflow._src.keras.metrics import (
    sparse_categorical_crossentropy as sparse_categorical_crossentropy,
)
from ndflow._src.keras.metrics import (
    sparse_top_k_categorical_accuracy as sparse_top_k_categorical_accuracy,
)
from ndflow._src.keras.metrics import squared_hinge as squared_hinge
from ndflow._src.keras.metrics import top_k_categorical_accuracy as top_k_categorical_accuracy
