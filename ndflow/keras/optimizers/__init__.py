"""`tf.keras.optimizers`: re-exports only (see ndflow/_src/keras/optimizers)."""

# ruff: noqa: F401
from ndflow._src.keras.optimizers import SGD as SGD
from ndflow._src.keras.optimizers import Adadelta as Adadelta
from ndflow._src.keras.optimizers import Adagrad as Adagrad
from ndflow._src.keras.optimizers import Adam as Adam
from ndflow._src.keras.optimizers import Adamax as Adamax
from ndflow._src.keras.optimizers import AdamW as AdamW
from ndflow._src.keras.optimizers import Ftrl as Ftrl
from ndflow._src.keras.optimizers import Lion as Lion
from ndflow._src.keras.optimizers import Nadam as Nadam
from ndflow._src.keras.optimizers import Optimizer as Optimizer
from ndflow._src.keras.optimizers import RMSprop as RMSprop
from ndflow._src.keras.optimizers import deserialize as deserialize
from ndflow._src.keras.optimizers import get as get
from ndflow._src.keras.optimizers import serialize as serialize
from ndflow.keras.optimizers import schedules as schedules
