"""Pieces of touching digits, as the page reader cuts them (docs/segmentation.md, "Touching digits").

The page reader cuts a region of touching digits at candidate places and keeps the cut whose
pieces the network reads most surely as digits. A network that saw only whole digits reads
two touching digits as one digit more surely than either correct piece, and half a digit as
a digit, so the cut it keeps is often the wrong one. Three kinds of piece teach it otherwise:

- `joined`: two or three digits pushed together until their ink meets (and a little past, as
  joined handwriting overlaps), read as one glyph: scribble;
- `fragment`: a digit cut short at a column inside it, one side kept: scribble, unless the
  screening models read it as a digit (the right part of a 4 can be a fair 1);
- `cut`: one digit of a touching pair cut out at the seam, with whatever of its neighbour's
  ink lies on its side and without what of its own lies past the seam: that digit.

Made from MNIST training digits only (never validation or test), at MNIST's scale: the
preprocessor scales every piece to the same 20-pixel box, as it does a page's.
"""

from __future__ import annotations

import numpy as np

from .common import preprocess_set
from .pages import ink_crop, resize, touching_shift

# Pieces per kind in a full run (the recipe; a quick run takes a tenth).
JOINED = 8000
FRAGMENTS = 6000
CUT_PER_DIGIT = 150
# A cut piece is called its digit only when it keeps this share of the digit's ink: a 7 whose
# bar the seam took looks like a flagged 1. (Raised from 0.75 with fewer cut digits; the second
# pieces model still read flagged 1s as 7s, REPORT.md.)
MINE_KEPT = 0.85
# Canvas the pieces are composed on: wide enough for three MNIST digits side by side.
HEIGHT, WIDTH = 34, 84


def _place(canvas: np.ndarray, glyph: np.ndarray, top: int, left: int) -> None:
    h, w = glyph.shape
    canvas[top:top + h, left:left + w] = np.maximum(canvas[top:top + h, left:left + w], glyph)


def join(rng: np.random.Generator, digits: list) -> tuple[np.ndarray, list]:
    """`digits` (28x28 uint8) written left to right, each pushed left until its ink meets the
    previous one's and 0-2 pixels past: (the canvas, float ink in [0, 1]; each digit's ink alone
    on a canvas of its own, in the same place)."""
    canvas = np.zeros((HEIGHT, WIDTH), np.float32)
    x, own = 2, []
    for i, d in enumerate(digits):
        glyph = ink_crop(d)
        glyph = resize(glyph, max(8, int(round(glyph.shape[0] * rng.uniform(0.85, 1.05)))))
        glyph = glyph[:HEIGHT - 4]
        gh, gw = glyph.shape
        top = int(np.clip((HEIGHT - gh) // 2 + rng.integers(-3, 4), 0, HEIGHT - gh))
        if i > 0:
            x -= touching_shift(canvas, glyph, top, x) + int(rng.integers(0, 3))
        x = int(np.clip(x, 0, WIDTH - gw))
        _place(canvas, glyph, top, x)
        alone = np.zeros_like(canvas)
        _place(alone, glyph, top, x)
        own.append(alone)
        x += gw
    return canvas, own


def seam(left: np.ndarray, right: np.ndarray) -> int:
    """The column a straight cut between two touching digits goes through: the one that gives
    the fewest ink pixels to the wrong side (a cut is not always at the right digit's box: a 3
    pushed against a 1 reaches round it)."""
    l_cols, r_cols = (left > 0.4).sum(0), (right > 0.4).sum(0)
    wrong = np.cumsum(r_cols) - r_cols + (l_cols[::-1].cumsum()[::-1])  # right ink left of c + left ink at or right of c
    return int(np.argmin(wrong))


def cut_out(rng: np.random.Generator, pair: list, left: bool, jitter: int) -> tuple[np.ndarray, float]:
    """The `left` (or right) digit of `pair` joined as `join` writes them, cut out with a straight
    cut at their seam give or take `jitter` columns: (the piece, with whatever of the other
    digit's ink lies on its side; the share of its own ink the piece keeps)."""
    canvas, own = join(rng, pair)
    col = seam(own[0], own[1]) + int(rng.integers(-jitter, jitter + 1))
    piece = np.zeros_like(canvas)
    if left:
        piece[:, :col] = canvas[:, :col]
    else:
        piece[:, col:] = canvas[:, col:]
    mine = own[0] if left else own[1]
    return piece, float((np.minimum(piece, mine) > 0.4).sum() / max(1, (mine > 0.4).sum()))


def fragment(rng: np.random.Generator, digit: np.ndarray) -> np.ndarray | None:
    """The part of `digit` left or right of a column 30-70 % across its ink, or None for a digit
    too narrow to cut (a 1) or a part less than half the digit's height."""
    glyph = ink_crop(digit)
    w = glyph.shape[1]
    if w < 10:
        return None
    col = int(rng.integers(int(0.3 * w), int(0.7 * w) + 1))
    part = glyph[:, :col] if rng.random() < 0.5 else glyph[:, col:]
    rows = np.flatnonzero((part > 0.4).any(1))
    if len(rows) == 0 or rows[-1] - rows[0] + 1 < 0.5 * glyph.shape[0]:
        return None  # a stroke's tip: the page reader never cuts a piece that short out of its line
    canvas = np.zeros((HEIGHT, WIDTH), np.float32)
    _place(canvas, part[:HEIGHT - 4], 2, 2)
    return canvas


def make_pieces(images: np.ndarray, labels: np.ndarray, seed: int, quick: bool = False) -> dict:
    """Preprocessed pieces of each kind from MNIST training `images`: {"joined": glyphs,
    "fragment": glyphs, "cut": (glyphs, labels)}."""
    rng = np.random.default_rng(seed + 700)
    scale = 10 if quick else 1
    pick = lambda: images[rng.integers(len(images))]
    joined = [join(rng, [pick() for _ in range(2 if rng.random() < 0.75 else 3)])[0]
              for _ in range(JOINED // scale)]
    fragments = [f for f in (fragment(rng, pick()) for _ in range(FRAGMENTS // scale)) if f is not None]
    cut, cut_labels = [], []
    for d in range(10):
        of_digit = np.flatnonzero(labels == d)
        for _ in range(CUT_PER_DIGIT // scale):
            a, b = images[of_digit[rng.integers(len(of_digit))]], pick()
            first = rng.random() < 0.5  # the digit is the left or the right one of the pair
            piece, kept = cut_out(rng, [a, b] if first else [b, a], left=first, jitter=1)
            if kept < MINE_KEPT:
                continue  # the straight cut took too much of the digit to call it that digit
            cut.append(piece)
            cut_labels.append(d)
    to_set = lambda xs: preprocess_set(np.stack(xs)) if xs else np.zeros((0, 28, 28), np.float32)
    return {"joined": to_set(joined), "fragment": to_set(fragments),
            "cut": (to_set(cut), np.array(cut_labels, np.int64))}
