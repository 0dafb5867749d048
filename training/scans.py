"""How the shipped model reads digits that arrive as scans: `python -m training.scans`.

Each MNIST test digit is turned into what a scanner or a phone gives: upscaled 4x
(bilinear), dark ink on light paper with a random shade and a light gradient, Gaussian
grain, optionally JPEG-compressed as a grey image; then run through the preprocessing
(docs/preprocessing.md, the batched twin the training uses) and the model. The table shows accuracy and the
share read as scribble per condition, next to the clean digits. A measurement of the
shipped model only, like `evaluate`; nothing is chosen with it.
"""

from __future__ import annotations

import argparse
import io
import os

import numpy as np
import torch
from PIL import Image

from . import SCRIBBLE
from .common import predict, preprocess_set
from .datasets import DEFAULT_MNIST, read_idx
from .export import load_model

# (label, grain standard deviation, JPEG quality or None, shadow, soft): a shadow of s darkens
# the paper by s from one side of the page to the other, in a random direction; a soft one
# instead falls by s across a blurred edge somewhere in the middle third of the page (a hand or
# a phone between the lamp and the paper), which no plane across the page describes.
CONDITIONS = [
    ("scan, no grain", 0.0, None, 0.0),
    ("grain 0.03", 0.03, None, 0.0),
    ("grain 0.05", 0.05, None, 0.0),
    ("JPEG q50", 0.0, 50, 0.0),
    ("grain 0.03, JPEG q75", 0.03, 75, 0.0),
    ("grain 0.05, JPEG q50", 0.05, 50, 0.0),
    ("grain 0.08, JPEG q30", 0.08, 30, 0.0),
    ("grain 0.02, shadow 0.15", 0.02, None, 0.15),
    ("grain 0.02, shadow 0.25", 0.02, None, 0.25),
    ("grain 0.02, shadow 0.35", 0.02, None, 0.35),
    ("grain 0.02, soft shadow 0.25", 0.02, None, 0.25, True),
    ("grain 0.02, soft shadow 0.35", 0.02, None, 0.35, True),
]


def scan(digit: np.ndarray, grain: float, quality: int | None, rng: np.random.Generator,
         shadow: float = 0.0, up: int = 4, soft: bool = False) -> np.ndarray:
    """A 28x28 uint8 digit (ink bright) as a grey scan in [0, 1], `28·up` pixels square."""
    side = 28 * up
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.BILINEAR), np.float32) / 255
    paper, dark = rng.uniform(0.8, 0.95), rng.uniform(0.05, 0.35)
    gy, gx = np.mgrid[0:side, 0:side] / side
    shade = paper + rng.uniform(-0.08, 0.08) * gx + rng.uniform(-0.08, 0.08) * gy
    if shadow:
        angle = rng.uniform(0, 2 * np.pi)
        along = np.cos(angle) * gx + np.sin(angle) * gy  # spans 1 (or more) across the page
        along = (along - along.min()) / (along.max() - along.min())
        if soft:
            edge = rng.uniform(1 / 3, 2 / 3)
            along = 1 / (1 + np.exp(-(along - edge) / 0.04))
        shade = shade - shadow * along
    grey = np.clip(shade - ink * (paper - dark) + rng.normal(0, grain, ink.shape), 0, 1)
    if quality is None:
        return grey.astype(np.float32)
    buf = io.BytesIO()
    Image.fromarray((grey * 255).round().astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"), np.float32) / 255


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="Models")
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--count", type=int, default=10000, help="MNIST test digits per condition (the first N)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    model, manifest = load_model(a.models)
    mean, std = manifest["normalization"]["mean"], manifest["normalization"]["std"]
    x = read_idx(os.path.join(a.mnist, "t10k-images-idx3-ubyte.gz"))[:a.count]
    y = read_idx(os.path.join(a.mnist, "t10k-labels-idx1-ubyte.gz"))[:a.count].astype(np.int64)
    rows = [("clean 28x28", preprocess_set(x))]
    for label, grain, quality, shadow, *soft in CONDITIONS:
        rng = np.random.default_rng(a.seed)
        # An image left without ink comes out all zeros: a miss, like the service's 422.
        rows.append((label, preprocess_set(np.stack([scan(d, grain, quality, rng, shadow, soft=bool(soft)) for d in x]))))
    print(f"| condition ({len(y)} MNIST test digits) | accuracy | read as scribble |")
    print("| --- | ---: | ---: |")
    for label, inputs in rows:
        pred = predict(model, inputs, mean, std).argmax(1)
        print(f"| {label} | {(pred == y).mean():.2%} | {(pred == SCRIBBLE).mean():.2%} |")


if __name__ == "__main__":
    main()
