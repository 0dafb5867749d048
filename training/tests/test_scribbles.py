import numpy as np

from training.scribbles import MIN_SINGLE_TURNING, too_simple, total_turning


def test_turning_of_a_line_is_zero_and_of_a_square_is_three_right_angles():
    assert total_turning(np.array([[0, 0], [1, 0], [2, 0], [5, 0]])) == 0.0
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]])
    assert abs(total_turning(square) - 1.5 * np.pi) < 1e-9


def test_turning_ignores_repeated_points_and_direction():
    zig = np.array([[0, 0], [1, 1], [1, 1], [2, 0]])
    assert abs(total_turning(zig) - np.pi / 2) < 1e-9
    assert abs(total_turning(zig[::-1]) - np.pi / 2) < 1e-9


def test_complexity_floor_drops_lone_near_straight_strokes_only():
    line = np.array([[0, 0], [3, 0.2], [6, 0.1]])
    assert too_simple([line])
    assert not too_simple([line, line + 2])  # several strokes: hatching and the like stay
    t = np.linspace(0, 1.2 * MIN_SINGLE_TURNING, 40)
    assert not too_simple([np.stack([np.cos(t), np.sin(t)], 1)])
