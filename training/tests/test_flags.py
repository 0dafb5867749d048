"""Flagged 1s (flags.py): the flag hangs down-left from the top of an upright 1, which keeps its ink."""

import numpy as np

from training.flags import add_flag, flagged_ones


def _one(lean: int = 0) -> np.ndarray:
    d = np.zeros((28, 28), np.uint8)
    for row in range(4, 24):
        x = 14 + lean * (row - 4) // 20
        d[row, x:x + 3] = 255
    return d


def test_a_flag_hangs_down_left_from_the_top_and_keeps_the_stem():
    one = _one()
    flagged = add_flag(one, np.random.default_rng(0))
    assert flagged is not None and flagged.dtype == np.uint8
    assert (flagged >= one).all()
    added = (flagged > 60) & ~(one > 60)
    ys, xs = np.nonzero(added)
    assert len(ys) > 3
    # Mostly left of the stem and below its top, and no longer than the longest flag (the pen's
    # round end may touch the row above the top and the stem's own columns).
    assert xs.mean() < 14 and ys.mean() > 4
    assert ys.min() >= 3 and ys.max() < 4 + 0.3 * 20 + 2 and xs.max() <= 16


def test_a_leaning_one_or_an_empty_image_gets_no_flag():
    rng = np.random.default_rng(0)
    assert add_flag(_one(lean=8), rng) is None
    assert add_flag(np.zeros((28, 28), np.uint8), rng) is None


def test_flagged_ones_come_only_from_ones():
    # The other digit is an upright stroke too, at columns 22-24: flagged, it would pass.
    other = np.roll(_one(), 8, axis=1)
    out = flagged_ones(np.stack([_one(), other]), np.array([1, 7]), seed=0, quick=True)
    assert len(out) > 0
    assert all((f[:, 14:17] > 60).any() and not (f[:, 20:] > 60).any() for f in out)
