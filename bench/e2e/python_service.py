"""The recognition service written the way a Python user would: FastAPI, Pillow, onnxruntime.

Owns: the Python peer for bench/e2e/run.sh, answering POST /api/v1/recognize (raw PNG body)
with {"label", "confidence"} using Models/glyphnet.onnx and training/preprocess.py.
Must never: preprocess differently from docs/preprocessing.md (steps 2-6 are imported, not
rewritten), so the benchmark compares the same work on both sides.

Run from the repository root: uvicorn bench.e2e.python_service:app --workers 2
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from training.preprocess import EmptyImage, preprocess  # noqa: E402

MANIFEST = json.loads((ROOT / "Models" / "glyphnet.json").read_text())
CLASSES: list[str] = MANIFEST["classes"]
MEAN = np.float32(MANIFEST["normalization"]["mean"])
STD = np.float32(MANIFEST["normalization"]["std"])

# One intra-op thread per worker process: with `--workers 2` on 2 cores, more threads only contend.
_options = ort.SessionOptions()
_options.intra_op_num_threads = int(os.environ.get("E2E_ORT_THREADS", "1"))
SESSION = ort.InferenceSession(str(ROOT / "Models" / "glyphnet.onnx"), _options,
                               providers=["CPUExecutionProvider"])
INPUT = SESSION.get_inputs()[0].name

app = FastAPI()


def desaturate(image: Image.Image) -> np.ndarray:
    """Step 1: float in [0, 1], alpha composited over white, Rec. 601 luminance."""
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / np.float32(255)
    a = rgba[..., 3]
    rgb = rgba[..., :3] * a[..., None] + (np.float32(1) - a)[..., None]
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return (rgb @ weights).astype(np.float32)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


@app.get("/readyz")
def readyz() -> dict[str, str]:
    return {"status": "ready"}


@app.post("/api/v1/recognize")
async def recognize(request: Request) -> JSONResponse:
    body = await request.body()
    try:
        image = Image.open(io.BytesIO(body))
        image.load()
    except Exception:  # Pillow raises many types for undecodable input
        return JSONResponse({"error": "undecodable image"}, status_code=400)
    try:
        glyph = preprocess(desaturate(image))
    except EmptyImage:
        return JSONResponse({"error": "empty"}, status_code=422)
    x = ((glyph - MEAN) / STD).reshape(1, 1, 28, 28).astype(np.float32)
    probs = softmax(SESSION.run(None, {INPUT: x})[0][0][:len(CLASSES)])  # the page head's outputs follow
    best = int(probs.argmax())
    return JSONResponse({"label": CLASSES[best], "confidence": float(probs[best])})
