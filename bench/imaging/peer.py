"""Peer for `ocr-bench imaging`: decode and desaturate with Pillow (step 1), then the numpy
oracle of docs/preprocessing.md steps 2-6 (`training/preprocess.py`, the implementation the
parity fixtures come from), timed the same way, on the files the Swift bench generated. The
peer carries no copy of the recipe: it times the one the Swift pipeline is checked against.

Usage: python3 peer.py FOLDER [--runs N] [--photo-runs N]
Prints one line per input (median and p99 in ms) and the largest per-pixel difference from the
Swift output written beside the inputs (a parity check, not a timing).
"""
import argparse
import io
import pathlib
import time

import sys

import numpy as np
from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
from training.preprocess import preprocess  # noqa: E402  (the oracle; needs the repository root)


def desaturate(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    image.load()
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA")
    pixels = np.asarray(image, dtype=np.float32) / np.float32(255)
    if pixels.ndim == 2:
        return pixels
    if image.mode == "LA":
        alpha = pixels[..., 1]
        return pixels[..., 0] * alpha + (np.float32(1) - alpha)
    rgb = pixels[..., :3]
    if image.mode == "RGBA":
        alpha = pixels[..., 3:4]
        rgb = rgb * alpha + (np.float32(1) - alpha)
    return (np.float32(0.299) * rgb[..., 0] + np.float32(0.587) * rgb[..., 1]
            + np.float32(0.114) * rgb[..., 2])


def measure(name: str, data: bytes, runs: int) -> np.ndarray:
    for _ in range(max(10, runs // 20)):
        preprocess(desaturate(data))
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        result = preprocess(desaturate(data))
        samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"{name}  median {samples[len(samples) // 2]:.4f} ms  p99 {p99:.4f} ms  ({runs} runs)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=pathlib.Path)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--photo-runs", type=int, default=200)
    args = parser.parse_args()
    for stem, label, runs in [("canvas", "canvas PNG", args.runs), ("photo", "photo JPEG", args.photo_runs)]:
        suffix = ".png" if stem == "canvas" else ".jpg"
        result = measure(f"peer {label} decode+preprocess", (args.folder / (stem + suffix)).read_bytes(), runs)
        swift = args.folder / (stem + ".f32")
        if swift.exists():
            reference = np.fromfile(swift, dtype="<f4").reshape(28, 28)
            print(f"peer {label} max |swift - peer| per pixel: {np.abs(reference - result).max():.2e}")


if __name__ == "__main__":
    main()
