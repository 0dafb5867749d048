#!/usr/bin/env python3
"""Small, bounded HTTP clients for the deploy checks (deploy/check-image.sh, deploy/check-rolling.sh).

Owns: counting what a server answers while it is being stopped or restarted. Standard library only; every wait
has a limit, so a hung server makes a check fail instead of hang. Talks only to the URL it is given.

    python3 deploy/http_load.py steady URL BODY [--content-type T] [--clients N] [--seconds S] [--stop-file F]
        Each client posts BODY over its own keep-alive connection, one request after another, until S seconds
        pass or F exists. Prints {"sent", "answered", "failed", "statuses", "errors"}: answered is a 200, failed
        is anything else (another status, a refused or reset connection, a timeout).
    python3 deploy/http_load.py inflight URL BODY [--content-type T] [--count N] --ready-file R --go-file G
        Opens N connections and sends each request's head and half its body, then creates R and waits for G
        (made by the caller once it has sent the signal under test) before sending the rest. Prints
        {"sent", "answered", "failed", "statuses", "errors"}: the N requests were in flight during the signal.
"""
from __future__ import annotations

import argparse
import http.client
import json
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

TIMEOUT = 10.0  # seconds for one request; well past the server's own deadlines


class Tally:
    """Counts shared by the client threads; `lock` guards every field."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent = 0
        self.statuses: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    def record(self, status: int | None, error: str | None = None) -> None:
        with self.lock:
            self.sent += 1
            if status is not None:
                self.statuses[str(status)] += 1
            if error is not None:
                self.errors[error] += 1

    def summary(self) -> dict:
        with self.lock:
            answered = self.statuses.get("200", 0)
            return {"sent": self.sent, "answered": answered, "failed": self.sent - answered,
                    "statuses": dict(self.statuses), "errors": dict(self.errors)}


def steady(url: str, body: bytes, content_type: str, clients: int, seconds: float, stop_file: Path | None) -> dict:
    parts = urlsplit(url)
    tally = Tally()
    deadline = time.monotonic() + seconds

    def stopped() -> bool:
        return time.monotonic() >= deadline or (stop_file is not None and stop_file.exists())

    def client() -> None:
        connection = None
        while not stopped():
            if connection is None:
                connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=TIMEOUT)
            try:
                connection.request("POST", parts.path or "/", body=body,
                                   headers={"Content-Type": content_type})
                response = connection.getresponse()
                response.read()
                tally.record(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                tally.record(None, type(error).__name__)
                connection.close()
                connection = None
                time.sleep(0.05)  # a refused connection fails at once: do not spin
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 2 * TIMEOUT)
    return tally.summary()


def inflight(url: str, body: bytes, content_type: str, count: int, ready_file: Path, go_file: Path,
             wait_seconds: float) -> dict:
    parts = urlsplit(url)
    tally = Tally()
    head = (f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    half = len(body) // 2
    sockets = []
    for _ in range(count):
        connection = socket.create_connection((parts.hostname, parts.port or 80), timeout=TIMEOUT)
        connection.sendall(head + body[:half])
        sockets.append(connection)
    ready_file.touch()
    deadline = time.monotonic() + wait_seconds
    while not go_file.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    for connection in sockets:
        try:
            connection.sendall(body[half:])
        except OSError as error:
            tally.record(None, type(error).__name__)
            connection.close()
            continue
        tally.record(*read_status(connection))
        connection.close()
    return tally.summary()


def read_status(connection: socket.socket) -> tuple[int | None, str | None]:
    """The status of the one response on a Connection: close socket, read to the end."""
    data = b""
    try:
        while chunk := connection.recv(65536):
            data += chunk
    except OSError as error:
        return None, type(error).__name__
    line = data.split(b"\r\n", 1)[0].split()
    if len(line) < 2 or not line[1].isdigit():
        return None, "no response" if not data else "bad response"
    return int(line[1]), None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("steady", "inflight"):
        command = commands.add_parser(name)
        command.add_argument("url")
        command.add_argument("body", type=Path)
        command.add_argument("--content-type", default="image/png")
    commands.choices["steady"].add_argument("--clients", type=int, default=4)
    commands.choices["steady"].add_argument("--seconds", type=float, default=60)
    commands.choices["steady"].add_argument("--stop-file", type=Path)
    commands.choices["inflight"].add_argument("--count", type=int, default=20)
    commands.choices["inflight"].add_argument("--ready-file", type=Path, required=True)
    commands.choices["inflight"].add_argument("--go-file", type=Path, required=True)
    commands.choices["inflight"].add_argument("--wait-seconds", type=float, default=30)
    options = parser.parse_args(argv)
    body = options.body.read_bytes()
    if options.command == "steady":
        result = steady(options.url, body, options.content_type, options.clients, options.seconds,
                        options.stop_file)
    else:
        result = inflight(options.url, body, options.content_type, options.count, options.ready_file,
                          options.go_file, options.wait_seconds)
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
