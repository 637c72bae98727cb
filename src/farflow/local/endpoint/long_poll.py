"""SQS long polling that does not hold moto's lock while it waits.

moto answers a ReceiveMessage with WaitTimeSeconds by looping until a message arrives, and the endpoint
runs every moto request under one lock (moto_state.MOTO_LOCK): one waiting reader would stall every
other call for up to 20 s. So the endpoint asks moto with WaitTimeSeconds=0 and does the waiting
itself, outside the lock, asking again every POLL_STEP until a message is there or the wait is over.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

RECEIVE_MESSAGE_TARGET = "AmazonSQS.ReceiveMessage"
POLL_STEP = 0.05  # seconds between asks while a long poll waits: the most it adds to an event's delivery
MAX_WAIT = 20.0  # SQS's limit on WaitTimeSeconds

StartResponse = Callable[..., Any]
Answer = Callable[[dict[str, Any], StartResponse], bytes]  # one moto request, under the lock


def is_receive(environ: dict[str, Any]) -> bool:
    return str(environ.get("HTTP_X_AMZ_TARGET", "")) == RECEIVE_MESSAGE_TARGET


def without_wait(body: bytes, queue_default: Callable[[str], float]) -> tuple[bytes, float]:
    """The request body with WaitTimeSeconds 0, and the wait it asked for (the queue's default if unset)."""
    request = json.loads(body or b"{}")
    asked = request.get("WaitTimeSeconds")
    wait = float(asked) if asked is not None else queue_default(str(request.get("QueueUrl", "")))
    request["WaitTimeSeconds"] = 0
    return json.dumps(request).encode(), min(max(wait, 0.0), MAX_WAIT)


def long_poll(
    answer: Answer,
    environ: dict[str, Any],
    start_response: StartResponse,
    queue_default: Callable[[str], float],
) -> Iterable[bytes]:
    """Answer one ReceiveMessage: moto's first answer with messages, or its last when the wait is over."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body, wait = without_wait(environ["wsgi.input"].read(length), queue_default)
    deadline = time.monotonic() + wait
    captured: list[Any] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured[:] = [status, headers, exc_info]

    while True:
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        payload = answer(environ, capture)
        if not captured[0].startswith("200") or b'"Messages"' in payload or time.monotonic() >= deadline:
            start_response(*captured)
            return [payload]
        time.sleep(min(POLL_STEP, max(0.0, deadline - time.monotonic())))
