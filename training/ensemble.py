"""Validation accuracy of several runs' averaged probabilities: `python -m training.ensemble`.

An ensemble costs its size in FLOPs per glyph, so it is never shipped; it measures
how much a teacher for distillation, or more runs, could add. Validation splits only.

    python -m training.ensemble training/runs/e9 training/runs/e10 --runs training/runs/e9
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import torch

from .common import eval_splits, predict, softmax
from .datasets import DEFAULT_MNIST, DEFAULT_QUICKDRAW, load_all
from .model import GlyphNet


def probabilities(folder: str, splits: dict) -> dict:
    """split name → (N, classes) softmax of the run's checkpoint."""
    ck = torch.load(os.path.join(folder, "glyphnet.pt"), weights_only=False)
    model = GlyphNet(ck["layers"])
    model.load_state_dict(ck["state"])
    return {name: softmax(predict(model, x, ck["mean"], ck["std"])) for name, (x, _) in splits.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="+", help="run folders holding glyphnet.pt")
    p.add_argument("--runs", required=True, help="folder with the cached generated validation scribbles")
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--quickdraw", default=DEFAULT_QUICKDRAW)
    p.add_argument("--seed", type=int, default=1, help="the training runs' --seed (fixes the validation splits)")
    a = p.parse_args(argv)
    raw = load_all(a.mnist, a.quickdraw, seed=a.seed)
    splits = eval_splits(raw, np.load(os.path.join(a.runs, "scribbles.npz"))["val"])
    runs = [probabilities(f, splits) for f in a.folders]
    acc = {n: float((np.mean([r[n] for r in runs], 0).argmax(1) == y).mean()) for n, (_, y) in splits.items()}
    print(f"ensemble of {len(runs)}: validation score {np.mean(list(acc.values())):.4f} "
          + " ".join(f"{k} {v:.4f}" for k, v in acc.items()))


if __name__ == "__main__":
    main()
