"""deploy/http_load.py: its counts against a tiny local server, including refused connections."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from http_load import inflight, steady


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802  (the name http.server calls)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = 200 if body == b"ok-body" else 400
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api"
    httpd.shutdown()
    httpd.server_close()


def test_steady_counts_answers(server):
    result = steady(server, b"ok-body", "image/png", clients=2, seconds=0.5, stop_file=None)
    assert result["sent"] > 0 and result["failed"] == 0 and result["answered"] == result["sent"]


def test_steady_counts_other_statuses_as_failed(server):
    result = steady(server, b"bad", "image/png", clients=1, seconds=0.3, stop_file=None)
    assert result["answered"] == 0 and result["failed"] == result["sent"] > 0
    assert set(result["statuses"]) == {"400"}


def test_steady_stops_at_the_stop_file(server, tmp_path):
    stop = tmp_path / "stop"
    stop.touch()
    assert steady(server, b"ok-body", "image/png", clients=2, seconds=30, stop_file=stop)["sent"] == 0


def test_steady_counts_refused_connections():
    result = steady("http://127.0.0.1:9/", b"x", "image/png", clients=1, seconds=0.3, stop_file=None)
    assert result["answered"] == 0 and result["failed"] == result["sent"] > 0 and result["errors"]


def test_inflight_sends_the_rest_after_the_go_file(server, tmp_path):
    ready, go = tmp_path / "ready", tmp_path / "go"
    go.touch()
    result = inflight(server, b"ok-body", "image/png", count=3, ready_file=ready, go_file=go, wait_seconds=5)
    assert ready.exists()
    assert result == {"sent": 3, "answered": 3, "failed": 0, "statuses": {"200": 3}, "errors": {}}
