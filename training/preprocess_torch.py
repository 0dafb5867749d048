"""Batched PyTorch twin of `preprocess.preprocess` (steps 2-6) for the training hot path.

Every per-image step is expressed as batched tensor algebra: the crop, the area
resampling and the centre-of-mass paste together are one left and one right
matrix per image, `out = Ly · x · Lxᵀ`, so no Python loop runs per sample.
"""

from __future__ import annotations

import torch

BOX = 20
SIDE = 28


def _frame(x: torch.Tensor) -> torch.Tensor:
    """(B,H,W) → (B, N) the one-pixel frame of each image, each pixel counted once."""
    return torch.cat([x[:, 0, :], x[:, -1, :], x[:, 1:-1, 0], x[:, 1:-1, -1]], dim=1)


def _median(values: torch.Tensor) -> torch.Tensor:
    """(B, N) → (B,) the middle value per row, or the mean of the middle two for an even N."""
    s, _ = torch.sort(values, dim=1)
    n = s.shape[1]
    if n % 2:
        return s[:, n // 2]
    return (s[:, n // 2 - 1] + s[:, n // 2]) / 2


def _border_median(x: torch.Tensor) -> torch.Tensor:
    """(B,H,W) → (B,) median of the one-pixel frame."""
    return _median(_frame(x))


def _border_spread(x: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
    """(B,H,W), (B,) → (B,) median absolute deviation of the frame from the background."""
    return _median((_frame(x) - background.view(-1, 1)).abs())


def _level(x: torch.Tensor, background: torch.Tensor,
           spread: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Step 2b per image of (B,H,W), given each frame's median and spread after step 2: minus the
    plane through the sides' lower quartiles, where that makes the frame a tenth flatter (the
    reference's `level`, the same float32 operations). Returns the images with their frames'
    median and spread, updated where levelled."""
    _, h, w = x.shape
    # Only images whose frame has any spread can get flatter; clean training images have none,
    # so the hot path pays nothing more than step 3 already did.
    rows = torch.nonzero(spread > 0).flatten()
    if h < 3 or w < 3 or len(rows) == 0:
        return x, background, spread
    v, b = x[rows], len(rows)
    gx = (_lower_quartile(v[:, :, -1]) - _lower_quartile(v[:, :, 0])) / (w - 1)
    gy = (_lower_quartile(v[:, -1, :]) - _lower_quartile(v[:, 0, :])) / (h - 1)
    dx = torch.arange(w, dtype=torch.float32) - torch.tensor((w - 1) / 2, dtype=torch.float32)
    dy = torch.arange(h, dtype=torch.float32) - torch.tensor((h - 1) / 2, dtype=torch.float32)
    tilt = (gx.view(b, 1, 1) * dx.view(1, 1, w)) + (gy.view(b, 1, 1) * dy.view(1, h, 1))
    leveled = v - tilt
    leveled_background = _border_median(leveled)
    leveled_spread = _border_spread(leveled, leveled_background)
    flatter = leveled_spread < 0.9 * spread[rows]
    x, background, spread = x.clone(), background.clone(), spread.clone()
    x[rows] = torch.where(flatter.view(b, 1, 1), leveled, v)
    background[rows] = torch.where(flatter, leveled_background, background[rows])
    spread[rows] = torch.where(flatter, leveled_spread, spread[rows])
    return x, background, spread


def _lower_quartile(values: torch.Tensor) -> torch.Tensor:
    """(B, N) → (B,) the value at 0-based position (N - 1) // 4 of each sorted row."""
    return torch.sort(values, dim=1).values[:, (values.shape[1] - 1) // 4]


def _round(v: torch.Tensor) -> torch.Tensor:
    return torch.floor(v + 0.5)


def _first_last(mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,N) bool → index of the first and last True per row (0 if none)."""
    n = mask.shape[1]
    idx = torch.arange(n, device=mask.device).expand_as(mask)
    big = torch.full_like(idx, n)
    first = torch.where(mask, idx, big).min(dim=1).values.clamp(max=n - 1)
    last = torch.where(mask, idx, torch.full_like(idx, -1)).max(dim=1).values.clamp(min=0)
    return first, last


def _area_matrix(start: torch.Tensor, n: torch.Tensor, m: torch.Tensor, size: int) -> torch.Tensor:
    """(B, BOX, size): row j of image b averages source [start + j·n/m, start + (j+1)·n/m)."""
    b = start.shape[0]
    j = torch.arange(BOX, dtype=torch.float32).view(1, BOX, 1)
    i = torch.arange(size, dtype=torch.float32).view(1, 1, size) - start.view(b, 1, 1).float()
    nf, mf = n.view(b, 1, 1).float(), m.view(b, 1, 1).float()
    lo = j * nf / mf
    hi = (j + 1) * nf / mf
    overlap = (torch.minimum(i + 1, hi) - torch.maximum(i, lo)).clamp(min=0)
    w = overlap * (mf / nf)
    return w * (j < mf).float()


def _paste_matrix(offset: torch.Tensor) -> torch.Tensor:
    """(B, SIDE, BOX): moves glyph row i to output row offset + i."""
    r = torch.arange(SIDE).view(1, SIDE, 1)
    i = torch.arange(BOX).view(1, 1, BOX)
    return (r == offset.view(-1, 1, 1) + i).float()


def preprocess_batch(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,H,W) grey in [0,1] → ((B,28,28) glyphs, (B,) bool valid). Invalid (empty) rows are zero."""
    x = x.float()
    b = x.shape[0]
    invert = _border_median(x) > 0.5
    x = torch.where(invert.view(b, 1, 1), 1 - x, x)
    background = _border_median(x)
    x, background, spread = _level(x, background, _border_spread(x, background))
    peak = x.flatten(1).max(dim=1).values
    valid = (peak - background) >= 0.1
    contrast = peak - background
    floor = torch.maximum(0.15 * contrast, torch.minimum(7.5 * spread, 0.5 * contrast))
    low = background + floor
    denom = torch.where(valid, peak - low, torch.ones_like(peak))
    x = ((x - low.view(b, 1, 1)) / denom.view(b, 1, 1)).clamp(0, 1)
    x = x * valid.view(b, 1, 1).float()
    ink = x > 0
    rows, cols = ink.any(dim=2), ink.any(dim=1)
    valid = valid & rows.any(dim=1)
    y0, y1 = _first_last(rows)
    x0, x1 = _first_last(cols)
    h = (y1 - y0 + 1).float()
    w = (x1 - x0 + 1).float()
    s = BOX / torch.maximum(w, h)
    ow = _round(w * s).clamp(1, BOX)
    oh = _round(h * s).clamp(1, BOX)
    wy = _area_matrix(y0, h, oh, x.shape[1])
    wx = _area_matrix(x0, w, ow, x.shape[2])
    glyph = wy @ x @ wx.transpose(1, 2)                       # (B, BOX, BOX), top-left aligned
    total = glyph.flatten(1).sum(dim=1).clamp(min=1e-12)
    centres = torch.arange(BOX, dtype=torch.float32) + 0.5
    cx = (glyph.sum(dim=1) * centres).sum(dim=1) / total
    cy = (glyph.sum(dim=2) * centres).sum(dim=1) / total
    cx, cy = _round(cx * 1024) / 1024, _round(cy * 1024) / 1024  # the contract's snap against ties
    ox = torch.minimum(_round(14 - cx).clamp(min=0), SIDE - ow).long()
    oy = torch.minimum(_round(14 - cy).clamp(min=0), SIDE - oh).long()
    out = _paste_matrix(oy) @ glyph @ _paste_matrix(ox).transpose(1, 2)
    return out * valid.view(b, 1, 1).float(), valid
