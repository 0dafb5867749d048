"""Sources of the `scribble` class: drawings that are none of the twelve known classes.

Readers for the three formats of `../shared/data/negatives/` (see its README) and the
category-disjoint split that judges open-set rejection. Numpy only, so the tests run
without PyTorch. A drawing is a list of strokes, each an (n, 2) float32 array of (x, y)
points in the coordinates it was drawn in.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .datasets import DataFormatError, read_npy

DEFAULT_NEGATIVES = os.path.join("..", "shared", "data", "negatives")

# Share of the stroke categories held out as "unseen categories": never trained on, the
# split every rejection choice is made on.
UNSEEN_SHARE = 0.2
# Bitmap categories held out the same way (of 14), so the uploaded-PNG path is also judged
# on categories the model never saw.
UNSEEN_BITMAPS = 3


def read_ndjson_drawings(path: str) -> list[list[np.ndarray]]:
    """Quick, Draw! raw drawings, one JSON object a line with `drawing`: [[xs, ys], ...]."""
    out = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                strokes = json.loads(line)["drawing"]
                drawing = [np.stack([np.asarray(s[0], np.float32), np.asarray(s[1], np.float32)], 1)
                           for s in strokes if len(s) >= 2 and len(s[0]) == len(s[1]) and len(s[0]) > 0]
            except (ValueError, KeyError, TypeError, IndexError) as e:
                raise DataFormatError(f"{path}:{number}: not a Quick, Draw! drawing ({e})") from e
            if drawing:
                out.append(drawing)
    return out


def stroke3_to_strokes(rows: np.ndarray) -> list[np.ndarray]:
    """sketch-rnn stroke-3 rows (dx, dy, pen_lifted) → absolute strokes.

    Each row's offset is from the previous point; a 1 in the third column ends the stroke
    after that point.
    """
    rows = np.asarray(rows, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != 3:
        raise DataFormatError(f"stroke-3 rows must be (n, 3), got {rows.shape}")
    pts = np.cumsum(rows[:, :2], axis=0).astype(np.float32)
    ends = np.flatnonzero(rows[:, 2] > 0.5)
    strokes, start = [], 0
    for end in list(ends) + [len(rows) - 1]:
        if end >= start:
            strokes.append(pts[start:end + 1])
        start = end + 1
    return [s for s in strokes if len(s)]


def read_stroke3(path: str, split: str = "train", limit: int | None = None,
                 seed: int = 0) -> list[list[np.ndarray]]:
    """One split (`train`, `valid`, `test`) of a sketch-rnn .npz, as absolute strokes.

    `limit` keeps a seeded random subset, so a large file contributes without dominating.
    """
    with np.load(path, allow_pickle=True, encoding="latin1") as z:
        if split not in z.files:
            raise DataFormatError(f"{path}: no '{split}' array (has {z.files})")
        items = z[split]
    idx = np.arange(len(items))
    if limit is not None and limit < len(items):
        idx = np.sort(np.random.default_rng(seed).choice(len(items), limit, replace=False))
    return [stroke3_to_strokes(items[i]) for i in idx]


def read_bitmaps(path: str) -> np.ndarray:
    """A numpy_bitmap category: (N, 28, 28) uint8, ink bright."""
    arr = read_npy(path)
    if arr.ndim != 2 or arr.shape[1] != 784:
        raise DataFormatError(f"{path}: expected (N, 784), got {arr.shape}")
    return arr.reshape(-1, 28, 28)


def categories(folder: str, suffix: str) -> list[str]:
    """Category names of the files in `folder` ending in `suffix`, sorted."""
    return sorted(f[:-len(suffix)] for f in os.listdir(folder) if f.endswith(suffix))


def split_categories(names: list[str], share: float, seed: int) -> tuple[list[str], list[str]]:
    """(training, held-out) categories: a seeded `share` of them, at least one, held out.

    The choice depends only on the sorted names and the seed, so it is the same on every
    machine and for every run with that seed.
    """
    names = sorted(names)
    held = max(1, int(round(len(names) * share)))
    pick = set(np.random.default_rng(seed).permutation(len(names))[:held].tolist())
    return ([n for i, n in enumerate(names) if i not in pick], [n for i, n in enumerate(names) if i in pick])
