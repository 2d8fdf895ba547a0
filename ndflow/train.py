"""`tf.train`: checkpoints (re-exports only; the code lives in ndflow/_src/checkpoint)."""

# ruff: noqa: F401
from ndflow._src.checkpoint.checkpoint import Checkpoint as Checkpoint
from ndflow._src.checkpoint.checkpoint import CheckpointOptions as CheckpointOptions
from ndflow._src.checkpoint.manager import CheckpointManager as CheckpointManager
from ndflow._src.checkpoint.reader import list_variables as list_variables
from ndflow._src.checkpoint.reader import load_checkpoint as load_checkpoint
from ndflow._src.checkpoint.reader import load_variable as load_variable
from ndflow._src.checkpoint.state import get_checkpoint_state as get_checkpoint_state
from ndflow._src.checkpoint.state import latest_checkpoint as latest_checkpoint
