"""Validation accuracy of several runs' averaged probabilities: `python -m training.ensemble`.

An ensemble costs its size in FLOPs per glyph, so it is never shipped; it measures
how much a teacher for distillation, or more runs, could add. Validation splits only.

    python -m training.ensemble training/runs/e9 training/runs/e10 --runs training/runs/e9
"""

from __future__ import annotations

import argparse

import numpy as np

from .common import held_out_splits, load_checkpoint, mnist_val_size, predict, softmax
from .datasets import DEFAULT_MNIST, DEFAULT_QUICKDRAW
from .model import GlyphNet


def probabilities(ck: dict, splits: dict) -> dict:
    """split name → (N, classes) softmax of a checkpoint's network."""
    model = GlyphNet(ck["layers"])
    model.load_state_dict(ck["state"])
    return {name: softmax(predict(model, x, ck["mean"], ck["std"])) for name, (x, _) in splits.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="+", help="run folders holding glyphnet.pt")
    p.add_argument("--runs", required=True, help="folder with the cached generated validation scribbles")
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--quickdraw", default=DEFAULT_QUICKDRAW)
    a = p.parse_args(argv)
    checkpoints = [load_checkpoint(f) for f in a.folders]
    splits_of = {(ck["meta"]["seed"], mnist_val_size(ck["meta"])) for ck in checkpoints}
    if len(splits_of) != 1:  # seed and held-back count fix the validation splits: other runs saw other images
        raise SystemExit(f"runs of different --seed or --mnist-val values ({sorted(splits_of)}) "
                         "have different validation splits")
    _, splits = held_out_splits(checkpoints[0]["meta"], a.mnist, a.quickdraw, a.runs)
    runs = [probabilities(ck, splits) for ck in checkpoints]
    acc = {n: float((np.mean([r[n] for r in runs], 0).argmax(1) == y).mean()) for n, (_, y) in splits.items()}
    print(f"ensemble of {len(runs)}: validation score {np.mean(list(acc.values())):.5f} "
          + " ".join(f"{k} {v:.4f}" for k, v in acc.items()))


if __name__ == "__main__":
    main()
