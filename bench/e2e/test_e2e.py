"""Checks of the benchmark's own parts: the canvas PNG, the Python peer over a real socket,
and the report's ratios. Run from the repository root: python -m pytest bench/e2e -q
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_canvas_png  # noqa: E402
import report  # noqa: E402


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_canvas_is_transparent_with_soft_dark_strokes() -> None:
    a = np.asarray(make_canvas_png.draw("3"))
    assert a.shape == (280, 280, 4)
    alpha = a[..., 3]
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0
    assert (alpha == 255).sum() > 500  # solid stroke cores
    assert ((alpha > 0) & (alpha < 255)).sum() > 200  # anti-aliased edges
    assert a[alpha == 255][:, :3].max() < 60  # dark ink


@pytest.fixture(scope="module")
def peer() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "python_service:app", "--app-dir", str(HERE),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"])
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/readyz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("python_service did not become ready")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def post(url: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(url + "/api/v1/recognize", data=body,
                                 headers={"Content-Type": "image/png"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


@pytest.mark.parametrize("digit", sorted(make_canvas_png.DIGITS))
def test_peer_recognises_each_canvas_digit(peer: str, digit: str) -> None:
    status, answer = post(peer, png_bytes(make_canvas_png.draw(digit)))
    assert status == 200
    assert answer["label"] == digit
    assert 0 < answer["confidence"] <= 1


def test_peer_refuses_garbage_and_blank_canvas(peer: str) -> None:
    assert post(peer, b"not a png")[0] == 400
    blank = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    assert post(peer, png_bytes(blank))[0] == 422


def test_desaturate_composites_alpha_over_white() -> None:
    from python_service import desaturate

    px = Image.new("RGBA", (2, 1))
    px.putpixel((0, 0), (0, 0, 0, 0))      # transparent: white paper
    px.putpixel((1, 0), (255, 0, 0, 255))  # opaque red: Rec. 601 weight of R
    grey = desaturate(px)
    assert grey[0, 0] == pytest.approx(1.0)
    assert grey[0, 1] == pytest.approx(0.299, abs=1e-6)


def test_report_ratios_and_targets(tmp_path: Path) -> None:
    csv = tmp_path / "e2e.csv"
    csv.write_text("service,connections,requests_per_second,p50_ms,p99_ms,errors\n"
                   "swift,1,1000,0.9,2,0\npython,1,100,9,20,0\n"
                   "swift,64,3000,4,8,0\npython,64,200,100,400,2\n")
    data = report.load(str(csv))
    table = report.table(data)
    assert "| 1 | 1,000 | 100 | 10.0x |" in table
    assert "| 64 | 3,000 | 200 | 15.0x |" in table
    lines = report.targets(data).splitlines()
    assert lines[0].endswith(": met") and lines[1].endswith(": met")
    assert lines[2].endswith(": 2")
    report.plot_pillow(data, str(tmp_path / "p.png"))
    assert Image.open(tmp_path / "p.png").size == (760, 480)
