"""`tf.keras.optimizers.schedules`: re-exports only."""

# ruff: noqa: F401
from ndflow._src.keras.optimizers.schedules import CosineDecay as CosineDecay
from ndflow._src.keras.optimizers.schedules import CosineDecayRestarts as CosineDecayRestarts
from ndflow._src.keras.optimizers.schedules import ExponentialDecay as ExponentialDecay
from ndflow._src.keras.optimizers.schedules import InverseTimeDecay as InverseTimeDecay
from ndflow._src.keras.optimizers.schedules import LearningRateSchedule as LearningRateSchedule
from ndflow._src.keras.optimizers.schedules import (
    PiecewiseConstantDecay as PiecewiseConstantDecay,
)
from ndflow._src.keras.optimizers.schedules import PolynomialDecay as PolynomialDecay
from ndflow._src.keras.optimizers.schedules import deserialize as deserialize
from ndflow._src.keras.optimizers.schedules import serialize as serialize
