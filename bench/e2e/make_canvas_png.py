"""Writes a 280x280 RGBA PNG like the drawing page's canvas: transparent background, dark
anti-aliased strokes of a digit.

Usage: python make_canvas_png.py OUT.png [digit]   (digit one of 1 2 3 4 7; default 3)
Strokes are drawn at 4x with round joins and scaled down, which gives the soft edges a browser
canvas gives; only the alpha channel carries the ink, as on the page.
"""

from __future__ import annotations

import math
import sys

from PIL import Image, ImageDraw

SIDE = 280
SUPER = 4
WIDTH = 14  # stroke width in canvas pixels, close to the page's pen


def arc(cx: float, cy: float, r: float, start: float, end: float, n: int = 24) -> list[tuple[float, float]]:
    """Points on a circle from `start` to `end` degrees (0 = right, clockwise on screen)."""
    return [(cx + r * math.cos(math.radians(start + (end - start) * i / n)),
             cy + r * math.sin(math.radians(start + (end - start) * i / n))) for i in range(n + 1)]


# Each digit is a list of strokes in canvas coordinates.
DIGITS: dict[str, list[list[tuple[float, float]]]] = {
    "1": [[(110, 80), (145, 55), (145, 225)]],
    "2": [arc(140, 105, 45, 200, 380) + [(95, 225), (190, 225)]],
    "3": [arc(138, 95, 40, 200, 450) + arc(138, 180, 45, 270, 520)],
    "4": [[(165, 225), (165, 55), (85, 170), (200, 170)]],
    "7": [[(85, 60), (195, 60), (120, 225)]],
}


def draw(digit: str) -> Image.Image:
    big = Image.new("RGBA", (SIDE * SUPER, SIDE * SUPER), (0, 0, 0, 0))
    pen = ImageDraw.Draw(big)
    w = WIDTH * SUPER
    for stroke in DIGITS[digit]:
        pts = [(x * SUPER, y * SUPER) for x, y in stroke]
        pen.line(pts, fill=(20, 20, 30, 255), width=w, joint="curve")
        for x, y in (pts[0], pts[-1]):  # round caps
            pen.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=(20, 20, 30, 255))
    return big.resize((SIDE, SIDE), Image.Resampling.LANCZOS)


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: make_canvas_png.py OUT.png [digit]")
    digit = sys.argv[2] if len(sys.argv) == 3 else "3"
    if digit not in DIGITS:
        sys.exit(f"digit must be one of {' '.join(DIGITS)}")
    draw(digit).save(sys.argv[1], optimize=True)


if __name__ == "__main__":
    main()
