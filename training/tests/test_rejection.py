"""The rejection rule and its calibration (numpy only, but the manifest round trip)."""

import json

import numpy as np
import pytest

from training import SCRIBBLE
from training.rejection import calibrate, decide, score


def logits_for(rows):
    return np.array(rows, np.float64)


def test_scores_follow_their_definitions():
    z = np.zeros((1, 13))
    z[0, 3], z[0, SCRIBBLE] = 2.0, 5.0
    p = np.exp(z) / np.exp(z).sum()
    assert score(z, "max_probability")[0] == pytest.approx(p[0, 3])
    assert score(z, "max_logit")[0] == pytest.approx(2.0)
    # Energy over the twelve known logits only: log(e^2 + 11 e^0).
    assert score(z, "energy")[0] == pytest.approx(np.log(np.exp(2) + 11))
    assert score(z, "energy", temperature=2.0)[0] == pytest.approx(2 * np.log(np.exp(1) + 11))
    with pytest.raises(ValueError):
        score(z, "entropy")


def test_only_known_answers_below_the_threshold_are_rejected():
    z = np.zeros((3, 13))
    z[0, 7] = 4.0          # a confident 7
    z[1, 7] = 1.0          # an unsure 7
    z[2, SCRIBBLE] = 0.5   # scribble by the network itself, unsure but never "rejected"
    labels, rejected = decide(z, {"score": "max_logit", "threshold": 2.0})
    assert labels.tolist() == [7, SCRIBBLE, SCRIBBLE] and rejected.tolist() == [False, True, False]
    labels, rejected = decide(z, None)
    assert labels.tolist() == [7, 7, SCRIBBLE] and not rejected.any()


def test_calibration_keeps_known_classes_within_budget_and_rejects_unknowns():
    rng = np.random.default_rng(0)
    known_z = np.zeros((1000, 13))
    y = rng.integers(0, 10, 1000)
    known_z[np.arange(1000), y] = rng.uniform(3, 8, 1000)
    unknown_z = np.zeros((400, 13))
    unknown_z[np.arange(400), rng.integers(0, 12, 400)] = rng.uniform(0, 2.9, 400)
    cats = np.arange(400) % 4
    rule, bias, table = calibrate({"mnist_val": (known_z, y)}, {"unseen": (unknown_z, cats)})
    assert bias == 0.0  # nothing leans towards scribble here, so nothing is moved
    labels, rejected = decide(known_z, rule)
    assert rejected.mean() <= 0.002 and (labels == y).mean() >= 0.998
    assert (decide(unknown_z, rule)[0] == SCRIBBLE).mean() > 0.95
    assert {r["score"] for r in table} == {"max_probability", "max_logit", "energy"}


def test_the_scribble_logit_is_lowered_while_the_unseen_stay_rejected():
    from training.rejection import lowered
    rng = np.random.default_rng(1)
    z = np.zeros((400, 13))
    y = np.full(400, 10)                      # stars
    z[:, 10] = rng.uniform(2, 6, 400)
    z[:20, SCRIBBLE] = z[:20, 10] + 1.02      # 5 % lean towards scribble by 1.02
    unknown = np.zeros((200, 13))
    unknown[:, SCRIBBLE] = rng.uniform(1.5, 3, 200)  # lowering scribble by more than 1.5 loses some
    rule, bias, _ = calibrate({"star_val": (z, y)}, {"unseen": (unknown, np.arange(200) % 5)})
    labels, _ = decide(lowered(z, bias), rule)
    assert (labels == y).mean() >= 0.995  # at most the threshold's budget is lost
    assert (decide(lowered(unknown, bias), rule)[0] == SCRIBBLE).all()
    # The stars need more than 1.02; the first step past it (by 0.05) is enough.
    assert bias == 1.05
    # Unseen drawings that look like a known class as much as the stars do, leaning towards
    # scribble by only 0.3: keeping them rejected now costs the stars instead.
    unknown[:, 3] = rng.uniform(2, 6, 200)
    unknown[:, SCRIBBLE] = unknown[:, 3] + 0.3
    _, bias, _ = calibrate({"star_val": (z, y)}, {"unseen": (unknown, np.arange(200) % 5)})
    assert bias < 0.3


def test_the_threshold_round_trips_through_the_manifest(tmp_path):
    torch = pytest.importorskip("torch")
    from training.export import load_model, write_model
    from training.model import GlyphNet
    rule = {"score": "energy", "threshold": 3.141592653589793, "temperature": 1.0}
    write_model(GlyphNet(), 0.1, 0.3, {"date": "2026-01-02"}, str(tmp_path), rejection=rule)
    manifest = json.loads((tmp_path / "glyphnet.json").read_text())
    assert manifest["rejection"] == rule
    _, loaded = load_model(str(tmp_path))
    z = np.zeros((2, 13))
    z[0, 1], z[1, 1] = 4.0, 1.0  # energy log(e^4 + 11) > π > log(e + 11)
    assert decide(z, loaded["rejection"])[1].tolist() == [False, True]
    assert torch is not None


def test_the_fitted_temperature_undoes_a_known_scaling():
    from training.rejection import fit_temperature
    rng = np.random.default_rng(2)
    true = rng.normal(0, 1, (4000, 13)) * 3
    y = np.array([rng.choice(13, p=np.exp(r) / np.exp(r).sum()) for r in true])  # labels drawn from softmax(true)
    # Logits at half their scale (under-confident, as label smoothing leaves a network): T ≈ 0.5.
    assert abs(fit_temperature({"val": (true * 0.5, y)}) - 0.5) <= 0.05


def test_the_tradeoff_keeps_for_each_floor_the_candidate_that_rejects_most():
    from training.rejection import tradeoff
    table = [
        {"bias": 0.0, "star_val": 0.95, "smiley_val": 0.97, "unseen_strokes": 0.95},
        {"bias": 1.0, "star_val": 0.97, "smiley_val": 0.98, "unseen_strokes": 0.90},
        {"bias": 2.0, "star_val": 0.98, "smiley_val": 0.99, "unseen_strokes": 0.80},
    ]
    rows = tradeoff(table, floors=(0.0, 0.97, 0.98, 0.99))
    assert [(r["floor"], r["bias"]) for r in rows] == [(0.0, 0.0), (0.97, 1.0), (0.98, 2.0)]
