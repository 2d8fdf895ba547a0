"""ndflow's implementation. Importing it first adjusts the process for NumPy-based
training (see `core/process_settings.py`): OpenBLAS threads that sleep instead of spinning
after each call, and a C allocator that keeps freed arrays for reuse."""

from ndflow._src.core import process_settings as _process_settings

_process_settings.quiet_blas_threads()
_process_settings.tune_malloc()
