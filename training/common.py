"""Helpers shared by train, evaluate and scans: preprocessing whole sets, batched inference, a run's split."""

from __future__ import annotations

import os

import numpy as np
import torch

from . import CLASSES
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
    """Class logits (N,13) for preprocessed (N,28,28) inputs, in eval mode (a model with the
    page head, page_head.py, has its thirteen outputs after these; they are dropped)."""
    model.eval()
    out = []
    for i in range(0, len(x), chunk):
        t = (torch.from_numpy(x[i:i + chunk]).float().unsqueeze(1) - mean) / std
        out.append(model(t)[:, :len(CLASSES)].numpy())
    return np.concatenate(out) if out else np.zeros((0, 13), np.float32)


def mnist_val_size(meta: dict) -> int:
    """MNIST training digits a run held back for validation (runs before the option: 5,000)."""
    return int(meta.get("mnist_validation", 5000))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def held_out_data(meta: dict, mnist: str, quickdraw: str, with_test: bool = False) -> RawData:
    """The data split as a run split it: its seed and held-back count carve the images it was
    judged on in training."""
    return load_all(mnist, quickdraw, seed=meta.get("seed", 1), mnist_val=mnist_val_size(meta), with_test=with_test)
