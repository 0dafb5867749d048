"""GlyphNet: a plain sequential CNN the Swift engine can run layer by layer.

The architecture is described once, as data (`LAYERS`), and both the PyTorch
module and the manifest's layer list are built from it, so they cannot disagree.
"""

from __future__ import annotations

import torch
from torch import nn

NUM_CLASSES = 13

# (type, options). Names are the safetensors prefixes.


def _conv(name: str, bn: str, cin: int, cout: int, pad: int = 1) -> list:
    """3x3 convolution without bias (BatchNorm follows), BatchNorm, ReLU."""
    return [("conv2d", dict(name=name, cin=cin, cout=cout, k=3, pad=pad, bias=False)),
            ("batchnorm2d", dict(name=bn, n=cout)), ("relu", {})]


POOL = ("maxpool2d", dict(k=2))


def _head(features: int) -> list:
    """Flatten, then features → 128 (BatchNorm, ReLU) → the classes, with dropout before each."""
    return [("flatten", {}), ("dropout", dict(p=0.3)),
            ("linear", dict(name="fc1", cin=features, cout=128, bias=False)),
            ("batchnorm1d", dict(name="bn4", n=128)), ("relu", {}), ("dropout", dict(p=0.3)),
            ("linear", dict(name="fc2", cin=128, cout=NUM_CLASSES, bias=True))]


# Run C's shape: 28 → 14 → 7 → 3.
LAYERS = (_conv("conv1", "bn1", 1, 32) + [POOL] + _conv("conv2", "bn2", 32, 64) + [POOL]
          + _conv("conv3", "bn3", 64, 96) + [POOL] + _head(96 * 3 * 3))

# A deeper variant inside the same budget: the third stage becomes two convolutions at 7x7
# (64 channels with padding, then 96 without, 7x7 → 5x5) before the last pooling (5 → 2),
# which widens the receptive field of the last features; 14.3 MFLOPs, 162,477 parameters.
DEEP_LAYERS = (LAYERS[:8] + _conv("conv3", "bn3", 64, 64) + _conv("conv4", "bn5", 64, 96, pad=0)
               + [POOL] + _head(96 * 2 * 2))

# Capacity moved to where it is cheap: an unpadded first convolution (28 → 26; its windows
# still cover every input pixel, only the outputs centred on the empty frame go) makes the
# later maps smaller (13, 6, 4), which pays for a wider third stage (64→96, then 96→128
# without padding, 6x6 → 4x4) before the last pooling (4 → 2); 14.4 MFLOPs, 252,717
# parameters. Every channel count stays a multiple of 32, so the engine's 32-lane panels
# stay full.
WIDE_LAYERS = (_conv("conv1", "bn1", 1, 32, pad=0) + [POOL] + _conv("conv2", "bn2", 32, 64) + [POOL]
               + _conv("conv3", "bn3", 64, 96) + _conv("conv4", "bn5", 96, 128, pad=0)
               + [POOL] + _head(128 * 2 * 2))

# Deep's convolutions with every position of the last map kept. Pooling deep's 5x5 map to
# 2x2 drops its last row and column (9 of 25 positions, the bottom and right of the glyph)
# and leaves 162,477 of the 1.5 M parameters allowed in use. Flattening the whole 5x5x96
# map into the head costs 0.5 MFLOPs more (14.8 in all) and 258,048 parameters, where a
# parameter is cheapest: in a linear layer it costs 2 FLOPs, in a convolution 2 per output
# position. 420,525 parameters.
DEEPFLAT_LAYERS = DEEP_LAYERS[:-8] + _head(96 * 5 * 5)

ARCHITECTURES = {"glyphnet": LAYERS, "deep": DEEP_LAYERS, "wide": WIDE_LAYERS, "deepflat": DEEPFLAT_LAYERS}


def with_dropout(layers: list, p: float) -> list:
    """The same layers with every dropout's probability set to `p`."""
    return [(kind, {**o, "p": p}) if kind == "dropout" else (kind, o) for kind, o in layers]


def layers_from_manifest(entries: list) -> list:
    """The (type, options) list back from a manifest's `layers`, so any shipped shape can be reloaded."""
    out = []
    for e in entries:
        kind = e["type"]
        if kind == "conv2d":
            o = dict(name=e["name"], cin=e["in_channels"], cout=e["out_channels"], k=e["kernel"][0],
                     pad=e["padding"][0], bias=e.get("bias") is not None)
        elif kind in ("batchnorm2d", "batchnorm1d"):
            o = dict(name=e["name"], n=e["num_features"])
        elif kind == "maxpool2d":
            o = dict(k=e["kernel"][0])
        elif kind == "dropout":
            o = dict(p=e["p"])
        elif kind == "linear":
            o = dict(name=e["name"], cin=e["in_features"], cout=e["out_features"], bias=e.get("bias") is not None)
        else:
            o = {}
        out.append((kind, o))
    return out


class GlyphNet(nn.Sequential):
    def __init__(self, layers: list | None = None):
        layers = list(layers or LAYERS)
        mods = []
        for kind, o in layers:
            if kind == "conv2d":
                m = nn.Conv2d(o["cin"], o["cout"], o["k"], padding=o["pad"], bias=o["bias"])
            elif kind == "batchnorm2d":
                m = nn.BatchNorm2d(o["n"])
            elif kind == "batchnorm1d":
                m = nn.BatchNorm1d(o["n"])
            elif kind == "relu":
                m = nn.ReLU()
            elif kind == "maxpool2d":
                m = nn.MaxPool2d(o["k"])
            elif kind == "flatten":
                m = nn.Flatten()
            elif kind == "dropout":
                m = nn.Dropout(o["p"])
            elif kind == "linear":
                m = nn.Linear(o["cin"], o["cout"], bias=o["bias"])
            else:
                raise ValueError(kind)
            mods.append(m)
        super().__init__(*mods)
        self.layers = layers

    def named_state(self) -> dict:
        """state_dict keyed by the manifest names (conv1.weight, bn1.running_mean, ...)."""
        out = {}
        for (kind, o), mod in zip(self.layers, self):
            if "name" not in o:
                continue
            for key, t in mod.state_dict().items():
                if key == "num_batches_tracked":
                    continue
                out[f"{o['name']}.{key}"] = t.detach().float().contiguous()
        return out

    def load_named_state(self, tensors: dict) -> None:
        for (kind, o), mod in zip(self.layers, self):
            if "name" not in o:
                continue
            own = mod.state_dict()
            mod.load_state_dict({k: tensors[f"{o['name']}.{k}"] if k != "num_batches_tracked" else v
                                 for k, v in own.items()})


def manifest_layers(layers: list | None = None) -> list:
    """The manifest's `layers` list (docs/model-format.md)."""
    out = []
    for kind, o in layers or LAYERS:
        if kind == "conv2d":
            out.append({"type": kind, "name": o["name"], "in_channels": o["cin"], "out_channels": o["cout"],
                        "kernel": [o["k"], o["k"]], "stride": [1, 1], "padding": [o["pad"], o["pad"]],
                        "weight": f"{o['name']}.weight", "bias": f"{o['name']}.bias" if o["bias"] else None})
        elif kind in ("batchnorm2d", "batchnorm1d"):
            n = o["name"]
            out.append({"type": kind, "name": n, "num_features": o["n"], "eps": 1e-5,
                        "weight": f"{n}.weight", "bias": f"{n}.bias",
                        "running_mean": f"{n}.running_mean", "running_var": f"{n}.running_var"})
        elif kind == "maxpool2d":
            out.append({"type": kind, "kernel": [o["k"], o["k"]], "stride": [o["k"], o["k"]], "padding": [0, 0]})
        elif kind == "dropout":
            out.append({"type": kind, "p": o["p"]})
        elif kind == "linear":
            out.append({"type": kind, "name": o["name"], "in_features": o["cin"], "out_features": o["cout"],
                        "weight": f"{o['name']}.weight", "bias": f"{o['name']}.bias" if o["bias"] else None})
        else:
            out.append({"type": kind})
    return out


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def flops_per_glyph(layers: list | None = None) -> int:
    """Multiply-adds ×2 of conv and linear layers, plus one op per element for BN, ReLU and pooling."""
    c, h, w = 1, 28, 28
    flops = 0
    for kind, o in layers or LAYERS:
        if kind == "conv2d":
            c = o["cout"]
            h, w = h + 2 * o["pad"] - o["k"] + 1, w + 2 * o["pad"] - o["k"] + 1
            flops += 2 * o["cin"] * o["k"] * o["k"] * c * h * w
        elif kind == "maxpool2d":
            flops += c * h * w
            h, w = h // o["k"], w // o["k"]
        elif kind in ("batchnorm2d", "relu"):
            flops += 2 * c * h * w if kind == "batchnorm2d" else c * h * w
        elif kind == "flatten":
            c, h, w = c * h * w, 1, 1
        elif kind == "linear":
            flops += 2 * o["cin"] * o["cout"]
            c = o["cout"]
        elif kind == "batchnorm1d":
            flops += 2 * c
    return flops
