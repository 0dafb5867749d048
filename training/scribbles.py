"""Generated strokes for the `scribble` class: shapes that are none of the other twelve.

Each generator returns strokes in arbitrary canvas units; they are rendered with
the service's own rasteriser (render.py) so scribbles look like canvas input.
Simple digit-like shapes (a lone line, a single closed loop) are deliberately not
produced here, and `train.py` additionally discards any sample a digit/doodle
model recognises with confidence.
"""

from __future__ import annotations

import numpy as np

from .preprocess import EmptyImage, preprocess
from .render import render_strokes


def _rotate(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    a = rng.uniform(0, 2 * np.pi)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return p @ r.T


def random_walk(rng):
    n = rng.integers(15, 45)
    heading = rng.uniform(0, 2 * np.pi)
    turns = rng.normal(0, rng.uniform(0.4, 1.2), n).cumsum() + heading
    steps = rng.uniform(0.5, 1.5, n)
    pts = np.stack([np.cos(turns) * steps, np.sin(turns) * steps], 1).cumsum(0)
    return [pts]


def zigzag(rng):
    teeth = rng.integers(3, 7)
    xs = np.linspace(0, rng.uniform(6, 10), teeth * 2 + 1)
    amp = rng.uniform(2, 5)
    ys = np.where(np.arange(len(xs)) % 2 == 0, 0, amp) + rng.normal(0, 0.2, len(xs))
    return [_rotate(np.stack([xs, ys], 1), rng)]


def spiral(rng):
    # Few turns: with a 12 % line width, tighter spirals fill in and become a blob.
    turns = rng.uniform(1.6, 2.6)
    t = np.linspace(0, turns * 2 * np.pi, int(turns * 24))
    r = t * rng.uniform(0.3, 0.8)
    pts = np.stack([np.cos(t) * r, np.sin(t) * r * rng.uniform(0.6, 1.0)], 1)
    return [_rotate(pts, rng)]


def hatching(rng):
    # Gaps of at least ~1/4 of the extent keep the lines apart at a 12 % line width.
    lines = int(rng.integers(3, 6))
    length = rng.uniform(5, 8)
    gap = length * rng.uniform(0.25, 0.35) * 3 / lines
    strokes = []
    for i in range(lines):
        off = rng.normal(0, 0.3, 2)
        strokes.append(np.array([[0, i * gap], [length, i * gap + rng.normal(0, 0.3)]]) + off)
    if rng.random() < 0.5:  # cross-hatching
        for i in range(lines):
            strokes.append(np.array([[i * gap * length / (lines * gap), -0.5],
                                     [i * gap * length / (lines * gap), lines * gap]]))
    pts = [_rotate(s, rng) for s in strokes]
    return pts


def tangle(rng):
    n = rng.integers(8, 20)
    ctrl = rng.uniform(0, 10, (n, 2))
    t = np.linspace(0, 1, 6)[:-1]
    pts = []
    for a, b, c in zip(ctrl[:-2], ctrl[1:-1], ctrl[2:]):
        m0, m1 = (a + b) / 2, (b + c) / 2
        pts.append(((1 - t) ** 2)[:, None] * m0 + (2 * (1 - t) * t)[:, None] * b + (t ** 2)[:, None] * m1)
    return [np.concatenate(pts)]


def bezier(rng):
    strokes = []
    for _ in range(rng.integers(1, 4)):
        c = rng.uniform(0, 10, (4, 2))
        t = np.linspace(0, 1, 30)[:, None]
        strokes.append((1 - t) ** 3 * c[0] + 3 * (1 - t) ** 2 * t * c[1] + 3 * (1 - t) * t ** 2 * c[2] + t ** 3 * c[3])
    return strokes


SINGLE = [random_walk, zigzag, spiral, hatching, tangle, bezier]


def overlapping(rng):
    strokes = []
    for _ in range(rng.integers(2, 5)):
        g = SINGLE[rng.integers(len(SINGLE))]
        for s in g(rng):
            strokes.append(s * rng.uniform(0.5, 1.2) + rng.uniform(0, 4, 2))
    return strokes


GENERATORS = SINGLE + [overlapping]

# Complexity floor: a single stroke that turns less than this in total (radians) is a
# line, an arc or a hook, i.e. a "1", "7" or "(" more than a scribble, and is not produced.
MIN_SINGLE_TURNING = np.pi


def total_turning(stroke: np.ndarray) -> float:
    """Sum of absolute heading changes along a polyline, in radians."""
    d = np.diff(np.asarray(stroke, dtype=np.float64), axis=0)
    d = d[np.hypot(d[:, 0], d[:, 1]) > 1e-9]
    if len(d) < 2:
        return 0.0
    h = np.arctan2(d[:, 1], d[:, 0])
    turn = np.angle(np.exp(1j * np.diff(h)))
    return float(np.abs(turn).sum())


def too_simple(strokes: list) -> bool:
    return len(strokes) == 1 and total_turning(strokes[0]) < MIN_SINGLE_TURNING


def generate(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` rendered + preprocessed scribbles, (count, 28, 28) float32, and the generator index."""
    rng = np.random.default_rng(seed)
    out, kinds = [], []
    while len(out) < count:
        kind = int(rng.integers(len(GENERATORS)))
        strokes = GENERATORS[kind](rng)
        if too_simple(strokes):
            continue
        try:
            out.append(preprocess(render_strokes(strokes)))
            kinds.append(kind)
        except EmptyImage:
            continue
    return np.stack(out), np.array(kinds)
