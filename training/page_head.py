"""The page head: what the page reader asks of a piece that the class network cannot say.

`python -m training.page_head` trains it on the shipped model's frozen features and rewrites
the model files with it (docs/model-format.md, "Page head").

The page reader cuts touching ink at candidate places and keeps the cut whose pieces read
most surely (docs/segmentation.md). The 13-class network was trained on whole glyphs: it reads
two touching digits as one digit surely ("17" as 7), half of a wide digit as a digit, and a
digit cut out with its neighbour's stroke end beside it as another digit (of the validation
digits cut out of a pair, 92.8 % read right, against 99.5 % of whole ones: the manifest's
`page_network_cut_val_accuracy` and `page_network_whole_val_accuracy`). Three
runs that taught the network itself about pieces (pieces.py, REPORT.md) read touching pages
better but each lost something on single glyphs. This head leaves the class outputs exactly as
they were. It reads the features the network already computes (the flattened last map),
through its own hidden layer, into two more groups of outputs:

- extent (3): the piece holds one glyph, several touching ones, or part of one;
- piece digits (10): which digit a piece cut out of touching ink is.

The combined network is still one plain sequence of layers: the first linear layer gains the
head's hidden rows, its BatchNorm the head's, and the last linear layer is block-diagonal (the
classes read only the class hidden units, the head only its own), so the class logits are
those of the model it was trained on.

Trained on MNIST *training* digits only (the run's split; validation digits give the figures).
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch
from torch import nn

from .common import preprocess_set
from .datasets import DEFAULT_MNIST, DEFAULT_QUICKDRAW, load_all
from .export import NAME, load_model, write_model
from .model import GlyphNet
from .pieces import cut_out, fragment, join
from .scribbles import generate

EXTENT = ["one", "several", "part"]
ONE, SEVERAL, PART = 0, 1, 2
PIECE_DIGITS = [str(d) for d in range(10)]
NO_DIGIT = -1  # a sample the piece-digit outputs are not taught on

# The recipe: pieces per kind, the head's width and its training.
RECIPE = {"joined": 24000, "fragments": 24000, "cut": 40000, "scribbles": 4000, "hidden": 256,
          "epochs": 30, "batch": 256, "lr": 1e-3, "weight_decay": 1e-4}
# A digit cut out of a pair is taught as one glyph, and as its digit, when it keeps this share
# of its ink.
ONE_KEPT = 0.85
# A fragment the network reads as a digit this surely is a fair digit (the right part of a 4
# is a 1): it is left out rather than taught as "part".
FRAGMENT_DIGIT_BAR = 0.9


def cut_pieces(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, count: int) -> tuple[list, list]:
    """Up to `count` digits cut out of a touching pair near the seam (give or take two
    columns, as the reader's cuts fall), each keeping at least `ONE_KEPT` of its own ink, with
    whatever of its neighbour's lies on its side; and their digits."""
    out, digits = [], []
    for _ in range(count):
        i, j = rng.integers(len(images)), rng.integers(len(images))
        first = rng.random() < 0.5
        piece, kept = cut_out(rng, [images[i], images[j]], left=first, jitter=2)
        if kept >= ONE_KEPT:
            out.append(piece)
            digits.append(int(labels[i] if first else labels[j]))
    return out, digits


def page_head_set(images: np.ndarray, labels: np.ndarray, doodles: list, seed: int,
                  scale: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Preprocessed glyphs, their extent labels, their digits (`NO_DIGIT` for none) and their
    kinds ("whole", "cut", "scribble", "joined", "fragment", "doodle"). One:
    whole digits and doodles, and digits cut out of a touching pair. Several: two or three
    touching digits. Part: a digit cut short."""
    rng = np.random.default_rng(seed)
    pick = lambda: images[rng.integers(len(images))]  # noqa: E731
    joined = [join(rng, [pick() for _ in range(2 if rng.random() < 0.75 else 3)])[0]
              for _ in range(RECIPE["joined"] // scale)]
    fragments = [f for f in (fragment(rng, pick()) for _ in range(RECIPE["fragments"] // scale)) if f is not None]
    cut, cut_digits = cut_pieces(rng, images, labels, RECIPE["cut"] // scale)
    scribbles, _ = generate(RECIPE["scribbles"] // scale, seed=seed + 1)
    none = lambda n: np.full(n, NO_DIGIT)  # noqa: E731
    kinds = [("whole", preprocess_set(images), ONE, labels),
             ("cut", preprocess_set(np.stack(cut)), ONE, np.array(cut_digits)),
             ("scribble", scribbles, ONE, none(len(scribbles))),
             ("joined", preprocess_set(np.stack(joined)), SEVERAL, none(len(joined))),
             ("fragment", preprocess_set(np.stack(fragments)), PART, none(len(fragments)))]
    kinds += [("doodle", preprocess_set(d), ONE, none(len(d))) for d in doodles]
    x = np.concatenate([k for _, k, _, _ in kinds])
    extent = np.concatenate([np.full(len(k), label) for _, k, label, _ in kinds])
    digits = np.concatenate([d for _, _, _, d in kinds])
    source = np.concatenate([np.full(len(k), name) for name, k, _, _ in kinds])
    return x, extent.astype(np.int64), digits.astype(np.int64), source


def split_at_features(model: GlyphNet) -> int:
    """Index of the layer after the flatten: the head reads what the flatten gives."""
    return next(i for i, m in enumerate(model) if isinstance(m, nn.Flatten)) + 1


@torch.no_grad()
def features(model: GlyphNet, x: np.ndarray, mean: float, std: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(the flattened last map, the class logits) of preprocessed `x`, in eval mode."""
    model.eval()
    cut = split_at_features(model)
    feats, logits = [], []
    for i in range(0, len(x), 2048):
        t = (torch.from_numpy(x[i:i + 2048]).float().unsqueeze(1) - mean) / std
        for m in list(model)[:cut]:
            t = m(t)
        feats.append(t)
        logits.append(nn.Sequential(*list(model)[cut:])(t))
    return torch.cat(feats), torch.cat(logits)


OUTPUTS = len(EXTENT) + len(PIECE_DIGITS)


class Head(nn.Sequential):
    """Features → hidden (no bias, BatchNorm, ReLU) → the extent logits, then the piece-digit
    logits: the class head's shape."""

    def __init__(self, features: int, hidden: int):
        super().__init__(nn.Linear(features, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, OUTPUTS))


def train_head(f: torch.Tensor, extent: np.ndarray, digits: np.ndarray, seed: int) -> Head:
    """Both groups' cross-entropies summed; every extent weighs alike, the digits only where known."""
    torch.manual_seed(seed)
    head = Head(f.shape[1], RECIPE["hidden"])
    opt = torch.optim.Adam(head.parameters(), RECIPE["lr"], weight_decay=RECIPE["weight_decay"])
    counts = np.bincount(extent, minlength=len(EXTENT))
    weight = torch.tensor(counts.sum() / (len(EXTENT) * counts), dtype=torch.float32)
    ext, dig = torch.from_numpy(extent), torch.from_numpy(digits)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(RECIPE["epochs"]):
        head.train()
        order = torch.randperm(len(ext), generator=generator)
        for i in range(0, len(ext), RECIPE["batch"]):
            b = order[i:i + RECIPE["batch"]]
            out = head(f[b])
            loss = nn.functional.cross_entropy(out[:, :len(EXTENT)], ext[b], weight=weight)
            if (dig[b] != NO_DIGIT).any():
                loss = loss + nn.functional.cross_entropy(out[:, len(EXTENT):], dig[b], ignore_index=NO_DIGIT)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return head.eval()


def combine(model: GlyphNet, head: Head) -> GlyphNet:
    """One sequential network: `model`'s layers with the head's folded into its last three
    (first linear, its BatchNorm, last linear); the class logits come out unchanged."""
    layers = list(model.layers)
    names = [o.get("name") for _, o in layers]
    fc1, bn, fc2 = names.index("fc1"), names.index("bn4"), names.index("fc2")
    hidden = head[0].out_features
    n1, classes = layers[fc1][1]["cout"], layers[fc2][1]["cout"]
    layers[fc1] = ("linear", {**layers[fc1][1], "cout": n1 + hidden})
    layers[bn] = ("batchnorm1d", {**layers[bn][1], "n": n1 + hidden})
    layers[fc2] = ("linear", {**layers[fc2][1], "cin": n1 + hidden, "cout": classes + OUTPUTS})
    out = GlyphNet(layers)
    old, new = model.named_state(), {}
    new["fc1.weight"] = torch.cat([old["fc1.weight"], head[0].weight.detach()])
    for key, mine in (("weight", head[1].weight), ("bias", head[1].bias), ("running_mean", head[1].running_mean),
                      ("running_var", head[1].running_var)):
        new[f"bn4.{key}"] = torch.cat([old[f"bn4.{key}"], mine.detach()])
    w = torch.zeros(classes + OUTPUTS, n1 + hidden)
    w[:classes, :n1] = old["fc2.weight"]
    w[classes:, n1:] = head[3].weight.detach()
    new["fc2.weight"] = w
    new["fc2.bias"] = torch.cat([old["fc2.bias"], head[3].bias.detach()])
    out.load_named_state({**old, **new})
    return out.eval()


def figures(outputs: torch.Tensor, classes: int, extent: np.ndarray, digits: np.ndarray, source: np.ndarray) -> dict:
    """Validation figures: each extent's accuracy, and on digits cut out of a pair and on whole
    digits how often the piece digits and the class network name the digit."""
    ext = outputs[:, classes:classes + len(EXTENT)].argmax(1).numpy()
    head = outputs[:, classes + len(EXTENT):].argmax(1).numpy()
    network = outputs[:, :10].argmax(1).numpy()
    out = {f"page_extent_{k}_val_accuracy": round(float((ext[extent == i] == i).mean()), 5)
           for i, k in enumerate(EXTENT)}
    for kind in ("cut", "whole"):
        m = source == kind
        out[f"page_piece_digits_{kind}_val_accuracy"] = round(float((head[m] == digits[m]).mean()), 5)
        out[f"page_network_{kind}_val_accuracy"] = round(float((network[m] == digits[m]).mean()), 5)
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="Models", help="the model to add the head to; rewritten in place")
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--quickdraw", default=DEFAULT_QUICKDRAW)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: reproducible)")
    p.add_argument("--quick", action="store_true", help="smoke run: a tenth of the pieces")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    model, manifest = load_model(a.models)
    if manifest.get("page_head"):
        raise SystemExit(f"{a.models} already has a page head")
    meta = manifest["training"]
    seed = meta.get("seed", 1)
    raw = load_all(a.mnist, a.quickdraw, seed=seed, mnist_val=meta.get("mnist_validation", 5000), with_test=False)
    scale = 10 if a.quick else 1
    doodles = lambda split: [split[k] for k in ("star", "smiley_face", "square")]  # noqa: E731
    x, extent, digits, _ = page_head_set(raw.train_x, raw.train_y, doodles(raw.doodles_train), seed + 900, scale)
    norm = manifest["normalization"]
    f, logits = features(model, x, norm["mean"], norm["std"])
    digit_prob = torch.softmax(logits, 1)[:, :10].max(1).values.numpy()
    keep = (extent != PART) | (digit_prob < FRAGMENT_DIGIT_BAR)
    print(f"training on {keep.sum()} glyphs: " + ", ".join(f"{k} {(extent[keep] == i).sum()}" for i, k in enumerate(EXTENT))
          + f"; {(digits[keep] != NO_DIGIT).sum()} with a digit")
    head = train_head(f[torch.from_numpy(keep)], extent[keep], digits[keep], seed)
    combined = combine(model, head)

    vx, vextent, vdigits, vsource = page_head_set(raw.val_x, raw.val_y, doodles(raw.doodles_val), seed + 901, max(scale, 4))
    _, alone = features(model, vx, norm["mean"], norm["std"])
    _, both = features(combined, vx, norm["mean"], norm["std"])
    classes = len(manifest["classes"])
    drift = float((both[:, :classes] - alone).abs().max())
    if drift > 1e-4:
        raise SystemExit(f"the class logits moved by {drift}")
    metrics = figures(both, classes, vextent, vdigits, vsource)
    print(json.dumps(metrics), f"class logits moved by at most {drift:.1e}")
    written = write_model(combined, norm["mean"], norm["std"], meta, a.models, {**manifest["metrics"], **metrics},
                          manifest.get("rejection"), page_head={"extent": EXTENT, "piece_digits": PIECE_DIGITS})
    print(f"wrote {os.path.join(a.models, NAME)}.json version {written['version']}")


if __name__ == "__main__":
    main()
