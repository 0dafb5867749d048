"""Hand-written stroke templates of every digit, a star and a smiley, jittered and rendered.

A small proxy for what the service receives from its drawing page: uniform-width
strokes drawn with the rasteriser, with none of MNIST's pen texture. Used by
evaluate.py as a sanity check (a lone line must read "1", a ring "0"), never trained on.
"""

from __future__ import annotations

import numpy as np

from . import SMILEY, STAR
from .preprocess import preprocess
from .render import render_strokes


def _arc(cx, cy, rx, ry, a0, a1, n=24):
    t = np.linspace(np.radians(a0), np.radians(a1), n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


# Unit square, y pointing down, angles in degrees (0 = right, 90 = down).
TEMPLATES = {
    0: [[_arc(0.5, 0.5, 0.35, 0.5, -90, 270)]],
    1: [[np.array([[0.5, 0.0], [0.5, 1.0]])],
        [np.array([[0.3, 0.2], [0.55, 0.0], [0.55, 1.0]])]],
    2: [[np.concatenate([_arc(0.5, 0.3, 0.35, 0.3, 200, 380), np.array([[0.1, 1.0], [0.9, 1.0]])])]],
    3: [[np.concatenate([_arc(0.5, 0.27, 0.35, 0.25, 200, 450), _arc(0.5, 0.73, 0.38, 0.27, -90, 160)])]],
    4: [[np.array([[0.6, 0.0], [0.05, 0.65], [0.95, 0.65]]), np.array([[0.7, 0.3], [0.7, 1.0]])]],
    5: [[np.array([[0.85, 0.0], [0.2, 0.0], [0.15, 0.45]]), _arc(0.48, 0.68, 0.38, 0.32, -150, 160)]],
    6: [[np.concatenate([np.array([[0.75, 0.0]]), _arc(0.5, 0.7, 0.33, 0.3, 200, 560)])]],
    7: [[np.array([[0.05, 0.0], [0.95, 0.0], [0.35, 1.0]])]],
    8: [[np.stack([0.5 + 0.3 * np.sin(t := np.linspace(0, 2 * np.pi, 48)) * np.cos(t),
                   0.5 - 0.5 * np.cos(t)], 1)]],
    9: [[np.concatenate([_arc(0.5, 0.3, 0.33, 0.3, 0, 360), np.array([[0.83, 0.3], [0.8, 1.0]])])]],
    STAR: [[np.array([[0.5, 0.0], [0.2, 1.0], [0.98, 0.38], [0.02, 0.38], [0.8, 1.0], [0.5, 0.0]])]],
    SMILEY: [[_arc(0.5, 0.5, 0.5, 0.5, 0, 360, 40), np.array([[0.35, 0.35]]), np.array([[0.65, 0.35]]),
              _arc(0.5, 0.55, 0.25, 0.2, 20, 160)]],
}


def _jitter(strokes, rng):
    a = np.radians(rng.uniform(-12, 12))
    shear = rng.uniform(-0.2, 0.2)
    sx, sy = rng.uniform(0.8, 1.2, 2)
    m = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ np.array([[sx, shear], [0, sy]])
    return [(s @ m.T + rng.normal(0, 0.012, s.shape)) * 300 for s in strokes]


def canvas_set(variants: int = 30, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(N,28,28) preprocessed renderings and their labels."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for label, forms in TEMPLATES.items():
        for i in range(variants):
            strokes = _jitter(forms[i % len(forms)], rng)
            xs.append(preprocess(render_strokes(strokes)))
            ys.append(label)
    return np.stack(xs), np.array(ys)
