"""The WSGI layer in front of moto: one account per endpoint, IAM on every call (access.py), ECS (and S3) latency, ECS throttling, injected
ECS errors and held ECS calls, RunTask answers held after the tasks were created, one lock.

Latency is slept before taking MOTO_LOCK, so concurrent requests wait side by side rather than in turn;
moto's own work (milliseconds) runs under the lock because its models are not thread-safe. SQS long
polls wait outside the lock (long_poll.py).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler

from farflow.local.endpoint.access import AccessControl
from farflow.local.endpoint.calls import ECS_TARGET_PREFIX, CallLog, operation_name, service_of
from farflow.local.endpoint.faults import ERRORS, HOLD_LIMIT_SECONDS, FaultDice, FaultSwitch
from farflow.local.endpoint.long_poll import is_receive, long_poll
from farflow.local.endpoint.moto_state import MOTO_LOCK, queue_wait_seconds
from farflow.local.iam_mode import IamMode

logger = logging.getLogger(__name__)

HOLD_STEP = 0.05  # how often a held call looks whether `hold` was turned off
RUN_TASK_TARGET = f"{ECS_TARGET_PREFIX}RunTask"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class EndpointMiddleware:
    def __init__(
        self, app: WsgiApp, account: str, faults: FaultSwitch, access: AccessControl | None = None
    ) -> None:
        self.app = app
        self.account = account
        self.faults = faults
        self.access = access or AccessControl(account, "us-east-1", IamMode.OFF)
        self.call_log = CallLog()

    def calls(self) -> dict[str, int]:
        """ECS calls answered so far, by operation (RunTask, DescribeTasks, ...), throttled ones included."""
        return self.call_log.ecs()

    def client_calls(self) -> dict[str, dict[str, int]]:
        """Calls of every service answered so far, by client kind and operation (see calls.py)."""
        return self.call_log.by_client()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account
        self.call_log.record(environ)
        denial = self.access.decide(environ)
        if denial is not None:
            return self.access.answer(environ, denial, start_response)
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        ecs = target.startswith(ECS_TARGET_PREFIX)
        if ecs or service_of(environ) == "s3":
            # S3 too: the executor writes each workload there on the same threads that call RunTask.
            dice = self.faults.dice
            if dice.settings.latency_ms:
                time.sleep(dice.settings.latency_ms / 1000)
            if ecs:
                dice = self._hold() or dice
                code = dice.error_for(operation_name(environ))
                if code is not None:
                    return error_answer(start_response, code, ERRORS[code][1], ERRORS[code][0])
                if dice.throttle():
                    return throttled(start_response)
        if is_receive(environ):
            region = request_region(environ)
            return long_poll(
                self._answer,
                environ,
                start_response,
                lambda url: queue_wait_seconds(self.account, region, url),
            )
        answer = self._answer(environ, start_response)
        if target == RUN_TASK_TARGET:
            hold_answer(self.faults.dice.settings.run_task_answer_delay_ms)
        return [answer]

    def _hold(self) -> FaultDice | None:
        """While `hold` is on, keep the call waiting (outside moto's lock); the dice current after it."""
        if not self.faults.dice.settings.hold:
            return None
        deadline = time.monotonic() + HOLD_LIMIT_SECONDS
        while self.faults.dice.settings.hold and time.monotonic() < deadline:
            time.sleep(HOLD_STEP)
        return self.faults.dice

    def _answer(self, environ: dict[str, Any], start_response: StartResponse) -> bytes:
        """One request to moto, under MOTO_LOCK."""
        with MOTO_LOCK:
            chunks = self.app(environ, start_response)
            try:
                return b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()


def hold_answer(delay_ms: int) -> None:
    """The run_task_answer_delay_ms fault: moto has created the tasks (and the runtime starts them), and
    the caller waits for the answer outside MOTO_LOCK."""
    if delay_ms:
        time.sleep(delay_ms / 1000)


def request_region(environ: dict[str, Any]) -> str:
    """The Region of a SigV4 request's credential scope (`Credential=KEY/DATE/REGION/SERVICE/...`)."""
    _, _, scope = str(environ.get("HTTP_AUTHORIZATION", "")).partition("Credential=")
    parts = scope.split(",", 1)[0].split("/")
    return parts[2] if len(parts) > 2 else "us-east-1"


def throttled(start_response: StartResponse) -> list[bytes]:
    """ECS's answer when a caller exceeds its API rate."""
    return error_answer(start_response, "ThrottlingException", "Rate exceeded")


def error_answer(start_response: StartResponse, code: str, message: str, status: int = 400) -> list[bytes]:
    """An ECS (JSON protocol) error answer, as botocore parses it into a ClientError with `code`."""
    body = json.dumps({"__type": code, "message": message}).encode()
    reason = "Bad Request" if status == 400 else "Internal Server Error"
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [body]


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
