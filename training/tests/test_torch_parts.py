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
    names = {t for layer in layers for k, t in layer.items() if k in ("weight", "bias", "running_mean", "running_var") and t}
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
