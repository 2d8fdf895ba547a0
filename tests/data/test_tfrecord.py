"""TFRecord framing (masked CRC-32C), interop with TensorFlow both ways, corrupt files,
the tf.train.Example codec and tf.io.parse_example."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as nd
from ndflow._src.data import example_proto as pb
from ndflow._src.data import tfrecord

RECORDS = [b"hello", b"", b"\x00\xff" * 300, "snowman \u2603".encode()]


def _example(i: int) -> pb.Example:
    return pb.Example(
        features=pb.Features(
            feature={
                "id": pb.Feature(int64_list=pb.Int64List(value=[i, -i, 2**40])),
                "score": pb.Feature(float_list=pb.FloatList(value=[i / 2.0])),
                "name": pb.Feature(bytes_list=pb.BytesList(value=[f"n{i}".encode()])),
                "tags": pb.Feature(int64_list=pb.Int64List(value=list(range(i)))),
            }
        )
    )


@pytest.mark.parametrize(
    "data,want", [(b"", 0), (b"123456789", 0xE3069283), (bytes(32), 0x8A9136AA)]
)
def test_crc32c_known_values(data, want):
    assert tfrecord.crc32c(data) == want


def test_crc32c_numba_and_python_agree():
    data = np.random.default_rng(0).integers(0, 256, 5000).astype(np.uint8).tobytes()
    assert tfrecord.crc32c(data, use_numba=False) == tfrecord.crc32c(data)


@pytest.mark.parametrize("compression", [None, "GZIP", "ZLIB"])
def test_roundtrip_in_ndflow(tmp_path, compression):
    path = str(tmp_path / "a.tfrecord")
    with nd.io.TFRecordWriter(path, nd.io.TFRecordOptions(compression)) as w:
        for r in RECORDS:
            w.write(r)
    ds = nd.data.TFRecordDataset(path, compression_type=compression)
    assert list(ds.as_numpy_iterator()) == RECORDS
    assert ds.element_spec.dtype == nd.string and ds.element_spec.shape.rank == 0


@pytest.mark.parity
@pytest.mark.parametrize("compression", [None, "GZIP", "ZLIB"])
def test_tensorflow_reads_ndflow_records(real_tf, tmp_path, compression):
    path = str(tmp_path / "nd.tfrecord")
    with nd.io.TFRecordWriter(path, options=compression) as w:
        for r in RECORDS:
            w.write(r)
    got = list(
        real_tf.data.TFRecordDataset(path, compression_type=compression or "").as_numpy_iterator()
    )
    assert got == RECORDS


@pytest.mark.parity
@pytest.mark.parametrize("compression", [None, "GZIP", "ZLIB"])
def test_ndflow_reads_tensorflow_records(real_tf, tmp_path, compression):
    path = str(tmp_path / "tf.tfrecord")
    with real_tf.io.TFRecordWriter(path, options=compression) as w:
        for r in RECORDS:
            w.write(r)
    got = list(nd.data.TFRecordDataset(path, compression_type=compression).as_numpy_iterator())
    assert got == RECORDS


@pytest.mark.parity
def test_examples_roundtrip_between_libraries(real_tf, tmp_path):
    path = str(tmp_path / "ex.tfrecord")
    with nd.io.TFRecordWriter(path) as w:
        for i in range(4):
            w.write(_example(i).SerializeToString())
    features = {
        "id": real_tf.io.FixedLenFeature([3], real_tf.int64),
        "score": real_tf.io.FixedLenFeature([], real_tf.float32),
        "name": real_tf.io.FixedLenFeature([], real_tf.string),
        "tags": real_tf.io.VarLenFeature(real_tf.int64),
        "missing": real_tf.io.FixedLenFeature([2], real_tf.float32, default_value=[1.0, 2.0]),
    }
    nd_features = {
        "id": nd.io.FixedLenFeature([3], nd.int64),
        "score": nd.io.FixedLenFeature([], nd.float32),
        "name": nd.io.FixedLenFeature([], nd.string),
        "tags": nd.io.VarLenFeature(nd.int64),
        "missing": nd.io.FixedLenFeature([2], nd.float32, default_value=[1.0, 2.0]),
    }
    batch_tf = next(iter(real_tf.data.TFRecordDataset(path).batch(4)))
    theirs = real_tf.io.parse_example(batch_tf, features)
    batch_nd = next(iter(nd.data.TFRecordDataset(path).batch(4)))
    ours = nd.io.parse_example(batch_nd, nd_features)
    for k in ("id", "score", "name", "missing"):
        assert ours[k].dtype.name == theirs[k].dtype.name
        np.testing.assert_array_equal(ours[k].numpy(), theirs[k].numpy())
    for part in ("indices", "values", "dense_shape"):
        np.testing.assert_array_equal(
            getattr(ours["tags"], part).numpy(), getattr(theirs["tags"], part).numpy()
        )
    # And TF's own serialization parses here, record by record.
    for i in range(4):
        s = real_tf.train.Example.FromString(_example(i).SerializeToString())
        one = nd.io.parse_single_example(s.SerializeToString(), nd_features)
        assert one["id"].numpy().tolist() == [i, -i, 2**40]
        assert one["tags"].values.numpy().tolist() == list(range(i))
        assert pb.Example.FromString(s.SerializeToString()) == _example(i)


def test_corrupt_data_crc_names_file_and_offset(tmp_path):
    path = str(tmp_path / "bad.tfrecord")
    with nd.io.TFRecordWriter(path) as w:
        w.write(b"hello")
        w.write(b"world")
    data = bytearray(open(path, "rb").read())
    data[21 + 14] ^= 1  # a byte inside the second record's data
    open(path, "wb").write(bytes(data))
    it = iter(nd.data.TFRecordDataset(path))
    assert next(it).numpy() == b"hello"
    with pytest.raises(nd.errors.DataLossError, match=f"corrupted record at 21 in {path}"):
        next(it)


def test_corrupt_length_crc_and_truncation(tmp_path):
    path = str(tmp_path / "bad.tfrecord")
    with nd.io.TFRecordWriter(path) as w:
        w.write(b"hello")
    good = open(path, "rb").read()
    open(path, "wb").write(b"\x01" + good[1:])
    with pytest.raises(nd.errors.DataLossError, match="Is this even a TFRecord file"):
        list(nd.data.TFRecordDataset(path))
    open(path, "wb").write(good[:-3])
    with pytest.raises(nd.errors.DataLossError, match="truncated record at 0"):
        list(nd.data.TFRecordDataset(path))


def test_missing_file_is_not_found(tmp_path):
    with pytest.raises(nd.errors.NotFoundError, match="No such file"):
        list(nd.data.TFRecordDataset(str(tmp_path / "nope")))


def test_parallel_reads_interleave_files_record_by_record(tmp_path):
    paths = []
    for f in range(2):
        p = str(tmp_path / f"{f}.tfrecord")
        with nd.io.TFRecordWriter(p) as w:
            for i in range(3):
                w.write(f"{f}-{i}".encode())
        paths.append(p)
    got = list(nd.data.TFRecordDataset(paths, num_parallel_reads=2).as_numpy_iterator())
    assert got == [b"0-0", b"1-0", b"0-1", b"1-1", b"0-2", b"1-2"]
    seq = list(
        nd.data.TFRecordDataset(nd.data.Dataset.from_tensor_slices(paths)).as_numpy_iterator()
    )
    assert seq == [b"0-0", b"0-1", b"0-2", b"1-0", b"1-1", b"1-2"]


def test_parse_errors_name_the_key():
    s = _example(3).SerializeToString()
    with pytest.raises(nd.errors.InvalidArgumentError, match="Key: id.  Can't parse"):
        nd.io.parse_single_example(s, {"id": nd.io.FixedLenFeature([2], nd.int64)})
    with pytest.raises(nd.errors.InvalidArgumentError, match="Data types don't match"):
        nd.io.parse_single_example(s, {"id": nd.io.FixedLenFeature([3], nd.float32)})
    with pytest.raises(nd.errors.InvalidArgumentError, match="Feature: zz .* is required"):
        nd.io.parse_single_example(s, {"zz": nd.io.FixedLenFeature([], nd.float32)})
    with pytest.raises(nd.errors.InvalidArgumentError, match="Could not parse example"):
        nd.io.parse_single_example(b"\xff\xff", {"zz": nd.io.FixedLenFeature([], nd.float32)})


def test_parse_example_inside_dataset_map(tmp_path):
    path = str(tmp_path / "m.tfrecord")
    with nd.io.TFRecordWriter(path) as w:
        for i in range(5):
            w.write(_example(i).SerializeToString())
    spec = {
        "score": nd.io.FixedLenFeature([], nd.float32),
        "name": nd.io.FixedLenFeature([], nd.string),
    }
    ds = nd.data.TFRecordDataset(path).batch(2).map(lambda s: nd.io.parse_example(s, spec))
    batches = list(ds)
    assert [b["score"].numpy().tolist() for b in batches] == [[0.0, 0.5], [1.0, 1.5], [2.0]]
    assert batches[0]["name"].numpy().tolist() == [b"n0", b"n1"]


def test_example_text_and_field_access():
    ex = _example(2)
    assert ex.features.feature["tags"].int64_list.value == [0, 1]
    assert ex.features.feature["tags"].WhichOneof("kind") == "int64_list"
    assert 'key: "name"' in str(ex)
    with pytest.raises(TypeError):
        pb.BytesList(value=["not bytes"])


@pytest.mark.parity
def test_make_batched_features_dataset_matches_tensorflow(real_tf, tmp_path):
    path = str(tmp_path / "feat.tfrecord")
    with nd.io.TFRecordWriter(path) as w:
        for i in range(9):
            w.write(_example(i).SerializeToString())

    def make(tf):
        feats = {
            "id": tf.io.FixedLenFeature([3], tf.int64),
            "score": tf.io.FixedLenFeature([], tf.float32),
        }
        return tf.data.experimental.make_batched_features_dataset(
            path, 4, feats, label_key="score", num_epochs=1, shuffle_seed=2, shuffle_buffer_size=5
        )

    from data_helpers import canon_spec, run

    ours, theirs = make(nd), make(real_tf)
    assert canon_spec(ours.element_spec) == canon_spec(theirs.element_spec)
    assert run(ours) == run(theirs)
