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


def _stroke3(rng, n_strokes=2, points=6):
    """A drawing in sketch-rnn's stroke-3 rows (dx, dy, pen_lifted)."""
    rows = []
    for _ in range(n_strokes):
        for i in range(points):
            rows.append((rng.integers(-20, 21), rng.integers(-20, 21), 1 if i == points - 1 else 0))
    return np.array(rows, np.int16)


@pytest.fixture
def tiny_negatives(tmp_path):
    """A negatives folder in the three formats: 5 stroke categories, 4 bitmap categories, 3 symbol sets."""
    import json
    rng = np.random.default_rng(1)
    root = tmp_path / "negatives"
    (root / "strokes").mkdir(parents=True)
    (root / "bitmaps").mkdir()
    (root / "symbols").mkdir()
    for c, name in enumerate(["ant", "bee", "cow", "dog", "eel"]):
        lines = []
        for k in range(3):
            strokes = [[list(map(float, rng.integers(0, 500, 8))), list(map(float, rng.integers(0, 400, 8)))]
                       for _ in range(2 + k)]
            lines.append(json.dumps({"word": name, "key_id": str(k), "recognized": True, "drawing": strokes}))
        (root / "strokes" / f"{name}.ndjson").write_text("\n".join(lines) + "\n")
    for name in ("apple", "book", "cat", "fish"):
        arr = np.zeros((20, 784), np.uint8)
        arr[:, 200:260] = 255
        arr[:, 400:420] = 180
        np.save(root / "bitmaps" / f"{name}.npy", arr)
    for name in ("omniglot", "short_kanji", "kanji.rdp100"):
        def split(n):
            out = np.empty(n, dtype=object)
            for i in range(n):
                out[i] = _stroke3(rng)
            return out
        np.savez(root / "symbols" / f"{name}.npz", train=split(12), valid=split(4), test=split(4))
    return str(root)
