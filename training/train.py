"""Train glyphnet: `python -m training.train --out Models/` trains what ships.

Top to bottom: short screening models on the twelve known classes → the training data
(data.py: sources → rendering → preprocessing → balanced pools; cached in the run
folder) → the 13-class model on class-balanced, augmented batches, checkpointed every
epoch so an interrupted run resumes → the rejection threshold calibrated on validation
(rejection.py) → the checkpoint and the shipped model files. The defaults are the
shipped recipe; every number of it is in RECIPE or data.py, said once.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import SCRIBBLE, STAR
from .augment import AugmentConfig, augment
from .batches import class_draws, balanced_batches
from .common import RUNS, predict, softmax
from .data import build
from .datasets import DEFAULT_MNIST, DEFAULT_QUICKDRAW
from .export import write_model
from .model import ARCHITECTURES, GlyphNet, with_dropout
from .negatives import DEFAULT_NEGATIVES
from .rejection import calibrate, decide, fit_temperature, macro_scribble, tradeoff

# The shipped recipe (REPORT.md says how it was chosen).
RECIPE = {
    "arch": "deep", "dropout": 0.15, "epochs": 20, "per_class": 3000, "batch": 128, "lr": 3e-3,
    "weight_decay": 1e-4, "ema": 0.999, "label_smoothing": 0.05,
    "class_weights": {STAR: 1.25, SCRIBBLE: 2.5},
    "augment": {"p_light": 0.25, "p_clean": 0.4, "clean_untouched": True},
    "mild_last": 3,  # the last epochs use the milder augmentation below
    "mild": {"rotation_deg": 8, "scale": (0.92, 1.08), "aspect": 0.08, "shear": 0.12, "elastic_alpha": 0.03,
             "p_elastic": 0.5, "p_crisp": 0.35, "p_paper": 0.1, "p_clean": 0.4, "clean_untouched": True},
    "screening_models": 2, "screening_batches": 300,
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mnist", default=DEFAULT_MNIST, help="folder with the four MNIST IDX .gz files")
    p.add_argument("--quickdraw", default=DEFAULT_QUICKDRAW, help="folder with star/smiley_face/square .npy")
    p.add_argument("--negatives", default=DEFAULT_NEGATIVES, help="folder with strokes/, bitmaps/, symbols/")
    p.add_argument("--out", default="Models", help="where glyphnet.safetensors/.json are written")
    p.add_argument("--runs", default=os.path.join(RUNS, "shipped"),
                   help="run folder: data cache, per-epoch checkpoint (resumed if present), log figures")
    p.add_argument("--seed", type=int, default=1, help="fixes the splits and everything random")
    p.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (1: results do not depend on the machine's core count)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: small subsets, one short epoch; write it outside Models/")
    p.add_argument("--pieces", action="store_true",
                   help="experiment, not the shipped recipe: also train on pieces of touching digits "
                        "(pieces.py), 1s with a flag (flags.py) and more faces among the negatives "
                        "(REPORT.md, 'What I would do next'); use its own --runs folder")
    return p.parse_args(argv)


class Progress:
    def __init__(self, total: int, label: str, done: int = 0):
        self.total, self.label, self.start, self.done, self.first = total, label, time.time(), done, done

    def step(self, extra: str = "") -> None:
        self.done += 1
        if self.done % 50 and self.done != self.total:
            return
        el = time.time() - self.start
        eta = el / max(self.done - self.first, 1) * (self.total - self.done)
        print(f"[{self.label}] {self.done}/{self.total} elapsed {el:5.0f}s eta {eta:5.0f}s {extra}", flush=True)


class WeightAverage:
    """Exponential moving average of a model's parameters and buffers.

    After every optimiser step `update` moves each floating-point entry of the copy's
    state towards the live model's by (1 - decay); BatchNorm running statistics are
    averaged the same way, integer counters are copied. Early on the decay is capped at
    (1 + n) / (10 + n) so the average is not dominated by the random initialisation.
    """

    def __init__(self, model: torch.nn.Module, decay: float):
        self.model = copy.deepcopy(model)
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.decay, self.updates = decay, 0

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        live = model.state_dict()
        for k, v in self.model.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(live[k].detach(), alpha=1 - d)
            else:
                v.copy_(live[k])


class RunClock:
    """Seconds a run has spent, across interruptions: the checkpoint keeps them."""

    def __init__(self):
        self.start, self.before = time.time(), 0.0

    def resume(self, before: float) -> None:
        self.before = before

    @property
    def seconds(self) -> float:
        return self.before + time.time() - self.start


def norm_stats(pools) -> tuple[float, float]:
    """Mean/std of preprocessed training pixels, each class weighted equally as in the balanced batches."""
    arrays = [getattr(p, "images", p) for p in pools]
    m = np.mean([a.astype(np.float64).mean() for a in arrays])
    sq = np.mean([(a.astype(np.float64) ** 2).mean() for a in arrays])
    return float(m), float(np.sqrt(sq - m * m))


def train_loop(model, pools, mean, std, epochs, per_class, batch, lr, seed, label, weights=None,
               cfg=AugmentConfig(), last_cfg=None, last_epochs=0, ema=None, weight_decay=1e-4,
               label_smoothing=0.05, on_epoch=None, checkpoint=None, clock=None):
    """One-cycle AdamW training on balanced batches. The final `last_epochs` epochs use
    `last_cfg`; `ema` is updated after every step. With `checkpoint` (a path), the whole
    state is saved after every epoch and a run finding one there continues from it; `clock`,
    if given, is an object whose `seconds` (the run's time so far) is kept in the checkpoint
    and restored from it."""
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    draws = class_draws(len(pools), per_class, weights)
    steps_per_epoch = sum(draws) // batch
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps_per_epoch * epochs, pct_start=0.2)
    start = 0
    if checkpoint and os.path.exists(checkpoint):
        ck = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        if ema is not None:
            ema.model.load_state_dict(ck["ema"])
            ema.updates = ck["ema_updates"]
        rng.bit_generator.state = ck["rng"]
        gen.set_state(ck["gen"])
        if "torch_rng" in ck:  # dropout draws from the global generator
            torch.set_rng_state(ck["torch_rng"])
        start = ck["epoch"]
        if clock is not None:
            clock.resume(ck.get("seconds", 0.0))
        print(f"[{label}] resuming after epoch {start}", flush=True)
    prog = Progress(steps_per_epoch * epochs, label, start * steps_per_epoch)
    for epoch in range(start, epochs):
        model.train()
        run_loss, n = 0.0, 0
        ecfg = last_cfg if last_cfg is not None and epoch >= epochs - last_epochs else cfg
        for xs, ys in balanced_batches(pools, draws, batch, rng):
            x = ((augment(xs, gen, ecfg) - mean) / std).unsqueeze(1)
            loss = F.cross_entropy(model(x), ys, label_smoothing=label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if ema is not None:
                ema.update(model)
            run_loss, n = run_loss + loss.item(), n + 1
            prog.step(f"epoch {epoch + 1}/{epochs} loss {run_loss / n:.4f}")
        if checkpoint:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "ema": ema.model.state_dict() if ema is not None else None,
                        "ema_updates": ema.updates if ema is not None else 0,
                        "rng": rng.bit_generator.state, "gen": gen.get_state(), "torch_rng": torch.get_rng_state(),
                        "epoch": epoch + 1, "seconds": clock.seconds if clock is not None else 0.0},
                       checkpoint + ".tmp")
            os.replace(checkpoint + ".tmp", checkpoint)
        if on_epoch:
            on_epoch(epoch, run_loss / max(n, 1))


class Judge:
    """Short 12-class models (digits, star, smiley) that screen negatives: `digit(x)` is their
    averaged top digit probability, `known(x)` their top known-class probability."""

    def __init__(self, known_pools: list, mean: float, std: float, count: int, batches: int, batch: int,
                 lr: float, seed: int):
        self.mean, self.std, self.models = mean, std, []
        per = max(1, batches * batch // len(known_pools))
        for i in range(count):
            torch.manual_seed(seed + 10 + i)
            m = GlyphNet()
            train_loop(m, known_pools, mean, std, 1, per, batch, lr, seed + 10 + i, f"screening {i + 1}")
            self.models.append(m)

    def _probs(self, x: np.ndarray) -> np.ndarray:
        return np.mean([softmax(predict(m, x, self.mean, self.std)[:, :SCRIBBLE]) for m in self.models], 0)

    def digit(self, x: np.ndarray) -> np.ndarray:
        return self._probs(x)[:, :10].max(1)

    def known(self, x: np.ndarray) -> np.ndarray:
        return self._probs(x).max(1)


def load_or_build(a) -> "TrainingData":
    """The run's training data from its cache, or built (and cached) from the sources."""
    cache = os.path.join(a.runs, "data.pt")
    if os.path.exists(cache):
        print(f"data: cached in {cache}", flush=True)
        return torch.load(cache, weights_only=False)

    def judge_of(known):
        mean, std = norm_stats(known)
        return Judge(known, mean, std, RECIPE["screening_models"], 20 if a.quick else RECIPE["screening_batches"],
                     RECIPE["batch"], RECIPE["lr"], a.seed)

    data = build(a.mnist, a.quickdraw, a.negatives, a.seed, judge_of, quick=a.quick, pieces=a.pieces)
    torch.save(data, cache + ".tmp")
    os.replace(cache + ".tmp", cache)
    return data


def validation_logits(model, data, mean, std) -> tuple[dict, dict]:
    known = {k: (predict(model, x, mean, std), y) for k, (x, y) in data.splits.items()}
    unseen = {k: (predict(model, x, mean, std), c) for k, (x, c, _) in data.unseen.items()}
    return known, unseen


def figures(known: dict, unseen: dict, rule: dict | None) -> dict:
    """Accuracy of every selection split and macro scribble share of every unseen split under `rule`."""
    out = {k: float((decide(z, rule)[0] == y).mean()) for k, (z, y) in known.items()}
    out.update({k: macro_scribble(z, c, rule) for k, (z, c) in unseen.items()})
    return out


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.runs, exist_ok=True)
    clock = RunClock()
    data = load_or_build(a)
    print("data: " + json.dumps({k: v for k, v in data.counts.items() if not isinstance(v, (list, dict))}), flush=True)
    # Rounded as the manifest stores them, so that training, calibration and the service
    # normalise alike.
    mean, std = (round(v, 6) for v in norm_stats(data.pools))
    print(f"normalization mean {mean:.6f} std {std:.6f}", flush=True)

    r = RECIPE
    model = GlyphNet(with_dropout(ARCHITECTURES[r["arch"]], r["dropout"]))
    ema = WeightAverage(model, r["ema"])
    history = []
    history_path = os.path.join(a.runs, "history.json")
    if os.path.exists(history_path) and os.path.exists(os.path.join(a.runs, "checkpoint.pt")):
        history = json.load(open(history_path)).get("history", [])

    def on_epoch(epoch, loss):
        known, unseen = validation_logits(ema.model, data, mean, std)
        row = {"epoch": epoch + 1, "loss": round(loss, 5), **{k: round(v, 5) for k, v in figures(known, unseen, None).items()}}
        history[:] = [h for h in history if h["epoch"] <= epoch] + [row]
        print("epoch " + " ".join(f"{k} {v}" for k, v in row.items()), flush=True)
        with open(history_path, "w") as f:
            json.dump({"history": history}, f, indent=1)

    epochs = 1 if a.quick else a.epochs
    train_loop(model, data.pools, mean, std, epochs, 100 if a.quick else r["per_class"], r["batch"], r["lr"],
               a.seed, "glyphnet", r["class_weights"], AugmentConfig(**r["augment"]), AugmentConfig(**r["mild"]),
               0 if a.quick else r["mild_last"], ema, r["weight_decay"], r["label_smoothing"], on_epoch,
               os.path.join(a.runs, "checkpoint.pt"), clock)
    final = ema.model
    known, unseen = validation_logits(final, data, mean, std)
    temperature = fit_temperature({k: v for k, v in known.items() if k != "symbols_val"})
    print(f"temperature {temperature}", flush=True)
    # Dividing the last layer by T divides the logits by T: calibrate on those, then fold both.
    known = {k: (z / temperature, y) for k, (z, y) in known.items()}
    unseen = {k: (z / temperature, c) for k, (z, c) in unseen.items()}
    rule, bias, table = calibrate({k: v for k, v in known.items() if k in ("mnist_val", "star_val", "smiley_val")},
                                  unseen)
    with torch.no_grad():
        final[-1].weight /= temperature
        final[-1].bias /= temperature
        final[-1].bias[SCRIBBLE] -= bias
    known, unseen = validation_logits(final, data, mean, std)  # the figures of the weights that ship
    best = [t for t in table if t["bias"] == bias]
    costs = tradeoff(table)
    print("rejection at the chosen bias:\n" + "\n".join(json.dumps(t) for t in best), flush=True)
    print("what a star and smiley floor costs the unseen categories:\n"
          + "\n".join(json.dumps(t) for t in costs), flush=True)
    print(f"scribble logit lowered by {bias}; rejection: {json.dumps(rule)}", flush=True)
    validation = figures(known, unseen, rule)
    seconds = clock.seconds
    meta = {
        "date": datetime.date.today().isoformat(), "seconds": round(seconds), "seed": a.seed, "threads": a.threads,
        "epochs": epochs, "mnist_validation": data.counts["mnist_val"],
        "recipe": {k: v for k, v in r.items() if k not in ("mild", "augment")} | {"augment": r["augment"]},
        "data": [f"{k}: {v}" for k, v in data.counts.items() if not isinstance(v, (list, dict))],
        "history": history, "validation": validation, "temperature": temperature, "scribble_bias": bias,
        "rejection_candidates": best, "rejection_tradeoff": costs,
        "data_counts": data.counts,
    }
    meta["recipe"]["class_weights"] = {"star": r["class_weights"][STAR], "scribble": r["class_weights"][SCRIBBLE]}
    torch.save({"state": final.state_dict(), "mean": mean, "std": std, "meta": meta, "layers": final.layers,
                "rejection": rule}, os.path.join(a.runs, "glyphnet.pt"))
    with open(history_path, "w") as f:
        json.dump(meta, f, indent=1)
    write_model(final, mean, std, meta, a.out, {f"{k}_accuracy": round(v, 5) for k, v in validation.items()}, rule)
    print(f"wrote {a.out}/glyphnet.safetensors and glyphnet.json; total {seconds:.0f}s", flush=True)


if __name__ == "__main__":
    main()
