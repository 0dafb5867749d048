"""The data path and the training run end to end on tiny data (needs PyTorch)."""

import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training import SCRIBBLE  # noqa: E402
from training.batches import GroupedPool, balanced_batches  # noqa: E402
from training.model import GlyphNet  # noqa: E402
from training.negatives import read_ndjson_drawings  # noqa: E402
from training.render import render_strokes  # noqa: E402
from training.rendering import bitmaps_on_canvas, preprocess_images, render, strokes_on_canvas  # noqa: E402


def test_vectorised_rasteriser_equals_the_literal_one(tiny_negatives):
    drawings = [d for c in ("ant", "bee", "cow") for d in read_ndjson_drawings(f"{tiny_negatives}/strokes/{c}.ndjson")]
    drawings.append([np.array([[3.0, 4.0]], np.float32)])  # a dot
    for d in drawings:
        want = render_strokes(d)
        got = render(d, decimate=0)
        assert got.shape == want.shape and np.abs(got - want).max() < 1e-5
        # Skipping points closer than a third of a render pixel moves no pixel far.
        assert np.abs(render(d) - want).mean() < 0.01


def test_canvas_renders_preprocess_like_the_stroke_path(tiny_negatives):
    rng = np.random.default_rng(0)
    d = read_ndjson_drawings(f"{tiny_negatives}/strokes/dog.ndjson")[0]
    canvas = strokes_on_canvas(d, rng)
    assert canvas.shape == (280, 280) and np.median(canvas) == 1.0  # dark ink on white paper
    (a, b), ok = preprocess_images([canvas, render(d)])
    assert ok.all() and np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.6
    bitmap = np.zeros((1, 28, 28), np.uint8)
    bitmap[0, 8:20, 10:14] = 255
    up = bitmaps_on_canvas(bitmap, rng)[0]
    (c, e), ok = preprocess_images([up, bitmap[0].astype(np.float32) / 255])
    assert up.shape == (280, 280) and ok.all() and np.abs(c - e).mean() < 0.05


def test_grouped_pool_spreads_draws_evenly_over_sources_and_categories():
    # Source "a" has one deep category; source "b" two thin ones; "b" weighs three times "a".
    groups = [("a", "deep")] * 90 + [("b", "x")] * 5 + [("b", "y")] * 5
    pool = GroupedPool(np.zeros((100, 28, 28), np.float32), groups, {"a": 1.0, "b": 3.0})
    picks = pool.draw(8000, np.random.default_rng(0))
    share = lambda lo, hi: float(((picks >= lo) & (picks < hi)).mean())
    assert share(0, 90) == pytest.approx(0.25, abs=0.02)
    assert share(90, 95) == pytest.approx(0.375, abs=0.02) and share(95, 100) == pytest.approx(0.375, abs=0.02)
    pools = [np.zeros((3, 28, 28), np.float32), pool]
    ys = torch.cat([y for _, y in balanced_batches(pools, [6, 10], 4, np.random.default_rng(1))])
    assert torch.bincount(ys).tolist() == [6, 10]


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path):
    from training.scribbles import generate
    from training.train import WeightAverage, train_loop
    pools = [generate(6, seed=s)[0] for s in range(3)]

    def run(checkpoint, stop_after=None):
        torch.manual_seed(0)
        m = GlyphNet()
        avg = WeightAverage(m, 0.9)

        def on_epoch(epoch, loss):
            if epoch == stop_after:
                raise KeyboardInterrupt
        try:
            train_loop(m, pools, 0.1, 0.3, epochs=3, per_class=8, batch=4, lr=1e-3, seed=0, label="t",
                       ema=avg, on_epoch=on_epoch, checkpoint=str(checkpoint))
        except KeyboardInterrupt:
            return None
        return avg.model.state_dict()

    straight = run(tmp_path / "a.pt")
    assert run(tmp_path / "b.pt", stop_after=0) is None
    resumed = run(tmp_path / "b.pt")
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


def test_a_quick_run_trains_calibrates_and_writes_a_manifest_with_its_rule(tiny_data, tiny_negatives, tmp_path,
                                                                         capsys):
    from training import evaluate, scans
    from training.train import main
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        os.remove(os.path.join(tiny_data[0], name))  # nothing but evaluate's full run may open them
    out, runs = tmp_path / "out", tmp_path / "run"
    main(["--mnist", tiny_data[0], "--quickdraw", tiny_data[1], "--negatives", tiny_negatives,
          "--out", str(out), "--runs", str(runs), "--quick"])
    manifest = json.loads((out / "glyphnet.json").read_text())
    rule = manifest["rejection"]
    assert rule["score"] in ("max_probability", "max_logit", "energy") and np.isfinite(rule["threshold"])
    meta = torch.load(runs / "glyphnet.pt", weights_only=False)["meta"]
    counts = meta["data_counts"]
    # One of five stroke categories and three of four bitmap categories are unseen, never trained on.
    assert counts["stroke_categories_train"] == 4 and len(counts["stroke_categories_unseen"]) == 1
    assert len(counts["bitmap_categories_unseen"]) == 3 and len(counts["bitmap_categories_train"]) == 1
    assert not set(counts["bitmap_categories_unseen"]) & set(counts["bitmap_categories_train"])
    data = torch.load(runs / "data.pt", weights_only=False)
    sources = {s for s, _ in data.pools[SCRIBBLE].keys}
    assert sources == {"strokes", "canvas", "bitmaps", "symbols", "square", "generated"}
    assert all(c not in counts["stroke_categories_unseen"] for s, c in data.pools[SCRIBBLE].keys if s == "strokes")
    assert set(data.unseen) == {"unseen_strokes", "unseen_canvas", "unseen_bitmaps"}

    capsys.readouterr()
    evaluate.main(["--models", str(out), "--runs", str(runs), "--mnist", tiny_data[0], "--validation-only"])
    printed = capsys.readouterr().out
    assert "- mnist_val:" in printed and "unseen_strokes" in printed and "mnist_test" not in printed
    assert sorted(os.listdir(out)) == ["glyphnet.json", "glyphnet.safetensors"]  # nothing written
    with pytest.raises(FileNotFoundError):  # the full evaluation does need the test set
        evaluate.main(["--models", str(out), "--runs", str(runs), "--mnist", tiny_data[0], "--no-write"])
    scans.main(["--mnist", tiny_data[0], "--quickdraw", tiny_data[1], "--models", str(out), "--validation",
                "--count", "5"])
    assert "(5 MNIST validation digits)" in capsys.readouterr().out
