"""CSV and text sources against TensorFlow 2.21, and their errors."""

from __future__ import annotations

import numpy as np
import pytest
from data_helpers import canon_spec, run

import ndflow as nd

MIXED = 'a,b,c,d\n1,2.5,x,"q,1"\n3,,yy,z\r\n-4,1e3,w,v\n'
NUMERIC = "f0,f1,label\n" + "".join(f"{i * 0.5},{-i},{i % 3}\n" for i in range(23))


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.mark.parity
@pytest.mark.parametrize("text", [MIXED, NUMERIC], ids=["mixed", "numeric"])
@pytest.mark.parametrize("label", [None, "first"])
def test_make_csv_dataset_matches_tensorflow(real_tf, tmp_path, text, label):
    path = _write(tmp_path, "a.csv", text)
    label_name = text.split(",")[0] if label else None

    def make(tf):
        return tf.data.experimental.make_csv_dataset(
            path, batch_size=5, num_epochs=1, shuffle=False, label_name=label_name
        )

    ours, theirs = make(nd), make(real_tf)
    assert canon_spec(ours.element_spec) == canon_spec(theirs.element_spec)
    assert list(ours.element_spec[0] if label else ours.element_spec) == list(
        theirs.element_spec[0] if label else theirs.element_spec
    )
    assert run(ours) == run(theirs)


@pytest.mark.parity
def test_make_csv_dataset_default_repeats_and_drops_remainder(real_tf, tmp_path):
    path = _write(tmp_path, "a.csv", NUMERIC)

    def make(tf):
        return tf.data.experimental.make_csv_dataset(path, batch_size=4, label_name="label")

    ours, theirs = make(nd), make(real_tf)
    assert canon_spec(ours.element_spec) == canon_spec(theirs.element_spec)
    assert int(ours.cardinality()) == int(theirs.cardinality())
    batches = list(ours.take(12))
    labels = np.concatenate([b[1].numpy() for b in batches])
    assert len(labels) == 48 and sorted(set(labels.tolist())) == [0, 1, 2]


@pytest.mark.parity
@pytest.mark.parametrize("header", [True, False])
def test_csv_dataset_matches_tensorflow(real_tf, tmp_path, header):
    path = _write(tmp_path, "a.csv", MIXED if header else MIXED.split("\n", 1)[1])

    def make(tf):
        return tf.data.experimental.CsvDataset(path, [tf.int32, 0.0, "", "none"], header=header)

    ours, theirs = make(nd), make(real_tf)
    assert canon_spec(ours.element_spec) == canon_spec(theirs.element_spec)
    assert run(ours) == run(theirs)


@pytest.mark.parity
def test_csv_dataset_select_cols_matches_tensorflow(real_tf, tmp_path):
    path = _write(tmp_path, "a.csv", NUMERIC)

    def make(tf):
        return tf.data.experimental.CsvDataset(
            path, [tf.float32, tf.int64], header=True, select_cols=[0, 2]
        ).batch(4)

    assert run(make(nd)) == run(make(real_tf))


@pytest.mark.parity
def test_text_line_dataset_matches_tensorflow(real_tf, tmp_path):
    a = _write(tmp_path, "a.txt", "one\ntwo\r\n\nthree")
    b = _write(tmp_path, "b.txt", "x\ny\n")
    for files in (a, [a, b]):
        assert run(nd.data.TextLineDataset(files)) == run(real_tf.data.TextLineDataset(files))


@pytest.mark.parity
def test_list_files_matches_tensorflow_when_not_shuffled(real_tf, tmp_path):
    for n in ("b.csv", "a.csv", "c.txt"):
        _write(tmp_path, n, "x\n")
    pattern = str(tmp_path / "*.csv")
    assert run(nd.data.Dataset.list_files(pattern, shuffle=False)) == run(
        real_tf.data.Dataset.list_files(pattern, shuffle=False)
    )
    shuffled = sorted(nd.data.Dataset.list_files(pattern).as_numpy_iterator())
    assert shuffled == sorted(real_tf.data.Dataset.list_files(pattern).as_numpy_iterator())


def test_list_files_without_match_is_invalid_argument(tmp_path):
    with pytest.raises(nd.errors.InvalidArgumentError, match="No files matched pattern"):
        nd.data.Dataset.list_files(str(tmp_path / "*.none"))


def test_unparsable_field_names_field_file_and_record(tmp_path):
    path = _write(tmp_path, "bad.csv", "a,b\n1,2\n3,x\n")
    ds = nd.data.experimental.CsvDataset(path, [nd.int32, nd.int32], header=True)
    with pytest.raises(nd.errors.InvalidArgumentError) as e:
        list(ds)
    assert "Field 1 in record is not a valid int32: x" in str(e.value)
    assert f"record 2 of file {path}" in str(e.value)


def test_wrong_field_count_names_the_record(tmp_path):
    path = _write(tmp_path, "bad.csv", "a,b\n1,2\n3\n")
    ds = nd.data.experimental.CsvDataset(path, [nd.int32, nd.int32], header=True)
    with pytest.raises(nd.errors.InvalidArgumentError, match="Expect 2 fields but have 1"):
        list(ds)


def test_missing_required_field(tmp_path):
    path = _write(tmp_path, "bad.csv", "1,\n")
    ds = nd.data.experimental.CsvDataset(path, [nd.int32, nd.int32])
    with pytest.raises(nd.errors.InvalidArgumentError, match="Field 1 is required"):
        list(ds)


def test_numeric_fast_path_equals_python_path(tmp_path):
    from ndflow._src.data import csv_ops

    path = _write(tmp_path, "n.csv", NUMERIC)
    cols = csv_ops._columns_from_defaults([nd.float32, nd.int64, nd.int32])
    fast = csv_ops.parse_csv_file(path, cols, True, ",", True, "", None)
    slow = csv_ops.parse_csv_file(path, cols, True, ",", False, "", [0, 1, 2])
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_csv_batches_gather_by_index(tmp_path):
    path = _write(tmp_path, "n.csv", NUMERIC)
    ds = nd.data.experimental.CsvDataset(path, [nd.float32, nd.int64, nd.int32], header=True)
    assert ds.shuffle(5)._plan() is not None


@pytest.mark.parity
@pytest.mark.parametrize("num_epochs", [1, 2])
def test_seeded_make_csv_dataset_shuffles_like_tensorflow(real_tf, tmp_path, num_epochs):
    path = _write(tmp_path, "a.csv", NUMERIC)

    def make(tf):
        return tf.data.experimental.make_csv_dataset(
            path,
            batch_size=5,
            num_epochs=num_epochs,
            shuffle_seed=3,
            label_name="label",
            shuffle_buffer_size=7,
        )

    assert run(make(nd)) == run(make(real_tf))


@pytest.mark.parity
def test_seeded_list_files_shuffles_like_tensorflow(real_tf, tmp_path):
    for i in range(7):
        _write(tmp_path, f"f{i}.txt", "x\n")
    pattern = str(tmp_path / "*.txt")
    assert run(nd.data.Dataset.list_files(pattern, seed=5)) == run(
        real_tf.data.Dataset.list_files(pattern, seed=5)
    )


@pytest.mark.parity
def test_fixed_length_record_dataset_matches_tensorflow(real_tf, tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"HDR" + bytes(range(24)) + b"FT")
    for tf in (nd, real_tf):
        ds = tf.data.FixedLengthRecordDataset(str(p), 6, header_bytes=3, footer_bytes=2)
        assert run(ds) == [("bytes", bytes(range(i, i + 6))) for i in range(0, 24, 6)]


@pytest.mark.parity
def test_generator_args_arrive_as_numpy_values_like_tensorflow(real_tf):
    seen = {}

    def make(tf):
        def gen(name, n):
            seen[tf.__name__] = (type(name), type(n))
            yield n

        return tf.data.Dataset.from_generator(gen, output_types=tf.int32, args=("a", 3))

    assert run(make(nd)) == run(make(real_tf))
    assert seen["ndflow"] == seen["tensorflow"]


def _write_files(tmp_path, sizes):
    for k, n in enumerate(sizes):
        rows = "".join(f"{k * 100 + i},{i * 0.5}\n" for i in range(n))
        _write(tmp_path, f"f{k}.csv", "a,b\n" + rows)
    return str(tmp_path / "f*.csv")


def _bad_file(tmp_path, bad_at=150, n=200):
    rows = [f"{i},{i * 0.5}\n" for i in range(n)]
    rows[bad_at] = f"{bad_at},x\n"
    return _write(tmp_path, "bad.csv", "a,b\n" + "".join(rows))


@pytest.mark.parity
@pytest.mark.parametrize("reads", [None, 1, 2, 3])
@pytest.mark.parametrize("seed", [None, 4])
def test_make_csv_dataset_over_many_files_matches_tensorflow(real_tf, tmp_path, reads, seed):
    pattern = _write_files(tmp_path, (5, 6, 7, 0, 3))

    def make(tf):
        return tf.data.experimental.make_csv_dataset(
            pattern,
            4,
            num_epochs=3,
            shuffle=seed is not None,
            shuffle_seed=seed,
            shuffle_buffer_size=6,
            num_parallel_reads=reads,
        )

    assert run(make(nd)) == run(make(real_tf))


@pytest.mark.parity
@pytest.mark.parametrize("buffer", [None, 20, 1000])
def test_make_csv_dataset_bad_record_raises_when_reached_like_tensorflow(real_tf, tmp_path, buffer):
    path = _bad_file(tmp_path)

    def batches_before_error(tf):
        ds = tf.data.experimental.make_csv_dataset(
            path,
            32,
            num_epochs=1,
            shuffle=buffer is not None,
            shuffle_seed=3,
            shuffle_buffer_size=buffer or 1,
        )  # built without reading the bad record
        it, got = iter(ds), []
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            while True:
                got.append(next(it)["a"].numpy().tolist())
        assert "Field 1 in record is not a valid float: x" in str(info.value)
        return got

    assert batches_before_error(nd) == batches_before_error(real_tf)


@pytest.mark.parity
def test_make_csv_dataset_ignore_errors_skips_bad_records_like_tensorflow(real_tf, tmp_path):
    path = _bad_file(tmp_path)

    def make(tf):
        return tf.data.experimental.make_csv_dataset(
            path, 32, num_epochs=1, shuffle=False, ignore_errors=True
        )

    assert run(make(nd)) == run(make(real_tf))


def test_make_csv_dataset_reads_the_records_while_iterating(tmp_path):
    path = _write(tmp_path, "grow.csv", "a,b\n1,2\n3,4\n")
    ds = nd.data.experimental.make_csv_dataset(path, 10, num_epochs=1, shuffle=False)
    with open(path, "a") as f:
        f.write("5,6\n")  # written after the dataset was made: read by the iteration
    assert [b["a"].numpy().tolist() for b in ds] == [[1, 3, 5]]
    with open(path, "a") as f:
        f.write("7,8\n")
    assert [b["a"].numpy().tolist() for b in ds] == [[1, 3, 5, 7]]


def test_csv_dataset_raises_after_the_records_before_the_bad_one(tmp_path):
    path = _bad_file(tmp_path, bad_at=7, n=10)
    it = iter(nd.data.experimental.CsvDataset(path, [nd.int32, nd.float32], header=True))
    assert [int(next(it)[0]) for _ in range(7)] == list(range(7))
    with pytest.raises(nd.errors.InvalidArgumentError, match="not a valid float: x"):
        next(it)
