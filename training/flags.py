"""1s written with a flag: an MNIST training 1 with a short stroke added from its top, down and
to the left, as many hands write it.

MNIST's 1s are mostly bare strokes, and the shipped model reads 3 of the 15 flagged "1"
templates of canvas.py as 7 (a 7's bar runs right from its top-left corner and its stem comes
down from the bar's right end; a flag hangs down-left from the top of an upright stem).
The flag is drawn with the 1's own stroke width and grey level, so it looks written by the
same pen.
"""

from __future__ import annotations

import numpy as np

# Flags added to the 1s of a full run (a quick run takes a tenth).
FLAGGED_ONES = 1500
# The flag's length in the 1's ink heights and its angle below the horizontal, in degrees.
LENGTH = (0.15, 0.3)
ANGLE = (30.0, 60.0)
# Only 1s this upright get a flag (horizontal run of the stem per row of ink): a flag on a 1
# that leans far to the right is a 7 by any reading.
MAX_LEAN = 0.2


def add_flag(one: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """`one` (28x28 uint8, ink bright) with a flag from the top of its ink, or None when it has
    too little ink to say where its top is or leans too far."""
    ink = one > 60
    rows = np.flatnonzero(ink.any(1))
    if len(rows) < 8:
        return None
    height = rows[-1] - rows[0] + 1
    top = rows[0]
    x_top = float(np.flatnonzero(ink[top:top + 2].any(0)).mean())
    x_bottom = float(np.flatnonzero(ink[rows[-1] - 1:rows[-1] + 1].any(0)).mean())
    if abs(x_top - x_bottom) > MAX_LEAN * height:
        return None
    # The stroke's width: ink pixels per ink row.
    width = float(np.clip(ink.sum() / height, 1.5, 4.5))
    length = rng.uniform(*LENGTH) * height
    angle = np.radians(rng.uniform(*ANGLE))
    start = np.array([x_top, top + 0.5])
    end = start + length * np.array([-np.cos(angle), np.sin(angle)])
    ys, xs = np.mgrid[0:28, 0:28].astype(np.float32)
    points = np.stack([xs + 0.5, ys + 0.5], -1)
    seg = end - start
    t = np.clip(((points - start) @ seg) / (seg @ seg), 0, 1)
    distance = np.linalg.norm(points - (start + t[..., None] * seg), axis=-1)
    coverage = np.clip(width / 2 + 0.5 - distance, 0, 1)
    level = float(np.percentile(one[ink], 75))
    return np.maximum(one, (coverage * level).round().astype(np.uint8))


def flagged_ones(images: np.ndarray, labels: np.ndarray, seed: int, quick: bool = False) -> np.ndarray:
    """Flagged versions (28x28 uint8) of MNIST training 1s drawn from `images`."""
    rng = np.random.default_rng(seed + 800)
    ones = images[labels == 1]
    out = []
    wanted = FLAGGED_ONES // (10 if quick else 1)
    for _ in range(20 * wanted):
        flagged = add_flag(ones[rng.integers(len(ones))], rng)
        if flagged is not None:
            out.append(flagged)
            if len(out) == wanted:
                break
    return np.stack(out) if out else np.zeros((0, 28, 28), np.uint8)
