"""The training data, built once per run: sources → rendering → preprocessing → pools.

Known classes come from MNIST (digits) and Quick, Draw! bitmaps (star, smiley). The
`scribble` class comes from every negative source (negatives.py), each rendered the way
such input reaches the service (rendering.py): stroke drawings through the rasteriser,
bitmaps as uploaded canvas PNGs. With `pieces`, an experiment not in the shipped recipe
(REPORT.md, "What I would do next"), pieces of touching MNIST digits cut as the page reader
cuts them (pieces.py) add wrong cuts to scribble and right ones to their digit, 1s get
flags (flags.py) and drawings of faces a source of their own. Negatives
a short digit model reads confidently as a digit are dropped (a `line` really is a 1). Held-out splits for choosing anything:
MNIST and doodle validation images carved from the training files, and the unseen
categories, which no training image comes from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from multiprocessing import get_context

import numpy as np

from . import SCRIBBLE, SMILEY, STAR
from .batches import GroupedPool
from .common import preprocess_set
from .datasets import load_all
from .flags import flagged_ones
from .pieces import make_pieces
from .negatives import (UNSEEN_BITMAPS, UNSEEN_SHARE, categories, read_bitmaps, read_ndjson_drawings,
                        read_stroke3, split_categories)
from .rendering import augment_strokes, bitmaps_on_canvas, preprocess_images, stroke_glyphs, strokes_on_canvas
from .scribbles import generate

# How much of each negative source goes into training (the recipe; see REPORT.md).
STROKE_VARIANTS = 3          # augmented renders of each training stroke drawing (and one canvas PNG)
BITMAPS_PER_CATEGORY = 700   # canvas-PNG renders of each training bitmap category
SYMBOLS = {"omniglot": 6000, "short_kanji": 2000, "kanji.rdp100": 2000}
GENERATED = 16000            # generated scribble candidates (scribbles.py)
# Share of the scribble class's draws per source; inside a source, categories are even.
SOURCE_WEIGHTS = {"strokes": 0.28, "canvas": 0.17, "bitmaps": 0.2, "symbols": 0.12, "generated": 0.13,
                  "square": 0.1, "pieces": 0.12, "faces": 0.06}
# With `pieces`, drawings of heads and round things with features (strokes and their canvas
# PNGs) form a source of their own, "faces": with seed 1, 15 of these are training categories,
# each then drawn twice as often as another stroke category (0.06 over 15 against 0.45 over
# 238). The first pieces model, with less of every human source, read a skull as a smiley.
FACES = {"The Mona Lisa", "alarm clock", "baseball", "bear", "cat", "clock", "dog", "donut", "frog", "lion",
         "monkey", "mouse", "owl", "panda", "pig", "pizza", "raccoon", "snowman", "soccer ball", "sun",
         "teddy-bear"}
# A human negative goes when the screening models give a digit this much probability;
# a generated one at the lower bar (it has no human meaning to keep).
HUMAN_DIGIT_BAR = 0.9
GENERATED_BAR = 0.35
UNSEEN_BITMAPS_EACH = 300


@dataclass
class TrainingData:
    pools: list                    # 13 entries: arrays for 0-9, star, smiley; a GroupedPool for scribble
    known: list                    # the 12 known classes' arrays (for the screening models)
    splits: dict                   # name → (glyphs, labels): selection splits, every label known
    unseen: dict = field(default_factory=dict)  # name → (glyphs, category index, category names)
    counts: dict = field(default_factory=dict)


def _chunked_strokes(args):
    drawings, seed, variants = args
    return stroke_glyphs(drawings, np.random.default_rng(seed) if seed is not None else None, variants)


def stroke_set(drawings: list, seed: int | None, variants: int = 1, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """`stroke_glyphs` over chunks of 400 drawings, each chunk with its own seed, so the result
    does not depend on how many worker processes render them."""
    chunks = [(drawings[i:i + 400], None if seed is None else seed * 1000 + i // 400, variants)
              for i in range(0, len(drawings), 400)]
    if workers > 1 and len(chunks) > 1:
        with get_context("fork").Pool(workers) as pool:
            parts = pool.map(_chunked_strokes, chunks)
    else:
        parts = [_chunked_strokes(c) for c in chunks]
    glyphs = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, 28, 28), np.float32)
    owners = np.concatenate([p[1] + i * 400 for i, p in enumerate(parts)]) if parts else np.zeros(0, np.int64)
    return glyphs, owners


def canvas_set(images: list) -> np.ndarray:
    glyphs, ok = preprocess_images(images)
    return glyphs[ok]


def load_negatives(folder: str, seed: int) -> dict:
    """Every negative source, split into training and unseen categories (seeded)."""
    sfolder, bfolder = os.path.join(folder, "strokes"), os.path.join(folder, "bitmaps")
    s_train, s_unseen = split_categories(categories(sfolder, ".ndjson"), UNSEEN_SHARE, seed)
    names = categories(bfolder, ".npy")
    b_train, b_unseen = split_categories(names, UNSEEN_BITMAPS / len(names), seed)
    read = lambda c: read_ndjson_drawings(os.path.join(sfolder, f"{c}.ndjson"))
    symbols = os.path.join(folder, "symbols")
    return {
        "strokes_train": {c: read(c) for c in s_train},
        "strokes_unseen": {c: read(c) for c in s_unseen},
        "bitmaps_train": {c: read_bitmaps(os.path.join(bfolder, f"{c}.npy")) for c in b_train},
        "bitmaps_unseen": {c: read_bitmaps(os.path.join(bfolder, f"{c}.npy")) for c in b_unseen},
        "symbols_train": {n: read_stroke3(os.path.join(symbols, f"{n}.npz"), "train", k, seed)
                          for n, k in SYMBOLS.items()},
        "symbols_valid": {n: read_stroke3(os.path.join(symbols, f"{n}.npz"), "valid")
                          for n in ("omniglot", "short_kanji")},
    }


def negative_glyphs(neg: dict, seed: int, quick: bool = False) -> tuple[np.ndarray, list]:
    """Training negatives through their input paths: (glyphs, (source, category) of each)."""
    rng = np.random.default_rng(seed + 400)
    glyphs, groups = [], []
    names = sorted(neg["strokes_train"])
    each = 5 if quick else None
    drawings = [d for c in names for d in neg["strokes_train"][c][:each]]
    cat = [c for c in names for _ in neg["strokes_train"][c][:each]]
    g, owner = stroke_set(drawings, seed + 401, 1 if quick else STROKE_VARIANTS)
    glyphs.append(g)
    groups += [("strokes", cat[i]) for i in owner]
    # The same drawings as canvas PNGs: the page's ink is thinner relative to the drawing than
    # the rasteriser's, and an uploaded drawing arrives that way.
    images = [strokes_on_canvas(augment_strokes(d, rng), rng, dark_on_light=rng.random() < 0.7) for d in drawings]
    g, ok = preprocess_images(images)
    glyphs.append(g[ok])
    groups += [("canvas", c) for c, k in zip(cat, ok) if k]
    for c in sorted(neg["bitmaps_train"]):
        bm = neg["bitmaps_train"][c]
        take = bm[rng.permutation(len(bm))[:100 if quick else BITMAPS_PER_CATEGORY]]
        g = canvas_set(bitmaps_on_canvas(take, rng))
        glyphs.append(g)
        groups += [("bitmaps", c)] * len(g)
    for n in sorted(neg["symbols_train"]):
        d = neg["symbols_train"][n][:300] if quick else neg["symbols_train"][n]
        g, _ = stroke_set(d, seed + 402 + len(n), 1)
        glyphs.append(g)
        groups += [("symbols", n)] * len(g)
    return np.concatenate(glyphs), groups


def unseen_splits(neg: dict, seed: int, quick: bool = False) -> dict:
    """The unseen categories three ways: as stroke lists, as canvas PNGs of the same drawings,
    and held-out bitmap categories as uploaded PNGs. Each: (glyphs, category index, names)."""
    rng = np.random.default_rng(seed + 500)
    names = sorted(neg["strokes_unseen"])
    each = 5 if quick else None
    drawings = [d for c in names for d in neg["strokes_unseen"][c][:each]]
    cat = np.array([i for i, c in enumerate(names) for _ in neg["strokes_unseen"][c][:each]])
    g, owner = stroke_set(drawings, None, 1)
    out = {"unseen_strokes": (g, cat[owner], names)}
    images = [strokes_on_canvas(d, rng, dark_on_light=rng.random() < 0.7) for d in drawings]
    glyphs, ok = preprocess_images(images)
    out["unseen_canvas"] = (glyphs[ok], cat[ok], names)
    bnames = sorted(neg["bitmaps_unseen"])
    parts, bcat = [], []
    for i, c in enumerate(bnames):
        bm = neg["bitmaps_unseen"][c]
        g = canvas_set(bitmaps_on_canvas(bm[rng.permutation(len(bm))[:30 if quick else UNSEEN_BITMAPS_EACH]], rng))
        parts.append(g)
        bcat += [i] * len(g)
    out["unseen_bitmaps"] = (np.concatenate(parts), np.array(bcat), bnames)
    return out


def face_groups(groups: list) -> list:
    """`groups` with every stroke drawing of a FACES category, and its canvas PNG, moved to the
    "faces" source; bitmaps and symbols stay where they are."""
    return [("faces", c) if s in ("strokes", "canvas") and c in FACES else (s, c) for s, c in groups]


def screen(glyphs: np.ndarray, digit_prob, bar: float) -> np.ndarray:
    """Boolean mask of the glyphs to keep: the screening models' top digit probability below `bar`."""
    return digit_prob(glyphs) < bar if len(glyphs) else np.zeros(0, bool)


def build(mnist: str, quickdraw: str, negatives: str, seed: int, digit_prob_of, quick: bool = False,
          pieces: bool = False) -> TrainingData:
    """Everything a run trains and selects on. `digit_prob_of(known_pools)` trains the
    screening models on the known classes and returns a judge whose `digit(glyphs)` is their
    top digit probability and `known(glyphs)` their top known-class probability."""
    raw = load_all(mnist, quickdraw, seed=seed, mnist_val=5000, limit=2000 if quick else None, with_test=False)
    digits = [preprocess_set(raw.train_x[raw.train_y == d]) for d in range(10)]
    star = preprocess_set(raw.doodles_train["star"])
    smiley = preprocess_set(raw.doodles_train["smiley_face"])
    known = digits + [star, smiley]
    judge = digit_prob_of(known)
    # Pieces of touching digits (pieces.py): wrong cuts are scribble, a digit cut out of a pair is that digit.
    empty = np.zeros((0, 28, 28), np.float32)
    made = make_pieces(raw.train_x, raw.train_y, seed, quick) if pieces else {
        "joined": empty, "fragment": empty, "cut": (empty, np.zeros(0, np.int64))}
    joined = made["joined"][made["joined"].max(axis=(1, 2), initial=0) > 0]
    fragments = made["fragment"][screen(made["fragment"], judge.digit, HUMAN_DIGIT_BAR)]
    cut_x, cut_y = made["cut"]
    digits = [np.concatenate([digits[d], cut_x[cut_y == d]]) for d in range(10)]
    # And 1s written with a flag (flags.py): the shipped model reads 3 of the 15 flagged "1"
    # templates as 7, the second pieces model 5.
    flagged = preprocess_set(flagged_ones(raw.train_x, raw.train_y, seed, quick)) if pieces else empty
    digits[1] = np.concatenate([digits[1], flagged])

    neg = load_negatives(negatives, seed)
    neg_x, neg_groups = negative_glyphs(neg, seed, quick)
    keep = screen(neg_x, judge.digit, HUMAN_DIGIT_BAR)
    square = preprocess_set(raw.doodles_train["square"])  # human squares stay whole, as before
    cands, _ = generate(1000 if quick else GENERATED, seed=seed + 100)
    gen_keep = cands[judge.known(cands) < GENERATED_BAR]
    vcands, _ = generate(300 if quick else 3000, seed=seed + 200)
    gen_val = vcands[judge.known(vcands) < GENERATED_BAR]

    dropped = {}
    for g, k in zip(neg_groups, keep):
        if not k:
            dropped[f"{g[0]}/{g[1]}"] = dropped.get(f"{g[0]}/{g[1]}", 0) + 1
    scribble_x = np.concatenate([neg_x[keep], square, gen_keep, joined, fragments])
    if pieces:
        neg_groups = face_groups(neg_groups)
    scribble_groups = ([g for g, k in zip(neg_groups, keep) if k] + [("square", "square")] * len(square)
                       + [("generated", "generated")] * len(gen_keep)
                       + [("pieces", "joined")] * len(joined) + [("pieces", "fragment")] * len(fragments))
    scribble = GroupedPool(scribble_x, scribble_groups, SOURCE_WEIGHTS)

    d = raw.doodles_val
    symbols_val = np.concatenate([stroke_set(v[:50] if quick else v, None, 1)[0]
                                  for _, v in sorted(neg["symbols_valid"].items())])
    splits = {
        "mnist_val": (preprocess_set(raw.val_x), raw.val_y),
        "star_val": (preprocess_set(d["star"]), np.full(len(d["star"]), STAR)),
        "smiley_val": (preprocess_set(d["smiley_face"]), np.full(len(d["smiley_face"]), SMILEY)),
        "square_val": (preprocess_set(d["square"]), np.full(len(d["square"]), SCRIBBLE)),
        "scribble_val": (gen_val, np.full(len(gen_val), SCRIBBLE)),
        "symbols_val": (symbols_val, np.full(len(symbols_val), SCRIBBLE)),
    }
    counts = {
        "mnist_train": int(len(raw.train_x)), "mnist_val": int(len(raw.val_x)),
        "star_train": int(len(star)), "smiley_train": int(len(smiley)),
        "negatives_rendered": int(len(neg_x)), "negatives_kept": int(keep.sum()),
        "negatives_dropped_by_category": dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
        "pieces_joined": int(len(joined)), "pieces_fragments_kept": int(len(fragments)),
        "pieces_fragments": int(len(made["fragment"])), "pieces_cut_digits": int(len(cut_y)),
        "flagged_ones": int(len(flagged)),
        "square_train": int(len(square)), "generated_kept": int(len(gen_keep)), "generated_candidates": int(len(cands)),
        "stroke_categories_train": len(neg["strokes_train"]), "stroke_categories_unseen": sorted(neg["strokes_unseen"]),
        "bitmap_categories_train": sorted(neg["bitmaps_train"]), "bitmap_categories_unseen": sorted(neg["bitmaps_unseen"]),
    }
    return TrainingData(digits + [star, smiley, scribble], known, splits, unseen_splits(neg, seed, quick), counts)
