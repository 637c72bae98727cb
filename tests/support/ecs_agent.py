"""A loopback stand-in for the ECS agent's task protection endpoint, which only runs inside ECS.

It answers as "Amazon ECS task scale-in protection endpoint" documents: `{"protection": {...}}` for a
PUT it accepts, `{"error": {...}}` with HTTP 4xx for one it refuses (e.g. a task being stopped).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Agent:
    uri: str
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refuse: bool = False


@contextmanager
def loopback_agent() -> Iterator[Agent]:
    """An agent on 127.0.0.1 for as long as the context lasts; `Agent.uri` is what ECS_AGENT_URI holds."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    found = Agent(uri=f"http://127.0.0.1:{server.server_address[1]}/api/task-id")

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            found.requests.append((self.path, body))
            if found.refuse:
                answer, status = {"error": {"Code": "TASK_NOT_VALID", "Message": "refused"}}, 400
            else:
                answer, status = {"protection": {"ProtectionEnabled": body["ProtectionEnabled"]}}, 200
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
