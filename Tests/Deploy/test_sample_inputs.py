"""deploy/sample_inputs.py: the PNG it writes is a valid image of a dark vertical bar on white."""
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def decode_grey_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """A tiny reader for the one PNG shape the script writes (8-bit grey, filter 0); checks every CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, width, height = 8, b"", 0, 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 0)
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    raw = zlib.decompress(idat)
    rows = [raw[y * (width + 1) + 1:(y + 1) * (width + 1)] for y in range(height)]
    return width, height, rows


def test_writes_a_bar_png_and_matching_strokes(tmp_path):
    subprocess.run([sys.executable, str(REPO / "deploy" / "sample_inputs.py"), str(tmp_path)], check=True)
    width, height, rows = decode_grey_png((tmp_path / "one.png").read_bytes())
    assert (width, height) == (64, 64)
    dark = [(x, y) for y, row in enumerate(rows) for x, value in enumerate(row) if value < 128]
    xs, ys = {x for x, _ in dark}, {y for _, y in dark}
    assert max(ys) - min(ys) > 3 * (max(xs) - min(xs))  # taller than wide: a "1"
    strokes = json.loads((tmp_path / "one.json").read_text())
    (stroke,) = strokes["strokes"]
    assert all(min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys) + 1 for x, y in stroke)
    assert (strokes["width"], strokes["height"]) == (64, 64)
