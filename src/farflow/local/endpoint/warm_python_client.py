"""The fork server: containers that run the project's Python start as forks of a warm interpreter.

A fresh Python that imports Airflow's Task SDK spends seconds before the task's first line; a fork of an
interpreter that has already imported it starts in milliseconds. So a container whose command is
`python -m MODULE ...`, `python -c CODE ...` or `python SCRIPT ...` (python being `ImageResolver.python`,
with no interpreter options) is forked by a warm interpreter (warm_python_server.py, a separate single-threaded
process, never a fork of this multi-threaded one) instead of being spawned.

What a warm interpreter imported depends on its environment (Airflow builds its configuration at
import), so warm interpreters are keyed by everything that shapes one before the first line of task
code: the Python, the working folder, the environment (all of it, except FARFLOW_ECS_TASK_ARN, which is
per task and which nothing reads at import) and the modules imported ahead (PRELOADS, chosen by the
`-m` module). A container forks from the interpreter of its own key, so what it imported, it imported
with the container's own environment; a container with a different environment gets another one. Each
child then gets the container's environment exactly (the task ARN too), its folder, output and argv.

A container waits in PENDING while its interpreter warms up (about as long as a fresh start would have
taken), and starts as a plain process instead when forking is off, the command does not qualify, the
interpreter failed to warm up or died, or `MAX_SERVERS` interpreters are all busy. Set
FARFLOW_LOCAL_FORK_SERVER=0 to spawn every container. See docs/local-speed.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal, Protocol

from farflow.local.endpoint import warm_python_server
from farflow.local.endpoint.image_resolver import ImageResolver
from farflow.local.endpoint.plan import TASK_ARN_KEY, ContainerPlan
from farflow.local.process_tree import signal_group, start_session

logger = logging.getLogger(__name__)

FORK_SERVER_ENV = "FARFLOW_LOCAL_FORK_SERVER"
WARM_SCRIPT = Path(warm_python_server.__file__).resolve()
EXECUTE_WORKLOAD = "airflow.sdk.execution_time.execute_workload"
# What a `python -m MODULE` container will import anyway, imported once per warm interpreter: for Airflow's
# task command, the Task SDK, its task supervisor and task runner and what they import lazily, and what the
# task runner needs to parse a DAG file. A trailing "?" marks a module that may be missing.
PRELOADS: Mapping[str, tuple[str, ...]] = {
    EXECUTE_WORKLOAD: (
        EXECUTE_WORKLOAD,
        "pydantic",
        "airflow.executors.base_executor",
        "airflow.executors.workloads",
        "airflow.sdk",
        "airflow.sdk.log",
        "airflow.sdk.execution_time.supervisor",
        "airflow.sdk.execution_time.task_runner",
        "airflow.dag_processing.dagbag",
        "setproctitle?",
        # The sample DAG's operator: farflow's local extra installs it.
        "airflow.providers.amazon.aws.operators.ecs?",
    ),
}
WORKLOAD_ENTRY = "farflow.workload"
# With a workload store (the local stack seeds one) the executor's command is `python -m farflow.workload
# s3://...`, which fetches the workload and then runs Airflow's task command in the same interpreter.
PRELOADS = {**PRELOADS, WORKLOAD_ENTRY: ("farflow.workload.entry", "boto3", *PRELOADS[EXECUTE_WORKLOAD])}
PER_TASK_KEYS = frozenset({TASK_ARN_KEY})  # differ between containers of one key; read by no import
MAX_SERVERS = 4  # warm interpreters at once; an idle one makes room for a new key
READY_TIMEOUT = 120.0  # seconds a warm interpreter may take to warm up; then its containers start cold
REPLY_TIMEOUT = 10.0  # seconds a warm interpreter may take to answer a fork request
CLOSE_GRACE = 5.0

Status = Literal["ready", "warming", "cold"]


def fork_server_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """On by default on Linux; FARFLOW_LOCAL_FORK_SERVER=0 (or false, no, off) spawns every container.
    Not on macOS, whose system frameworks are not fork-safe (Airflow itself execs there)."""
    value = environ.get(FORK_SERVER_ENV, "1").strip().lower()
    return sys.platform.startswith("linux") and value not in {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Invocation:
    """A Python command line the warm interpreter can run: `-m MODULE`, `-c CODE` or a script."""

    mode: Literal["-m", "-c", "script"]
    target: str = field(repr=False)  # code or a path: kept out of logs like the rest of the argv
    args: tuple[str, ...] = field(repr=False)


def invocation(argv: Sequence[str], python: str) -> Invocation | None:
    """How to run `argv` in a warm `python`, or None if it is not a plain Python command line."""
    if len(argv) < 2 or argv[0] != python:
        return None
    first = argv[1]
    if first in {"-m", "-c"}:
        if len(argv) < 3 or (first == "-m" and not argv[2]):
            return None
        return Invocation("-m" if first == "-m" else "-c", argv[2], tuple(argv[3:]))
    if first.startswith("-") or not first:
        return None  # interpreter options (-u, -X ..., -): a fresh interpreter honours them
    return Invocation("script", first, tuple(argv[2:]))


@dataclass(frozen=True)
class WarmKey:
    """Everything that shapes an interpreter before the task's first line."""

    python: str
    cwd: str | None  # None: the task's own scratch folder (the interpreter warms up in an empty one)
    env: tuple[tuple[str, str], ...] = field(repr=False)
    preload: tuple[str, ...]


def warm_key(
    plan: ContainerPlan, python: str, preloads: Mapping[str, tuple[str, ...]] = PRELOADS
) -> WarmKey | None:
    """The key of the warm interpreter that can run this container, or None if none can."""
    found = invocation(plan.argv, python)
    if found is None:
        return None
    env = tuple(sorted((key, value) for key, value in plan.env.items() if key not in PER_TASK_KEYS))
    preload = preloads.get(found.target, ()) if found.mode == "-m" else ()
    return WarmKey(python, str(plan.cwd) if plan.cwd is not None else None, env, preload)


def assumed_override(definition: Mapping[str, object], images: ImageResolver) -> dict[str, object] | None:
    """The RunTask override to warm an interpreter for when a task definition is registered: none when
    the container has its command; Airflow's task command for an Airflow image without one (local images
    have no default command, so its tasks bring one, and farflow's executor brings this one); else None,
    nothing to warm."""
    if definition.get("command") or definition.get("entryPoint"):
        return {}
    if images.runs_airflow(str(definition.get("image", ""))):
        return {"command": ["python", "-m", EXECUTE_WORKLOAD]}
    return None


class ContainerProcess(Protocol):
    """What the runtime needs of a container's first process: subprocess.Popen, or a forked one."""

    @property
    def pid(self) -> int: ...

    @property
    def stdout(self) -> IO[bytes] | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class ForkedProcess:
    """A container forked by a warm interpreter, which reaps it and reports its exit code."""

    def __init__(self, pid: int, stdout: IO[bytes] | None) -> None:
        self._pid = pid
        self._stdout = stdout
        self.returncode: int | None = None
        self._done = threading.Event()

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def stdout(self) -> IO[bytes] | None:
        return self._stdout

    def exited(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
        self._done.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(f"forked container {self._pid}", timeout or 0.0)
        assert self.returncode is not None
        return self.returncode


class WarmPythonError(Exception):
    """The warm interpreter cannot fork (it failed to warm up, died, or did not answer)."""


class ForkRefused(OSError):
    """The warm interpreter could not start this container (e.g. its folder is missing)."""


class WarmPython:
    """One warm interpreter (a child process in a session of its own) and the containers it forked."""

    def __init__(self, key: WarmKey, ready_timeout: float = READY_TIMEOUT) -> None:
        self.key = key
        self.last_used = time.monotonic()
        self.ready_by = self.last_used + ready_timeout
        self.error: str | None = None
        self._ready = threading.Event()
        self._broken = False
        self._replies: queue.Queue[dict[str, object]] = queue.Queue()
        self._request_lock = threading.Lock()
        self._children_lock = threading.Lock()
        self._children: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._gone = False  # the reader has stopped: no more exit codes will come
        self._folder = None if key.cwd is not None else Path(tempfile.mkdtemp(prefix="farflow-warm-"))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with tempfile.TemporaryFile() as output:  # what preloading prints, replayed into each child
                self.process = start_session(
                    [key.python, str(WARM_SCRIPT), str(theirs.fileno()), *key.preload],
                    env=dict(key.env),
                    cwd=Path(key.cwd) if key.cwd is not None else self._folder,
                    stdout=output,
                    pass_fds=(theirs.fileno(),),
                )
        except BaseException:
            ours.close()
            self._remove_folder()
            raise
        finally:
            theirs.close()
        self._sock = ours
        self._reader = threading.Thread(target=self._read, name="farflow-warm-python", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def status(self) -> Status:
        if self._broken or self.error is not None:
            return "cold"
        if self._ready.is_set():
            return "ready"
        if time.monotonic() > self.ready_by:
            self.error = f"not ready after {READY_TIMEOUT:.0f} s"
            logger.warning("A warm Python is taking too long to warm up; its containers start cold.")
            return "cold"
        return "warming"

    @property
    def busy(self) -> bool:
        """Some container it forked has not been reported exited yet."""
        with self._children_lock:
            return bool(self._children)

    def fork(self, how: Invocation, env: Mapping[str, str], cwd: Path, output: int) -> int:
        """Fork a container writing to the fd `output` (the caller keeps and closes its copy); its pid.
        The caller then `adopt`s it, to learn its exit code."""
        request = {"mode": how.mode, "target": how.target, "args": list(how.args), "env": dict(env)}
        with self._request_lock:
            if self.status() != "ready":
                raise WarmPythonError(self.error or "the warm interpreter is not ready")
            self.last_used = time.monotonic()
            try:
                warm_python_server.send(self._sock, {"fork": {**request, "cwd": str(cwd)}}, [output])
                reply = self._replies.get(timeout=REPLY_TIMEOUT)
            except (OSError, queue.Empty) as error:
                self._broken = True
                raise WarmPythonError(f"the warm interpreter did not answer: {error!r}") from None
        if "refused" in reply:
            raise ForkRefused(0, str(reply["refused"]))
        pid = reply.get("forked")
        if not isinstance(pid, int):
            self._broken = True
            raise WarmPythonError(str(reply.get("error") or f"unexpected answer {sorted(reply)}"))
        return pid

    def adopt(self, child: ForkedProcess) -> None:
        """Report `child`'s exit code to it once the interpreter reports it (it may have already)."""
        with self._children_lock:
            code = self._early_exits.pop(child.pid, None)
            if code is None and not self._gone:
                self._children[child.pid] = child
                return
        if code is None:  # the interpreter died in between: as in _lost
            signal_group(child.pid, signal.SIGKILL)
            code = -signal.SIGKILL
        child.exited(code)

    def _read(self) -> None:
        try:
            while True:
                message, fds = warm_python_server.receive(self._sock, max_fds=0)
                for fd in fds:
                    os.close(fd)
                if message is None:
                    break
                self._dispatch(message)
        except (OSError, ValueError, EOFError, TypeError):
            pass
        finally:
            self._lost()

    def _dispatch(self, message: dict[str, object]) -> None:
        if "ready" in message:
            if not message["ready"]:
                self.error = str(message.get("error") or "the warm interpreter failed to start")
                logger.warning("A warm Python could not warm up; its containers start cold: %s", self.error)
            self._ready.set()
        elif "exited" in message:
            pid, code = message["exited"], message.get("code")
            if isinstance(pid, int) and isinstance(code, int):
                with self._children_lock:
                    child = self._children.pop(pid, None)
                    if child is None:
                        self._early_exits[pid] = code
                if child is not None:
                    child.exited(code)
        else:
            self._replies.put(message)

    def _lost(self) -> None:
        """The interpreter is gone: exit codes of its children can no longer be known; end them."""
        self._broken = True
        if not self._ready.is_set():
            self.error = self.error or "the warm interpreter exited before it was ready"
            self._ready.set()
        self._replies.put({"error": "the warm interpreter exited"})
        with self._children_lock:
            self._gone = True
            orphans, self._children = list(self._children.values()), {}
        for child in orphans:
            logger.warning("The warm Python of container process %s exited; killing it.", child.pid)
            signal_group(child.pid, signal.SIGKILL)
            child.exited(-signal.SIGKILL)

    def close(self, grace: float = CLOSE_GRACE) -> None:
        """Close the socket (the interpreter then ends whatever it still runs and exits), and reap it."""
        self._broken = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._reader.join(timeout=grace)
        self._sock.close()
        self._remove_folder()

    def _remove_folder(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


class ForkPool:
    """The warm interpreters of one endpoint, by key; at most `capacity` at once."""

    def __init__(
        self,
        python: str,
        enabled: bool,
        preloads: Mapping[str, tuple[str, ...]] = PRELOADS,
        capacity: int = MAX_SERVERS,
    ) -> None:
        self.python = python
        self.enabled = enabled
        self.preloads = preloads
        self.capacity = capacity
        self.forked = 0
        self._servers: dict[WarmKey, WarmPython] = {}
        self._failed: set[WarmKey] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._retiring: list[threading.Thread] = []

    def key(self, plan: ContainerPlan) -> WarmKey | None:
        return warm_key(plan, self.python, self.preloads) if self.enabled else None

    def status(self, key: WarmKey | None) -> Status:
        """Whether a container of this key can fork now, should wait, or should start cold; starts the
        key's interpreter if there is none."""
        if key is None:
            return "cold"
        with self._lock:
            if self._closed or key in self._failed:
                return "cold"
            server = self._servers.get(key)
            if server is None:
                if not self._make_room():
                    return "cold"
                try:
                    server = self._servers[key] = WarmPython(key)
                except OSError as error:
                    logger.warning("Could not start a warm Python; its containers start cold: %s", error)
                    self._failed.add(key)
                    return "cold"
            status = server.status()
            if status == "cold":
                self._failed.add(key)
                del self._servers[key]
                self._retire(server)
            return status

    def _retire(self, server: WarmPython) -> None:
        """Close a warm interpreter in the background: callers may hold MOTO_LOCK (lock held)."""
        thread = threading.Thread(target=server.close, name="farflow-warm-python-close", daemon=True)
        thread.start()
        self._retiring = [item for item in self._retiring if item.is_alive()] + [thread]

    def _make_room(self) -> bool:
        """Retire the least recently used idle interpreter if the pool is full (lock held)."""
        if len(self._servers) < self.capacity:
            return True
        idle = [server for server in self._servers.values() if not server.busy]
        if not idle:
            return False
        oldest = min(idle, key=lambda server: server.last_used)
        del self._servers[oldest.key]
        self._retire(oldest)
        return True

    def start(self, plan: ContainerPlan, cwd: Path, logged: bool) -> ContainerProcess | None:
        """Fork the container from its warm interpreter; None if it must start as a plain process.
        Raises OSError (ForkRefused) where starting a plain process would fail too."""
        key = self.key(plan)
        how = invocation(plan.argv, self.python)
        if key is None or how is None or self.status(key) != "ready":
            return None
        with self._lock:
            server = self._servers.get(key)
        if server is None:
            return None
        if logged:
            reader, writer = os.pipe()
        else:
            reader, writer = -1, os.open(os.devnull, os.O_WRONLY)
        try:
            pid = server.fork(how, plan.env, cwd, writer)
        except WarmPythonError as error:
            logger.warning("A warm Python failed; this container starts cold: %s", error)
            if reader >= 0:
                os.close(reader)
            with self._lock:
                self._failed.add(key)
            return None
        except OSError:
            if reader >= 0:
                os.close(reader)
            raise
        finally:
            os.close(writer)
        process = ForkedProcess(pid, os.fdopen(reader, "rb") if reader >= 0 else None)
        server.adopt(process)
        self.forked += 1
        return process

    def pids(self) -> list[int]:
        """The warm interpreters' pids (for tests)."""
        with self._lock:
            return [server.pid for server in self._servers.values()]

    def close(self, grace: float = CLOSE_GRACE) -> None:
        with self._lock:
            self._closed = True
            servers, self._servers = list(self._servers.values()), {}
            retiring, self._retiring = self._retiring, []
        for server in servers:
            server.close(grace)
        for thread in retiring:
            thread.join()
