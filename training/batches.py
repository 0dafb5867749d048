"""Balanced batches: the last stage of the data path (sources → rendering → preprocessing → here).

Every class gets its share of each epoch however many images it has. Inside a class made
of groups (the scribble class: categories of several sources) the draws are spread
evenly: first over sources by their weights, then evenly over each source's categories,
then over a category's images, so a few deep categories do not swamp the many thin ones.
"""

from __future__ import annotations

import numpy as np
import torch


class GroupedPool:
    """One class's images with, for each, its source and category: draws are balanced over them."""

    def __init__(self, images: np.ndarray, groups: list[tuple[str, str]], source_weights: dict[str, float]):
        """`groups[i]` is (source, category) of `images[i]`; sources missing from `source_weights` weigh 1."""
        if len(images) != len(groups):
            raise ValueError("one (source, category) per image")
        self.images = images
        keys = sorted(set(groups))
        index = {k: i for i, k in enumerate(keys)}
        gid = np.array([index[g] for g in groups], np.int64)
        self.members = [np.flatnonzero(gid == i) for i in range(len(keys))]
        sources = sorted({s for s, _ in keys})
        total = sum(source_weights.get(s, 1.0) for s in sources)
        per_source = {s: source_weights.get(s, 1.0) / total for s in sources}
        counts = {s: sum(1 for k in keys if k[0] == s) for s in sources}
        # Probability of drawing from each group: its source's share, split evenly over the source's categories.
        self.group_p = np.array([per_source[s] / counts[s] for s, _ in keys])
        self.keys = keys

    def __len__(self) -> int:
        return len(self.images)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`n` image indices: a group by the group probabilities, then an image of it uniformly."""
        g = rng.choice(len(self.members), size=n, p=self.group_p)
        out = np.empty(n, np.int64)
        for i in np.unique(g):
            sel = np.flatnonzero(g == i)
            m = self.members[i]
            out[sel] = m[rng.integers(0, len(m), len(sel))]
        return out


def class_draws(n_classes: int, per_class: int, weights: dict | None = None) -> list:
    """Draws per class per epoch: `per_class` each, times the class's weight if it has one."""
    weights = weights or {}
    return [int(round(per_class * weights.get(c, 1.0))) for c in range(n_classes)]


def balanced_batches(pools: list, draws: list, batch: int, rng: np.random.Generator):
    """Yield (images, labels) batches: `draws[c]` samples from pool c (an array, or a
    GroupedPool drawn evenly over its groups), all classes shuffled together."""
    arrays = [p.images if isinstance(p, GroupedPool) else p for p in pools]
    everything = torch.from_numpy(np.concatenate(arrays))
    starts = np.cumsum([0] + [len(a) for a in arrays[:-1]])
    labels = np.repeat(np.arange(len(pools)), draws)
    picks = np.concatenate([s + (p.draw(n, rng) if isinstance(p, GroupedPool) else rng.integers(0, len(p), n))
                            for s, p, n in zip(starts, pools, draws)])
    order = rng.permutation(len(labels))
    labels, picks = torch.from_numpy(labels[order]), torch.from_numpy(picks[order])
    for i in range(0, len(labels) - batch + 1, batch):
        yield everything[picks[i:i + batch]], labels[i:i + batch]
