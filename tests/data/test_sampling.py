"""Parity with TensorFlow 2.21 for the random combinators: `Dataset.random`,
`sample_from_datasets` (exact order for a seed, an op seed from a global seed only, across
epochs and iterators, `rerandomize_each_iteration`) and `choose_from_datasets`."""

from __future__ import annotations

import numpy as np
import pytest
from data_helpers import run

import ndflow as nd
from ndflow._src.data.philox import stateless_first_doubles


@pytest.fixture
def both_seeded(real_tf):
    """Sets the same global seed in ndflow and TensorFlow, and clears both afterwards."""

    def set_both(seed):
        nd.random.set_seed(seed)
        real_tf.random.set_seed(seed)

    yield set_both
    set_both(None)


def _inputs(tf, sizes):
    return [tf.data.Dataset.range(100 * i, 100 * i + n) for i, n in enumerate(sizes)]


# name -> (sizes of the inputs, keyword arguments) built for a library module
SAMPLES = {
    "uniform": ((30, 30), lambda tf: {}),
    "weights_list": ((30, 30), lambda tf: {"weights": [0.2, 0.8]}),
    "three_inputs": ((20, 15, 25), lambda tf: {"weights": [0.1, 0.3, 0.6]}),
    "float64_array": ((20, 20), lambda tf: {"weights": np.array([0.7, 0.3])}),
    "tensor_weights": ((20, 20), lambda tf: {"weights": tf.constant([0.4, 0.6])}),
    "zero_weight_dropped": ((10, 10, 10), lambda tf: {"weights": [0.5, 0.0, 0.5]}),
    "unnormalized": ((25, 25), lambda tf: {"weights": [3.0, 1.0]}),
    "stop_on_empty": ((5, 40), lambda tf: {"stop_on_empty_dataset": True}),
    "skip_exhausted": ((5, 40), lambda tf: {"stop_on_empty_dataset": False}),
    "tiny_weight": ((30, 30), lambda tf: {"weights": [1e-3, 1.0]}),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("seed", [0, 1, 7, 2024, 987654321])
def test_seeded_sample_from_datasets_matches_tensorflow(real_tf, name, seed):
    sizes, kwargs = SAMPLES[name]

    def build(tf):
        return tf.data.Dataset.sample_from_datasets(_inputs(tf, sizes), seed=seed, **kwargs(tf))

    assert run(build(nd)) == run(build(real_tf))


@pytest.mark.parity
@pytest.mark.parametrize("seed", [None, 3])
def test_sample_from_datasets_with_a_global_seed_matches_tensorflow(both_seeded, real_tf, seed):
    def build(tf):
        a = tf.data.Dataset.range(0, 40).shuffle(8)  # draws an op seed first
        b = tf.data.Dataset.range(100, 140)
        return tf.data.Dataset.sample_from_datasets([a, b], [0.3, 0.7], seed=seed)

    for global_seed in (0, 5, 42):
        both_seeded(global_seed)
        ours = build(nd)
        both_seeded(global_seed)
        theirs = build(real_tf)
        assert run(ours) == run(theirs)


@pytest.mark.parity
@pytest.mark.parametrize("rerandomize", [None, False, True])
def test_sample_from_datasets_across_epochs_and_iterators(real_tf, rerandomize):
    def build(tf):
        a, b = _inputs(tf, (6, 6))
        return tf.data.Dataset.sample_from_datasets(
            [a, b], seed=11, rerandomize_each_iteration=rerandomize
        )

    ours, theirs = build(nd), build(real_tf)
    for _ in range(3):  # successive iterators over one dataset
        assert run(ours) == run(theirs)
    assert run(build(nd).repeat(3)) == run(build(real_tf).repeat(3))


@pytest.mark.parity
def test_sample_from_datasets_with_weights_from_a_dataset_matches_tensorflow(real_tf):
    def build(tf):
        w = tf.data.Dataset.from_tensor_slices([[0.1, 0.9], [0.9, 0.1], [0.5, 0.5]]).repeat()
        a, b = _inputs(tf, (15, 15))
        return tf.data.Dataset.sample_from_datasets([a, b], weights=w, seed=4)

    assert run(build(nd)) == run(build(real_tf))


@pytest.mark.parity
def test_sample_from_datasets_special_cases_match_tensorflow(real_tf):
    def ints(ds):
        return [int(x) for x in ds]

    for tf in (nd, real_tf):
        a, b = _inputs(tf, (3, 3))
        assert ints(tf.data.Dataset.sample_from_datasets([a, b], weights=[0.0, 0.0])) == []
        one = tf.data.Dataset.sample_from_datasets([a, b], weights=[0.0, 1.0], seed=1)
        assert ints(one) == [100, 101, 102]
        assert ints(tf.data.Dataset.sample_from_datasets([a])) == [0, 1, 2]


@pytest.mark.parity
def test_sample_from_datasets_cardinality_and_spec_match_tensorflow(real_tf):
    def cards(tf):
        a, b = _inputs(tf, (3, 3))
        pairs = ([a, b], [a.repeat(), b], [a.repeat(), b.repeat()])
        out = [int(tf.data.Dataset.sample_from_datasets(p).cardinality()) for p in pairs]
        c = tf.data.Dataset.from_tensor_slices(tf.constant([0, 1], tf.int64))
        out.append(int(tf.data.Dataset.choose_from_datasets([a, b], c).cardinality()))
        out.append(int(tf.data.Dataset.random(seed=1).cardinality()))
        return out, repr(tf.data.Dataset.random(seed=1).element_spec)

    assert cards(nd) == cards(real_tf)


@pytest.mark.parity
def test_sample_from_datasets_errors_match_tensorflow(real_tf):
    def errors(tf):
        a, b = _inputs(tf, (3, 3))
        out = []
        for kwargs in (
            {"weights": [1, 2]},
            {"weights": [0.5]},
            {"weights": tf.constant([1.0, 2.0, 3.0])},
        ):
            with pytest.raises((TypeError, ValueError)) as info:
                tf.data.Dataset.sample_from_datasets([a, b], **kwargs)
            out.append((info.type.__name__, str(info.value)))
        with pytest.raises(ValueError) as info:
            tf.data.Dataset.sample_from_datasets([])
        out.append(str(info.value))
        return out

    assert errors(nd) == errors(real_tf)


@pytest.mark.parity
@pytest.mark.parametrize("seed", [0, 1, 5, 2**31 - 1, 12345678901])
def test_random_dataset_values_match_tensorflow(real_tf, seed):
    assert run(nd.data.Dataset.random(seed=seed).take(40)) == run(
        real_tf.data.Dataset.random(seed=seed).take(40)
    )


@pytest.mark.parity
@pytest.mark.parametrize("rerandomize", [None, False, True])
def test_random_dataset_iterators_match_tensorflow(real_tf, rerandomize):
    ours = nd.data.Dataset.random(seed=9, rerandomize_each_iteration=rerandomize).take(5)
    theirs = real_tf.data.Dataset.random(seed=9, rerandomize_each_iteration=rerandomize).take(5)
    for _ in range(3):
        assert run(ours) == run(theirs)
    assert run(ours.repeat(3)) == run(theirs.repeat(3))


@pytest.mark.parity
def test_random_dataset_under_a_global_seed_matches_tensorflow(both_seeded, real_tf):
    for global_seed, seed in ((3, None), (0, 0), (0, None), (8, 8)):
        both_seeded(global_seed)
        ours = [run(nd.data.Dataset.random(seed=seed).take(4)) for _ in range(2)]
        both_seeded(global_seed)
        theirs = [run(real_tf.data.Dataset.random(seed=seed).take(4)) for _ in range(2)]
        assert ours == theirs


def test_unseeded_random_dataset_is_uniform_32_bit():
    values = np.array([int(x) for x in nd.data.Dataset.random().take(2000)])
    assert values.min() >= 0 and values.max() < 2**32
    assert 0.4 < values.mean() / 2**32 < 0.6


@pytest.mark.parity
def test_stateless_first_doubles_match_tensorflow_stateless_uniform(real_tf):
    # stateless_random_uniform in float64 draws the same first double from a seed pair.
    seeds = [(0, 0), (1, 2), (2**32 - 1, 7), (123456789, 987654321), (-5, 3)]
    ours = stateless_first_doubles(np.array([s[0] for s in seeds]), np.array([s[1] for s in seeds]))
    theirs = [
        float(real_tf.random.stateless_uniform([1], seed=s, dtype=real_tf.float64)[0])
        for s in seeds
    ]
    np.testing.assert_array_equal(ours, theirs)


CHOICES = [0, 0, 1, 2, 1, 0, 2, 2, 2, 1, 0, 0, 0, 0, 1, 1, 1, 2]


@pytest.mark.parity
@pytest.mark.parametrize("stop", [True, False])
@pytest.mark.parametrize("repeat_choices", [False, True])
def test_choose_from_datasets_matches_tensorflow(real_tf, stop, repeat_choices):
    def build(tf):
        choice = tf.data.Dataset.from_tensor_slices(tf.constant(CHOICES, tf.int64))
        if repeat_choices:
            choice = choice.repeat()  # ends once every input is exhausted
        return tf.data.Dataset.choose_from_datasets(
            _inputs(tf, (4, 3, 6)), choice, stop_on_empty_dataset=stop
        )

    assert run(build(nd)) == run(build(real_tf))


@pytest.mark.parity
def test_choose_from_datasets_out_of_range_matches_tensorflow(real_tf):
    def message(tf):
        choice = tf.data.Dataset.from_tensor_slices(tf.constant([0, 1, 5], tf.int64))
        it = iter(tf.data.Dataset.choose_from_datasets(_inputs(tf, (3, 3)), choice))
        got = [int(next(it)), int(next(it))]
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            next(it)
        return got, "Selector index out of range: 5 >= 2" in str(info.value)

    assert message(nd) == message(real_tf) == ([0, 100], True)


@pytest.mark.parity
@pytest.mark.parametrize("seed", [2**31 - 1, 12345678901, None])
def test_shuffle_seeds_follow_tensorflow_get_seed(both_seeded, real_tf, seed):
    # Op seeds are reduced modulo 2**31 - 1, and a global seed alone draws op seeds from
    # TensorFlow's eager stream.
    both_seeded(6)
    ours = nd.data.Dataset.range(30).shuffle(7, seed=seed)
    both_seeded(6)
    theirs = real_tf.data.Dataset.range(30).shuffle(7, seed=seed)
    assert run(ours) == run(theirs)
