"""Write the shipped model and the fixtures: `python -m training.export`.

From the checkpoint `training/runs/glyphnet.pt` (written by training.train) it writes
Models/glyphnet.safetensors + glyphnet.json, Models/glyphnet.onnx (checked against
PyTorch with onnxruntime), and the golden, stroke and preprocessing parity fixtures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import warnings

import numpy as np
import torch

from . import CLASSES
from .model import GlyphNet, count_parameters, flops_per_glyph, layers_from_manifest, manifest_layers

NAME = "glyphnet"


def write_safetensors(tensors: dict, path: str, metadata: dict | None = None) -> None:
    """Write F32 tensors in the safetensors layout (docs/model-format.md), sorted by name."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().numpy().astype("<f4"))
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keep the data 8-byte aligned
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path: str) -> dict:
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        a = np.frombuffer(raw[8 + n + b:8 + n + e], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(a.copy())
    return out


def load_model(models_dir: str = "Models") -> tuple[GlyphNet, dict]:
    """The shipped model, rebuilt from safetensors + manifest, in eval mode."""
    with open(os.path.join(models_dir, f"{NAME}.json")) as f:
        manifest = json.load(f)
    model = GlyphNet(layers_from_manifest(manifest["layers"]))
    model.load_named_state(read_safetensors(os.path.join(models_dir, manifest["weights"])))
    return model.eval(), manifest


def model_version(meta: dict, weights_path: str) -> str:
    """Training date and the start of the weights' SHA-256, so every answer names the exact weights
    that gave it and a retrained model never shows the same version as the one it replaces."""
    with open(weights_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:8]
    return f"{meta.get('date', 'undated')}-{digest}"


def write_model(model: GlyphNet, mean: float, std: float, meta: dict, out: str, metrics: dict | None = None,
                rejection: dict | None = None, page_head: dict | None = None) -> dict:
    """Write the weights and the manifest; `rejection` is the calibrated rule (rejection.py),
    `page_head` the labels of the outputs after the classes' (page_head.py)."""
    os.makedirs(out, exist_ok=True)
    weights = os.path.join(out, f"{NAME}.safetensors")
    write_safetensors(model.named_state(), weights, {"format": "pt"})
    manifest = {
        "format": 1, "name": NAME, "version": model_version(meta, weights), "weights": f"{NAME}.safetensors",
        "classes": CLASSES,
        "input": {"channels": 1, "height": 28, "width": 28},
        "normalization": {"mean": round(mean, 6), "std": round(std, 6)},
        "layers": manifest_layers(model.layers),
        "parameters": count_parameters(model),
        "flops_per_glyph": flops_per_glyph(model.layers),
        "metrics": metrics or {f"{k}_accuracy": round(v, 5) for k, v in meta.get("validation", {}).items()},
        "training": {k: meta[k] for k in ("date", "seconds", "data", "seed", "mnist_validation", "epochs",
                                                  "recipe")
                     if k in meta},
    }
    if rejection:
        manifest["rejection"] = rejection
    if page_head:
        manifest["page_head"] = page_head
    with open(os.path.join(out, f"{NAME}.json"), "w") as f:
        json.dump(manifest, f, indent=2, allow_nan=False)  # the service reads strict JSON
        f.write("\n")
    return manifest


def export_onnx(model: GlyphNet, path: str) -> float:
    """Export with a dynamic batch axis; returns max |onnxruntime − PyTorch| on a random batch."""
    model.eval()
    dummy = torch.randn(4, 1, 28, 28)
    # The TorchScript exporter needs no extra packages and handles this plain sequential graph;
    # its deprecation notice is expected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, dummy, path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=17, dynamo=False)
    import onnxruntime as ort
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = torch.randn(7, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    got = sess.run(["logits"], {"input": x.numpy()})[0]
    with torch.no_grad():
        want = model(x).numpy()
    return float(np.abs(got - want).max())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--models", default="Models")
    p.add_argument("--checkpoint", default=os.path.join("training", "runs", f"{NAME}.pt"),
                   help="if present, the model files are rewritten from it (keeping measured metrics)")
    p.add_argument("--tests", default="Tests", help="root of the Swift test targets, for the fixtures")
    from .datasets import DEFAULT_MNIST, DEFAULT_QUICKDRAW
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--quickdraw", default=DEFAULT_QUICKDRAW)
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    if os.path.exists(a.checkpoint):
        ck = torch.load(a.checkpoint, weights_only=False)
        model = GlyphNet(ck.get("layers"))  # checkpoints before "layers" was stored hold the default shape
        model.load_state_dict(ck["state"])
        old = os.path.join(a.models, f"{NAME}.json")
        previous = json.load(open(old)) if os.path.exists(old) else {}
        write_model(model.eval(), ck["mean"], ck["std"], ck["meta"], a.models, previous.get("metrics"),
                    ck.get("rejection", previous.get("rejection")))
    model, manifest = load_model(a.models)
    diff = export_onnx(model, os.path.join(a.models, f"{NAME}.onnx"))
    print(f"onnx: max |onnxruntime - pytorch| = {diff:.2e}")
    if diff > 1e-4:
        raise SystemExit("ONNX export disagrees with PyTorch")
    from .fixtures import write_all
    write_all(model, manifest, a.tests, a.mnist, a.quickdraw)


if __name__ == "__main__":
    main()
