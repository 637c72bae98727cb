"""AirflowApi's execution-API warm-up, against a tiny local HTTP server."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from farflow.airflow_api import AirflowApi
from farflow.local.ports import free_port


class Health(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self) -> None:
        Health.paths.append(self.path)
        body = b'{"status": "healthy"}'
        self.send_response(200 if self.path == "/execution/health" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_warm_up_calls_the_execution_api_once(server: str) -> None:
    Health.paths.clear()
    assert AirflowApi(server).warm_up_execution_api() is True
    assert Health.paths == ["/execution/health"]


def test_warm_up_without_an_api_server_is_not_an_error() -> None:
    assert AirflowApi(f"http://127.0.0.1:{free_port()}").warm_up_execution_api(timeout=2) is False
