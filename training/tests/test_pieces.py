"""Pieces of touching digits (pieces.py): joined digits touch, cuts follow the seam, labels are kept."""

import numpy as np
import pytest

from training.pieces import fragment, join, seam


def _digit(left: int, right: int) -> np.ndarray:
    d = np.zeros((28, 28), np.uint8)
    d[4:24, left:right] = 255
    return d


def test_joined_digits_touch_and_keep_their_own_ink():
    rng = np.random.default_rng(0)
    canvas, own = join(rng, [_digit(10, 14), _digit(8, 18)])
    assert len(own) == 2 and np.allclose(canvas, np.maximum(own[0], own[1]))
    a, b = own[0] > 0.4, own[1] > 0.4
    # Touching: some column of the second digit's ink is at most one column from the first's.
    gap = np.flatnonzero(b.any(0))[0] - np.flatnonzero(a.any(0))[-1]
    assert gap <= 1


def test_the_seam_gives_the_least_ink_to_the_wrong_side():
    left = np.zeros((10, 30), np.float32)
    right = np.zeros((10, 30), np.float32)
    left[:, 5:12] = 1
    right[:, 12:20] = 1
    assert seam(left, right) == 12
    # A right digit that reaches round the left one: its box starts at 3, the best cut is still at 12.
    right[0, 3:12] = 1
    assert seam(left, right) == 12


def test_a_fragment_is_part_of_its_digit_and_a_one_is_not_cut():
    rng = np.random.default_rng(1)
    assert fragment(rng, _digit(13, 15)) is None
    piece = fragment(rng, _digit(4, 24))
    cols = np.flatnonzero((piece > 0.4).any(0))
    assert 5 <= len(cols) <= 15


def test_pieces_are_preprocessed_and_cut_pieces_keep_their_digit():
    pytest.importorskip("torch")
    from training.pieces import make_pieces
    rng = np.random.default_rng(2)
    images = np.stack([_digit(int(rng.integers(4, 9)), int(rng.integers(16, 24))) for _ in range(40)])
    labels = np.arange(40) % 10
    p = make_pieces(images, labels, seed=3, quick=True)
    assert p["joined"].shape[1:] == (28, 28) and len(p["joined"]) == 800
    x, y = p["cut"]
    assert len(x) == len(y) > 0 and set(y.tolist()) <= set(range(10))
    assert np.all(x.reshape(len(x), -1).max(1) > 0)  # every piece has ink
