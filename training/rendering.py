"""Rendering: drawings and bitmaps made into the images the service receives.

Two ways input arrives at the service, and training data goes through the same ones:
- a stroke list from the drawing page, rendered by the service's rasteriser
  (docs/preprocessing.md, "Stroke rendering"; `render.py` is its literal reference, this
  module's `render` is the same rule vectorised over segments);
- an uploaded PNG: a canvas-sized image with the drawing scaled into it
  (`bitmaps_on_canvas` for 28x28 doodle bitmaps, `strokes_on_canvas` for drawn strokes).
Every image then goes through the shared preprocessing (`preprocess_images`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from .preprocess_torch import preprocess_batch
from .render import LINE_WIDTH, MARGIN, RENDER_SIDE, StrokeError, render_frame

CANVAS_UNITS = 280  # the drawing page's canvas (Public/js/drawing-pad.js UNITS)
CANVAS_INK = 9      # and its ink width in those units (INK_WIDTH)
# The rasteriser's largest image: the 64 px render side, the margins and one pixel.
RENDER_MAX = int(RENDER_SIDE) + 2 * MARGIN + 1


def _decimate(s: np.ndarray, step: float) -> np.ndarray:
    """Drop points closer than `step` to the last kept one (keeps the first and last)."""
    if len(s) <= 2:
        return s
    keep, last = [0], s[0]
    for i in range(1, len(s) - 1):
        if abs(s[i, 0] - last[0]) + abs(s[i, 1] - last[1]) >= step:
            keep.append(i)
            last = s[i]
    keep.append(len(s) - 1)
    return s[keep]


def render(strokes: list, decimate: float = 0.35) -> np.ndarray:
    """The service's rasterisation of `strokes`, (H, W) float32, ink bright on black.

    Same frame, scale, line width and coverage rule as `render.render_strokes`; a pixel's
    value is the coverage of its nearest segment, which equals the maximum over segments
    that the literal version takes. Points closer than `decimate` render pixels to the
    previous one are skipped (they move no pixel by more than that), which makes raw
    Quick, Draw! drawings with hundreds of points cheap.
    """
    strokes, min_x, min_y, k, width, height = render_frame(strokes)
    lo = np.array([min_x, min_y], np.float32)
    a_pts, b_pts = [], []
    for s in strokes:
        p = _decimate((s - lo) * k + np.float32(MARGIN), decimate)
        if len(p) == 1:
            a_pts.append(p)
            b_pts.append(p)
        else:
            a_pts.append(p[:-1])
            b_pts.append(p[1:])
    a, b = np.concatenate(a_pts), np.concatenate(b_pts)
    px = (np.arange(width, dtype=np.float32) + np.float32(0.5))[None, None, :]
    py = (np.arange(height, dtype=np.float32) + np.float32(0.5))[None, :, None]
    best = np.full((height, width), np.inf, np.float32)
    for i in range(0, len(a), 96):
        ax, ay = a[i:i + 96, 0, None, None], a[i:i + 96, 1, None, None]
        dx, dy = b[i:i + 96, 0, None, None] - ax, b[i:i + 96, 1, None, None] - ay
        len2 = dx * dx + dy * dy
        t = np.where(len2 > 0, ((px - ax) * dx + (py - ay) * dy) / np.where(len2 > 0, len2, 1), 0)
        t = np.clip(t, 0, 1)
        ex, ey = px - (ax + t * dx), py - (ay + t * dy)
        np.minimum(best, np.sqrt(ex * ex + ey * ey).min(0), out=best)
    half = np.float32(LINE_WIDTH / 2)
    return np.clip(half + np.float32(0.5) - best, 0, 1).astype(np.float32)


def augment_strokes(strokes: list, rng: np.random.Generator) -> list:
    """A drawing as another person might have left it: distorted, with strokes dropped or
    the drawing abandoned part way (a half-finished drawing is still not a digit)."""
    n = len(strokes)
    out = list(strokes)
    if n >= 3 and rng.random() < 0.5:  # drop some strokes, keep at least two
        keep = rng.random(n) > 0.2
        if keep.sum() >= 2:
            out = [s for s, k in zip(out, keep) if k]
    if len(out) >= 2 and rng.random() < 0.3:  # abandoned: only the first strokes
        out = out[:max(1, math.ceil(len(out) * rng.uniform(0.4, 1.0)))]
    if rng.random() < 0.2 and len(out[-1]) > 3:  # the last stroke cut short
        out[-1] = out[-1][:max(2, int(len(out[-1]) * rng.uniform(0.3, 1.0)))]
    a = math.radians(rng.uniform(-12, 12))
    sx, sy = rng.uniform(0.8, 1.2, 2)
    sh = rng.uniform(-0.2, 0.2)
    m = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ np.array([[sx, sh * sy], [0, sy]])
    return [(s.astype(np.float64) @ m.T).astype(np.float32) for s in out]


def preprocess_images(images: list, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Images of any sizes (each (H, W) float32 in [0, 1]) → (N, 28, 28) float32 through steps
    2-6, and which of them had ink. Images are padded with their own corner value to a common
    size per chunk; the step-3 crop makes the padding invisible."""
    out, ok = [], []
    for i in range(0, len(images), chunk):
        part = images[i:i + chunk]
        h = max(im.shape[0] for im in part)
        w = max(im.shape[1] for im in part)
        batch = np.empty((len(part), h, w), np.float32)
        for j, im in enumerate(part):
            batch[j] = im[0, 0]
            batch[j, :im.shape[0], :im.shape[1]] = im
        y, valid = preprocess_batch(torch.from_numpy(batch))
        out.append(y.numpy())
        ok.append(valid.numpy())
    if not out:
        return np.zeros((0, 28, 28), np.float32), np.zeros(0, bool)
    return np.concatenate(out), np.concatenate(ok)


def stroke_glyphs(drawings: list, rng: np.random.Generator | None = None,
                  variants: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Drawings through the stroke path: `variants` renders of each (augmented when `rng` is
    given), preprocessed; (glyphs, index of the drawing each came from). Empty ones are dropped."""
    images, owner = [], []
    for i, d in enumerate(drawings):
        for _ in range(variants):
            strokes = augment_strokes(d, rng) if rng is not None else d
            try:
                images.append(render(strokes))
            except StrokeError:
                continue
            owner.append(i)
    glyphs, ok = preprocess_images(images)
    return glyphs[ok], np.asarray(owner, np.int64)[ok]


def strokes_on_canvas(drawing: list, rng: np.random.Generator, dark_on_light: bool = True) -> np.ndarray:
    """A drawing as a canvas PNG export: fitted into the 280-unit canvas at a random size and
    place, drawn with the page's ink width, anti-aliased (drawn at 2x and averaged)."""
    scale2 = 2
    allp = np.concatenate(drawing)
    lo, span = allp.min(0), np.maximum(allp.max(0) - allp.min(0), 1.0)
    size = rng.uniform(0.45, 0.8) * CANVAS_UNITS
    k = size / float(span.max())
    off = (CANVAS_UNITS - span * k) / 2 + rng.uniform(-0.1, 0.1, 2) * CANVAS_UNITS
    img = Image.new("L", (CANVAS_UNITS * scale2, CANVAS_UNITS * scale2), 0)
    draw = ImageDraw.Draw(img)
    width = CANVAS_INK * scale2
    for s in drawing:
        pts = [tuple(((p - lo) * k + off) * scale2) for p in s]
        if len(pts) == 1:
            pts = pts * 2
        draw.line(pts, fill=255, width=width, joint="curve")
        for x, y in (pts[0], pts[-1]):  # round caps, as the page's lineCap
            draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=255)
    a = np.asarray(img, np.float32).reshape(CANVAS_UNITS, scale2, CANVAS_UNITS, scale2).mean((1, 3)) / 255
    return 1 - a if dark_on_light else a


def bitmaps_on_canvas(bitmaps: np.ndarray, rng: np.random.Generator) -> list:
    """28x28 doodle bitmaps as uploaded canvas PNGs: upscaled (bilinear) to a random 150-230 px
    square on a 280 px canvas, dark ink on light paper or the reverse."""
    out = []
    x = torch.from_numpy(np.ascontiguousarray(bitmaps)).float().unsqueeze(1) / 255
    for i in range(len(bitmaps)):
        side = int(rng.integers(150, 231))
        up = F.interpolate(x[i:i + 1], size=(side, side), mode="bilinear", align_corners=False)[0, 0].numpy()
        canvas = np.zeros((CANVAS_UNITS, CANVAS_UNITS), np.float32)
        oy, ox = rng.integers(0, CANVAS_UNITS - side + 1, 2)
        canvas[oy:oy + side, ox:ox + side] = up
        out.append(1 - canvas if rng.random() < 0.7 else canvas)
    return out
