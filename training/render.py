"""The stroke rasteriser of docs/preprocessing.md ("Stroke rendering"), in numpy float32.

It is the reference the Swift rasteriser is checked against (strokes_parity.json),
so it follows the contract literally rather than taking shortcuts.
"""

from __future__ import annotations

import math

import numpy as np

RENDER_SIDE = np.float32(64.0)
LINE_WIDTH = np.float32(0.12) * RENDER_SIDE          # 7.68 px in render space
MARGIN = math.ceil(float(LINE_WIDTH) / 2) + 2          # 6 px
MAX_STROKES = 500
MAX_POINTS = 10_000


class StrokeError(Exception):
    """Strokes the rasteriser refuses (non-finite, too many, empty)."""


def render_frame(strokes) -> tuple[list, np.float32, np.float32, np.float32, int, int]:
    """The contract's frame for `strokes`: (strokes as float32 (n, 2) arrays, min x, min y,
    scale k, image width, image height). A point p lands at (p - min) * k + MARGIN."""
    strokes = [np.asarray(s, dtype=np.float32).reshape(-1, 2) for s in strokes]
    strokes = [s for s in strokes if len(s) > 0]
    if not strokes:
        raise StrokeError("no points")
    if len(strokes) > MAX_STROKES or sum(len(s) for s in strokes) > MAX_POINTS:
        raise StrokeError("too many strokes or points")
    allp = np.concatenate(strokes)
    if not np.all(np.isfinite(allp)):
        raise StrokeError("non-finite coordinate")
    min_x, min_y = allp[:, 0].min(), allp[:, 1].min()
    max_x, max_y = allp[:, 0].max(), allp[:, 1].max()
    extent = max(max_x - min_x, max_y - min_y)
    if extent < 1:
        extent = np.float32(1.0)
    k = np.float32(RENDER_SIDE / np.float32(extent))
    width = math.ceil(float(np.float32((max_x - min_x) * k))) + 2 * MARGIN + 1
    height = math.ceil(float(np.float32((max_y - min_y) * k))) + 2 * MARGIN + 1
    return strokes, min_x, min_y, k, width, height


def render_strokes(strokes) -> np.ndarray:
    """Render strokes (lists of (x, y) points) ink-bright on black; returns (H, W) float32."""
    strokes, min_x, min_y, k, width, height = render_frame(strokes)
    m = np.float32(MARGIN)
    img = np.zeros((height, width), dtype=np.float32)
    half = np.float32(LINE_WIDTH / 2)
    reach = float(half) + 1.0
    for s in strokes:
        pts = np.empty_like(s)
        pts[:, 0] = (s[:, 0] - min_x) * k + m
        pts[:, 1] = (s[:, 1] - min_y) * k + m
        segs = [(pts[0], pts[0])] if len(pts) == 1 else list(zip(pts[:-1], pts[1:]))
        for a, b in segs:
            _draw_segment(img, a, b, half, reach)
    return img


def _draw_segment(img: np.ndarray, a: np.ndarray, b: np.ndarray, half: np.float32, reach: float) -> None:
    h, w = img.shape
    x0 = max(0, int(math.floor(min(a[0], b[0]) - reach)))
    x1 = min(w - 1, int(math.ceil(max(a[0], b[0]) + reach)))
    y0 = max(0, int(math.floor(min(a[1], b[1]) - reach)))
    y1 = min(h - 1, int(math.ceil(max(a[1], b[1]) + reach)))
    if x0 > x1 or y0 > y1:
        return
    px = np.arange(x0, x1 + 1, dtype=np.float32)[None, :] + np.float32(0.5)
    py = np.arange(y0, y1 + 1, dtype=np.float32)[:, None] + np.float32(0.5)
    dx, dy = b[0] - a[0], b[1] - a[1]
    len2 = dx * dx + dy * dy
    if len2 > 0:
        t = ((px - a[0]) * dx + (py - a[1]) * dy) / len2
        t = np.clip(t, np.float32(0), np.float32(1))
    else:
        t = np.zeros((1, 1), dtype=np.float32)
    ex = px - (a[0] + t * dx)
    ey = py - (a[1] + t * dy)
    d = np.sqrt(ex * ex + ey * ey)
    v = np.clip(half + np.float32(0.5) - d, np.float32(0), np.float32(1)).astype(np.float32)
    window = img[y0:y1 + 1, x0:x1 + 1]
    np.maximum(window, v, out=window)
