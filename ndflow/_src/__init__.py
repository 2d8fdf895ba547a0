"""ndflow's implementation. Importing it tunes the C allocator once (see
`core/allocator.py`): NumPy arrays would otherwise page-fault on every training step."""

from ndflow._src.core import allocator as _allocator

_allocator.tune_malloc()
