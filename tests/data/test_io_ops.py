"""tf.io extras: decode_csv, decode_raw, read_file / write_file, matching_files, gfile."""

from __future__ import annotations

import numpy as np
import pytest
from data_helpers import canon

import ndflow as nd


@pytest.mark.parity
@pytest.mark.parametrize(
    "records,defaults",
    [
        (["1,2.5,a", "3,,b"], lambda tf: [[0], [1.0], ["z"]]),
        ("4,5", lambda tf: [np.array([], np.int64), [0]]),
        ([["1,x", '2,"y,z"'], ["3,w", "4,v"]], lambda tf: [[np.int64(0)], [""]]),
    ],
)
def test_decode_csv_matches_tensorflow(real_tf, records, defaults):
    ours = nd.io.decode_csv(records, defaults(nd))
    theirs = real_tf.io.decode_csv(records, defaults(real_tf))
    assert [canon(t.numpy()) for t in ours] == [canon(t.numpy()) for t in theirs]
    assert [t.dtype.name for t in ours] == [t.dtype.name for t in theirs]


def test_decode_csv_errors_name_the_record():
    with pytest.raises(
        nd.errors.InvalidArgumentError, match="Expect 2 fields but have 1 in record 0"
    ):
        nd.io.decode_csv(["1"], [[0], [0]])
    with pytest.raises(nd.errors.InvalidArgumentError, match="not a valid int32: q"):
        nd.io.decode_csv(["1,2", "3,q"], [[0], [0]])


def test_decode_csv_over_a_text_line_dataset(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("1,2\n3,4\n")
    ds = (
        nd.data.TextLineDataset(str(p))
        .batch(2)
        .map(lambda line: nd.io.decode_csv(line, [[0], [0]]))
    )
    ((a, b),) = list(ds)
    assert a.numpy().tolist() == [1, 3] and b.numpy().tolist() == [2, 4]


@pytest.mark.parity
def test_decode_raw_matches_tensorflow(real_tf):
    data = [b"\x01\x00\x02\x00", b"\xff\xff\x00\x01"]
    for little in (True, False):
        ours = nd.io.decode_raw(data, nd.int16, little_endian=little)
        theirs = real_tf.io.decode_raw(data, real_tf.int16, little_endian=little)
        assert canon(ours.numpy()) == canon(theirs.numpy())


def test_read_write_file_and_gfile(tmp_path):
    path = str(tmp_path / "d" / "f.bin")
    nd.io.write_file(path, b"abc\x00")
    assert nd.io.read_file(path).numpy() == b"abc\x00"
    assert nd.io.gfile.exists(path) and nd.io.gfile.isdir(str(tmp_path / "d"))
    with nd.io.gfile.GFile(str(tmp_path / "t.txt"), "w") as f:
        f.write("hi\n")
    assert nd.io.gfile.GFile(str(tmp_path / "t.txt")).read() == "hi\n"
    assert nd.io.gfile.glob(str(tmp_path / "*.txt")) == [str(tmp_path / "t.txt")]
    assert nd.io.matching_files(str(tmp_path / "*.txt")).numpy().tolist() == [
        str(tmp_path / "t.txt").encode()
    ]
    with pytest.raises(nd.errors.NotFoundError):
        nd.io.read_file(str(tmp_path / "missing"))
    with pytest.raises(nd.errors.AlreadyExistsError):
        nd.io.gfile.copy(path, str(tmp_path / "t.txt"))
    nd.io.gfile.rmtree(str(tmp_path / "d"))
    assert not nd.io.gfile.exists(path)
