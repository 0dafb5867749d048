"""Fixtures that keep the Swift side in step with this package (formats in docs/model-format.md).

- golden.json: normalized inputs and the float32 logits PyTorch computes in eval mode;
- strokes_parity.json: stroke lists and the rasteriser's output;
- preprocess_parity.json: grey images and their 28x28 result of steps 2-6.
Cases are chosen away from rounding ties (the scaled size within 1e-3 of x.5,
or the centre of mass near a boundary of its 1/1024 snapping grid), so an
implementation in float32 with another summation order cannot legitimately
land on the other side.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

from .datasets import read_idx, read_npy
from .preprocess import BOX, preprocess, scale_glyph, suppress
from .render import render_strokes

TIE = 1e-3


def _r(a) -> list:
    return [round(float(v), 6) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def _dump(obj, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def _near_tie(v: float, tol: float = TIE) -> bool:
    frac = v - math.floor(v)
    return abs(frac - 0.5) < tol


def tie_free(img: np.ndarray) -> bool:
    """True when no rounding in steps 5-6 is within TIE of a half."""
    x = suppress(img)
    ys, xs = np.nonzero(x > 0)
    h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    s = BOX / max(w, h)
    if _near_tie(w * s) or _near_tie(h * s):
        return False
    glyph, _, _ = scale_glyph(x)
    # The raw centre must not sit near a snapping boundary of the 1/1024 grid.
    total = glyph.sum(dtype=np.float64)
    cx = (glyph.sum(0, dtype=np.float64) * (np.arange(glyph.shape[1]) + 0.5)).sum() / total
    cy = (glyph.sum(1, dtype=np.float64) * (np.arange(glyph.shape[0]) + 0.5)).sum() / total
    return not (_near_tie(cx * 1024, 0.02) or _near_tie(cy * 1024, 0.02))


STROKE_CASES = [
    [[[5.0, 5.0]]],                                                     # a lone dot
    [[[10.0, 40.0], [90.0, 40.0]]],                                     # a single straight line
    [[[50, 0], [61, 35], [98, 35], [68, 57], [79, 91], [50, 70]],       # a star in two strokes
     [[50, 70], [21, 91], [32, 57], [2, 35], [39, 35], [50, 0]]],
    [[[0, 0], [30, 0], [12, 45]], [[8, 22], [24, 22]]],                 # a crossed seven
    [[[20 + 15 * math.cos(t / 8), 20 + 18 * math.sin(t / 8)] for t in range(51)]],  # a loop
    [[[3.5, 7.25], [4.0, 30.75], [4.5, 60.0]], [[3.0, 10.0]]],          # a tall stroke and a dot
]


def stroke_fixture() -> list:
    out = []
    for strokes in STROKE_CASES:
        img = render_strokes(strokes)
        out.append({"strokes": [[[float(x), float(y)] for x, y in s] for s in strokes],
                    "width": int(img.shape[1]), "height": int(img.shape[0]), "pixels": _r(img)})
    return out


def preprocess_cases(mnist_dir: str, quickdraw_dir: str) -> list:
    """(description, grey image in [0,1]) pairs covering every input kind the service sees."""
    test = read_idx(os.path.join(mnist_dir, "t10k-images-idx3-ubyte.gz"))
    star = read_npy(os.path.join(quickdraw_dir, "star.npy")).reshape(-1, 28, 28)
    smiley = read_npy(os.path.join(quickdraw_dir, "smiley_face.npy")).reshape(-1, 28, 28)
    pick = lambda arr: next(a.astype(np.float32) / 255 for a in arr[:50] if tie_free(a.astype(np.float32) / 255))
    rng = np.random.default_rng(7)
    paper = 0.92 - 0.8 * pick(test[50:100]) + rng.normal(0, 0.02, (28, 28))
    # A small scan: a digit upscaled 4x (nearest), dark ink on paper with Gaussian grain whose
    # outliers pass the 15 % rule, so the border-spread floor of step 3 decides the crop.
    digit = np.kron(pick(test[300:350]), np.ones((4, 4), np.float32))
    scanned = np.clip(0.88 - 0.7 * digit + rng.normal(0, 0.04, digit.shape), 0, 1).astype(np.float32)
    # The same kind of scan under a shadow that darkens the page by 0.3 towards one corner:
    # step 2b levels the paper before step 3 sets the floor.
    shaded = np.kron(pick(test[500:550]), np.ones((4, 4), np.float32))
    ramp = np.add.outer(np.arange(112), np.arange(112)).astype(np.float32) / 222
    shaded = np.clip(0.9 - 0.3 * ramp - 0.6 * shaded + rng.normal(0, 0.02, shaded.shape), 0, 1)
    # A wide, off-centre box stroke on a 40x24 image: the crop, not the frame, decides the scale.
    box = render_strokes([[[0, 0], [40, 0], [40, 20], [0, 20], [0, 0]]])[::4, ::4]
    wide = np.zeros((24, 40), np.float32)
    wide[3:3 + box.shape[0], 14:14 + box.shape[1]] = box
    cases = [
        ("rendered star strokes", render_strokes(STROKE_CASES[2])),
        ("rendered crossed seven", render_strokes(STROKE_CASES[3])),
        ("rendered lone dot", render_strokes(STROKE_CASES[0])),
        ("MNIST test digit", pick(test[:50])),
        ("MNIST test digit, later sample", pick(test[200:260])),
        ("Quick, Draw! star", pick(star)),
        ("Quick, Draw! smiley", pick(smiley)),
        ("dark ink on light noisy paper", np.clip(paper, 0, 1).astype(np.float32)),
        ("scan: grainy paper, ink 4x upscaled", scanned),
        ("scan under a shadow across the page", shaded.astype(np.float32)),
        ("non-square image (40x24)", wide),
    ]
    return cases


def preprocess_fixture(mnist_dir: str, quickdraw_dir: str) -> list:
    out = []
    for desc, img in preprocess_cases(mnist_dir, quickdraw_dir):
        img = np.asarray(_r(img), dtype=np.float32).reshape(img.shape)  # the stored, rounded input
        if not tie_free(img):
            raise SystemExit(f"fixture case '{desc}' sits on a rounding tie; pick another")
        out.append({"description": desc, "width": int(img.shape[1]), "height": int(img.shape[0]),
                    "pixels": _r(img), "expected": _r(preprocess(img))})
    return out


def golden_fixture(model, manifest: dict, mnist_dir: str, quickdraw_dir: str) -> dict:
    """32 inputs: two per digit, three star, three smiley, three squares and three generated scribbles."""
    import torch

    from .common import preprocess_set
    from .scribbles import generate
    test = read_idx(os.path.join(mnist_dir, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(mnist_dir, "t10k-labels-idx1-ubyte.gz"))
    raw = [test[labels == d][i] for d in range(10) for i in (0, 7)]
    for name in ("star", "smiley_face", "square"):
        arr = read_npy(os.path.join(quickdraw_dir, f"{name}.npy")).reshape(-1, 28, 28)
        raw += [arr[i] for i in (3, 11, 29)]
    x = np.concatenate([preprocess_set(np.stack(raw)), generate(3, seed=4242)[0]])
    norm = manifest["normalization"]
    x = (x - norm["mean"]) / norm["std"]
    x = np.asarray([_r(v) for v in x], dtype=np.float32)
    with torch.no_grad():
        logits = model.eval()(torch.from_numpy(x).view(-1, 1, 28, 28)).numpy()
    return {"model": manifest["name"], "inputs": [list(v) for v in x.tolist()],
            "logits": [_r(v) for v in logits]}


def write_all(model, manifest: dict, tests_root: str, mnist_dir: str, quickdraw_dir: str) -> None:
    paths = {
        "golden": os.path.join(tests_root, "NeuralNetworkTests", "Fixtures", "golden.json"),
        "strokes": os.path.join(tests_root, "ImagingTests", "Fixtures", "strokes_parity.json"),
        "preprocess": os.path.join(tests_root, "PreprocessingTests", "Fixtures", "preprocess_parity.json"),
    }
    golden = golden_fixture(model, manifest, mnist_dir, quickdraw_dir)
    golden["inputs"] = [_r(v) for v in golden["inputs"]]
    _dump(golden, paths["golden"])
    _dump(stroke_fixture(), paths["strokes"])
    _dump(preprocess_fixture(mnist_dir, quickdraw_dir), paths["preprocess"])
    for p in paths.values():
        print(f"wrote {p} ({os.path.getsize(p) // 1024} KB)")
