"""The synthetic page generator (numpy only): its texts, its data split, touching digits."""

import builtins
import gzip
import json
import os
import zlib

import numpy as np

from training import pages
from training.datasets import split_indices


def test_reads_only_the_validation_split_of_the_training_files(tiny_data, monkeypatch):
    mnist, _ = tiny_data
    opened = []
    real_gzip_open, real_open = gzip.open, builtins.open
    monkeypatch.setattr(gzip, "open", lambda path, *a, **k: opened.append(str(path)) or real_gzip_open(path, *a, **k))
    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: opened.append(str(path)) or real_open(path, *a, **k))
    images, labels = pages.load_validation_digits(mnist)
    assert opened and not any("t10k" in path for path in opened)
    _, held_out = split_indices(60, 6, 0)
    assert len(images) == 6
    assert (labels == held_out % 10).all()  # the fixture's labels are index % 10


def test_a_page_has_lines_of_numbers_and_dark_ink_on_light_paper(tiny_data):
    images, labels = pages.load_validation_digits(tiny_data[0])
    page, text = pages.compose_page(np.random.default_rng(3), images, labels)
    lines = text.split("\n")
    assert 2 <= len(lines) <= 4
    assert all(word.isdigit() and 1 <= len(word) <= 4 for line in lines for word in line.split(" "))
    assert page.dtype == np.uint8 and np.median(page) > 200 and page.min() < 100


def test_a_smaller_scale_writes_the_same_numbers_smaller(tiny_data):
    images, labels = pages.load_validation_digits(tiny_data[0])
    full, text = pages.compose_page(np.random.default_rng(3), images, labels)
    half, half_text = pages.compose_page(np.random.default_rng(3), images, labels, scale=0.5)
    assert half_text == text
    ink_rows = lambda page: int(((page < 128).any(1)).sum())  # noqa: E731
    assert 0.35 * ink_rows(full) < ink_rows(half) < 0.65 * ink_rows(full)


def test_a_ruled_page_has_a_rule_across_it_under_each_line(tiny_data):
    images, labels = pages.load_validation_digits(tiny_data[0])
    plain, text = pages.compose_page(np.random.default_rng(3), images, labels)
    ruled, ruled_text = pages.compose_page(np.random.default_rng(3), images, labels, ruled=True)
    assert ruled_text == text and ruled.shape == plain.shape
    across = (ruled < 200).mean(1) > 0.95  # rows dark from edge to edge
    assert not ((plain < 200).mean(1) > 0.95).any()
    assert across.sum() == pages.RULE_THICKNESS * len(text.split("\n"))


def test_touching_digits_share_ink():
    # Two bars, each 4 px wide: pushed together, their ink must meet.
    images = np.zeros((2, 28, 28), np.uint8)
    images[:, 4:24, 10:14] = 255
    canvas = np.zeros((40, 80), np.float32)
    glyph = pages.resize(pages.ink_crop(images[0]), 20)
    canvas[5:25, 10:10 + glyph.shape[1]] = glyph
    left = 10 + glyph.shape[1] + 6
    shift = pages.touching_shift(canvas, glyph, 5, left)
    assert shift > 6  # it had to move past the 6 px gap
    moved = canvas[5:25, left - shift:left - shift + glyph.shape[1]] > 0.4
    assert (moved & (glyph > 0.4)).any()


def test_same_seed_same_pages(tiny_data, tmp_path):
    for name in ("a", "b"):
        pages.generate(str(tmp_path / name), 3, touching=True, seed=7, mnist_dir=tiny_data[0])
    a, b = (json.load(open(tmp_path / name / "labels.json")) for name in ("a", "b"))
    assert a == b and len(a) == 3
    assert open(tmp_path / "a" / "page-0000.png", "rb").read() == open(tmp_path / "b" / "page-0000.png", "rb").read()


def test_png_is_a_valid_grey_png():
    image = (np.arange(12, dtype=np.uint8) * 20).reshape(3, 4)
    data = pages.png_grey(image)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4:idat], "big")
    raw = zlib.decompress(data[idat + 4:idat + 4 + length])
    rows = [raw[i * 5 + 1:(i + 1) * 5] for i in range(3)]
    assert b"".join(rows) == image.tobytes()


def test_edit_distance_and_scores():
    assert pages.edit_distance("12 34", "1234") == 1
    assert pages.edit_distance("", "abc") == 3
    assert pages.edit_distance("kitten", "sitting") == 3
    result = pages.score([("12 34", "12 34"), ("1234", "12 34")])
    assert result["exact"] == 0.5
    assert abs(result["chars"] - (1 - 1 / 10)) < 1e-9
    assert result["digit_chars"] == 1.0


def test_a_scan_is_1200x800_with_exactly_the_digits_asked_for(tiny_data):
    images, labels = pages.load_validation_digits(tiny_data[0])
    page, text = pages.compose_scan(np.random.default_rng(5), images, labels)
    assert page.shape == (800, 1200) and page.dtype == np.uint8
    lines = text.split("\n")
    assert len(lines) == 4
    assert sum(len(word) for line in lines for word in line.split(" ")) == 40
    assert all(word.isdigit() and 1 <= len(word) <= 4 for line in lines for word in line.split(" "))
    # Dark ink on light paper, in every quarter of the page's height.
    assert np.median(page) > 200
    for quarter in range(4):
        assert page[quarter * 200:(quarter + 1) * 200].min() < 100
