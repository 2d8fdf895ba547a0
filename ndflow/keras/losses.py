"""`tf.keras.losses`: re-exports only (see ndflow/_src/keras/losses)."""

# ruff: noqa: F401
from ndflow._src.keras.losses import BCE as BCE
from ndflow._src.keras.losses import BinaryCrossentropy as BinaryCrossentropy
from ndflow._src.keras.losses import BinaryFocalCrossentropy as BinaryFocalCrossentropy
from ndflow._src.keras.losses import CategoricalCrossentropy as CategoricalCrossentropy
from ndflow._src.keras.losses import CategoricalFocalCrossentropy as CategoricalFocalCrossentropy
from ndflow._src.keras.losses import CategoricalHinge as CategoricalHinge
from ndflow._src.keras.losses import CosineSimilarity as CosineSimilarity
from ndflow._src.keras.losses import Hinge as Hinge
from ndflow._src.keras.losses import Huber as Huber
from ndflow._src.keras.losses import KLD as KLD
from ndflow._src.keras.losses import KLDivergence as KLDivergence
from ndflow._src.keras.losses import LogCosh as LogCosh
from ndflow._src.keras.losses import Loss as Loss
from ndflow._src.keras.losses import LossFunctionWrapper as LossFunctionWrapper
from ndflow._src.keras.losses import MAE as MAE
from ndflow._src.keras.losses import MAPE as MAPE
from ndflow._src.keras.losses import MSE as MSE
from ndflow._src.keras.losses import MSLE as MSLE
from ndflow._src.keras.losses import MeanAbsoluteError as MeanAbsoluteError
from ndflow._src.keras.losses import MeanAbsolutePercentageError as MeanAbsolutePercentageError
from ndflow._src.keras.losses import MeanSquaredError as MeanSquaredError
from ndflow._src.keras.losses import MeanSquaredLogarithmicError as MeanSquaredLogarithmicError
from ndflow._src.keras.losses import Poisson as Poisson
from ndflow._src.keras.losses import SparseCategoricalCrossentropy as SparseCategoricalCrossentropy
from ndflow._src.keras.losses import SquaredHinge as SquaredHinge
from ndflow._src.keras.losses import bce as bce
from ndflow._src.keras.losses import binary_crossentropy as binary_crossentropy
from ndflow._src.keras.losses import binary_focal_crossentropy as binary_focal_crossentropy
from ndflow._src.keras.losses import categorical_crossentropy as categorical_crossentropy
from ndflow._src.keras.losses import (
    categorical_focal_crossentropy as categorical_focal_crossentropy,
)
from ndflow._src.keras.losses import categorical_hinge as categorical_hinge
from ndflow._src.keras.losses import cosine_similarity as cosine_similarity
from ndflow._src.keras.losses import deserialize as deserialize
from ndflow._src.keras.losses import get as get
from ndflow._src.keras.losses import hinge as hinge
from ndflow._src.keras.losses import huber as huber
from ndflow._src.keras.losses import kl_divergence as kl_divergence
from ndflow._src.keras.losses import kld as kld
from ndflow._src.keras.losses import kullback_leibler_divergence as kullback_leibler_divergence
from ndflow._src.keras.losses import log_cosh as log_cosh
from ndflow._src.keras.losses import logcosh as logcosh
from ndflow._src.keras.losses import mae as mae
from ndflow._src.keras.losses import mape as mape
from ndflow._src.keras.losses import mean_absolute_error as mean_absolute_error
from ndflow._src.keras.losses import (
    mean_absolute_percentage_error as mean_absolute_percentage_error,
)
from ndflow._src.keras.losses import mean_squared_error as mean_squared_error
from ndflow._src.keras.losses import (
    mean_squared_logarithmic_error as mean_squared_logarithmic_error,
)
from ndflow._src.keras.losses import mse as mse
from ndflow._src.keras.losses import msle as msle
from ndflow._src.keras.losses import poisson as poisson
from ndflow._src.keras.losses import serialize as serialize
from ndflow._src.keras.losses import (
    sparse_categorical_crossentropy as sparse_categorical_crossentropy,
)
from ndflow._src.keras.losses import squared_hinge as squared_hinge
