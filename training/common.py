"""Helpers shared by train, evaluate and export: preprocessing whole sets, batched inference, splits."""

from __future__ import annotations

import os

import numpy as np
import torch

from . import SCRIBBLE, SMILEY, STAR
from .datasets import RawData, load_all
from .preprocess_torch import preprocess_batch

RUNS = os.path.join("training", "runs")


def preprocess_set(images: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """(N,28,28) uint8 or float → (N,28,28) float32 through steps 2-6 (images without ink stay zero)."""
    out = []
    for i in range(0, len(images), chunk):
        x = torch.from_numpy(np.ascontiguousarray(images[i:i + chunk])).float()
        if images.dtype == np.uint8:
            x = x / 255.0
        y, _ = preprocess_batch(x)
        out.append(y.numpy())
    return np.concatenate(out) if out else np.zeros((0, 28, 28), np.float32)


@torch.no_grad()
def predict(model: torch.nn.Module, x: np.ndarray, mean: float, std: float, chunk: int = 1024) -> np.ndarray:
    """Logits (N,13) for preprocessed (N,28,28) inputs, in eval mode."""
    model.eval()
    out = []
    for i in range(0, len(x), chunk):
        t = (torch.from_numpy(x[i:i + chunk]).float().unsqueeze(1) - mean) / std
        out.append(model(t).numpy())
    return np.concatenate(out) if out else np.zeros((0, 13), np.float32)


def eval_splits(raw: RawData, scribble_val: np.ndarray) -> dict:
    """name → (preprocessed images, labels) for every held-out split used in model selection."""
    d = raw.doodles_val
    splits = {
        "mnist_val": (preprocess_set(raw.val_x), raw.val_y),
        "star_val": (preprocess_set(d["star"]), np.full(len(d["star"]), STAR)),
        "smiley_val": (preprocess_set(d["smiley_face"]), np.full(len(d["smiley_face"]), SMILEY)),
        "square_val": (preprocess_set(d["square"]), np.full(len(d["square"]), SCRIBBLE)),
        "scribble_val": (scribble_val, np.full(len(scribble_val), SCRIBBLE)),
    }
    if len(raw.val_x) == 0:  # a run on all 60,000 MNIST training digits holds none back
        del splits["mnist_val"]
    return splits


def mnist_val_size(meta: dict) -> int:
    """MNIST training digits a run held back for validation (runs before the option: 5,000)."""
    return int(meta.get("mnist_validation", 5000))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _scribble_cache(runs: str) -> str:
    return os.path.join(runs, "scribbles.npz")


def save_scribbles(runs: str, train: np.ndarray, val: np.ndarray, rescreen_batches: int = 0) -> None:
    """Cache a run's generated scribbles; `rescreen_batches` says the training ones were screened again."""
    np.savez_compressed(_scribble_cache(runs), train=train, val=val, rescreen_batches=rescreen_batches)


def load_scribbles(runs: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(training scribbles, validation scribbles, rescreen batches) from a run's cache, read whole."""
    cache = _scribble_cache(runs)
    if not os.path.exists(cache):
        raise SystemExit(f"{cache} is missing: the generated validation scribbles come from the training run")
    with np.load(cache) as c:
        return c["train"], c["val"], int(c["rescreen_batches"]) if "rescreen_batches" in c.files else 0


def cached_scribble_val(runs: str) -> np.ndarray:
    """The generated validation scribbles a training run cached in `runs`."""
    return load_scribbles(runs)[1]


def held_out_data(meta: dict, mnist: str, quickdraw: str, with_test: bool = False) -> RawData:
    """The data split as a run split it: its seed and held-back count carve the images it was
    judged on in training."""
    return load_all(mnist, quickdraw, seed=meta.get("seed", 1), mnist_val=mnist_val_size(meta), with_test=with_test)


def held_out_splits(meta: dict, mnist: str, quickdraw: str, runs: str,
                    with_test: bool = False) -> tuple[RawData, dict]:
    """A run's own held-out data and selection splits; the generated scribbles are the ones
    cached in `runs`."""
    raw = held_out_data(meta, mnist, quickdraw, with_test=with_test)
    return raw, eval_splits(raw, cached_scribble_val(runs))


def load_checkpoint(folder: str) -> dict:
    """A run folder's glyphnet.pt: state, mean, std, meta and layers."""
    return torch.load(os.path.join(folder, "glyphnet.pt"), weights_only=False)


def split_accuracies(model, splits: dict, mean: float, std: float) -> dict:
    return {name: float((predict(model, x, mean, std).argmax(1) == y).mean()) for name, (x, y) in splits.items()}
