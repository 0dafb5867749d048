import math

import numpy as np
import pytest

from training.render import LINE_WIDTH, MARGIN, StrokeError, render_strokes


def test_constants_follow_the_contract():
    assert abs(float(LINE_WIDTH) - 7.68) < 1e-6
    assert MARGIN == 6


def test_lone_dot_is_a_round_blob():
    img = render_strokes([[(5, 5)]])
    assert img.shape == (13, 13)  # extent 1 → 0 px glyph + 2·6 margin + 1
    # The point maps to (6, 6); pixel (6, 6) has its centre 0.5·√2 px away: full ink.
    assert img[6, 6] == 1.0
    assert img[0, 0] == 0.0
    # The point sits on the corner shared by pixels 5 and 6, so the blob mirrors about 6.0.
    core = img[:12, :12]
    assert np.allclose(core, core.T) and np.allclose(core, core[::-1, ::-1])
    assert not img[12].any() and not img[:, 12].any()


def test_horizontal_line_size_and_profile():
    img = render_strokes([[(10, 40), (90, 40)]])
    assert img.shape == (13, 64 + 13)
    column = img[:, 38]
    # Distance from pixel centre row r+0.5 to the line y = 6: intensity clamp(4.34 − d).
    expected = np.clip(3.84 + 0.5 - np.abs(np.arange(13) + 0.5 - 6), 0, 1)
    assert np.allclose(column, expected, atol=1e-5)


def test_strokes_combine_by_maximum():
    a = render_strokes([[(0, 0), (10, 10)], [(0, 10), (10, 0)]])
    b = render_strokes([[(0, 0), (10, 10)]])
    assert a.max() <= 1.0 and np.all(a >= b - 1e-7)


def test_qd_scale_invariance():
    small = render_strokes([[(0, 0), (3, 4)]])
    large = render_strokes([[(0, 0), (300, 400)]])
    assert small.shape == large.shape and np.allclose(small, large, atol=1e-5)


@pytest.mark.parametrize("strokes", [[], [[(0, math.nan)]], [[(0, 0)]] * 501, [[(i, i) for i in range(10_001)]]])
def test_rejected_inputs(strokes):
    with pytest.raises(StrokeError):
        render_strokes(strokes)
