"""The WSGI layer in front of moto: one account per endpoint, ECS latency and throttling, one lock.

Latency is slept before taking MOTO_LOCK, so concurrent requests wait side by side rather than in turn;
moto's own work (milliseconds) runs under the lock because its models are not thread-safe.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler

from farflow.local.endpoint.faults import FaultSwitch
from farflow.local.endpoint.moto_state import MOTO_LOCK

logger = logging.getLogger(__name__)

ECS_TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
THROTTLED = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class EndpointMiddleware:
    def __init__(self, app: WsgiApp, account: str, faults: FaultSwitch) -> None:
        self.app = app
        self.account = account
        self.faults = faults
        self._calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()

    def calls(self) -> dict[str, int]:
        """ECS calls answered so far, by operation (RunTask, DescribeTasks, ...), throttled ones included."""
        with self._calls_lock:
            return dict(self._calls)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if target.startswith(ECS_TARGET_PREFIX):
            with self._calls_lock:
                self._calls[target.removeprefix(ECS_TARGET_PREFIX)] += 1
            dice = self.faults.dice
            if dice.settings.latency_ms:
                time.sleep(dice.settings.latency_ms / 1000)
            if dice.throttle():
                return throttled(start_response)
        with MOTO_LOCK:
            chunks = self.app(environ, start_response)
            try:
                return [b"".join(chunks)]
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()


def throttled(start_response: StartResponse) -> list[bytes]:
    """ECS's answer when a caller exceeds its API rate."""
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(THROTTLED))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [THROTTLED]


class QuietRequestHandler(MotoRequestHandler):  # type: ignore[misc]
    """moto's request handler, logging each request at DEBUG instead of printing it."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        logger.debug("%s %s -> %s", self.command, self.path, code)


class Dispatcher(DomainDispatcherApplication):  # type: ignore[misc]
    """moto's router, remembering which backend serves a host: moto's lookup stats its package folders
    on every request, a fifth of a RunTask's time."""

    def __init__(self, create_app: Callable[[str], Any]) -> None:
        super().__init__(create_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]
