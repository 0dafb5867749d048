"""Everything that needs PyTorch: batched preprocessing, augmentation, the model and its export."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.augment import augment  # noqa: E402
from training.export import read_safetensors, write_safetensors  # noqa: E402
from training.model import GlyphNet, count_parameters, flops_per_glyph, manifest_layers  # noqa: E402
from training.preprocess import EmptyImage, preprocess  # noqa: E402
from training.preprocess_torch import preprocess_batch  # noqa: E402
from training.render import render_strokes  # noqa: E402
from training.scribbles import generate  # noqa: E402


def _batch(rng, n):
    out = []
    for _ in range(n):
        img = np.zeros((28, 28), np.float32)
        y, x = rng.integers(0, 20, 2)
        h, w = rng.integers(1, 9, 2)
        img[y:y + h, x:x + w] = rng.uniform(0.3, 1.0)
        if rng.random() < 0.3:
            img = 1 - img
        out.append(img)
    return np.stack(out)


def test_batched_preprocessing_equals_the_reference():
    imgs = _batch(np.random.default_rng(0), 64)
    got, valid = preprocess_batch(torch.from_numpy(imgs))
    assert bool(valid.all())
    want = np.stack([preprocess(i) for i in imgs])
    assert np.abs(got.numpy() - want).max() < 1e-5


def test_batched_preprocessing_equals_the_reference_on_noisy_scans():
    rng = np.random.default_rng(4)
    imgs = []
    for noise in (0.0, 0.01, 0.03, 0.05, 0.08) * 4:
        img = rng.uniform(0.75, 0.95) + rng.normal(0, noise, (56, 56))
        y, x = rng.integers(5, 30, 2)
        img[y:y + 20, x:x + 6] = rng.uniform(0.05, 0.4)
        imgs.append(np.clip(img, 0, 1).astype(np.float32))
    imgs = np.stack(imgs)
    got, valid = preprocess_batch(torch.from_numpy(imgs))
    assert bool(valid.all())
    want = np.stack([preprocess(i) for i in imgs])
    assert np.abs(got.numpy() - want).max() < 1e-5


def test_batched_preprocessing_flags_empty_images():
    imgs = np.zeros((2, 28, 28), np.float32)
    imgs[1, 5:9, 5:9] = 1
    with pytest.raises(EmptyImage):
        preprocess(imgs[0])
    out, valid = preprocess_batch(torch.from_numpy(imgs))
    assert valid.tolist() == [False, True] and float(out[0].abs().sum()) == 0


def test_augment_shapes_and_range():
    imgs = torch.from_numpy(np.stack([preprocess(render_strokes([[(0, 0), (10, 0), (3, 12)]]))] * 16))
    out = augment(imgs, torch.Generator().manual_seed(0))
    assert out.shape == (16, 28, 28)
    assert float(out.min()) >= 0 and float(out.max()) <= 1 + 1e-5
    assert all(float(o.sum()) > 0 for o in out)
    assert not torch.allclose(out[0], out[1])  # random per sample


def test_augment_is_deterministic_for_a_seed():
    imgs = torch.from_numpy(generate(8, seed=1)[0])
    a = augment(imgs, torch.Generator().manual_seed(5))
    b = augment(imgs, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_model_budget_and_manifest():
    m = GlyphNet().eval()
    assert count_parameters(m) <= 1_500_000
    assert flops_per_glyph() <= 15_000_000
    assert m(torch.zeros(3, 1, 28, 28)).shape == (3, 13)
    layers = manifest_layers()
    assert layers[-1]["type"] == "linear" and layers[-1]["out_features"] == 13
    tensor_keys = ("weight", "bias", "running_mean", "running_var")
    names = {t for layer in layers for k, t in layer.items() if k in tensor_keys and t}
    assert names == set(m.named_state())


def test_safetensors_round_trip_gives_the_same_logits(tmp_path):
    torch.manual_seed(0)
    m = GlyphNet()
    with torch.no_grad():  # non-trivial BatchNorm statistics
        for mod in m.modules():
            if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
    m.eval()
    path = tmp_path / "m.safetensors"
    write_safetensors(m.named_state(), str(path))
    back = GlyphNet()
    back.load_named_state(read_safetensors(str(path)))
    back.eval()
    x = torch.randn(5, 1, 28, 28)
    assert torch.equal(m(x), back(x))
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    assert (8 + n) % 8 == 0 and b'"F32"' in raw[8:8 + n]


def test_safetensors_file_reads_with_the_reference_library(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    m = GlyphNet()
    path = tmp_path / "m.safetensors"
    write_safetensors(m.named_state(), str(path), {"format": "pt"})
    loaded = st.load_file(str(path))
    assert set(loaded) == set(m.named_state())
    assert all(torch.equal(loaded[k], v) for k, v in m.named_state().items())


def test_light_share_of_augmentation_distorts_less():
    from training.augment import AugmentConfig
    img = preprocess(render_strokes([[(0, 0), (10, 0), (3, 12)]]))
    imgs = torch.from_numpy(np.stack([img] * 16))
    base = torch.from_numpy(img)
    heavy = augment(imgs, torch.Generator().manual_seed(2), AugmentConfig(p_light=0.0, p_crisp=0, p_paper=0))
    light = augment(imgs, torch.Generator().manual_seed(2),
                    AugmentConfig(p_light=1.0, light_strength=0.0, p_crisp=0, p_paper=0))
    dist = lambda out: float((out - base).abs().mean())
    assert dist(light) < dist(heavy)


def test_class_draws_weight_the_named_classes():
    from training.train import balanced_batches, class_draws
    draws = class_draws(3, 10, {2: 1.5})
    assert draws == [10, 10, 15]
    pools = [np.full((4, 28, 28), c, np.float32) for c in range(3)]
    ys = torch.cat([y for _, y in balanced_batches(pools, draws, 5, np.random.default_rng(0))])
    assert torch.bincount(ys).tolist() == [10, 10, 15]


def test_a_manifest_of_another_shape_reloads(tmp_path):
    from training.export import load_model, write_model
    from training.model import LAYERS, layers_from_manifest
    assert layers_from_manifest(manifest_layers()) == LAYERS
    narrow = [(k, {**o, "cout": 48} if o.get("name") == "conv2" else
               {**o, "n": 48} if o.get("name") == "bn2" else
               {**o, "cin": 48} if o.get("name") == "conv3" else o) for k, o in LAYERS]
    torch.manual_seed(1)
    m = GlyphNet(narrow).eval()
    write_model(m, 0.1, 0.3, {}, str(tmp_path))
    back, manifest = load_model(str(tmp_path))
    assert manifest["layers"][4]["out_channels"] == 48
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(back(x), m(x))


def _conv_flops_by_hooks(m: torch.nn.Module) -> int:
    """Multiply-adds x2 of every convolution, from the output shapes of a real forward pass."""
    total = []

    def hook(mod, inp, out):
        total.append(2 * mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1] * out[0].numel())

    for mod in m.modules():
        if isinstance(mod, torch.nn.Conv2d):
            mod.register_forward_hook(hook)
    m.eval()(torch.zeros(1, 1, 28, 28))
    return sum(total)


@pytest.mark.parametrize("arch", ["glyphnet", "deep", "wide", "deepflat"])
def test_every_architecture_keeps_the_budget_and_the_engine_panels(arch):
    from training.model import ARCHITECTURES
    layers = ARCHITECTURES[arch]
    m = GlyphNet(layers).eval()
    assert count_parameters(m) <= 1_500_000
    assert flops_per_glyph(layers) <= 15_000_000
    assert m(torch.zeros(3, 1, 28, 28)).shape == (3, 13)
    assert all(o["cout"] % 32 == 0 for kind, o in layers if kind == "conv2d")
    # The count follows each convolution's padding (an unpadded 3x3 shrinks the map).
    conv = sum(2 * o["cin"] * o["k"] ** 2 * o["cout"] for kind, o in layers if kind == "conv2d")
    assert conv > 0 and flops_per_glyph(layers) >= _conv_flops_by_hooks(m)
    names = {t for layer in manifest_layers(layers) for k, t in layer.items()
             if k in ("weight", "bias", "running_mean", "running_var") and t}
    assert names == set(m.named_state())


def test_flop_count_of_an_unpadded_convolution():
    layers = [("conv2d", dict(name="c", cin=1, cout=32, k=3, pad=0, bias=False))]
    assert flops_per_glyph(layers) == 2 * 9 * 32 * 26 * 26 == _conv_flops_by_hooks(GlyphNet(layers))


@pytest.mark.parametrize("arch, last_conv", [("deep", 96), ("wide", 128), ("deepflat", 96)])
def test_unpadded_architectures_round_trip_through_the_manifest(tmp_path, arch, last_conv):
    from training.export import load_model, write_model
    from training.model import ARCHITECTURES, layers_from_manifest
    layers = ARCHITECTURES[arch]
    assert layers_from_manifest(manifest_layers(layers)) == layers
    torch.manual_seed(2)
    m = GlyphNet(layers)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
    m.eval()
    write_model(m, 0.1, 0.3, {}, str(tmp_path))
    back, manifest = load_model(str(tmp_path))
    conv4 = [e for e in manifest["layers"] if e.get("name") == "conv4"][0]
    assert conv4["padding"] == [0, 0] and conv4["out_channels"] == last_conv
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(back(x), m(x))


def test_dropout_override_changes_only_dropout():
    from training.model import LAYERS, with_dropout
    out = with_dropout(LAYERS, 0.1)
    assert [k for k, _ in out] == [k for k, _ in LAYERS]
    assert all(o["p"] == 0.1 for k, o in out if k == "dropout")
    assert all(o == p for (k, o), (_, p) in zip(out, LAYERS) if k != "dropout")


def test_clean_share_has_no_geometric_distortion():
    from training.augment import AugmentConfig, _affine
    imgs = torch.from_numpy(generate(8, seed=3)[0])
    # The clean share draws the same random numbers as a light share of strength 0.
    clean = augment(imgs, torch.Generator().manual_seed(4), AugmentConfig(p_clean=1.0))
    zero = augment(imgs, torch.Generator().manual_seed(4), AugmentConfig(p_light=1.0, light_strength=0.0))
    assert torch.equal(clean, zero)
    theta = _affine(8, AugmentConfig(), torch.Generator().manual_seed(0), torch.zeros(8))
    assert torch.allclose(theta[:, :, :2], torch.eye(2).expand(8, 2, 2) * (32 / 28))
    # With the default config (no clean share) nothing changes for a given seed.
    a = augment(imgs, torch.Generator().manual_seed(4), AugmentConfig(p_light=0.5))
    b = augment(imgs, torch.Generator().manual_seed(4), AugmentConfig(p_light=0.5, p_clean=0.0))
    assert torch.equal(a, b)


def test_weight_average_moves_by_one_minus_decay():
    from training.train import WeightAverage
    torch.manual_seed(3)
    m = GlyphNet()
    avg = WeightAverage(m, 0.9)
    avg.updates = 1000  # past the warm-up cap, so the decay is exactly 0.9
    before = {k: v.clone() for k, v in avg.model.state_dict().items()}
    with torch.no_grad():
        for p in m.parameters():
            p.add_(1.0)
        m[1].running_mean.add_(2.0)
        m[1].num_batches_tracked.fill_(7)
    avg.update(m)
    live = m.state_dict()
    for k, v in avg.model.state_dict().items():
        if v.dtype.is_floating_point:
            assert torch.allclose(v, 0.9 * before[k] + 0.1 * live[k], atol=1e-6), k
        else:
            assert torch.equal(v, live[k]), k
    assert not any(p.requires_grad for p in avg.model.parameters())
    # Early updates are capped: the first one moves most of the way to the live weights.
    fresh = WeightAverage(GlyphNet(), 0.999)
    w0 = fresh.model[0].weight.clone()
    fresh.update(m)
    assert torch.allclose(fresh.model[0].weight, (2 / 11) * w0 + (9 / 11) * m[0].weight, atol=1e-6)


def test_train_loop_with_mild_weights_and_weight_average():
    from training.train import WeightAverage, train_loop
    from training.augment import AugmentConfig
    pools = [generate(6, seed=s)[0] for s in range(3)]
    m = GlyphNet()
    avg = WeightAverage(m, 0.99)
    seen = []
    train_loop(m, pools, 0.1, 0.3, epochs=2, per_class=8, batch=4, lr=1e-3, seed=0, label="t",
               on_epoch=lambda e, loss: seen.append(avg.updates), weights={2: 1.0},
               last_cfg=AugmentConfig(), last_epochs=1, last_weights={2: 0.5}, ema=avg)
    # epoch 1: 8 + 8 + 8 = 24 samples = 6 batches; epoch 2 (scribble-like class halved): 20 = 5 batches
    assert seen == [6, 11]
    assert not torch.equal(avg.model[0].weight, m[0].weight)


def test_untouched_clean_share_skips_thickness_and_tone():
    from training.augment import AugmentConfig
    imgs = torch.from_numpy(generate(8, seed=5)[0])
    run = lambda **kw: augment(imgs, torch.Generator().manual_seed(6), AugmentConfig(p_clean=1.0, **kw))
    # Tone settings cannot matter when the whole batch is the untouched clean share ...
    assert torch.equal(run(clean_untouched=True, p_crisp=1.0, p_paper=0.0),
                       run(clean_untouched=True, p_crisp=0.0, p_paper=1.0))
    # ... and the untouched share is the (already preprocessed) source itself.
    assert torch.equal(run(clean_untouched=True), imgs.float())
    # Tone does matter for the ordinary clean share, which keeps thickness and tone changes.
    assert not torch.equal(run(p_crisp=1.0, p_paper=0.0), run(p_crisp=0.0, p_paper=1.0))


def test_thickness_mix_dilate_two_gives_back_the_round_trips_lost_ink():
    from training.stroke_weight import ink_ratios
    from training.train import parse_args
    # Strokes as the service renders them, a few pixels wide, preprocessed like the pools.
    strokes = [[(0, 0), (10, 0), (3, 12)], [(5, 0), (5, 14)], [(0, 0), (8, 8), (0, 16)]]
    imgs = torch.from_numpy(np.stack([preprocess(render_strokes([s])) for s in strokes] * 4))
    erode, keep, dilate2, dilate3, dilate5 = (float(ink_ratios(imgs, c).median()) for c in range(5))
    # Keeping the canvas image loses ink; the 2x2 dilation is the step between it and 3x3.
    assert erode < keep < 0.95 < dilate2 < 1.1 < dilate3 < dilate5
    assert parse_args(["--thickness", "0.1,0.2,0.3,0.3,0.1"]).thickness == (0.1, 0.2, 0.3, 0.3, 0.1)
    with pytest.raises(SystemExit):
        parse_args(["--thickness", "0.5,0.5,0.5,0,0"])


def test_default_thickness_mix_draws_as_the_four_way_mix_did():
    # Runs before the 2x2 choice existed stay reproducible: a zero-probability category
    # leaves torch's draws for the others unchanged.
    a = torch.multinomial(torch.tensor([0.2, 0.4, 0.3, 0.1]), 500, replacement=True,
                          generator=torch.Generator().manual_seed(7))
    from training.augment import AugmentConfig
    b = torch.multinomial(torch.tensor(AugmentConfig.thickness), 500, replacement=True,
                          generator=torch.Generator().manual_seed(7))
    assert torch.equal(torch.where(a >= 2, a + 1, a), b)


def test_soup_averages_floats_and_keeps_only_ingredients_that_do_not_hurt():
    from training.soup import average, greedy_soup
    a = {"w": torch.tensor([0.8, 2.0]), "n": torch.tensor(5)}
    b = {"w": torch.tensor([1.2, 4.0]), "n": torch.tensor(9)}
    mean = average([a, b])
    assert torch.allclose(mean["w"], torch.tensor([1.0, 3.0])) and int(mean["n"]) == 5
    # Score: closeness of w[0] to 1. Alone: a -0.2, b -0.2, c -2 (ranked a, b, c).
    c = {"w": torch.tensor([3.0, 0.0]), "n": torch.tensor(1)}
    score = lambda s: -abs(float(s["w"][0]) - 1.0)
    kept, best, own = greedy_soup([("c", c), ("a", a), ("b", b)], score)
    # a+b averages to 1.0 (kept); a+b+c to 1.67 (worse: dropped).
    assert kept == ["a", "b"] and abs(best) < 1e-6
    assert own == {"c": -2.0, "a": score(a), "b": score(b)}


def test_ensemble_probabilities_come_from_the_checkpoint(tmp_path):
    from training.common import load_checkpoint, predict
    from training.ensemble import probabilities
    from training.model import GlyphNet
    torch.manual_seed(0)
    model = GlyphNet()
    model.eval()
    torch.save({"state": model.state_dict(), "mean": 0.1, "std": 0.3, "layers": model.layers},
               tmp_path / "glyphnet.pt")
    x = np.random.default_rng(0).random((5, 28, 28)).astype(np.float32)
    got = probabilities(load_checkpoint(str(tmp_path)), {"s": (x, np.zeros(5, np.int64))})["s"]
    z = predict(model, x, 0.1, 0.3)
    assert np.allclose(got.sum(1), 1, atol=1e-5)
    assert (got.argmax(1) == z.argmax(1)).all() and not np.allclose(got[0], got[0].mean())


@pytest.mark.parametrize("threshold, kept", [(1.01, 6), (1 / 12, 0)])
def test_rescreen_keeps_what_the_filters_pass_and_rewrites_only_the_training_cache(tmp_path, threshold, kept):
    from types import SimpleNamespace

    from training.train import rescreen_scribbles
    rng = np.random.default_rng(0)
    pools12 = [rng.integers(0, 255, (8, 28, 28), dtype=np.uint8) for _ in range(12)]
    train = rng.random((6, 28, 28), dtype=np.float32)
    val = rng.random((3, 28, 28), dtype=np.float32)
    a = SimpleNamespace(filter_models=1, filter_batches=300, rescreen_batches=2, batch=12, lr=1e-3, seed=1,
                        filter_threshold=threshold, runs=str(tmp_path))
    out = rescreen_scribbles(a, pools12, 0.5, 0.3, train, val)
    # The top of 12 probabilities is always at least 1/12 and never above 1.
    assert len(out) == kept
    cache = np.load(tmp_path / "scribbles.npz")
    assert np.array_equal(cache["train"], out) and np.array_equal(cache["val"], val)
    assert int(cache["rescreen_batches"]) == 2


@pytest.mark.parametrize("option", ["--rescreen-batches", "--extra-scribbles"])
def test_cache_options_need_a_cache(option):
    from training.train import parse_args
    with pytest.raises(SystemExit):
        parse_args([option, "5"])
    assert getattr(parse_args([option, "5", "--reuse-scribbles"]), option[2:].replace("-", "_")) == 5


@pytest.mark.parametrize("name, kind", [("adamw", torch.optim.AdamW), ("sgd", torch.optim.SGD)])
def test_optimizer_choice_and_decay_reach_the_optimizer(name, kind):
    from training.train import make_optimizer, parse_args
    a = parse_args(["--optimizer", name, "--weight-decay", "0.02", "--lr", "0.05"])
    opt = make_optimizer(GlyphNet(), a.optimizer, a.lr, a.weight_decay)
    assert type(opt) is kind
    group = opt.param_groups[0]
    assert group["weight_decay"] == 0.02 and group["lr"] == 0.05
    if name == "sgd":
        assert group["nesterov"] and group["momentum"] == 0.9


def test_default_optimizer_is_the_one_earlier_runs_used():
    from training.train import parse_args
    a = parse_args([])
    assert (a.optimizer, a.weight_decay) == ("adamw", 1e-4)


def test_a_run_on_all_training_digits_keeps_its_last_epoch_and_records_it(tiny_data, tmp_path):
    import json
    from training.train import main
    out = tmp_path / "out"
    main(["--mnist", tiny_data[0], "--quickdraw", tiny_data[1], "--out", str(out), "--runs", str(tmp_path / "run"),
          "--mnist-val", "0", "--select", "last", "--epochs", "2", "--per-class", "4", "--batch", "8",
          "--scribbles", "40", "--scribbles-val", "20", "--filter-batches", "1", "--filter-threshold", "1.01",
          "--mild-last", "1", "--threads", "1", "--limit", "40"])
    record = torch.load(tmp_path / "run" / "glyphnet.pt", weights_only=False)["meta"]
    assert record["best_epoch"] == 2 and record["selection"] == "last"
    assert record["mnist_validation"] == 0 and "mnist_val" not in record["validation"]
    assert record["data"][0].startswith("MNIST train 40 (validation 0 held out)")
    manifest = json.loads((out / "glyphnet.json").read_text())
    assert manifest["training"]["mnist_validation"] == 0 and manifest["training"]["selection"] == "last"


def test_a_fine_tune_keeps_its_parents_validation_digits_held_back(tmp_path):
    from training.train import main
    parent = tmp_path / "parent.pt"
    torch.save({"meta": {"seed": 1}}, parent)  # a run from before --mnist-val: 5,000 held back
    with pytest.raises(SystemExit, match="--mnist-val 5000"):
        main(["--init", str(parent), "--mnist-val", "0", "--runs", str(tmp_path / "run")])


def test_without_held_back_digits_there_is_no_mnist_validation_split(tiny_data):
    from training.common import eval_splits, mnist_val_size
    from training.datasets import load_all
    raw = load_all(*tiny_data, seed=0, mnist_val=0, doodle_val=5)
    assert len(raw.train_x) == 60
    splits = eval_splits(raw, np.zeros((3, 28, 28), np.float32))
    assert set(splits) == {"star_val", "smiley_val", "square_val", "scribble_val"}
    assert mnist_val_size({}) == 5000 and mnist_val_size({"mnist_validation": 0}) == 0


def test_scribbles_only_writes_the_cache_and_trains_nothing(tiny_data, tmp_path):
    from training.common import load_scribbles
    from training.train import main, parse_args
    run = tmp_path / "run"
    main(["--mnist", tiny_data[0], "--quickdraw", tiny_data[1], "--runs", str(run), "--limit", "40",
          "--scribbles", "30", "--scribbles-val", "10", "--filter-batches", "1", "--filter-threshold", "1.01",
          "--threads", "1", "--batch", "8", "--scribbles-only"])
    train, val, rescreened = load_scribbles(str(run))
    assert (len(train), len(val), rescreened) == (30, 10, 0)  # a threshold above 1 keeps every candidate
    assert sorted(p.name for p in run.iterdir()) == ["scribbles.npz"]  # and no model was trained
    with pytest.raises(SystemExit):
        parse_args(["--scribbles-only", "--reuse-scribbles"])


def test_model_version_names_the_exact_weights(tmp_path):
    from training.export import write_model
    m = GlyphNet()
    meta = {"date": "2026-01-02"}
    first = write_model(m, 0.1, 0.3, meta, str(tmp_path / "a"))["version"]
    again = write_model(m, 0.1, 0.3, meta, str(tmp_path / "b"))["version"]
    with torch.no_grad():
        m[0].weight.add_(1e-3)
    changed = write_model(m, 0.1, 0.3, meta, str(tmp_path / "c"))["version"]
    assert first == again and first.startswith("2026-01-02-") and len(first) == len("2026-01-02-") + 8
    assert changed != first


def test_a_run_can_validate_on_another_runs_generated_scribbles(tiny_data, tmp_path):
    from training.train import main
    common = ["--mnist", tiny_data[0], "--quickdraw", tiny_data[1], "--limit", "40", "--filter-batches", "1",
              "--filter-threshold", "1.01", "--threads", "1", "--batch", "8"]
    main(common + ["--runs", str(tmp_path / "own"), "--scribbles", "30", "--scribbles-val", "10", "--scribbles-only"])
    main(common + ["--runs", str(tmp_path / "strict"), "--scribbles", "5", "--scribbles-val", "17",
                   "--scribbles-only"])
    main(common + ["--runs", str(tmp_path / "own"), "--out", str(tmp_path / "out"), "--reuse-scribbles",
                   "--val-scribbles", str(tmp_path / "strict"), "--epochs", "1", "--per-class", "4",
                   "--mild-last", "0"])
    record = torch.load(tmp_path / "own" / "glyphnet.pt", weights_only=False)["meta"]
    assert record["validation_scribbles"] == "strict"
    assert record["data"][2].endswith("+ generated strokes 30 (validation 4 squares + 17 generated)")


def test_uniform_soup_averages_the_parent_and_every_fine_tune(tiny_data, tmp_path):
    import json
    from training import soup
    from training.common import load_checkpoint
    from training.train import main
    common = ["--mnist", tiny_data[0], "--quickdraw", tiny_data[1], "--limit", "40", "--filter-batches", "1",
              "--filter-threshold", "1.01", "--threads", "1", "--batch", "8", "--scribbles", "20",
              "--scribbles-val", "10", "--epochs", "1", "--per-class", "4", "--mild-last", "0"]
    parent = tmp_path / "parent"
    main(common + ["--runs", str(parent), "--out", str(parent)])
    tunes = []
    for seed in (2, 3):
        tune = tmp_path / f"tune{seed}"
        tune.mkdir()
        (tune / "scribbles.npz").write_bytes((parent / "scribbles.npz").read_bytes())
        main(common + ["--runs", str(tune), "--out", str(tune), "--reuse-scribbles", "--mild",
                       "--init", str(parent / "glyphnet.pt"), "--batch-seed", str(seed)])
        tunes.append(str(tune))
    out = tmp_path / "soup"
    soup.main(["--parent", str(parent), "--finetunes", *tunes, "--runs", str(parent), "--uniform",
               "--mnist", tiny_data[0], "--quickdraw", tiny_data[1], "--out", str(out),
               "--checkpoint", str(out / "glyphnet.pt")])
    states = [load_checkpoint(f)["state"] for f in [str(parent)] + tunes]
    averaged = load_checkpoint(str(out))["state"]
    key = next(k for k, v in averaged.items() if v.dtype.is_floating_point)
    assert torch.allclose(averaged[key], torch.stack([s[key] for s in states]).mean(0))
    record = json.loads((out / "glyphnet.json").read_text())["training"]["soup"]
    assert record["choice"] == "uniform" and record["ingredients"] == ["parent", "tune2", "tune3"]


def test_training_and_validation_only_evaluation_and_scans_never_open_the_test_set(tiny_data, tmp_path, capsys):
    import os
    from training import evaluate
    from training.train import main
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        os.remove(os.path.join(tiny_data[0], name))
    data = ["--mnist", tiny_data[0], "--quickdraw", tiny_data[1]]
    runs, out = str(tmp_path / "runs"), str(tmp_path / "out")
    main(data + ["--limit", "40", "--filter-batches", "1", "--filter-threshold", "1.01", "--threads", "1",
                 "--batch", "8", "--scribbles", "20", "--scribbles-val", "10", "--epochs", "1",
                 "--per-class", "4", "--mild-last", "0", "--runs", runs, "--out", out])
    capsys.readouterr()
    evaluate.main(data + ["--models", out, "--runs", runs, "--validation-only"])
    printed = capsys.readouterr().out
    assert "- mnist_val (" in printed and "- scribble_all_val (" in printed
    assert "mnist_test" not in printed and "canvas" not in printed
    assert sorted(os.listdir(out)) == ["glyphnet.json", "glyphnet.safetensors"]  # nothing written
    with pytest.raises(FileNotFoundError):  # the full evaluation does need the test set
        evaluate.main(data + ["--models", out, "--runs", runs, "--no-write"])
    from training import scans
    scans.main(data + ["--models", out, "--validation", "--count", "10"])
    printed = capsys.readouterr().out
    assert "(10 MNIST validation digits)" in printed and "| grain 0.02, shadow 0.25, tight |" in printed


def test_a_grainy_jpeg_scan_preprocesses_like_the_clean_digit():
    from training.preprocess import preprocess
    from training.scans import scan
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255
    digit[6:9, 9:16] = 255  # a "1" with a flag
    rng = np.random.default_rng(1)
    grey = scan(digit, 0.05, 50, rng)
    assert grey.shape == (112, 112) and grey.dtype == np.float32
    assert 0 <= grey.min() and grey.max() <= 1 and np.median(grey) > 0.7  # light paper
    clean, scanned = preprocess(digit.astype(np.float32) / 255), preprocess(grey)
    assert np.corrcoef(clean.ravel(), scanned.ravel())[0, 1] > 0.9


def test_batched_preprocessing_equals_the_reference_on_shaded_scans():
    from training.scans import scan
    rng = np.random.default_rng(8)
    digits = (np.random.default_rng(9).random((12, 28, 28)) > 0.8).astype(np.uint8) * 255
    digits[:, 6:22, 12:16] = 255
    imgs = np.stack([scan(d, 0.02, None, rng, shadow=0.3, soft=bool(i % 2)) for i, d in enumerate(digits)])
    got, valid = preprocess_batch(torch.from_numpy(imgs))
    assert bool(valid.all())
    want = np.stack([preprocess(i) for i in imgs])
    assert np.abs(got.numpy() - want).max() < 1e-5
