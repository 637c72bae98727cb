"""The endpoint's WSGI layer answering ECS calls with an injected error, and holding them, in front of a
stand-in for moto (an app that answers 200): what a client sees on the wire."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from farflow.local.endpoint.calls import ECS_TARGET_PREFIX
from farflow.local.endpoint.faults import FaultSettings, FaultSwitch
from farflow.local.endpoint.wsgi import EndpointMiddleware
from tests.unit.executor.fakes import until

OK = b'{"tasks": [], "failures": []}'


def moto(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1")])
    return [OK]


def call(app: EndpointMiddleware, operation: str) -> tuple[str, bytes]:
    """One ECS request through the middleware: its status line and body."""
    status: list[str] = []
    environ = {
        "HTTP_X_AMZ_TARGET": f"{ECS_TARGET_PREFIX}{operation}",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=KEY/20260101/us-east-1/ecs/aws4_request",
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
    }
    body = b"".join(app(environ, lambda line, headers: status.append(line)))
    return status[0], body


def test_an_injected_error_is_answered_as_ecs_answers_it_to_the_operations_named() -> None:
    switch = FaultSwitch(FaultSettings(error="ExpiredTokenException", error_operations=("DescribeTasks",)))
    app = EndpointMiddleware(moto, "123456789012", switch)
    status, body = call(app, "DescribeTasks")
    assert status.startswith("400")
    assert json.loads(body) == {
        "__type": "ExpiredTokenException",
        "message": "The security token included in the request is expired",
    }
    assert call(app, "RunTask") == ("200 OK", OK)
    switch.set(FaultSettings(error="ServerException"))
    assert call(app, "RunTask")[0].startswith("500")


def test_a_held_call_is_answered_only_once_the_hold_is_off() -> None:
    switch = FaultSwitch(FaultSettings(hold=True))
    app = EndpointMiddleware(moto, "123456789012", switch)
    answers: list[tuple[str, bytes]] = []
    caller = threading.Thread(target=lambda: answers.append(call(app, "RunTask")))
    caller.start()
    until(lambda: app.calls().get("RunTask") == 1, what="the call to arrive")
    caller.join(0.2)
    assert answers == []  # still held
    switch.set(FaultSettings())
    caller.join(5)
    assert answers == [("200 OK", OK)]
