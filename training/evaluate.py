"""Measure the shipped model: `python -m training.evaluate`.

Loads Models/glyphnet.safetensors + .json (exactly what the service ships), runs
every held-out split through the service's preprocessing, and writes:
- the accuracies into the manifest's `metrics`,
- training/evaluation.md (per-class precision/recall per split, calibration, confused pairs),
- training/confusion.png and training/confused_pairs.png.
MNIST test is used here only, never for selection.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch

from . import CLASSES, SCRIBBLE
from .canvas import canvas_set
from .common import RUNS, held_out_splits, predict, preprocess_set, softmax
from .datasets import DEFAULT_MNIST, DEFAULT_QUICKDRAW
from .export import NAME, load_model
from .plots import confusion_png, pairs_png

TARGETS = {"mnist_test": 0.995, "star_val": 0.98, "smiley_val": 0.98, "scribble_all_val": 0.97}


def confusion(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    m = np.zeros((len(CLASSES), len(CLASSES)), np.int64)
    np.add.at(m, (y, p), 1)
    return m


def expected_calibration_error(prob: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    conf, pred = prob.max(1), prob.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            ece += sel.mean() * abs((pred[sel] == y[sel]).mean() - conf[sel].mean())
    return float(ece)


def pr_table(m: np.ndarray) -> list[str]:
    rows = ["| class | support | precision | recall |", "| --- | ---: | ---: | ---: |"]
    for c, name in enumerate(CLASSES):
        support, predicted = m[c].sum(), m[:, c].sum()
        if support == 0 and predicted == 0:
            continue
        prec = f"{m[c, c] / predicted:.4f}" if predicted else "–"
        rec = f"{m[c, c] / support:.4f}" if support else "–"
        rows.append(f"| {name} | {support} | {prec} | {rec} |")
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--models", default="Models")
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--quickdraw", default=DEFAULT_QUICKDRAW)
    p.add_argument("--runs", default=RUNS, help="where training cached its generated validation scribbles")
    p.add_argument("--out", default="training", help="folder for evaluation.md and the PNGs")
    p.add_argument("--no-write", action="store_true", help="print only; leave the manifest and files alone")
    p.add_argument("--canvas-variants", type=int, default=30,
                   help="jittered renderings of each canvas template class (the shipped figures use 30)")
    p.add_argument("--canvas-seed", type=int, default=5, help="seed of the jitter (the shipped figures use 5)")
    p.add_argument("--validation-only", action="store_true",
                   help="print the selection splits only; MNIST test is not read (for comparing runs before a "
                        "decision); implies --no-write")
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    model, manifest = load_model(a.models)
    mean, std = manifest["normalization"]["mean"], manifest["normalization"]["std"]
    record = manifest.get("training", {})
    raw, splits = held_out_splits(record, a.mnist, a.quickdraw, a.runs, with_test=not a.validation_only)
    sq, sc = splits["square_val"], splits["scribble_val"]
    splits["scribble_all_val"] = (np.concatenate([sq[0], sc[0]]), np.concatenate([sq[1], sc[1]]))
    if a.validation_only:
        for name, (x, y) in splits.items():
            print(f"- {name} ({len(y)} images): {float((predict(model, x, mean, std).argmax(1) == y).mean()):.4f}")
        return
    splits["canvas_templates"] = canvas_set(a.canvas_variants, a.canvas_seed)
    splits["mnist_test"] = (preprocess_set(raw.test_x), raw.test_y)

    results, lines, everything = {}, [], {"x": [], "y": [], "logits": []}
    for name, (x, y) in splits.items():
        logits = predict(model, x, mean, std)
        if name == "mnist_test":
            test_logits = logits
        pred = logits.argmax(1)
        acc = float((pred == y).mean())
        results[name] = acc
        m = confusion(y, pred)
        lines += [f"### {name} ({len(y)} images): accuracy {acc:.4f}", ""] + pr_table(m) + [""]
        if name in ("mnist_test", "star_val", "smiley_val", "scribble_all_val"):
            everything["x"].append(x); everything["y"].append(y); everything["logits"].append(logits)
    test_prob = softmax(test_logits)
    as_scribble = float((test_prob.argmax(1) == SCRIBBLE).mean())
    # How sure the model is when right and when wrong (label smoothing caps the first).
    test_conf, test_right = test_prob.max(1), test_prob.argmax(1) == splits["mnist_test"][1]
    right, wrong = test_conf[test_right], test_conf[~test_right]

    x = np.concatenate(everything["x"]); y = np.concatenate(everything["y"])
    logits = np.concatenate(everything["logits"])
    prob = softmax(logits)
    pred = prob.argmax(1)
    ece = expected_calibration_error(prob, y)
    m = confusion(y, pred)
    off = m.copy(); np.fill_diagonal(off, 0)
    pairs = [(int(i), int(j), int(off[i, j])) for i, j in zip(*np.unravel_index(np.argsort(-off, axis=None), off.shape))
             if off[i, j] > 0][:6]

    def verdict(k: str, v: float) -> str:
        met = "met" if v >= TARGETS[k] else f"MISSED by {TARGETS[k] - v:.4f}"
        return f" (target {TARGETS[k]:.3f}: {met})"

    summary = [f"- {k}: {v:.4f}" + (verdict(k, v) if k in TARGETS else "") for k, v in results.items()]
    summary.append(f"- MNIST test digits read as scribble: {as_scribble:.4%} (target < 1%)")
    summary.append(f"- expected calibration error (15 bins, MNIST test + doodle and scribble validation): {ece:.4f}")
    summary.append(f"- MNIST test confidence: correct answers median {np.median(right):.3f}, 10th percentile "
                   f"{np.percentile(right, 10):.3f}, above 0.99 {(right > 0.99).mean():.2%}; "
                   f"wrong answers median {np.median(wrong) if len(wrong) else float('nan'):.2f}")
    summary.append("- most confused pairs (true → predicted: count): "
                   + ", ".join(f"{CLASSES[i]} → {CLASSES[j]}: {n}" for i, j, n in pairs))
    print("\n".join(summary))
    if a.no_write:
        return

    manifest["metrics"] = {**{f"{k}_accuracy": round(v, 5) for k, v in results.items()},
                           "mnist_test_as_scribble": round(as_scribble, 5), "ece": round(ece, 5)}
    with open(os.path.join(a.models, f"{NAME}.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.makedirs(a.out, exist_ok=True)
    confusion_png(m, os.path.join(a.out, "confusion.png"))
    examples = [(i, j, x[(y == i) & (pred == j)][:8]) for i, j, _ in pairs]
    pairs_png(examples, os.path.join(a.out, "confused_pairs.png"))
    doc = ["# Evaluation of the shipped glyphnet", "",
           "Written by `python -m training.evaluate` from Models/glyphnet.*; do not edit by hand.", "",
           "## Summary", ""] + summary + ["", "## Per-class precision and recall, per split", "",
           "Precision is within the split (a split holding one class has precision 1 or '–' for it).", ""] + lines \
        + ["## All of MNIST test + doodle and scribble validation together", ""] + pr_table(m)
    with open(os.path.join(a.out, "evaluation.md"), "w") as f:
        f.write("\n".join(doc) + "\n")
    print(f"wrote {a.models}/{NAME}.json metrics, {a.out}/evaluation.md, confusion.png, confused_pairs.png")


if __name__ == "__main__":
    main()
