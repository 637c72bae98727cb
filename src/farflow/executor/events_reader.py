"""The task events queue, read on a thread of its own: long polls, views to the tracker, batch deletes.

Every message read is deleted once its view has been handed over, whoever's task it is about: SQS gives
each message to one reader, so in a queue shared by several schedulers a message left for its owner
would come back only after the visibility timeout, to any reader, and end in the dead-letter queue; the
owner's reconciliation sweep covers what another reader took. Only messages that are not task state
change events are left, for the dead-letter queue to collect. See docs/executor.md, "Task events".
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from farflow.executor.ecs_events import Unreadable, read_message
from farflow.executor.heartbeat_first import never_wait
from farflow.executor.outcomes import LaunchVerdict, classify_launch_error, error_code
from farflow.executor.task_state import View
from farflow.executor.throttled_log import ThrottledLog

log = logging.getLogger(__name__)

WAIT_SECONDS = 20  # SQS's longest long poll: an idle queue costs three receives a minute
MAX_MESSAGES = 10  # SQS's limit per ReceiveMessage (and per DeleteMessageBatch)
UNHEALTHY_AFTER = 3  # failed receives in a row before the tracker describes every task each round


class EventsReader:
    """Long-polls `queue_url` and hands each task state change to `deliver` (the tracker's observe)."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        queue_url: str,
        deliver: Callable[[View], None],
        healthy: Callable[[bool], None],
        *,
        warning_interval: float = 60.0,
        wait_seconds: int = WAIT_SECONDS,
        retry_base: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        wait_for_heartbeat: Callable[[], object] = never_wait,
    ) -> None:
        self._client_factory = client_factory
        # Holds off while the scheduler's heartbeat runs (heartbeat_first.py).
        self._wait_for_heartbeat = wait_for_heartbeat
        self._client = client_factory()
        self._queue_url = queue_url
        self._deliver = deliver
        self._healthy = healthy
        self._wait_seconds = wait_seconds
        self._retry_base = retry_base
        self._errors = ThrottledLog(warning_interval, clock, log)
        self._unreadable = ThrottledLog(warning_interval, clock, log)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="farflow-events", daemon=True)
        self.received = 0
        self.deleted = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop after the poll in flight (up to 20 s; the thread is a daemon, so nobody waits for it).
        What it read and did not delete comes back to the next reader."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def finished(self) -> bool:
        """The thread has ended: no poll of this reader is in flight any more."""
        return not self._thread.is_alive()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.read_once()
            except Exception as error:
                if self._stop.is_set():
                    return  # the poll in flight when end() came; the endpoint may be gone already
                failures += 1
                self._on_error(error, failures)
                self._stop.wait(random.uniform(0, min(30.0, self._retry_base * 2**failures)))
                continue
            if failures >= UNHEALTHY_AFTER:
                self._healthy(True)
            failures = 0

    def read_once(self) -> int:
        """One ReceiveMessage and the deletes it calls for; the number of messages received."""
        answer = self._client.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=MAX_MESSAGES, WaitTimeSeconds=self._wait_seconds
        )
        messages = answer.get("Messages") or []
        self.received += len(messages)
        done = []
        for message in messages:
            self._wait_for_heartbeat()
            read = read_message(message.get("Body", ""))
            if isinstance(read, Unreadable):
                self._unreadable.warning(
                    "Left message %s in the task events queue for its dead-letter queue: %s.",
                    message.get("MessageId"),
                    read.reason,
                )
                continue
            self._deliver(read)
            done.append(message["ReceiptHandle"])
        if done:
            self._delete(done)
        return len(messages)

    def _delete(self, receipts: list[str]) -> None:
        entries = [{"Id": str(index), "ReceiptHandle": receipt} for index, receipt in enumerate(receipts)]
        answer = self._client.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
        self.deleted += len(answer.get("Successful") or [])
        # A message not deleted comes back after the visibility timeout: a duplicate, which changes nothing.

    def _on_error(self, error: Exception, failures: int) -> None:
        if failures == UNHEALTHY_AFTER:
            self._healthy(False)
        code = error_code(error)
        if classify_launch_error(error) is LaunchVerdict.CREDENTIALS:
            self._client = self._rebuild() or self._client
        self._errors.warning("Reading the task events queue failed (%s: %s); retrying.", code, error)

    def _rebuild(self) -> Any:
        try:
            return self._client_factory()
        except Exception as error:
            log.warning("Could not rebuild the SQS client: %s", error)
            return None
