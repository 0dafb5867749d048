"""Small PNG figures drawn with Pillow: the confusion matrix and example grids of confused pairs."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from . import CLASSES

CELL = 44


def confusion_png(m: np.ndarray, path: str) -> None:
    """Row-normalised confusion matrix (rows = true class), counts written in each cell."""
    n = len(CLASSES)
    pad = 70
    img = Image.new("RGB", (pad + n * CELL + 10, pad + n * CELL + 10), "white")
    d = ImageDraw.Draw(img)
    rows = m / np.maximum(m.sum(1, keepdims=True), 1)
    for i in range(n):
        d.text((4, pad + i * CELL + CELL // 2 - 6), CLASSES[i], fill="black")
        d.text((pad + i * CELL + 4, pad - 18), CLASSES[i][:6], fill="black")
        for j in range(n):
            shade = int(255 * (1 - rows[i, j] ** 0.35)) if m[i, j] else 255
            colour = (shade, shade, 255) if i == j else (255, shade, shade)
            x0, y0 = pad + j * CELL, pad + i * CELL
            d.rectangle([x0, y0, x0 + CELL - 1, y0 + CELL - 1], fill=colour, outline=(220, 220, 220))
            if m[i, j]:
                d.text((x0 + 3, y0 + CELL // 2 - 6), str(int(m[i, j])), fill="black" if rows[i, j] < 0.5 else "white")
    d.text((pad, 4), "true class (rows) vs predicted (columns)", fill="black")
    img.save(path)


def pairs_png(examples: list, path: str, scale: int = 3) -> None:
    """One row per (true, predicted, images) with up to 8 preprocessed 28x28 examples; `true`
    may instead be a caption (then `predicted` is ignored)."""
    side = 28 * scale
    label_w = 150
    h = max(1, len(examples)) * (side + 6) + 6
    img = Image.new("RGB", (label_w + 8 * (side + 4), h), "white")
    d = ImageDraw.Draw(img)
    for r, (i, j, xs) in enumerate(examples):
        y = 6 + r * (side + 6)
        text = i if isinstance(i, str) else f"{CLASSES[i]} read as {CLASSES[j]}"  # or a caption of its own
        d.text((4, y + side // 2 - 6), text, fill="black")
        for k, x in enumerate(xs[:8]):
            g = Image.fromarray((np.clip(x, 0, 1) * 255).astype(np.uint8)).resize((side, side), Image.NEAREST)
            img.paste(g.convert("RGB"), (label_w + k * (side + 4), y))
    img.save(path)
