"""`keras.callbacks`: hooks into `fit`, `evaluate` and `predict`."""

from ndflow._src.keras.callbacks.callback import (
    Callback,
    CallbackList,
    History,
    LambdaCallback,
    ProgbarLogger,
    TerminateOnNaN,
)
from ndflow._src.keras.callbacks.file_callbacks import BackupAndRestore, CSVLogger, ModelCheckpoint
from ndflow._src.keras.callbacks.monitor_callbacks import (
    EarlyStopping,
    LearningRateScheduler,
    MonitorCallback,
    ReduceLROnPlateau,
)

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]
