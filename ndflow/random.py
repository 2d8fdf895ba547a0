"""`tf.random`: random ops, seeds, stateless samplers and `tf.random.Generator`."""

# ruff: noqa: F401
from ndflow._src.ops import stateless_random_ops as _stateless
from ndflow._src.ops.candidate_sampling_ops import (
    log_uniform_candidate_sampler as log_uniform_candidate_sampler,
)
from ndflow._src.ops.candidate_sampling_ops import (
    uniform_candidate_sampler as uniform_candidate_sampler,
)
from ndflow._src.ops.random_ops import categorical as categorical
from ndflow._src.ops.random_ops import gamma as gamma
from ndflow._src.ops.random_ops import normal as normal
from ndflow._src.ops.random_ops import poisson as poisson
from ndflow._src.ops.random_ops import set_seed as set_seed
from ndflow._src.ops.random_ops import shuffle as shuffle
from ndflow._src.ops.random_ops import truncated_normal as truncated_normal
from ndflow._src.ops.random_ops import uniform as uniform
from ndflow._src.ops.stateful_random_ops import Algorithm as Algorithm
from ndflow._src.ops.stateful_random_ops import Generator as Generator
from ndflow._src.ops.stateful_random_ops import create_rng_state as create_rng_state
from ndflow._src.ops.stateful_random_ops import get_global_generator as get_global_generator
from ndflow._src.ops.stateful_random_ops import set_global_generator as set_global_generator
from ndflow._src.ops.stateless_random_ops import fold_in as fold_in
from ndflow._src.ops.stateless_random_ops import split as split
from ndflow._src.ops.stateless_random_ops import stateless_binomial as stateless_binomial
from ndflow._src.ops.stateless_random_ops import stateless_categorical as stateless_categorical
from ndflow._src.ops.stateless_random_ops import stateless_gamma as stateless_gamma
from ndflow._src.ops.stateless_random_ops import stateless_normal as stateless_normal
from ndflow._src.ops.stateless_random_ops import stateless_poisson as stateless_poisson
from ndflow._src.ops.stateless_random_ops import (
    stateless_truncated_normal as stateless_truncated_normal,
)
from ndflow._src.ops.stateless_random_ops import stateless_uniform as stateless_uniform


class experimental:  # noqa: N801 - TensorFlow's namespace name
    """`tf.random.experimental` (a namespace, as in TensorFlow)."""

    Algorithm = Algorithm
    Generator = Generator
    create_rng_state = staticmethod(create_rng_state)
    get_global_generator = staticmethod(get_global_generator)
    set_global_generator = staticmethod(set_global_generator)
    stateless_fold_in = staticmethod(fold_in)
    stateless_shuffle = staticmethod(_stateless.stateless_shuffle)
    stateless_split = staticmethod(split)
