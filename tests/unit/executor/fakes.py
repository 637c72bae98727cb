"""Stand-ins for what lies outside the executor: a clock the test moves, ECS, and Airflow's metrics backend.

Everything of farflow's own (launcher, tracker, rate limiter, delay queue) runs for real against these.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from tests.support.polling import wait_until

REGION = "us-east-1"
CLUSTER = "farflow"
ACCOUNT_TASK_ARN = f"arn:aws:ecs:{REGION}:123456789012:task/{CLUSTER}/"


def aws_error(
    code: str, status: int = 400, message: str = "message from AWS", operation: str = "RunTask"
) -> ClientError:
    """The ClientError botocore raises when AWS answers with `code`."""
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


class FakeClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def until(
    done: Callable[[], bool], *, step: Callable[[], object] = lambda: None, what: str, timeout: float = 10.0
) -> None:
    """Call `step` until `done()` holds; fail after `timeout` real seconds, naming `what` was awaited."""
    wait_until(done, what=what, timeout=timeout, step=step, interval=0.005)


Answer = BaseException | dict[str, Any] | Callable[[], "BaseException | dict[str, Any] | None"] | None


class FakeEcs:
    """ECS's RunTask, DescribeTasks and StopTask; records every call with its clock's time. Thread-safe.

    RunTask takes the next scripted answer: an exception to raise, a response to return, or a function
    that returns one of those (called outside the lock, so it may wait), None meaning "start a task";
    with no answer left it starts a task. DescribeTasks answers from `tasks`, naming unknown ARNs MISSING.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.tasks: dict[str, dict[str, Any]] = {}
        self.run_task_calls: list[tuple[float, dict[str, Any]]] = []
        self.describe_calls: list[tuple[float, list[str]]] = []
        self.stopped: list[str] = []
        self._answers: collections.deque[Answer] = collections.deque()
        self._lock = threading.Lock()

    def answer_run_task(self, *answers: Answer) -> None:
        with self._lock:
            self._answers.extend(answers)

    def start_task(self) -> str:
        """A task in PROVISIONING, as RunTask leaves it; its ARN."""
        with self._lock:
            arn = f"{ACCOUNT_TASK_ARN}{len(self.tasks):032x}"
            self.tasks[arn] = {"taskArn": arn, "lastStatus": "PROVISIONING"}
        return arn

    def set_status(self, arn: str, status: str, **fields: Any) -> None:
        with self._lock:
            self.tasks[arn] = {**self.tasks[arn], "lastStatus": status, **fields}

    def run_task(self, **request: Any) -> dict[str, Any]:
        with self._lock:
            self.run_task_calls.append((self.clock(), request))
            answer = self._answers.popleft() if self._answers else None
        if callable(answer):
            answer = answer()
        if isinstance(answer, BaseException):
            raise answer
        if answer is None:
            answer = {"tasks": [{"taskArn": self.start_task()}], "failures": []}
        return answer

    def describe_tasks(self, *, cluster: str, tasks: list[str]) -> dict[str, Any]:
        with self._lock:
            self.describe_calls.append((self.clock(), list(tasks)))
            return {
                "tasks": [dict(self.tasks[arn]) for arn in tasks if arn in self.tasks],
                "failures": [{"arn": arn, "reason": "MISSING"} for arn in tasks if arn not in self.tasks],
            }

    def stop_task(self, *, cluster: str, task: str, reason: str) -> dict[str, Any]:
        with self._lock:
            self.stopped.append(task)
        return {"task": {"taskArn": task}}


class FakeS3:
    """S3's PutObject and DeleteObject for the workload store; records every call with its clock's time.

    PutObject takes the next scripted answer (an exception to raise), else stores the object.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.objects: dict[str, bytes] = {}
        self.puts: list[tuple[float, str]] = []
        self.deletes: list[str] = []
        self._answers: collections.deque[BaseException] = collections.deque()
        self._lock = threading.Lock()

    def fail_puts(self, *errors: BaseException) -> None:
        with self._lock:
            self._answers.extend(errors)

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict[str, Any]:
        with self._lock:
            self.puts.append((self.clock(), Key))
            if self._answers:
                raise self._answers.popleft()
            self.objects[Key] = Body
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"}

    def delete_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        with self._lock:
            self.deletes.append(Key)
            self.objects.pop(Key, None)
        return {}


class RecordingStats:
    """An Airflow Stats backend that counts what it was given, by (kind, name)."""

    def __init__(self) -> None:
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self.increments: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    @property
    def names(self) -> set[tuple[str, str]]:
        return set(self.counts)

    def incr(self, stat: str, *args: Any, **kwargs: Any) -> None:
        self.counts["incr", stat] += 1
        self.increments.append((stat, args, kwargs))

    def decr(self, stat: str, *args: Any, **kwargs: Any) -> None:
        self.counts["decr", stat] += 1

    def gauge(self, stat: str, *args: Any, **kwargs: Any) -> None:
        self.counts["gauge", stat] += 1

    def timing(self, stat: str, *args: Any, **kwargs: Any) -> None:
        self.counts["timing", stat] += 1

    def timer(self, *args: Any, **kwargs: Any) -> Any:
        return contextlib.nullcontext()


def record_metrics(monkeypatch: Any) -> RecordingStats:
    """Point Airflow's Stats at a RecordingStats for one test (`monkeypatch` puts the old backend back)."""
    from airflow._shared.observability.metrics import stats

    for name in ("_factory", "_backend", "_export_legacy_names"):
        monkeypatch.setattr(stats, name, getattr(stats, name))
    recorder = RecordingStats()
    stats.initialize(factory=lambda: recorder, export_legacy_names=False)
    return recorder
