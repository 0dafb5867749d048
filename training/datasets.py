"""Readers for the raw data formats (IDX, .npy) and the train/validation splits.

Readers are written against the file formats directly (numpy only) so that the
tests can exercise them without PyTorch.
"""

from __future__ import annotations

import ast
import gzip
import os
import struct
from dataclasses import dataclass

import numpy as np

DEFAULT_MNIST = os.path.join("..", "shared", "data", "mnist")
DEFAULT_QUICKDRAW = os.path.join("..", "shared", "data", "quickdraw")


class DataFormatError(Exception):
    """A file is not in the format its reader expects."""


def _open(path: str):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (optionally gzip'd): 2051 = images (N,H,W), 2049 = labels (N,)."""
    with _open(path) as f:
        raw = f.read()
    if len(raw) < 8:
        raise DataFormatError(f"{path}: too short for an IDX header")
    magic = struct.unpack(">I", raw[:4])[0]
    # The third byte is the element type (0x08 = uint8), the fourth the rank.
    if magic >> 8 != 0x08:
        raise DataFormatError(f"{path}: unsupported IDX element type in magic {magic}")
    rank = magic & 0xFF
    header = 4 + 4 * rank
    dims = struct.unpack(">" + "I" * rank, raw[4:header])
    count = int(np.prod(dims))
    if len(raw) - header != count:
        raise DataFormatError(f"{path}: expected {count} bytes of data, found {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def read_npy(path: str) -> np.ndarray:
    """Read a version 1/2/3 .npy file holding a C-ordered uint8 array."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:6] != b"\x93NUMPY":
        raise DataFormatError(f"{path}: not a .npy file")
    major = raw[6]
    if major == 1:
        hlen = struct.unpack("<H", raw[8:10])[0]
        start = 10
    elif major in (2, 3):
        hlen = struct.unpack("<I", raw[8:12])[0]
        start = 12
    else:
        raise DataFormatError(f"{path}: unknown .npy version {major}")
    header = ast.literal_eval(raw[start:start + hlen].decode("latin1"))
    if header.get("descr") not in ("|u1", "<u1", "u1") or header.get("fortran_order"):
        raise DataFormatError(f"{path}: expected a C-ordered uint8 array, got {header}")
    shape = tuple(header["shape"])
    data = np.frombuffer(raw, dtype=np.uint8, offset=start + hlen)
    if data.size != int(np.prod(shape)):
        raise DataFormatError(f"{path}: expected {int(np.prod(shape))} bytes, found {data.size}")
    return data.reshape(shape)


@dataclass
class RawData:
    """Raw 28x28 uint8 images (ink bright) with labels, split for training."""
    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    doodles_train: dict  # name -> (N,28,28) uint8
    doodles_val: dict


def split_indices(n: int, val: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[val:]), np.sort(perm[:val])


def load_all(mnist_dir: str, quickdraw_dir: str, seed: int = 0, mnist_val: int = 5000,
             doodle_val: int = 400, limit: int | None = None, with_test: bool = True) -> RawData:
    """Load MNIST and Quick, Draw! and carve the validation splits (fixed by `seed`).

    `limit` keeps only the first `limit` images of each source, for smoke runs and tests.
    `with_test=False` leaves MNIST test empty without opening its files: everything that
    trains or selects loads the data this way, so it cannot look at the test set.
    """
    tx = read_idx(os.path.join(mnist_dir, "train-images-idx3-ubyte.gz"))
    ty = read_idx(os.path.join(mnist_dir, "train-labels-idx1-ubyte.gz"))
    if with_test:
        ex = read_idx(os.path.join(mnist_dir, "t10k-images-idx3-ubyte.gz"))
        ey = read_idx(os.path.join(mnist_dir, "t10k-labels-idx1-ubyte.gz"))
    else:
        ex, ey = np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8)
    if limit:
        tx, ty, ex, ey = tx[:limit], ty[:limit], ex[:limit], ey[:limit]
        mnist_val = min(mnist_val, len(tx) // 10)
        doodle_val = min(doodle_val, limit // 10)
    tr, va = split_indices(len(tx), mnist_val, seed)
    dtrain, dval = {}, {}
    for name in ("star", "smiley_face", "square"):
        arr = read_npy(os.path.join(quickdraw_dir, f"{name}.npy"))
        if limit:
            arr = arr[:limit]
        arr = arr.reshape(-1, 28, 28)
        # At most half of a small file goes to validation, so its class still trains.
        a, b = split_indices(len(arr), min(doodle_val, len(arr) // 2), seed + 1)
        dtrain[name], dval[name] = arr[a], arr[b]
    return RawData(tx[tr], ty[tr].astype(np.int64), tx[va], ty[va].astype(np.int64),
                   ex, ey.astype(np.int64), dtrain, dval)
