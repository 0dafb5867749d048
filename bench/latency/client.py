"""Sequential keep-alive round trips, one request at a time, over loopback.

Two comparisons in one run, alternating request by request so that a noisy machine's drift
hits both sides alike:
  healthz    GET /healthz on ocr-server against the same on nginx (a fixed JSON answer);
  recognize  POST a 28x28 PNG to ocr-server, the client's round trip against the answer's own
             `timings_ms` (`total`: the service's time from the request's first byte to the
             answer rendered; the stages inside it are printed too).
Each connection sets TCP_NODELAY and is kept alive for the whole run. A round trip is timed
from just before `sendall` to the last byte of the response; parsing the JSON happens outside.

Usage: client.py --service NAME=PORT [--service NAME=PORT ...] --nginx PORT [--requests N] [--warmup N] [--only healthz|recognize]
Prints medians and p99 in milliseconds and the ratios; exits non-zero on any non-200 answer.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import struct
import sys
import time
import zlib


def digit_png() -> bytes:
    """A 28x28 8-bit grey PNG of a white "7" on black, written with zlib alone."""
    side = 28
    rows = []
    for y in range(side):
        row = bytearray(side)
        for x in range(side):
            top = 5 <= y <= 7 and 6 <= x <= 21
            stem = 8 <= y <= 23 and abs(x - (21 - (y - 7) * 9 // 16)) <= 1
            row[x] = 255 if top or stem else 0
        rows.append(b"\x00" + bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


class Connection:
    """One keep-alive connection that sends a fixed request and reads whole responses."""

    def __init__(self, port: int, request: bytes):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request = request
        self.buffer = b""

    def round_trip(self) -> tuple[float, bytes]:
        """Milliseconds from send to the response's last byte, and the response body."""
        start = time.perf_counter_ns()
        self.sock.sendall(self.request)
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                length = 0
                for line in self.buffer[:end].split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                total = end + 4 + length
                if len(self.buffer) >= total:
                    elapsed = (time.perf_counter_ns() - start) / 1e6
                    head, body = self.buffer[:end], self.buffer[end + 4:total]
                    self.buffer = self.buffer[total:]
                    if not head.startswith(b"HTTP/1.1 200"):
                        sys.exit("unexpected answer: " + head.decode("latin-1").split("\r\n")[0])
                    return elapsed, body
            chunk = self.sock.recv(65536)
            if not chunk:
                sys.exit("the server closed the connection")
            self.buffer += chunk


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def row(name: str, values: list[float]) -> str:
    return f"  {name:<34} median {statistics.median(values):7.3f}   p99 {percentile(values, 99):7.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--service", action="append", required=True, metavar="NAME=PORT",
                        help="an ocr-server to measure; repeat to compare builds in the same run")
    parser.add_argument("--nginx", type=int)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--only", choices=["healthz", "recognize"])
    parser.add_argument("--write-png", help="also save the posted PNG here (for wrk)")
    args = parser.parse_args()
    services = [(name, int(port)) for name, _, port in (s.partition("=") for s in args.service)]

    png = digit_png()
    if args.write_png:
        with open(args.write_png, "wb") as out:
            out.write(png)
    healthz = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
    recognize = (b"POST /api/v1/recognize HTTP/1.1\r\nHost: bench\r\nContent-Type: image/png\r\n"
                 + b"Content-Length: %d\r\n\r\n" % len(png) + png)

    if args.only != "recognize":
        if args.nginx is None:
            sys.exit("--nginx is needed for the healthz comparison")
        targets = [(name, Connection(port, healthz)) for name, port in services]
        targets.append(("nginx", Connection(args.nginx, healthz)))
        times: dict[str, list[float]] = {name: [] for name, _ in targets}
        for index in range(args.warmup + args.requests):
            for name, connection in targets:
                elapsed, _ = connection.round_trip()
                if index >= args.warmup:
                    times[name].append(elapsed)
        print(f"GET /healthz, {args.requests} sequential round trips each, alternating (ms)")
        for name, _ in targets:
            print(row(name, times[name]))
        nginx_median, nginx_p99 = statistics.median(times["nginx"]), percentile(times["nginx"], 99)
        for name, _ in services:
            print(f"  {name}: median {statistics.median(times[name]) / nginx_median:.2f}x nginx (target <= 1.2),"
                  f" p99 {percentile(times[name], 99) / nginx_p99:.2f}x")

    if args.only != "healthz":
        targets = [(name, Connection(port, recognize)) for name, port in services]
        # The loopback and client floor: nginx's fixed answer, one per round of recognise requests.
        floor_connection = Connection(args.nginx, healthz) if args.nginx is not None else None
        trips: dict[str, list[float]] = {name: [] for name, _ in targets}
        stages: dict[str, dict[str, list[float]]] = {name: {} for name, _ in targets}
        floor: list[float] = []
        for index in range(args.warmup + args.requests):
            for name, connection in targets:
                elapsed, body = connection.round_trip()
                timings = json.loads(body)["timings_ms"]
                if index < args.warmup:
                    continue
                trips[name].append(elapsed)
                for stage, value in timings.items():
                    stages[name].setdefault(f"timings_ms.{stage}", []).append(value)
                stages[name].setdefault("outside (round trip - total)", []).append(elapsed - timings["total"])
            if floor_connection is not None:
                elapsed, _ = floor_connection.round_trip()
                if index >= args.warmup:
                    floor.append(elapsed)
        print(f"POST /api/v1/recognize (28x28 PNG, {len(png)} bytes), {args.requests} sequential round trips,"
              " alternating (ms)")
        if floor:
            print(row("nginx GET /healthz (the floor)", floor))
        for name, _ in targets:
            print(f" {name}")
            print(row("client round trip", trips[name]))
            for stage, values in stages[name].items():
                print(row(stage, values))
            total = statistics.median(stages[name]["timings_ms.total"])
            print(f"  round trip / total {statistics.median(trips[name]) / total:.2f}x;"
                  f" round trip median {statistics.median(trips[name]):.3f} ms (target <= 0.45),"
                  f" p99 {percentile(trips[name], 99):.3f} ms (target <= 1.5)")
            print(f"  {name} inference_median_ms={statistics.median(stages[name]['timings_ms.inference']):.4f}")


if __name__ == "__main__":
    main()
