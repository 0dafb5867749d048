import gzip
import struct

import numpy as np
import pytest

from training.datasets import DataFormatError, load_all, read_idx, read_npy, split_indices


def test_idx_round_trip(tmp_path):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    path = tmp_path / "x.gz"
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">IIII", 2051, 3, 4, 5) + images.tobytes())
    assert np.array_equal(read_idx(str(path)), images)


def test_idx_labels_uncompressed(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(struct.pack(">II", 2049, 4) + bytes([7, 0, 9, 3]))
    assert read_idx(str(path)).tolist() == [7, 0, 9, 3]


def test_idx_truncated_is_rejected(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(struct.pack(">II", 2049, 10) + bytes([1, 2]))
    with pytest.raises(DataFormatError):
        read_idx(str(path))


def test_npy_matches_numpy(tmp_path):
    a = np.random.default_rng(1).integers(0, 256, (6, 784)).astype(np.uint8)
    np.save(tmp_path / "a.npy", a)
    assert np.array_equal(read_npy(str(tmp_path / "a.npy")), a)


def test_npy_rejects_other_dtypes(tmp_path):
    np.save(tmp_path / "f.npy", np.zeros((2, 2), np.float32))
    with pytest.raises(DataFormatError):
        read_npy(str(tmp_path / "f.npy"))
    (tmp_path / "g.npy").write_bytes(b"not numpy at all")
    with pytest.raises(DataFormatError):
        read_npy(str(tmp_path / "g.npy"))


def test_splits_are_disjoint_and_deterministic():
    a, b = split_indices(100, 10, seed=3)
    assert len(a) == 90 and len(b) == 10 and not set(a) & set(b)
    a2, b2 = split_indices(100, 10, seed=3)
    assert np.array_equal(a, a2) and np.array_equal(b, b2)


def test_load_all_carves_validation(tiny_data):
    raw = load_all(*tiny_data, seed=0, mnist_val=12, doodle_val=5)
    assert len(raw.train_x) == 48 and len(raw.val_x) == 12 and len(raw.test_x) == 20
    assert raw.train_x.shape[1:] == (28, 28)
    assert len(raw.doodles_train["star"]) == 35 and len(raw.doodles_val["square"]) == 5
