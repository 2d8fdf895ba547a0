"""`tf.keras.callbacks`: re-exports only (see ndflow/_src/keras/callbacks)."""

# ruff: noqa: F401
from ndflow._src.keras.callbacks import BackupAndRestore as BackupAndRestore
from ndflow._src.keras.callbacks import CSVLogger as CSVLogger
from ndflow._src.keras.callbacks import Callback as Callback
from ndflow._src.keras.callbacks import CallbackList as CallbackList
from ndflow._src.keras.callbacks import EarlyStopping as EarlyStopping
from ndflow._src.keras.callbacks import History as History
from ndflow._src.keras.callbacks import LambdaCallback as LambdaCallback
from ndflow._src.keras.callbacks import LearningRateScheduler as LearningRateScheduler
from ndflow._src.keras.callbacks import ModelCheckpoint as ModelCheckpoint
from ndflow._src.keras.callbacks import ProgbarLogger as ProgbarLogger
from ndflow._src.keras.callbacks import ReduceLROnPlateau as ReduceLROnPlateau
from ndflow._src.keras.callbacks import TerminateOnNaN as TerminateOnNaN
