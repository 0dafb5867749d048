"""How the shipped model reads digits that arrive as scans: `python -m training.scans`.

Each MNIST test digit is turned into what a scanner or a phone gives: upscaled 4x
(bilinear), dark ink on light paper with a random shade and a light gradient, Gaussian
grain, shadows, optionally JPEG-compressed as a grey image or cropped tight to the ink; then
run through the preprocessing (docs/preprocessing.md, the batched twin the training uses) and
the model, its rejection rule applied as the service applies it. The table shows accuracy and
the share read as scribble (by the class or the threshold) per condition, next to the clean
digits. On MNIST test it measures the shipped model, like `evaluate`. To compare
preprocessing variants, `--validation` scans instead the digits a run held back (the previous
shipped model, S, held back 5,000), so nothing is chosen with the test set.
"""

from __future__ import annotations

import argparse
import io
import os

import numpy as np
import torch
from PIL import Image

from . import SCRIBBLE
from .common import held_out_data, mnist_val_size, predict, preprocess_set
from .datasets import DEFAULT_MNIST, DEFAULT_QUICKDRAW, read_idx
from .export import load_model
from .rejection import decide

# (label, scan options): grain is a standard deviation, quality a JPEG quality. A shadow of s
# darkens the paper by s from one side of the page to the other, in a random direction; a soft
# one instead falls by s across a blurred edge somewhere in the middle third of the page (a hand
# or a phone between the lamp and the paper), which no plane across the page describes. A tight
# scan is cropped to the digit's ink, as a form reader or a dataset would cut it out: strokes
# then run along the image's sides (a 7's bar along the top).
CONDITIONS = [
    ("scan, no grain", dict(grain=0.0)),
    ("grain 0.03", dict(grain=0.03)),
    ("grain 0.05", dict(grain=0.05)),
    ("JPEG q50", dict(grain=0.0, quality=50)),
    ("grain 0.03, JPEG q75", dict(grain=0.03, quality=75)),
    ("grain 0.05, JPEG q50", dict(grain=0.05, quality=50)),
    ("grain 0.08, JPEG q30", dict(grain=0.08, quality=30)),
    ("grain 0.02, shadow 0.15", dict(grain=0.02, shadow=0.15)),
    ("grain 0.02, shadow 0.25", dict(grain=0.02, shadow=0.25)),
    ("grain 0.02, shadow 0.35", dict(grain=0.02, shadow=0.35)),
    ("grain 0.02, soft shadow 0.25", dict(grain=0.02, shadow=0.25, soft=True)),
    ("grain 0.02, soft shadow 0.35", dict(grain=0.02, shadow=0.35, soft=True)),
    ("grain 0.02, tight", dict(grain=0.02, tight=True)),
    ("grain 0.02, JPEG q75, tight", dict(grain=0.02, quality=75, tight=True)),
    ("grain 0.02, shadow 0.25, tight", dict(grain=0.02, shadow=0.25, tight=True)),
]


def scan(digit: np.ndarray, grain: float, quality: int | None, rng: np.random.Generator,
         shadow: float = 0.0, up: int = 4, soft: bool = False, tight: bool = False) -> np.ndarray:
    """A 28x28 uint8 digit (ink bright) as a grey scan in [0, 1], `28·up` pixels square, or with
    `tight` cropped to the box of the upscaled digit's ink above one half."""
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
    grey = np.clip(shade - ink * (paper - dark) + rng.normal(0, grain, ink.shape), 0, 1).astype(np.float32)
    if quality is not None:
        buf = io.BytesIO()
        Image.fromarray((grey * 255).round().astype(np.uint8)).save(buf, "JPEG", quality=quality)
        grey = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"), np.float32) / 255
    if tight:
        ys, xs = np.nonzero(ink > 0.5)
        grey = grey[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    return grey


def preprocess_scans(images: list[np.ndarray]) -> np.ndarray:
    """`preprocess_set` on images of any sizes (the batched twin wants one size per batch)."""
    out = np.zeros((len(images), 28, 28), np.float32)
    by_shape: dict[tuple[int, int], list[int]] = {}
    for i, image in enumerate(images):
        by_shape.setdefault(image.shape, []).append(i)
    for indices in by_shape.values():
        out[indices] = preprocess_set(np.stack([images[i] for i in indices]))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="Models")
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--quickdraw", default=DEFAULT_QUICKDRAW, help="read with --validation, which loads "
                   "the run's splits the way training did")
    p.add_argument("--count", type=int, default=10000, help="digits per condition (the first N)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--validation", action="store_true",
                   help="scan the MNIST validation digits the model's training run held back (from its "
                        "manifest) instead of MNIST test: for comparing preprocessing variants without "
                        "the test set (a model trained on all 60,000 digits has none)")
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    model, manifest = load_model(a.models)
    mean, std = manifest["normalization"]["mean"], manifest["normalization"]["std"]
    if a.validation:
        if not mnist_val_size(manifest["training"]):
            raise SystemExit(f"{a.models}: its run held back no MNIST validation digits")
        raw = held_out_data(manifest["training"], a.mnist, a.quickdraw)
        x, y = raw.val_x[:a.count], raw.val_y[:a.count].astype(np.int64)
    else:
        x = read_idx(os.path.join(a.mnist, "t10k-images-idx3-ubyte.gz"))[:a.count]
        y = read_idx(os.path.join(a.mnist, "t10k-labels-idx1-ubyte.gz"))[:a.count].astype(np.int64)
    source = "MNIST validation" if a.validation else "MNIST test"
    rows = [("clean 28x28", preprocess_set(x))]
    for label, options in CONDITIONS:
        rng = np.random.default_rng(a.seed)
        options = {"quality": None, **options}
        # An image left without ink comes out all zeros: a miss, like the service's 422.
        rows.append((label, preprocess_scans([scan(d, rng=rng, **options) for d in x])))
    print(f"| condition ({len(y)} {source} digits) | accuracy | read as scribble |")
    print("| --- | ---: | ---: |")
    for label, inputs in rows:
        pred, _ = decide(predict(model, inputs, mean, std), manifest.get("rejection"))  # as the service answers
        print(f"| {label} | {(pred == y).mean():.2%} | {(pred == SCRIBBLE).mean():.2%} |")


if __name__ == "__main__":
    main()
