#!/usr/bin/env python3
"""Write the small requests the deploy checks (deploy/check-*.sh) send to /api/v1/recognize.

Owns: one drawing of a "1" (a vertical bar) as a grey PNG and as JSON strokes, made from the standard library
alone so the check needs no imaging package. Must never depend on the training data.

    python3 deploy/sample_inputs.py OUT_DIR   # writes OUT_DIR/one.png and OUT_DIR/one.json
"""
import json
import struct
import sys
import zlib
from pathlib import Path

SIZE = 64
# The bar: the same line as the strokes below, drawn about as thick as a finger stroke on the page.
X0, X1, Y0, Y1 = 29, 35, 10, 54


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_of_one() -> bytes:
    rows = bytearray()
    for y in range(SIZE):
        rows.append(0)  # filter type: none
        rows.extend(0 if X0 <= x < X1 and Y0 <= y < Y1 else 255 for x in range(SIZE))
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")


def strokes_of_one() -> dict:
    middle = (X0 + X1) / 2
    return {"strokes": [[[middle, Y0], [middle, (Y0 + Y1) / 2], [middle, Y1]]], "width": SIZE, "height": SIZE}


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    (out / "one.png").write_bytes(png_of_one())
    (out / "one.json").write_text(json.dumps(strokes_of_one()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
