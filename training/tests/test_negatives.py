"""Readers of the negative sources and the unseen-category split (numpy only)."""

import numpy as np
import pytest

from training.datasets import DataFormatError
from training.negatives import (categories, read_bitmaps, read_ndjson_drawings, read_stroke3, split_categories,
                                stroke3_to_strokes)


def test_ndjson_drawings_are_lists_of_point_arrays(tiny_negatives):
    drawings = read_ndjson_drawings(f"{tiny_negatives}/strokes/bee.ndjson")
    assert [len(d) for d in drawings] == [2, 3, 4]
    assert all(s.dtype == np.float32 and s.shape == (8, 2) for d in drawings for s in d)


def test_a_line_that_is_not_a_drawing_names_its_file_and_line(tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_text('{"drawing": [[[1, 2], [3, 4]]]}\n{"word": "no drawing"}\n')
    with pytest.raises(DataFormatError, match="bad.ndjson:2"):
        read_ndjson_drawings(str(path))


def test_stroke3_offsets_become_absolute_strokes_split_where_the_pen_lifts():
    rows = np.array([[1, 0, 0], [1, 0, 0], [0, 2, 1], [5, 5, 0], [1, 1, 1]])
    strokes = stroke3_to_strokes(rows)
    assert [s.tolist() for s in strokes] == [[[1, 0], [2, 0], [2, 2]], [[7, 7], [8, 8]]]
    with pytest.raises(DataFormatError):
        stroke3_to_strokes(np.zeros((3, 2)))


def test_stroke3_files_read_by_split_with_a_seeded_subset(tiny_negatives):
    path = f"{tiny_negatives}/symbols/omniglot.npz"
    assert len(read_stroke3(path, "valid")) == 4
    a, b = read_stroke3(path, "train", 5, seed=3), read_stroke3(path, "train", 5, seed=3)
    assert len(a) == 5 and all(np.array_equal(x, y) for da, db in zip(a, b) for x, y in zip(da, db))
    with pytest.raises(DataFormatError):
        read_stroke3(path, "nonesuch")


def test_bitmaps_read_as_28_by_28(tiny_negatives, tmp_path):
    assert read_bitmaps(f"{tiny_negatives}/bitmaps/cat.npy").shape == (20, 28, 28)
    np.save(tmp_path / "wrong.npy", np.zeros((3, 100), np.uint8))
    with pytest.raises(DataFormatError):
        read_bitmaps(str(tmp_path / "wrong.npy"))


def test_category_split_is_disjoint_complete_and_stable(tiny_negatives):
    names = [f"c{i:03d}" for i in range(298)]
    train, held = split_categories(names, 0.2, seed=1)
    assert len(held) == 60 and not set(train) & set(held) and sorted(train + held) == names
    # The same on any machine and in any order of listing; another seed holds out others.
    assert split_categories(list(reversed(names)), 0.2, seed=1) == (train, held)
    assert split_categories(names, 0.2, seed=2)[1] != held
    assert categories(f"{tiny_negatives}/strokes", ".ndjson") == ["ant", "bee", "cow", "dog", "eel"]
