"""LocalEcsEndpoint: a loopback ECS + CloudWatch Logs (+ EC2) endpoint on one port that really runs tasks.

moto's server routes each request by the service in its signature, so one URL serves boto3's ecs, logs
and ec2 clients. Callers create what ECS needs first, as on AWS: a cluster, a task definition, and for
awsvpc tasks a VPC with EnableDnsHostnames and a subnet (moto needs the DNS setting). See
docs/local-endpoint.md.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, make_server

from farflow.local.endpoint import eventbridge
from farflow.local.endpoint.access import AccessControl, leave_bucket_policies_to_farflow
from farflow.local.endpoint.ecs_api import app_factory, response_class
from farflow.local.endpoint.faults import FaultSettings, FaultSwitch
from farflow.local.endpoint.image_resolver import ImageResolver
from farflow.local.endpoint.moto_state import claim_account, release_account
from farflow.local.endpoint.runtime import TaskRuntime
from farflow.local.endpoint.timeline import StartedContainer, Steps
from farflow.local.endpoint.warm_python_client import PRELOADS, fork_server_enabled
from farflow.local.endpoint.wsgi import Dispatcher, EndpointMiddleware, QuietRequestHandler
from farflow.local.iam_mode import DEFAULT_MODE, IamMode

INHERITED = ("PATH", "HOME", "LANG", "TZ", "TMPDIR")
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL for task processes when the endpoint stops
POLL_INTERVAL = 0.05  # how soon the server notices stop()
DUMMY_KEYS = {"aws_access_key_id": "farflow-local", "aws_secret_access_key": "farflow-local"}

_live: weakref.WeakSet[LocalEcsEndpoint] = weakref.WeakSet()


def default_base_env() -> dict[str, str]:
    """What task processes inherit from this process when no base_env is given."""
    return {key: os.environ[key] for key in INHERITED if key in os.environ}


class LocalEcsEndpoint:
    """Serves ECS, CloudWatch Logs and EC2 on http://host:port; runs each ECS task's command locally."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        faults: FaultSettings | None = None,
        images: ImageResolver | None = None,
        execute: bool = True,
        base_env: Mapping[str, str] | None = None,
        region: str = "us-east-1",
        fork_server: bool | None = None,
        fork_preloads: Mapping[str, Sequence[str]] | None = None,
        iam: IamMode = DEFAULT_MODE,
    ) -> None:
        self.host = host
        self.iam = iam
        self.port = port
        self.region = region
        self.images = images or ImageResolver()
        self._faults = FaultSwitch(faults or FaultSettings())
        self._runtime = TaskRuntime(
            self.images,
            execute,
            default_base_env() if base_env is None else base_env,
            fork_server=fork_server_enabled() if fork_server is None else fork_server,
            preloads=PRELOADS
            if fork_preloads is None
            else {module: tuple(names) for module, names in fork_preloads.items()},
        )
        self._server: BaseWSGIServer | None = None
        self._app: EndpointMiddleware | None = None
        self._thread: threading.Thread | None = None
        self._account: str | None = None
        self._events: eventbridge.EventPublisher | None = None
        self._access: AccessControl | None = None
        self._lock = threading.Lock()

    @property
    def faults(self) -> FaultSettings:
        return self._faults.dice.settings

    @faults.setter
    def faults(self, settings: FaultSettings) -> None:
        """Takes effect from the next request; a new seed restarts the sequence of draws."""
        self._faults.set(settings)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The local ECS endpoint is not running; call start() first.")
        return f"http://{self.host}:{self.port}"

    @property
    def account_id(self) -> str:
        """The AWS account in this endpoint's ARNs."""
        if self._account is None:
            raise RuntimeError("The local ECS endpoint is not running; call start() first.")
        return self._account

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for this endpoint (ecs, logs or ec2), with dummy keys."""
        options: dict[str, Any] = {"endpoint_url": self.url, "region_name": self.region, **DUMMY_KEYS}
        return boto3.client(service, **{**options, **kwargs})  # type: ignore[call-overload]

    def calls(self) -> dict[str, int]:
        """ECS API calls answered since start, by operation: for benchmarks and tests."""
        return self._app.calls() if self._app is not None else {}

    def client_calls(self) -> dict[str, dict[str, int]]:
        """API calls of every service answered since start, by client kind (`farflow` for the executor's
        client, `other`), then by operation: for the test that the executor calls only what it declares."""
        return self._app.client_calls() if self._app is not None else {}

    def iam_counts(self) -> dict[str, int]:
        """Calls whose IAM was evaluated since start, and how many of them were (or would be) denied."""
        return self._access.counts() if self._access is not None else {}

    def fault_counts(self) -> dict[str, int]:
        """Faults injected since the settings were last set, by setting (`throttle_rate`, ...)."""
        return self._faults.dice.hits()

    def event_counts(self) -> dict[str, int]:
        """Task state change events so far: published, dropped, duplicated, delayed, delivered."""
        return self._events.counts() if self._events is not None else {}

    def exit_task(self, arn: str, exit_code: int = 0) -> bool:
        """execute=False: end a RUNNING task as if its container exited with `exit_code` (benchmarks);
        False if the task is not RUNNING without a process."""
        return self._runtime.exit_idle(arn, exit_code)

    def memory_checks(self) -> int:
        """How many times the running containers' memory was sampled and their limits enforced: a test can
        wait for a check made while its task holds some memory (TaskRuntime.memory_checks)."""
        return self._runtime.memory_checks()

    def task_timeline(self) -> dict[str, Steps]:
        """When each task was admitted, launched, its containers started, RUNNING, exited and STOPPED
        (time.time()), and which were forked from a warm interpreter: for benchmarks (Timeline.steps)."""
        return self._runtime.timeline.steps()

    def started_containers(self) -> list[StartedContainer]:
        """Every essential container whose process started, with its task's tags: how many times code ran
        for one Airflow task instance and try, as the endpoint saw it (Timeline.started_containers)."""
        return self._runtime.timeline.started_containers()

    def warm_pids(self) -> list[int]:
        """The pids of the warm interpreters containers fork from (none with the fork server off)."""
        return self._runtime.forks.pids()

    @property
    def fork_server(self) -> bool:
        """Whether containers that run this Python start as forks of a warm interpreter."""
        return self._runtime.forks.enabled

    def start(self) -> LocalEcsEndpoint:
        with self._lock:
            if self._server is not None:
                raise RuntimeError(f"The local ECS endpoint is already running at {self.url}.")
            account = claim_account()
            ecs = response_class(self._runtime, self._faults)
            leave_bucket_policies_to_farflow()
            self._access = AccessControl(account, self.region, self.iam)
            app = EndpointMiddleware(Dispatcher(app_factory(ecs)), account, self._faults, self._access)
            try:
                server = make_server(
                    self.host, self.port, app, threaded=True, request_handler=QuietRequestHandler
                )
            except OSError:
                release_account(account)
                raise
            self._server, self._account, self.port = server, account, server.server_port
            self._app = app
            self._events = eventbridge.EventPublisher(account, self._faults)
            self._events.start()
            eventbridge.register(self._events)
            self._thread = threading.Thread(
                target=server.serve_forever, args=(POLL_INTERVAL,), name="farflow-ecs-endpoint", daemon=True
            )
            self._thread.start()
            self._runtime.start(self.url)
            _live.add(self)
            return self

    def stop(self) -> None:
        """Stop serving, then end every task process this endpoint started. Safe to call twice."""
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            server.shutdown()
            server.server_close()
            if self._thread is not None:
                self._thread.join()
            self._runtime.close(STOP_GRACE)
            if self._events is not None:
                eventbridge.unregister(self._events)
                self._events.close()
            if self._account is not None:
                release_account(self._account)
            _live.discard(self)

    def __enter__(self) -> LocalEcsEndpoint:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}" if self._server is not None else "stopped"
        return f"LocalEcsEndpoint({where})"


@atexit.register
def _stop_all() -> None:
    """Leave no task processes behind when the interpreter exits with endpoints still running."""
    for endpoint in list(_live):
        endpoint.stop()
