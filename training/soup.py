"""Average the weights of fine-tunes of one run: `python -m training.soup`.

Fine-tunes that start from the same checkpoint at a low learning rate stay in one
basin of the loss, so the mean of their weights is itself a good network, often as good
as the best ingredient or better, at no cost when serving: same layers, same FLOPs.
Ingredients are added greedily in order of their own validation score, and one is kept
only if the average's validation score does not drop; validation splits are the only
judge (MNIST test is not read here). `--uniform` averages them all instead, for a recipe
whose ingredients were fixed beforehand.

    python -m training.soup --parent training/runs/e9 --finetunes training/runs/e16 training/runs/e17 \\
        --runs training/runs/e9 --out Models/
"""

from __future__ import annotations

import argparse
import datetime
import os

import numpy as np
import torch

from .common import RUNS, held_out_splits, load_checkpoint, split_accuracies
from .datasets import DEFAULT_MNIST, DEFAULT_QUICKDRAW
from .export import write_model
from .model import GlyphNet


def average(states: list) -> dict:
    """Entry-wise mean of state dicts; integer entries (BatchNorm's batch counter) come from the first."""
    out = {}
    for k, v in states[0].items():
        out[k] = torch.stack([s[k] for s in states]).mean(0) if v.dtype.is_floating_point else v.clone()
    return out


def greedy_soup(ingredients: list, score) -> tuple[list, float, dict]:
    """Ingredients sorted by their own score; each is kept if the mean's score does not drop.

    `ingredients` is [(name, state)], `score(state) -> float`. Returns the kept names, the
    average's score and each ingredient's own score.
    """
    own = {name: score(state) for name, state in ingredients}
    ranked = sorted(ingredients, key=lambda item: own[item[0]], reverse=True)
    kept, best = [ranked[0]], own[ranked[0][0]]
    for item in ranked[1:]:
        trial = score(average([s for _, s in kept + [item]]))
        if trial >= best:
            kept, best = kept + [item], trial
    return [name for name, _ in kept], best, own


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parent", required=True, help="run folder the fine-tunes started from (an ingredient too)")
    p.add_argument("--finetunes", nargs="+", required=True, help="run folders of fine-tunes of --parent")
    p.add_argument("--runs", required=True, help="folder with the cached generated validation scribbles")
    p.add_argument("--out", default="Models", help="where glyphnet.safetensors/.json are written")
    p.add_argument("--checkpoint", default=os.path.join(RUNS, "soup", "glyphnet.pt"),
                   help="where the averaged checkpoint is saved (not committed)")
    p.add_argument("--uniform", action="store_true",
                   help="average the parent and every fine-tune, with no greedy choice (a recipe fixed beforehand)")
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--quickdraw", default=DEFAULT_QUICKDRAW)
    a = p.parse_args(argv)

    parent = load_checkpoint(a.parent)
    tunes = {f: load_checkpoint(f) for f in a.finetunes}
    for f, ck in tunes.items():
        same = ck["layers"] == parent["layers"] and (ck["mean"], ck["std"]) == (parent["mean"], parent["std"])
        if not same or "finetune" not in ck["meta"]:
            raise SystemExit(f"{f}: not a fine-tune of {a.parent} (layers, normalization or record differ)")
    mean, std = parent["mean"], parent["std"]
    # The run's seed fixed its validation splits; the fine-tunes were judged on the same ones.
    _, splits = held_out_splits(parent["meta"], a.mnist, a.quickdraw, a.runs)
    model = GlyphNet(parent["layers"])

    def accuracies(state):
        model.load_state_dict(state)
        return split_accuracies(model, splits, mean, std)

    def score(state):  # the training runs' selection score: mean of the validation splits
        return float(np.mean(list(accuracies(state).values())))

    ingredients = [(a.parent, parent["state"])] + [(f, ck["state"]) for f, ck in tunes.items()]
    if a.uniform:
        kept, own = [name for name, _ in ingredients], {name: score(state) for name, state in ingredients}
    else:
        kept, _, own = greedy_soup(ingredients, score)
    for name, value in own.items():
        print(f"ingredient {name}: validation score {value:.5f}", flush=True)
    states = {name: state for name, state in ingredients}
    soup = average([states[n] for n in kept])
    acc = accuracies(soup)  # its mean is the score the greedy choice ended on
    print(f"soup of {len(kept)} ({', '.join(kept)}): validation score {np.mean(list(acc.values())):.5f} "
          + " ".join(f"{k} {v:.4f}" for k, v in acc.items()), flush=True)

    meta = dict(parent["meta"])
    # Training time: the parent run once, plus each kept fine-tune's own part.
    tune_seconds = [tunes[n]["meta"]["seconds"] - parent["meta"]["seconds"] for n in kept if n in tunes]
    meta.update({
        "date": datetime.date.today().isoformat(), "seconds": parent["meta"]["seconds"] + round(sum(tune_seconds)),
        "soup": {"parent": os.path.basename(a.parent.rstrip("/")),
                 "ingredients": [os.path.basename(n.rstrip("/")) for n in kept],
                 "finetunes": {os.path.basename(n.rstrip("/")): tunes[n]["meta"]["finetune"] for n in kept
                               if n in tunes},
                 "candidates": len(ingredients), "choice": "uniform" if a.uniform else "greedy"},
        "validation": acc,
    })
    model.load_state_dict(soup)
    os.makedirs(os.path.dirname(a.checkpoint) or ".", exist_ok=True)
    torch.save({"state": soup, "mean": mean, "std": std, "meta": meta, "layers": parent["layers"]}, a.checkpoint)
    write_model(model, mean, std, meta, a.out)
    print(f"wrote {a.out}/glyphnet.safetensors and glyphnet.json", flush=True)


if __name__ == "__main__":
    main()
