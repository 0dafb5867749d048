"""Synthetic pages of handwritten numbers, and how well the service reads them.

A page is lines of numbers made of MNIST digits from the *validation* split of the training
files (never the test files, never a digit the model trained on): lines of different heights,
a slight slant, gaps between numbers wide for their line, paper grain and specks. On a
touching page the digits of a number are pushed together until their ink meets.

    python -m training.pages generate --out pages/separated --count 300
    python -m training.pages generate --out pages/touching --count 300 --touching --seed 2
    python -m training.pages measure --url http://127.0.0.1:8080 pages/separated pages/touching

`measure` posts every page with mode=multi (before) and mode=page (after) and prints the
exact-page rate and the character accuracy (1 - edit distance / length, summed over pages).
Numpy and the standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import urllib.request
import zlib

import numpy as np

from training.datasets import DEFAULT_MNIST, read_idx, split_indices


def load_validation_digits(mnist_dir: str = DEFAULT_MNIST, seed: int = 0, val: int = 5000):
    """The validation split of MNIST's training files, as train.py carves it (same seed and
    size): digits no model run trained on. The t10k files are never opened."""
    images = read_idx(os.path.join(mnist_dir, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(mnist_dir, "train-labels-idx1-ubyte.gz"))
    _, held_out = split_indices(len(images), min(val, len(images) // 10 or 1), seed)
    return images[held_out], labels[held_out].astype(np.int64)


def resize(image: np.ndarray, height: int) -> np.ndarray:
    """Bilinear resize of a float image to `height` rows, keeping the aspect ratio."""
    h, w = image.shape
    width = max(1, round(w * height / h))
    ys = (np.arange(height) + 0.5) * h / height - 0.5
    xs = (np.arange(width) + 0.5) * w / width - 0.5
    y0 = np.clip(np.floor(ys).astype(int), 0, h - 1)
    x0 = np.clip(np.floor(xs).astype(int), 0, w - 1)
    y1, x1 = np.clip(y0 + 1, 0, h - 1), np.clip(x0 + 1, 0, w - 1)
    fy = np.clip(ys - y0, 0, 1)[:, None]
    fx = np.clip(xs - x0, 0, 1)[None, :]
    top = image[y0][:, x0] * (1 - fx) + image[y0][:, x1] * fx
    bottom = image[y1][:, x0] * (1 - fx) + image[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def ink_crop(digit: np.ndarray) -> np.ndarray:
    """A 28x28 uint8 MNIST digit cut to its ink box, as floats in [0, 1]."""
    ys, xs = np.nonzero(digit > 30)
    return digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255


def touching_shift(canvas: np.ndarray, glyph: np.ndarray, top: int, left: int) -> int:
    """How far left of `left` `glyph` must move for its ink to meet the ink already on `canvas`
    (at most to the canvas's left edge)."""
    h, w = glyph.shape
    mask = glyph > 0.4
    for shift in range(0, left + 1):
        x = left - shift
        region = canvas[top:top + h, x:x + w] > 0.4
        if (region & mask[:region.shape[0], :region.shape[1]]).any():
            return shift
    return left


# A rule of ruled paper: this many pixels thick, this dark (in ink units: 1 is the pen).
RULE_THICKNESS, RULE_INK = 2, 0.45


def compose_page(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, touching: bool = False,
                 scale: float = 1.0, ruled: bool = False):
    """One page: (uint8 image, dark ink on light paper; its text, numbers separated by one
    space, lines by a newline). `scale` multiplies the line heights (36-64 px at 1; 0.5 is
    small writing or a coarse scan); `ruled` writes each line on a rule across the page, level
    with the median bottom of its digits (ruled paper: most digits touch it, some cross it).
    The same seed gives the same numbers and layout whatever the two."""
    lines = []
    for _ in range(rng.integers(2, 5)):
        lines.append([[int(rng.integers(len(images))) for _ in range(rng.integers(1, 5))]
                      for _ in range(rng.integers(1, 4))])
    heights = [max(8, int(int(rng.integers(36, 64)) * scale)) for _ in lines]
    width = 60 + max(sum(len(word) * int(h * 0.9) + int(h * 1.8) for word in line) for line, h in zip(lines, heights))
    height = 40 + sum(int(h * 1.7) for h in heights)
    ink = np.zeros((height + 40, width + 80), np.float32)
    text_lines, rules = [], []
    baseline = 30
    for line, h in zip(lines, heights):
        bottoms = []
        slope = rng.uniform(-0.04, 0.04)
        x = int(rng.integers(20, 40))
        words = []
        for word in line:
            for position, index in enumerate(word):
                glyph = resize(ink_crop(images[index]), int(h * rng.uniform(0.85, 1.0)))
                gh, gw = glyph.shape
                top = int(baseline + (h - gh) + slope * x + rng.integers(-2, 3))
                top = min(max(top, 0), ink.shape[0] - gh)
                if position > 0:
                    if touching:
                        x -= touching_shift(ink, glyph, top, x)
                    else:
                        x += int(h * rng.uniform(0.08, 0.25))
                x = max(0, min(x, ink.shape[1] - gw))
                ink[top:top + gh, x:x + gw] = np.maximum(ink[top:top + gh, x:x + gw], glyph)
                bottoms.append(top + gh)
                x += gw
            x += int(h * rng.uniform(0.9, 1.6))
            words.append("".join(str(int(labels[i])) for i in word))
        text_lines.append(" ".join(words))
        rules.append(int(np.median(bottoms)))
        baseline += int(h * rng.uniform(1.5, 1.8))
    ys, xs = np.nonzero(ink > 0)
    ink = ink[:ys.max() + 30, :xs.max() + 30]
    if ruled:
        for y in rules:
            ink[y - RULE_THICKNESS:y] = np.maximum(ink[y - RULE_THICKNESS:y], RULE_INK)
    paper = 0.9 + rng.normal(0, rng.uniform(0.01, 0.03), ink.shape)
    for _ in range(rng.integers(0, 6)):  # specks of dust: a pixel or two
        sy, sx = rng.integers(ink.shape[0] - 2), rng.integers(ink.shape[1] - 2)
        paper[sy:sy + rng.integers(1, 3), sx:sx + rng.integers(1, 3)] -= 0.5
    page = np.clip(paper - 0.75 * ink, 0, 1)
    return (page * 255).round().astype(np.uint8), "\n".join(text_lines)


def compose_scan(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, width: int = 1200,
                 height: int = 800, digits: int = 40, lines: int = 4):
    """A page the size of a scan with exactly `digits` separated digits: `lines` lines of
    numbers of 2-4 digits, spread down the page, on grainy paper (the page benchmark's input,
    bench/page/run.sh). Returns (uint8 image, text) as `compose_page` does."""
    per_line = [digits // lines + (1 if n < digits % lines else 0) for n in range(lines)]
    ink = np.zeros((height, width), np.float32)
    text_lines = []
    step = height // lines
    for row, count in enumerate(per_line):
        h = int(rng.integers(48, 64))
        sizes = []
        while sum(sizes) < count:
            sizes.append(int(min(rng.integers(2, 5), count - sum(sizes))))
        slope = rng.uniform(-0.02, 0.02)
        x = int(rng.integers(40, 80))
        baseline = row * step + (step - h) // 2
        words = []
        for size in sizes:
            word = [int(rng.integers(len(images))) for _ in range(size)]
            for position, index in enumerate(word):
                glyph = resize(ink_crop(images[index]), int(h * rng.uniform(0.85, 1.0)))
                gh, gw = glyph.shape
                if position > 0:
                    x += int(h * rng.uniform(0.1, 0.25))
                top = min(max(int(baseline + (h - gh) + slope * x), 0), height - gh)
                x = min(x, width - gw)
                ink[top:top + gh, x:x + gw] = np.maximum(ink[top:top + gh, x:x + gw], glyph)
                x += gw
            x += int(h * rng.uniform(1.0, 1.6))
            words.append("".join(str(int(labels[i])) for i in word))
        text_lines.append(" ".join(words))
    paper = 0.9 + rng.normal(0, 0.02, ink.shape)
    page = np.clip(paper - 0.75 * ink, 0, 1)
    return (page * 255).round().astype(np.uint8), "\n".join(text_lines)


def png_grey(image: np.ndarray) -> bytes:
    """An 8-bit grey PNG of a uint8 array."""
    h, w = image.shape
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def generate(out: str, count: int, touching: bool, seed: int, mnist_dir: str = DEFAULT_MNIST,
             scale: float = 1.0, ruled: bool = False) -> None:
    """Writes `count` pages as page-NNNN.png and their texts to labels.json."""
    images, labels = load_validation_digits(mnist_dir)
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    texts = {}
    for n in range(count):
        page, text = compose_page(rng, images, labels, touching, scale, ruled)
        name = f"page-{n:04d}.png"
        with open(os.path.join(out, name), "wb") as f:
            f.write(png_grey(page))
        texts[name] = text
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump(texts, f, indent=0)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions each cost 1)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def score(pairs) -> dict:
    """Exact-page rate and character accuracy of (read, truth) pairs, with the layout (spaces
    and newlines) and on the digits alone."""
    pairs = list(pairs)
    digits = lambda s: "".join(c for c in s if not c.isspace())  # noqa: E731
    total = sum(len(t) for _, t in pairs)
    total_digits = sum(len(digits(t)) for _, t in pairs)
    return {
        "pages": len(pairs),
        "exact": sum(r == t for r, t in pairs) / len(pairs),
        "chars": 1 - sum(edit_distance(r, t) for r, t in pairs) / total,
        "digit_chars": 1 - sum(edit_distance(digits(r), digits(t)) for r, t in pairs) / total_digits,
    }


def read_page(url: str, png: bytes, mode: str) -> str:
    request = urllib.request.Request(f"{url}/api/v1/recognize?mode={mode}", data=png,
                                     headers={"Content-Type": "image/png"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["text"]
    except urllib.error.HTTPError as error:
        return f"<{error.code}>"


def measure(url: str, folder: str, modes=("multi", "page")) -> dict:
    with open(os.path.join(folder, "labels.json")) as f:
        texts = json.load(f)
    results = {}
    for mode in modes:
        pairs = []
        for name, truth in sorted(texts.items()):
            with open(os.path.join(folder, name), "rb") as f:
                pairs.append((read_page(url, f.read(), mode), truth))
        results[mode] = score(pairs)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write synthetic pages and their texts")
    g.add_argument("--out", required=True)
    g.add_argument("--count", type=int, default=300)
    g.add_argument("--touching", action="store_true")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--mnist", default=DEFAULT_MNIST)
    g.add_argument("--scale", type=float, default=1.0, help="line heights times this (36-64 px at 1)")
    g.add_argument("--ruled", action="store_true", help="each line written on a rule across the page")
    c = sub.add_parser("scan", help="write one 1200x800 page of 40 digits (the page benchmark's input)")
    c.add_argument("--out", required=True, help="PNG file to write; its text goes to stdout")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--digits", type=int, default=40)
    c.add_argument("--mnist", default=DEFAULT_MNIST)
    m = sub.add_parser("measure", help="post generated pages to a running server")
    m.add_argument("--url", default="http://127.0.0.1:8080")
    m.add_argument("--modes", default="multi,page", help="comma-separated modes to read each page in")
    m.add_argument("folders", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.out, args.count, args.touching, args.seed, args.mnist, args.scale, args.ruled)
    elif args.command == "scan":
        images, labels = load_validation_digits(args.mnist)
        page, text = compose_scan(np.random.default_rng(args.seed), images, labels, digits=args.digits)
        with open(args.out, "wb") as f:
            f.write(png_grey(page))
        print(text)
    else:
        for folder in args.folders:
            for mode, result in measure(args.url, folder, args.modes.split(",")).items():
                print(f"{folder}\tmode={mode}\tpages={result['pages']}\texact={result['exact']:.1%}"
                      f"\tchars={result['chars']:.2%}\tdigit_chars={result['digit_chars']:.2%}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
