"""Train glyphnet: `python -m training.train --out Models/`.

Top to bottom: load and split the data → train a short 12-class filter model →
generate scribbles and discard the ones it recognises → measure normalization →
train the 13-class model on class-balanced, augmented batches, selecting on the
validation splits → write the checkpoint and the shipped model files.
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

from . import SCRIBBLE, SMILEY, STAR
from .augment import AugmentConfig, augment
from .common import (RUNS, cached_scribble_val, eval_splits, load_scribbles, mnist_val_size, predict,
                     preprocess_set, save_scribbles, split_accuracies)
from .datasets import DEFAULT_MNIST, DEFAULT_QUICKDRAW, load_all
from .export import write_model
from .model import ARCHITECTURES, GlyphNet, with_dropout
from .scribbles import generate


def _mix(text: str) -> tuple:
    """"a,b,c,d,e" → five probabilities summing to 1 (argparse type of --thickness)."""
    parts = tuple(float(v) for v in text.split(","))
    if len(parts) != 5 or min(parts) < 0 or abs(sum(parts) - 1) > 1e-6:
        raise argparse.ArgumentTypeError("five non-negative probabilities that sum to 1")
    return parts


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mnist", default=DEFAULT_MNIST, help="folder with the four MNIST IDX .gz files")
    p.add_argument("--quickdraw", default=DEFAULT_QUICKDRAW, help="folder with star/smiley_face/square .npy")
    p.add_argument("--out", default="Models", help="where glyphnet.safetensors/.json are written")
    p.add_argument("--runs", default=RUNS, help="checkpoints and cached generated sets (not committed)")
    p.add_argument("--epochs", type=int, default=24)
    p.add_argument("--per-class", type=int, default=5000, help="samples per class per epoch")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=1, help="fixes the validation splits and everything random")
    p.add_argument("--batch-seed", type=int, default=None,
                   help="seed of batch order and augmentation only (default: --seed); splits stay put")
    p.add_argument("--scribbles", type=int, default=48000, help="generated scribble candidates for training")
    p.add_argument("--scribbles-val", type=int, default=3000)
    p.add_argument("--filter-batches", type=int, default=300, help="training batches of each filter model")
    p.add_argument("--filter-threshold", type=float, default=0.35,
                   help="discard a generated scribble the filter models give (on average) this much confidence")
    p.add_argument("--filter-models", type=int, default=2, help="filter models in the ensemble (different seeds)")
    p.add_argument("--threads", type=int, default=2,
                   help="torch CPU threads; on a machine busy with other work 1 can be much faster than 2")
    p.add_argument("--limit", type=int, default=None, help="use only the first N images of each source (smoke)")
    p.add_argument("--init", default=None, help="fine-tune from this checkpoint (keeps its normalization)")
    p.add_argument("--reuse-scribbles", action="store_true",
                   help="take the generated scribbles from RUNS/scribbles.npz instead of stages 1-2")
    p.add_argument("--extra-scribbles", type=int, default=0,
                   help="with --reuse-scribbles: generate this many more training candidates (another seed), "
                        "filter them the same way and add them; the validation set stays the cached one")
    p.add_argument("--rescreen-batches", type=int, default=0,
                   help="with --reuse-scribbles: screen the cached training scribbles again with filter models "
                        "trained this many batches, drop what they recognise and save the rest to RUNS; "
                        "the validation set stays the cached one")
    p.add_argument("--val-scribbles", default=None,
                   help="run folder whose cached generated validation scribbles this run validates on "
                        "(default: its own cache; e.g. a larger, more strictly filtered set made with "
                        "--scribbles-only)")
    p.add_argument("--scribbles-only", action="store_true",
                   help="stop once the generated scribble sets are cached in --runs (for runs that reuse them)")
    p.add_argument("--mild", action="store_true", help="milder augmentation (for a short low-LR fine-tune)")
    p.add_argument("--mild-last", type=int, default=3,
                   help="the last N epochs of the run use the milder augmentation (0: none)")
    p.add_argument("--p-light", type=float, default=0.5,
                   help="share of each batch whose geometric distortion is scaled down (AugmentConfig.p_light)")
    p.add_argument("--p-clean", type=float, default=0.0,
                   help="share of each batch with no geometric distortion at all (AugmentConfig.p_clean); "
                        "taken before the --p-light share, and applied in the mild epochs too")
    p.add_argument("--clean-untouched", action="store_true",
                   help="the --p-clean share is the training image as it is: the service's preprocessed view, "
                        "no resampling, thickness or tone change")
    p.add_argument("--thickness", type=_mix, default=AugmentConfig.thickness,
                   help="stroke thickness mix: probabilities of erode 3x3, keep, dilate 2x2, 3x3 and 5x5 "
                        "(comma-separated, AugmentConfig.thickness; used in the mild epochs too)")
    p.add_argument("--ema", type=float, default=0.0,
                   help="decay of an exponential moving average of the weights (e.g. 0.999; 0: off); "
                        "when on, the average is what is validated, selected and written")
    p.add_argument("--mild-scribble-weight", type=float, default=None,
                   help="scribble weight during the mild last epochs (default: --scribble-weight)")
    p.add_argument("--arch", default="glyphnet", choices=sorted(ARCHITECTURES),
                   help="layer list of the 13-class model (model.py); the filter models always use the default")
    p.add_argument("--dropout", type=float, default=None,
                   help="probability of every dropout layer (default: the layer list's)")
    p.add_argument("--mnist-val", type=int, default=5000,
                   help="MNIST training digits held back for validation (0: train on all 60,000; "
                        "a fine-tune must use its parent's value)")
    p.add_argument("--select", default="best", choices=["best", "last"],
                   help="write the epoch with the best validation score, or the last epoch "
                        "(for a run whose recipe was chosen beforehand)")
    p.add_argument("--optimizer", default="adamw", choices=["adamw", "sgd"],
                   help="of the 13-class model; sgd uses Nesterov momentum 0.9 (give it a larger --lr, e.g. 0.05)")
    p.add_argument("--weight-decay", type=float, default=1e-4,
                   help="AdamW's decoupled decay, or SGD's L2 term (e.g. 5e-4)")
    p.add_argument("--star-weight", type=float, default=1.25, help="star draws per epoch, as a multiple of --per-class")
    p.add_argument("--scribble-weight", type=float, default=1.5,
                   help="scribble draws per epoch, as a multiple of --per-class (the most varied class)")
    a = p.parse_args(argv)
    if (a.extra_scribbles or a.rescreen_batches) and not a.reuse_scribbles:
        p.error("--extra-scribbles and --rescreen-batches work on a cache: add --reuse-scribbles")
    if a.scribbles_only and (a.reuse_scribbles or a.init):
        p.error("--scribbles-only makes a cache: it does not go with --reuse-scribbles or --init")
    return a


class Progress:
    def __init__(self, total: int, label: str):
        self.total, self.label, self.start, self.done = total, label, time.time(), 0

    def step(self, n: int = 1, extra: str = "") -> None:
        self.done += n
        if self.done % 50 and self.done != self.total:
            return
        el = time.time() - self.start
        eta = el / self.done * (self.total - self.done)
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


def class_draws(n_classes: int, per_class: int, weights: dict | None = None) -> list:
    """Draws per class per epoch: `per_class` each, times the class's weight if it has one."""
    weights = weights or {}
    return [int(round(per_class * weights.get(c, 1.0))) for c in range(n_classes)]


def balanced_batches(pools: list, draws: list, batch: int, rng: np.random.Generator):
    """Yield (images, labels) batches: `draws[c]` samples from class pool c, all shuffled together."""
    everything = torch.from_numpy(np.concatenate(pools))
    starts = np.cumsum([0] + [len(p) for p in pools[:-1]])
    labels = np.repeat(np.arange(len(pools)), draws)
    picks = np.concatenate([s + rng.integers(0, len(p), n) for s, p, n in zip(starts, pools, draws)])
    order = rng.permutation(len(labels))
    labels, picks = torch.from_numpy(labels[order]), torch.from_numpy(picks[order])
    for i in range(0, len(labels) - batch + 1, batch):
        yield everything[picks[i:i + batch]], labels[i:i + batch]


def make_optimizer(model, name: str, lr: float, weight_decay: float):
    """AdamW (decoupled decay), or SGD with Nesterov momentum (decay added to the gradient)."""
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)


def train_loop(model, pools, mean, std, epochs, per_class, batch, lr, seed, label, on_epoch=None,
               cfg: AugmentConfig = AugmentConfig(), weights: dict | None = None,
               last_cfg: AugmentConfig | None = None, last_epochs: int = 0,
               last_weights: dict | None = None, ema: WeightAverage | None = None,
               optimizer: str = "adamw", weight_decay: float = 1e-4):
    """One-cycle training; the final `last_epochs` epochs use `last_cfg` instead of `cfg` (and
    `last_weights` instead of `weights` if given); `ema`, if given, is updated after every step."""
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    is_last = lambda epoch: last_cfg is not None and epoch >= epochs - last_epochs
    epoch_draws = [class_draws(len(pools), per_class,
                               last_weights if is_last(e) and last_weights is not None else weights)
                   for e in range(epochs)]
    steps = sum(sum(d) // batch for d in epoch_draws)
    opt = make_optimizer(model, optimizer, lr, weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    prog = Progress(steps, label)
    for epoch in range(epochs):
        model.train()
        run_loss, n = 0.0, 0
        ecfg = last_cfg if is_last(epoch) else cfg
        for xs, ys in balanced_batches(pools, epoch_draws[epoch], batch, rng):
            x = augment(xs.float() / 255.0 if xs.dtype == torch.uint8 else xs, gen, ecfg)
            x = ((x - mean) / std).unsqueeze(1)
            loss = F.cross_entropy(model(x), ys, label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if ema is not None:
                ema.update(model)
            run_loss, n = run_loss + loss.item(), n + 1
            prog.step(extra=f"epoch {epoch + 1}/{epochs} loss {run_loss / n:.4f}")
        if on_epoch:
            on_epoch(epoch, run_loss / max(n, 1))


def filter_scribbles(models, cands, mean, std, threshold):
    """Keep candidates the 12-class filter models are not confident about (digit, star or smiley look-alikes go).

    The ensemble's class probabilities are averaged; a candidate goes if its top one reaches `threshold`.
    """
    probs = [torch.softmax(torch.from_numpy(predict(m, cands, mean, std)[:, :SCRIBBLE]), 1).numpy()
             for m in models]
    prob = np.mean(probs, 0).max(1)
    return cands[prob < threshold], prob


def norm_stats(pools) -> tuple[float, float]:
    """Mean/std of preprocessed training pixels, each class weighted equally as in the balanced batches."""
    m = np.mean([(p.astype(np.float64) / (255.0 if p.dtype == np.uint8 else 1)).mean() for p in pools])
    sq = np.mean([((p.astype(np.float64) / (255.0 if p.dtype == np.uint8 else 1)) ** 2).mean() for p in pools])
    return float(m), float(np.sqrt(sq - m * m))


def filter_models(a, pools12, mean, std, batches: int | None = None) -> list:
    """Stage 1: short 12-class models (digits, star, smiley) that judge the generated candidates."""
    batches = batches or a.filter_batches
    print(f"stage 1: {a.filter_models} filter model(s) (digits, star, smiley), {batches} batches each", flush=True)
    filt = []
    per = max(1, batches * a.batch // 12)
    for i in range(a.filter_models):
        torch.manual_seed(a.seed + 10 + i)
        m = GlyphNet()
        train_loop(m, pools12, mean, std, 1, per, a.batch, a.lr, a.seed + 10 + i, f"filter {i + 1}")
        filt.append(m)
    return filt


def extra_scribbles(a, pools12, mean, std) -> np.ndarray:
    """More generated training scribbles (candidates of another seed, same filter), validation untouched."""
    filt = filter_models(a, pools12, mean, std)
    cands, _ = generate(a.extra_scribbles, seed=a.seed + 300)
    kept, _ = filter_scribbles(filt, cands, mean, std, a.filter_threshold)
    print(f"extra scribbles kept: {len(kept)}/{len(cands)}", flush=True)
    return kept


def rescreen_scribbles(a, pools12, mean, std, scrib_train, scrib_val) -> np.ndarray:
    """Cached training scribbles that longer-trained filter models still do not recognise.

    Short filter models pass strokes a trained digit model would call a digit. Dropping them
    made fewer digits read as scribble but not fewer MNIST errors (REPORT.md, run E32). The
    cache is rewritten with what is kept, so later runs reuse it without training the filters
    again.
    """
    filt = filter_models(a, pools12, mean, std, a.rescreen_batches)
    kept, _ = filter_scribbles(filt, scrib_train, mean, std, a.filter_threshold)
    print(f"rescreened scribbles kept: {len(kept)}/{len(scrib_train)}", flush=True)
    save_scribbles(a.runs, kept, scrib_val, a.rescreen_batches)
    return kept


def make_scribbles(a, pools12, mean, std, square_train):
    """Stages 1-2: short 12-class filter models, then generated scribbles they do not recognise."""
    filt = filter_models(a, pools12, mean, std)

    print("stage 2: generate and filter scribbles", flush=True)
    cands, _ = generate(a.scribbles, seed=a.seed + 100)
    scrib_train, _ = filter_scribbles(filt, cands, mean, std, a.filter_threshold)
    vcands, _ = generate(a.scribbles_val, seed=a.seed + 200)
    scrib_val, _ = filter_scribbles(filt, vcands, mean, std, a.filter_threshold)
    # Squares are human drawings of a non-class and stay in whole, even those the filter takes for a "0".
    _, psq = filter_scribbles(filt, square_train, mean, std, a.filter_threshold)
    print(f"scribbles kept: train {len(scrib_train)}/{len(cands)}, val {len(scrib_val)}/{len(vcands)}; "
          f"squares the filter is confident about (kept anyway): {(psq >= a.filter_threshold).sum()}/{len(psq)}",
          flush=True)
    save_scribbles(a.runs, scrib_train, scrib_val)
    return scrib_train, scrib_val


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.runs, exist_ok=True)
    t0 = time.time()
    ck = torch.load(a.init, weights_only=False) if a.init else None  # a fine-tune's parent
    if ck is not None:
        # The parent's held-back digits must stay held back, or the fine-tune trains on its validation.
        held = mnist_val_size(ck.get("meta", {}))
        if held != a.mnist_val:
            raise SystemExit(f"{a.init} held back {held} MNIST digits: give --mnist-val {held}")
    raw = load_all(a.mnist, a.quickdraw, seed=a.seed, mnist_val=a.mnist_val, limit=a.limit, with_test=False)
    print(f"data: mnist train {len(raw.train_x)} val {len(raw.val_x)}; doodles train "
          + ", ".join(f"{k} {len(v)}" for k, v in raw.doodles_train.items()), flush=True)

    # Training pools hold the service's preprocessed view (steps 2-6) of every base image, as
    # uint8 where the source is uint8; augmentation reruns steps 2-6 after distorting them.
    digits = [preprocess_set(raw.train_x[raw.train_y == d]) for d in range(10)]
    star = preprocess_set(raw.doodles_train["star"])
    smiley = preprocess_set(raw.doodles_train["smiley_face"])
    mean, std = norm_stats(digits + [star, smiley])

    square_train = preprocess_set(raw.doodles_train["square"])
    if a.reuse_scribbles:
        scrib_train, scrib_val, rescreened = load_scribbles(a.runs)
        print(f"reusing generated scribbles: train {len(scrib_train)}, val {len(scrib_val)}", flush=True)
        if a.extra_scribbles > 0:
            scrib_train = np.concatenate([scrib_train, extra_scribbles(a, digits + [star, smiley], mean, std)])
        if a.rescreen_batches > 0:
            scrib_train = rescreen_scribbles(a, digits + [star, smiley], mean, std, scrib_train, scrib_val)
            rescreened = a.rescreen_batches
    else:
        scrib_train, scrib_val = make_scribbles(a, digits + [star, smiley], mean, std, square_train)
        rescreened = 0
        if a.scribbles_only:
            print(f"cached in {a.runs}; {time.time() - t0:.0f}s", flush=True)
            return
    scribble = np.concatenate([square_train, scrib_train])

    pools = digits + [star, smiley, scribble]
    mean, std = norm_stats(pools)
    previous = {}
    if a.init:
        mean, std, previous = ck["mean"], ck["std"], ck.get("meta", {})
    print(f"normalization mean {mean:.6f} std {std:.6f}", flush=True)
    if a.val_scribbles:
        scrib_val = cached_scribble_val(a.val_scribbles)
        print(f"validating on the {len(scrib_val)} generated scribbles cached in {a.val_scribbles}", flush=True)
    splits = eval_splits(raw, scrib_val)

    print("stage 3: glyphnet", flush=True)
    layers = ck.get("layers") if a.init else ARCHITECTURES[a.arch]
    if a.dropout is not None:
        layers = with_dropout(layers, a.dropout)
    model = GlyphNet(layers)
    if a.init:
        model.load_state_dict(ck["state"])
    mild = AugmentConfig(rotation_deg=8, scale=(0.92, 1.08), aspect=0.08, shear=0.12, elastic_alpha=0.03,
                         p_elastic=0.5, p_crisp=0.35, p_paper=0.1, p_clean=a.p_clean,
                         clean_untouched=a.clean_untouched, thickness=a.thickness)
    cfg = mild if a.mild else AugmentConfig(p_light=a.p_light, p_clean=a.p_clean, clean_untouched=a.clean_untouched,
                                            thickness=a.thickness)
    weights = {STAR: a.star_weight, SCRIBBLE: a.scribble_weight}
    mild_weights = None if a.mild_scribble_weight is None else {**weights, SCRIBBLE: a.mild_scribble_weight}
    ema = WeightAverage(model, a.ema) if a.ema > 0 else None
    judged = ema.model if ema is not None else model  # what is validated, selected and written
    best = {"score": -1.0}
    history = []

    def on_epoch(epoch, loss):
        acc = split_accuracies(judged, splits, mean, std)
        score = float(np.mean(list(acc.values())))
        history.append({"epoch": epoch + 1, "loss": loss, **acc})
        print(f"epoch {epoch + 1}: loss {loss:.4f} " + " ".join(f"{k} {v:.4f}" for k, v in acc.items()), flush=True)
        if a.select == "last" or score >= best["score"]:
            best.update(score=score, epoch=epoch + 1, acc=acc,
                        state={k: v.clone() for k, v in judged.state_dict().items()})
            # Saved as it goes, so a run cut short still leaves its best (or last) model behind.
            torch.save({"state": best["state"], "mean": mean, "std": std, "epoch": epoch + 1},
                       os.path.join(a.runs, "glyphnet-best.pt"))

    train_loop(model, pools, mean, std, a.epochs, a.per_class, a.batch, a.lr,
               a.seed if a.batch_seed is None else a.batch_seed, "glyphnet", on_epoch, cfg,
               weights=weights, last_cfg=mild, last_epochs=0 if a.mild else a.mild_last,
               last_weights=mild_weights, ema=ema, optimizer=a.optimizer, weight_decay=a.weight_decay)
    seconds = time.time() - t0 + previous.get("seconds", 0)
    load = os.getloadavg()
    model.load_state_dict(best["state"])
    print(f"best epoch {best['epoch']} score {best['score']:.4f}; total {seconds:.0f}s", flush=True)
    meta = {
        "date": datetime.date.today().isoformat(), "seconds": round(seconds), "seed": a.seed,
        "threads": a.threads, "load_average_at_end": [round(v, 2) for v in load],
        "epochs": a.epochs, "best_epoch": best["epoch"], "per_class_per_epoch": a.per_class,
        "class_weights": {"star": a.star_weight, "scribble": a.scribble_weight,
                          "scribble_in_mild_epochs": a.mild_scribble_weight or a.scribble_weight},
        "augmentation": {"p_light": a.p_light, "p_clean": a.p_clean, "clean_untouched": a.clean_untouched,
                         "thickness_erode_keep_dilate2_dilate3_dilate5": list(a.thickness),
                         "mild_last_epochs": 0 if a.mild else a.mild_last},
        "mnist_validation": a.mnist_val, "selection": a.select,
        "weight_average_decay": a.ema, "dropout": a.dropout,
        "optimizer": {"name": a.optimizer, "peak_lr": a.lr, "weight_decay": a.weight_decay},
        # A fine-tune keeps its parent's layers, whatever --arch says.
        "architecture": previous.get("architecture", a.arch) if a.init else a.arch,
        "filter": {"models": a.filter_models, "threshold": a.filter_threshold, "rescreen_batches": rescreened},
        "extra_scribble_candidates": a.extra_scribbles,
        "data": [f"MNIST train {len(raw.train_x)} (validation {len(raw.val_x)} held out)",
                 f"Quick, Draw! star {len(star)}, smiley {len(smiley)} (validation {len(splits['star_val'][0])} each)",
                 f"scribble: Quick, Draw! squares {len(square_train)} + generated strokes {len(scrib_train)} "
                 f"(validation {len(splits['square_val'][0])} squares + {len(scrib_val)} generated)"],
        "validation_scribbles": os.path.basename(os.path.normpath(a.val_scribbles)) if a.val_scribbles else None,
        "history": history, "validation": best["acc"],
    }
    if a.init:  # a fine-tune: keep the main run's record and say what was added
        meta["epochs"] = previous.get("epochs", 0) + a.epochs
        meta["finetune"] = {"epochs": a.epochs, "lr": a.lr, "mild": a.mild, "best_epoch": best["epoch"]}
        meta["history"] = previous.get("history", []) + history
        meta["best_epoch"] = previous.get("epochs", 0) + best["epoch"]
    torch.save({"state": model.state_dict(), "mean": mean, "std": std, "meta": meta, "layers": model.layers},
               os.path.join(a.runs, "glyphnet.pt"))
    with open(os.path.join(a.runs, "history.json"), "w") as f:
        json.dump(meta, f, indent=1)
    write_model(model, mean, std, meta, a.out)
    print(f"wrote {a.out}/glyphnet.safetensors and glyphnet.json", flush=True)


if __name__ == "__main__":
    main()
