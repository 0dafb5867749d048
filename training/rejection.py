"""Open-set rejection: a score over the twelve known classes and its calibrated threshold.

The rule (docs/model-format.md, `rejection`): a glyph whose top class is a known one is
read as `scribble` when its score is below the threshold. The Swift `Recognizer` applies
the same rule to the same logits; the threshold is chosen here on validation only:
the largest one that keeps known-class validation images within the budgets below,
scored by how much of the unseen categories it then reads as scribble.
"""

from __future__ import annotations

import numpy as np

from . import SCRIBBLE

SCORES = ("max_probability", "max_logit", "energy")
# Budgets on validation for the share of known-class images the threshold may turn into
# scribble (on top of what the network itself calls scribble).
MNIST_REJECT_BUDGET = 0.002
DOODLE_REJECT_BUDGET = 0.005


def _known(logits: np.ndarray) -> np.ndarray:
    return np.delete(logits, SCRIBBLE, axis=1)


def score(logits: np.ndarray, kind: str, temperature: float = 1.0) -> np.ndarray:
    """(N, 13) logits → (N,) score; higher means more like a known class."""
    z = logits.astype(np.float64)
    if kind == "max_probability":
        e = np.exp(z - z.max(1, keepdims=True))
        return _known(e / e.sum(1, keepdims=True)).max(1)
    if kind == "max_logit":
        return _known(z).max(1)
    if kind == "energy":
        k = _known(z) / temperature
        m = k.max(1, keepdims=True)
        return temperature * (m[:, 0] + np.log(np.exp(k - m).sum(1)))
    raise ValueError(f"unknown score {kind!r}")


def decide(logits: np.ndarray, rule: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """(labels after rejection, rejected mask) for (N, 13) logits under a manifest rule."""
    top = logits.argmax(1)
    if not rule:
        return top, np.zeros(len(top), bool)
    s = score(logits, rule["score"], rule.get("temperature", 1.0))
    rejected = (top != SCRIBBLE) & (s < rule["threshold"])
    return np.where(rejected, SCRIBBLE, top), rejected


def macro_scribble(logits: np.ndarray, cats: np.ndarray, rule: dict | None) -> float:
    """Mean over categories of the share read as scribble."""
    labels, _ = decide(logits, rule)
    return float(np.mean([(labels[cats == c] == SCRIBBLE).mean() for c in np.unique(cats)]))


def calibrate(known: dict, unseen: dict, kinds=SCORES) -> tuple[dict, list]:
    """Choose the score and threshold. `known`: split name → (logits, labels) of known-class
    validation images; `unseen`: split name → (logits, category index). Returns the rule and
    a table of what each candidate achieves."""
    table = []
    for kind in kinds:
        budget_thresholds = []
        for name, (z, y) in known.items():
            ok = z.argmax(1) == y  # only correct, known answers can be lost to the threshold
            s = np.sort(score(z[ok], kind))
            budget = MNIST_REJECT_BUDGET if name.startswith("mnist") else DOODLE_REJECT_BUDGET
            # Largest threshold that rejects at most `budget` of the split: the score at that rank.
            if len(s):
                budget_thresholds.append(s[int(np.floor(budget * len(y)))])
        if not budget_thresholds:
            raise ValueError("no correctly answered known-class validation image to calibrate on")
        t = float(min(budget_thresholds))
        rule = {"score": kind, "threshold": t, "temperature": 1.0}
        row = {"score": kind, "threshold": t}
        for name, (z, cats) in unseen.items():
            row[name] = macro_scribble(z, cats, rule)
        for name, (z, y) in known.items():
            labels, _ = decide(z, rule)
            row[name] = float((labels == y).mean())
        table.append(row)
    best = max(table, key=lambda r: np.mean([r[n] for n in unseen]))
    return {"score": best["score"], "threshold": best["threshold"], "temperature": 1.0}, table
