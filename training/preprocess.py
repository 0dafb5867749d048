"""Steps 2-7 of docs/preprocessing.md: polarity, levelling, noise suppression, crop, 20 px box,
centre of mass.

Two implementations of the same contract:
- `preprocess`: one image in numpy float32, the literal reference used for the
  Swift parity fixtures and tests (no PyTorch needed);
- `preprocess_batch` (in `preprocess_torch.py`): the same arithmetic on a batch
  of equal-sized images with PyTorch, used in the training hot path.
"""

from __future__ import annotations

import math

import numpy as np

BOX = 20
SIDE = 28


class EmptyImage(Exception):
    """No ink survives polarity and noise suppression (the contract's `empty`)."""


def cround(v: float) -> int:
    """The contract's round: floor(v + 0.5), never banker's rounding."""
    return int(math.floor(float(v) + 0.5))


def _frame(img: np.ndarray) -> np.ndarray:
    """The one-pixel frame as float32, each pixel counted once."""
    h, w = img.shape
    if h <= 2 or w <= 2:
        return img.reshape(-1).astype(np.float32)  # every pixel lies on the frame
    return np.concatenate([img[0, :], img[-1, :], img[1:-1, 0], img[1:-1, -1]]).astype(np.float32)


def _median(values: np.ndarray) -> np.float32:
    """The contract's median: the middle value, or the mean of the middle two for an even count."""
    s = np.sort(values)
    n = len(s)
    if n % 2:
        return np.float32(s[n // 2])
    return np.float32((s[n // 2 - 1] + s[n // 2]) / np.float32(2))


def border_median(img: np.ndarray) -> np.float32:
    """Median of the one-pixel frame, each pixel counted once."""
    return _median(_frame(img))


def border_spread(img: np.ndarray, background: np.float32) -> np.float32:
    """Median absolute deviation of the one-pixel frame from `background` (the paper's noise)."""
    return _median(np.abs(_frame(img) - np.float32(background)))


def ink_threshold(background: np.float32, peak: np.float32, spread: np.float32) -> np.float32:
    """Step 3's `low`: 15 % of the contrast above the background, or 7.5 border spreads (about
    five standard deviations of the paper's noise) when that is higher, but never past half the
    contrast. On clean input (spread 0) this is exactly the 15 % rule."""
    contrast = np.float32(peak - background)
    floor = max(np.float32(0.15) * contrast, min(np.float32(7.5) * np.float32(spread), np.float32(0.5) * contrast))
    return np.float32(background + floor)


def area_weights(n: int, m: int) -> np.ndarray:
    """(m, n) matrix: target j averages source interval [j*n/m, (j+1)*n/m) by coverage."""
    j = np.arange(m, dtype=np.float32)[:, None]
    i = np.arange(n, dtype=np.float32)[None, :]
    nf, mf = np.float32(n), np.float32(m)
    lo = j * nf / mf
    hi = (j + np.float32(1)) * nf / mf
    overlap = np.clip(np.minimum(i + 1, hi) - np.maximum(i, lo), np.float32(0), None)
    return (overlap * (mf / nf)).astype(np.float32)


def _lower_quartile(values: np.ndarray) -> np.float32:
    """The value at 0-based position (n - 1) // 4 of the sorted values: paper, on a side of an
    image with bright ink, unless ink covers three quarters of it."""
    return np.float32(np.sort(values)[(len(values) - 1) // 4])


def frame_spread(img: np.ndarray) -> np.float32:
    """Median absolute deviation of the frame around the frame's own median."""
    return border_spread(img, border_median(img))


def level(x: np.ndarray) -> np.ndarray:
    """Step 2b: subtract the plane through the four sides' lower quartiles, if that makes the
    frame at least a tenth flatter."""
    h, w = x.shape
    if h < 3 or w < 3:
        return x
    gx = np.float32(_lower_quartile(x[:, -1]) - _lower_quartile(x[:, 0])) / np.float32(w - 1)
    gy = np.float32(_lower_quartile(x[-1, :]) - _lower_quartile(x[0, :])) / np.float32(h - 1)
    dx = np.arange(w, dtype=np.float32) - np.float32(w - 1) / np.float32(2)
    dy = np.arange(h, dtype=np.float32) - np.float32(h - 1) / np.float32(2)
    tilt = (np.float32(gx) * dx)[None, :] + (np.float32(gy) * dy)[:, None]
    leveled = (x - tilt).astype(np.float32)
    return leveled if frame_spread(leveled) < np.float32(0.9) * frame_spread(x) else x


def suppress(img: np.ndarray) -> np.ndarray:
    """Steps 2-3: ink bright on dark, the paper levelled, background to 0, ink stretched to 1."""
    x = np.asarray(img, dtype=np.float32)
    if border_median(x) > np.float32(0.5):
        x = np.float32(1) - x
    x = level(x)
    background = border_median(x)
    peak = np.float32(x.max())
    if peak - background < np.float32(0.1):
        raise EmptyImage("no ink")
    low = ink_threshold(background, peak, border_spread(x, background))
    return np.clip((x - low) / (peak - low), np.float32(0), np.float32(1)).astype(np.float32)


def scale_glyph(x: np.ndarray) -> tuple[np.ndarray, np.float32, np.float32]:
    """Steps 4-5 and the centre of mass: (ow x oh glyph, cx, cy) for a suppressed image."""
    ys, xs = np.nonzero(x > 0)
    if len(ys) == 0:
        raise EmptyImage("nothing to crop")
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    crop = x[y0:y1 + 1, x0:x1 + 1]
    h, w = crop.shape
    s = np.float32(BOX) / np.float32(max(w, h))
    ow = max(1, min(BOX, cround(np.float32(w * s))))
    oh = max(1, min(BOX, cround(np.float32(h * s))))
    glyph = (area_weights(h, oh) @ crop @ area_weights(w, ow).T).astype(np.float32)
    total = np.float32(glyph.sum(dtype=np.float32))
    cols = glyph.sum(axis=0, dtype=np.float32) * (np.arange(ow, dtype=np.float32) + 0.5)
    rows = glyph.sum(axis=1, dtype=np.float32) * (np.arange(oh, dtype=np.float32) + 0.5)
    cx = np.float32(cols.sum(dtype=np.float32) / total)
    cy = np.float32(rows.sum(dtype=np.float32) / total)
    return glyph, snap(cx), snap(cy)


def snap(c) -> np.float32:
    """Centre snapped to 1/1024 so a symmetric glyph's exact half-pixel centre cannot tie (step 6)."""
    return np.float32(math.floor(float(c) * 1024 + 0.5) / 1024)


def crop_scale_centre(x: np.ndarray) -> np.ndarray:
    """Steps 4-6 on a suppressed image: crop to ink, area-scale into 20 px, paste by centre of mass."""
    glyph, cx, cy = scale_glyph(x)
    oh, ow = glyph.shape
    ox = min(max(cround(np.float32(14) - cx), 0), SIDE - ow)
    oy = min(max(cround(np.float32(14) - cy), 0), SIDE - oh)
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    out[oy:oy + oh, ox:ox + ow] = glyph
    return out


def preprocess(img: np.ndarray) -> np.ndarray:
    """Steps 2-6 for one grey image in [0, 1]; returns the 28x28 float32 glyph in [0, 1]."""
    return crop_scale_centre(suppress(img))


def center_of_mass(x: np.ndarray) -> tuple[float, float]:
    """Centre of mass of a 28x28 result (pixel i centred at i + 0.5), for tests and checks."""
    t = float(x.sum())
    cx = float((x.sum(axis=0) * (np.arange(x.shape[1]) + 0.5)).sum() / t)
    cy = float((x.sum(axis=1) * (np.arange(x.shape[0]) + 0.5)).sum() / t)
    return cx, cy
