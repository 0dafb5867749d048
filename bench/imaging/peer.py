"""Peer for `ocr-bench imaging`: the same decode + preprocess (docs/preprocessing.md steps
1-6) with Pillow and numpy, timed the same way, on the files the Swift bench generated.

Usage: python3 peer.py FOLDER [--runs N] [--photo-runs N]
Prints one line per input (median and p99 in ms) and the largest per-pixel difference from the
Swift output written beside the inputs (a parity check, not a timing).
"""
import argparse
import io
import pathlib
import time

import numpy as np
from PIL import Image


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


def border_median(image: np.ndarray) -> np.float32:
    return np.float32(np.median(frame_of(image)))


def frame_of(image: np.ndarray) -> np.ndarray:
    if image.shape[0] <= 2 or image.shape[1] <= 2:
        return image.ravel()
    return np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])


def flatness(image: np.ndarray) -> np.float32:
    frame = frame_of(image)
    return np.float32(np.median(np.abs(frame - np.float32(np.median(frame)))))


def level(grey: np.ndarray) -> np.ndarray:
    """Step 2b: remove the plane through the lower quartiles of the four sides if the frame gets
    a tenth flatter."""
    h, w = grey.shape
    if h < 3 or w < 3:
        return grey
    side = lambda values: np.float32(np.sort(values)[(len(values) - 1) // 4])  # lower quartile
    gx = (side(grey[:, -1]) - side(grey[:, 0])) / np.float32(w - 1)
    gy = (side(grey[-1]) - side(grey[0])) / np.float32(h - 1)
    tilt = np.add.outer(gy * (np.arange(h, dtype=np.float32) - np.float32((h - 1) / 2)),
                        gx * (np.arange(w, dtype=np.float32) - np.float32((w - 1) / 2)))
    levelled = grey - tilt
    return levelled if flatness(levelled) < np.float32(0.9) * flatness(grey) else grey


def axis_matrix(n: int, m: int) -> np.ndarray:
    step = n / m
    lo = np.arange(m)[:, None] * step
    hi = lo + step
    i = np.arange(n)[None, :]
    overlap = np.clip(np.minimum(hi, i + 1) - np.maximum(lo, i), 0, None)
    return (overlap / step).astype(np.float32)


def preprocess(grey: np.ndarray) -> np.ndarray:
    if border_median(grey) > 0.5:
        grey = np.float32(1) - grey
    grey = level(grey)
    background = border_median(grey)
    peak = grey.max()
    if peak - background < 0.1:
        raise ValueError("empty")
    spread = np.float32(np.median(np.abs(frame_of(grey) - background)))
    contrast = peak - background
    low = background + max(np.float32(0.15) * contrast, min(np.float32(7.5) * spread, np.float32(0.5) * contrast))
    clean = np.clip((grey - low) / (peak - low), 0, 1)
    rows = np.flatnonzero(clean.max(axis=1) > 0)
    cols = np.flatnonzero(clean.max(axis=0) > 0)
    crop = clean[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    s = np.float32(20) / np.float32(max(w, h))
    ow = max(1, min(20, int(np.floor(w * s + np.float32(0.5)))))
    oh = max(1, min(20, int(np.floor(h * s + np.float32(0.5)))))
    scaled = axis_matrix(h, oh) @ (crop @ axis_matrix(w, ow).T)
    total = scaled.sum(dtype=np.float64)
    cx = ((np.arange(ow) + 0.5) * scaled.sum(axis=0, dtype=np.float64)).sum() / total
    cy = ((np.arange(oh) + 0.5) * scaled.sum(axis=1, dtype=np.float64)).sum() / total
    ox = min(max(int(np.floor(14 - cx + 0.5)), 0), 28 - ow)
    oy = min(max(int(np.floor(14 - cy + 0.5)), 0), 28 - oh)
    out = np.zeros((28, 28), dtype=np.float32)
    out[oy:oy + oh, ox:ox + ow] = scaled
    return out


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
