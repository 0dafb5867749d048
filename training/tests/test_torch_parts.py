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
    from training.batches import balanced_batches, class_draws
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


def test_train_loop_with_class_weights_and_weight_average():
    from training.train import WeightAverage, train_loop
    from training.augment import AugmentConfig
    pools = [generate(6, seed=s)[0] for s in range(3)]
    m = GlyphNet()
    avg = WeightAverage(m, 0.99)
    seen = []
    train_loop(m, pools, 0.1, 0.3, epochs=2, per_class=8, batch=4, lr=1e-3, seed=0, label="t",
               on_epoch=lambda e, loss: seen.append(avg.updates), weights={2: 1.5},
               last_cfg=AugmentConfig(), last_epochs=1, ema=avg)
    # each epoch: 8 + 8 + 12 = 28 samples = 7 batches
    assert seen == [7, 14]
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


def test_default_thickness_mix_draws_as_the_four_way_mix_did():
    # Runs before the 2x2 choice existed stay reproducible: a zero-probability category
    # leaves torch's draws for the others unchanged.
    a = torch.multinomial(torch.tensor([0.2, 0.4, 0.3, 0.1]), 500, replacement=True,
                          generator=torch.Generator().manual_seed(7))
    from training.augment import AugmentConfig
    b = torch.multinomial(torch.tensor(AugmentConfig.thickness), 500, replacement=True,
                          generator=torch.Generator().manual_seed(7))
    assert torch.equal(torch.where(a >= 2, a + 1, a), b)


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


def test_torch_twin_matches_the_committed_parity_fixture():
    import json
    import pathlib
    path = pathlib.Path(__file__).resolve().parents[2] / "Tests/PreprocessingTests/Fixtures/preprocess_parity.json"
    for case in json.loads(path.read_text()):
        img = np.asarray(case["pixels"], np.float32).reshape(1, case["height"], case["width"])
        got, valid = preprocess_batch(torch.from_numpy(img))
        want = np.asarray(case["expected"], np.float32).reshape(28, 28)
        assert bool(valid[0]) and np.abs(got[0].numpy() - want).max() < 1e-5, case["description"]


def test_face_groups_move_only_stroke_drawings_of_faces():
    from training.batches import GroupedPool
    from training.data import SOURCE_WEIGHTS, face_groups
    groups = [("strokes", "cat"), ("canvas", "cat"), ("bitmaps", "cat"), ("strokes", "car"), ("symbols", "omniglot")]
    moved = face_groups(groups)
    assert moved == [("faces", "cat"), ("faces", "cat"), ("bitmaps", "cat"), ("strokes", "car"), ("symbols", "omniglot")]
    pool = GroupedPool(np.zeros((5, 28, 28), np.float32), moved, SOURCE_WEIGHTS)
    faces = sum(p for k, p in zip(pool.keys, pool.group_p) if k[0] == "faces")
    total = sum(SOURCE_WEIGHTS[s] for s in ("faces", "bitmaps", "strokes", "symbols"))
    assert faces == pytest.approx(SOURCE_WEIGHTS["faces"] / total)
