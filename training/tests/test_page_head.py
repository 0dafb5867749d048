"""The page head: its training pieces, and the combined network that leaves the classes alone."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.model import DEEP_LAYERS, GlyphNet  # noqa: E402
from training.page_head import (EXTENT, NO_DIGIT, ONE, OUTPUTS, PART, SEVERAL, Head,  # noqa: E402
                                combine, cut_pieces, features, page_head_set)


def _digits(n, seed=0):
    """Stand-ins for MNIST digits: a ring or a bar of ink on 28x28, uint8."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, 28, 28), np.uint8)
    yy, xx = np.mgrid[:28, :28]
    for i in range(n):
        if i % 2:
            r = np.hypot(yy - 14, xx - 14)
            out[i][(r > 5) & (r < 8)] = 255
        else:
            out[i][4:24, 12 + rng.integers(-2, 3):16] = 255
    return out, np.array([i % 2 for i in range(n)])


def test_a_cut_digit_names_its_digit_and_keeps_most_of_its_ink(monkeypatch):
    import training.page_head as page_head
    images, labels = _digits(40)
    pieces, digits = cut_pieces(np.random.default_rng(3), images, labels, 60)
    assert 0 < len(pieces) == len(digits) < 60  # some cuts took too much of their digit
    assert set(digits) == {0, 1}
    assert all(piece.max() > 0.4 for piece in pieces)
    monkeypatch.setattr(page_head, "ONE_KEPT", 0.0)
    assert len(cut_pieces(np.random.default_rng(3), images, labels, 60)[0]) == 60
    monkeypatch.setattr(page_head, "ONE_KEPT", 1.01)
    assert cut_pieces(np.random.default_rng(3), images, labels, 60)[0] == []


def test_every_kind_gets_its_extent_and_only_digits_get_a_digit():
    images, labels = _digits(30)
    doodle = np.zeros((5, 28, 28), np.uint8)
    doodle[:, 5:20, 5:20] = 200
    x, extent, digits, source = page_head_set(images, labels, [doodle], seed=1, scale=2000)
    assert x.shape[1:] == (28, 28) and len(x) == len(extent) == len(digits) == len(source)
    assert set(extent[source == "joined"]) == {SEVERAL}
    assert set(extent[source == "fragment"]) <= {PART}
    for kind in ("whole", "cut", "scribble", "doodle"):
        assert set(extent[source == kind]) <= {ONE}
    assert (digits[source == "whole"] == labels).all()
    assert (digits[np.isin(source, ["joined", "fragment", "scribble", "doodle"])] == NO_DIGIT).all()
    assert (digits[source == "cut"] != NO_DIGIT).all()


def test_the_combined_network_gives_the_class_logits_unchanged_and_the_head_after_them():
    torch.manual_seed(0)
    model = GlyphNet(DEEP_LAYERS).eval()
    for m in model.modules():  # BatchNorm statistics away from the identity, so they must be carried
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    x = np.random.default_rng(2).uniform(0, 1, (9, 28, 28)).astype(np.float32)
    feats, classes = features(model, x, 0.1, 0.3)
    head = Head(feats.shape[1], 16)
    for p in head.parameters():
        torch.nn.init.normal_(p, std=0.3)
    head[1].running_mean.uniform_(-0.5, 0.5)
    head[1].running_var.uniform_(0.5, 2.0)
    head.eval()
    combined = combine(model, head)
    _, both = features(combined, x, 0.1, 0.3)
    assert both.shape == (9, 13 + OUTPUTS)
    # Equal but for the order of float sums (a wider matrix product blocks them otherwise).
    assert (both[:, :13] - classes).abs().max() < 1e-6
    with torch.no_grad():
        assert torch.allclose(both[:, 13:], head(feats), atol=1e-5)
    assert OUTPUTS == len(EXTENT) + 10
