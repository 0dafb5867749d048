"""How much ink each stroke-thickness choice leaves: `python -m training.stroke_weight`.

Training images are already the service's preprocessed view. The augmentation draws
them onto a 2x canvas and preprocesses them again, which by itself changes stroke
weight. This measures, with every geometric distortion, translation and tone change
off, the ink (sum of pixel values) after the round trip as a share of the source's,
for each `AugmentConfig.thickness` choice. The medians are quoted in REPORT.md.
"""

from __future__ import annotations

import argparse

import torch

from .augment import AugmentConfig, augment
from .common import preprocess_set
from .datasets import DEFAULT_MNIST, DEFAULT_QUICKDRAW, load_all

CHOICES = ("erode 3x3", "keep", "dilate 2x2", "dilate 3x3", "dilate 5x5")


def ink_ratios(images: torch.Tensor, choice: int, seed: int = 0) -> torch.Tensor:
    """(N,28,28) preprocessed images → (N,) ink after the undistorted round trip / ink before."""
    mix = tuple(1.0 if i == choice else 0.0 for i in range(len(CHOICES)))
    cfg = AugmentConfig(p_light=1.0, light_strength=0.0, translate_px=0, p_crisp=0, p_paper=0, thickness=mix)
    out = augment(images, torch.Generator().manual_seed(seed), cfg)
    return out.flatten(1).sum(1) / images.flatten(1).sum(1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--quickdraw", default=DEFAULT_QUICKDRAW)
    p.add_argument("--count", type=int, default=2000, help="images per source")
    a = p.parse_args(argv)
    raw = load_all(a.mnist, a.quickdraw, seed=1, with_test=False)
    sources = {"MNIST validation": raw.val_x, "Quick, Draw! star validation": raw.doodles_val["star"]}
    print("| source | " + " | ".join(CHOICES) + " |")
    print("| --- |" + " ---: |" * len(CHOICES))
    for name, imgs in sources.items():
        x = torch.from_numpy(preprocess_set(imgs[:a.count]))
        x = x[x.flatten(1).sum(1) > 0]
        medians = [float(ink_ratios(x, c).median()) for c in range(len(CHOICES))]
        print(f"| {name} ({len(x)}) | " + " | ".join(f"{m:.2f}" for m in medians) + " |")


if __name__ == "__main__":
    main()
