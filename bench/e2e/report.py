"""Table, Swift / Python ratios and latency plot for bench/e2e/run.sh.

Usage: python report.py CSV PLOT.png
Reads the CSV run.sh wrote (service,connections,requests_per_second,p50_ms,p99_ms,errors),
prints a markdown table with the ratios and the issue's two targets, and draws p50 and p99
against connections for both services (matplotlib if present, else plain Pillow drawing).
"""

from __future__ import annotations

import csv
import math
import sys
from collections import defaultdict

Row = dict[str, float]


def load(path: str) -> dict[str, dict[int, Row]]:
    out: dict[str, dict[int, Row]] = defaultdict(dict)
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            out[r["service"]][int(r["connections"])] = {
                k: float(r[k]) for k in ("requests_per_second", "p50_ms", "p99_ms", "errors")}
    return out


def table(data: dict[str, dict[int, Row]]) -> str:
    lines = ["| connections | ocr-server req/s | Python req/s | throughput ratio | ocr-server p50 | Python p50 "
             "| ocr-server p99 | Python p99 | p99 ratio |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in sorted(data["swift"]):
        s, p = data["swift"][c], data["python"][c]
        lines.append(
            f"| {c} | {s['requests_per_second']:,.0f} | {p['requests_per_second']:,.0f} "
            f"| {s['requests_per_second'] / p['requests_per_second']:.1f}x "
            f"| {s['p50_ms']:.2f} ms | {p['p50_ms']:.2f} ms | {s['p99_ms']:.2f} ms | {p['p99_ms']:.2f} ms "
            f"| {s['p99_ms'] / p['p99_ms']:.3f}x |")
    return "\n".join(lines)


def targets(data: dict[str, dict[int, Row]]) -> str:
    s, p = data["swift"][64], data["python"][64]
    ratio = s["requests_per_second"] / p["requests_per_second"]
    errors = sum(r["errors"] for side in data.values() for r in side.values())
    return "\n".join([
        f"throughput at 64 connections: {ratio:.1f}x Python (target >= 10x): {'met' if ratio >= 10 else 'NOT met'}",
        f"ocr-server p99 at 64 connections: {s['p99_ms']:.2f} ms (target < 10 ms): "
        f"{'met' if s['p99_ms'] < 10 else 'NOT met'}",
        f"non-2xx answers and socket errors over all runs: {errors:.0f}",
    ])


def plot_matplotlib(data: dict[str, dict[int, Row]], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for side, name, colour in (("swift", "ocr-server", "tab:orange"), ("python", "Python (FastAPI)", "tab:blue")):
        cs = sorted(data[side])
        ax.plot(cs, [data[side][c]["p50_ms"] for c in cs], "o-", color=colour, label=f"{name} p50")
        ax.plot(cs, [data[side][c]["p99_ms"] for c in cs], "s--", color=colour, label=f"{name} p99")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sorted(data["swift"]), [str(c) for c in sorted(data["swift"])])
    ax.axhline(10, color="grey", linewidth=0.8, linestyle=":", label="10 ms target")
    ax.set_xlabel("keep-alive connections (wrk)")
    ax.set_ylabel("latency (ms, log scale)")
    ax.set_title("POST /api/v1/recognize, 280x280 canvas PNG")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def plot_pillow(data: dict[str, dict[int, Row]], path: str) -> None:
    """Fallback without matplotlib: log-log lines on a plain canvas."""
    from PIL import Image, ImageDraw

    w, h, m = 760, 480, 60
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    cs = sorted(data["swift"])
    values = [r[k] for side in data.values() for r in side.values() for k in ("p50_ms", "p99_ms")]
    lo, hi = math.log10(min(values)) - 0.1, math.log10(max(values)) + 0.1

    def xy(c: int, v: float) -> tuple[float, float]:
        x = m + (math.log2(c) - math.log2(cs[0])) / (math.log2(cs[-1]) - math.log2(cs[0])) * (w - 2 * m)
        y = h - m - (math.log10(v) - lo) / (hi - lo) * (h - 2 * m)
        return x, y

    d.rectangle((m, m, w - m, h - m), outline="black")
    for c in cs:
        d.text((xy(c, 1)[0] - 5, h - m + 8), str(c), fill="black")
    d.text((w / 2 - 80, h - 25), "connections; latency ms (log)", fill="black")
    colours = {"swift": "orange", "python": "blue"}
    for side in ("swift", "python"):
        for k, dash in (("p50_ms", 0), ("p99_ms", 1)):
            pts = [xy(c, data[side][c][k]) for c in cs]
            d.line(pts, fill=colours[side], width=1 + 2 * dash)
            for (x, y), c in zip(pts, cs):
                d.text((x + 4, y - 12), f"{data[side][c][k]:.2f}", fill=colours[side])
    d.text((m, 20), "orange: ocr-server, blue: Python; thin p50, thick p99", fill="black")
    img.save(path)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: report.py CSV PLOT.png")
    data = load(sys.argv[1])
    print(table(data))
    print()
    print(targets(data))
    try:
        plot_matplotlib(data, sys.argv[2])
    except ImportError:
        plot_pillow(data, sys.argv[2])
    print(f"plot: {sys.argv[2]}")


if __name__ == "__main__":
    main()
