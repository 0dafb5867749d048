"""Shared fixtures: tiny IDX / .npy files written to a temporary folder, so tests need no data set."""

import gzip
import struct

import numpy as np
import pytest


def write_idx(path, array):
    magic = 0x0800 | array.ndim
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def blob_digit(rng, label):
    """A crude 28x28 'digit': a bright bar whose position depends on the label (enough for readers)."""
    img = np.zeros((28, 28), np.uint8)
    img[6:22, 4 + label:8 + label] = 255
    img += rng.integers(0, 3, (28, 28)).astype(np.uint8)
    return img


@pytest.fixture
def tiny_data(tmp_path):
    rng = np.random.default_rng(0)
    mnist = tmp_path / "mnist"
    qd = tmp_path / "quickdraw"
    mnist.mkdir()
    qd.mkdir()
    for split, n in (("train", 60), ("t10k", 20)):
        labels = np.arange(n) % 10
        images = np.stack([blob_digit(rng, int(label)) for label in labels])
        write_idx(mnist / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(mnist / f"{split}-labels-idx1-ubyte.gz", labels.astype(np.uint8))
    for name in ("star", "smiley_face", "square"):
        arr = np.zeros((40, 784), np.uint8)
        arr[:, 300:320] = 200
        np.save(qd / f"{name}.npy", arr)
    return str(mnist), str(qd)
