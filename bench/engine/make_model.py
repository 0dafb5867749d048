"""Writes a random-weight model of GlyphNet's shape for benchmarking the engine.

conv 1→32 3x3 + BN + ReLU + maxpool, conv 32→64 3x3 + BN + ReLU + maxpool,
conv 64→128 3x3 + BN + ReLU, global average pool, linear 128→13; exported as
safetensors + manifest (docs/model-format.md) and ONNX, plus `check.json`
with PyTorch's logits for a few random inputs so the Swift side can confirm
it computes the same function before it is timed.

Usage: python3 make_model.py OUTPUT_FOLDER
"""
import json
import sys
from pathlib import Path

import warnings

import torch
from safetensors.torch import save_file
from torch import nn

CLASSES = [str(d) for d in range(10)] + ["star", "smiley", "scribble"]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32)
        self.conv2, self.bn2 = nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64)
        self.conv3, self.bn3 = nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128)
        self.fc = nn.Linear(128, len(CLASSES))

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = nn.functional.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        x = torch.relu(self.bn3(self.conv3(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def conv(name, cin, cout):
    return {"type": "conv2d", "name": name, "in_channels": cin, "out_channels": cout, "kernel": [3, 3],
            "stride": [1, 1], "padding": [1, 1], "weight": f"{name}.weight", "bias": None}


def bn(name, n):
    return {"type": "batchnorm2d", "name": name, "num_features": n, "eps": 1e-5, "weight": f"{name}.weight",
            "bias": f"{name}.bias", "running_mean": f"{name}.running_mean", "running_var": f"{name}.running_var"}


def main(out: Path):
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    torch.manual_seed(0)
    net = Net()
    for module in net.modules():  # non-trivial statistics so that folding is exercised
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    net.eval()
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.contiguous() for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    save_file(tensors, str(out / "bench.safetensors"))
    maxpool = {"type": "maxpool2d", "kernel": [2, 2], "stride": [2, 2], "padding": [0, 0]}
    layers = [conv("conv1", 1, 32), bn("bn1", 32), {"type": "relu"}, maxpool,
              conv("conv2", 32, 64), bn("bn2", 64), {"type": "relu"}, maxpool,
              conv("conv3", 64, 128), bn("bn3", 128), {"type": "relu"},
              {"type": "global_avgpool"}, {"type": "flatten"},
              {"type": "linear", "name": "fc", "in_features": 128, "out_features": 13,
               "weight": "fc.weight", "bias": "fc.bias"}]
    flops = 2 * (28 * 28 * 32 * 9 + 14 * 14 * 64 * 32 * 9 + 7 * 7 * 128 * 64 * 9 + 128 * 13)
    manifest = {"format": 1, "name": "bench", "version": "0.0.0", "weights": "bench.safetensors",
                "classes": CLASSES, "input": {"channels": 1, "height": 28, "width": 28},
                "normalization": {"mean": 0.11, "std": 0.29}, "layers": layers,
                "parameters": sum(p.numel() for p in net.parameters()), "flops_per_glyph": flops,
                "metrics": {}, "training": {"note": "random weights for benchmarking"}}
    (out / "bench.json").write_text(json.dumps(manifest, indent=1))
    example = torch.randn(1, 1, 28, 28)
    torch.onnx.export(net, example, str(out / "bench.onnx"), input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    inputs = torch.randn(8, 1, 28, 28)
    with torch.no_grad():
        logits = net(inputs)
    (out / "check.json").write_text(json.dumps({"model": "bench", "inputs": inputs.reshape(8, -1).tolist(),
                                                "logits": logits.tolist()}))
    print(out / "bench.json")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
