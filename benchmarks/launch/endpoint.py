"""farflow's local ECS endpoint in a child process, counting calls by X-Amz-Target.

A child process keeps the endpoint's work (moto, the threads that sleep the added delay) out of the
process that runs the executor, as AWS would be. The parent talks to it by lines on stdin and stdout:
the child prints its URL, then answers "counts" with a JSON object; "stop" or EOF stops it.

    python -m benchmarks.launch.endpoint --delay-ms 40
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class CallCounter:
    """WSGI middleware: counts ECS calls by operation (RunTask, DescribeTasks, ...)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if target.startswith(TARGET_PREFIX):
            with self._lock:
                self._counts[target.removeprefix(TARGET_PREFIX)] += 1
        return self.app(environ, start_response)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


def serve(delay_ms: int, commands: IO[str], answers: IO[str]) -> None:
    """The child: start the endpoint, count its calls, answer commands until "stop" or EOF."""
    from farflow.local.endpoint import FaultSettings, LocalEcsEndpoint

    faults = FaultSettings(latency_ms=delay_ms)
    with LocalEcsEndpoint(host="127.0.0.1", port=0, faults=faults, execute=False) as endpoint:
        # The endpoint has no call counter of its own: wrap the app its werkzeug server calls per request.
        server = endpoint._server
        assert server is not None
        counter = CallCounter(server.app)
        server.app = counter
        print(endpoint.url, file=answers, flush=True)
        for line in commands:
            command = line.strip()
            if command == "counts":
                print(json.dumps(counter.snapshot()), file=answers, flush=True)
            elif command == "stop":
                break


class EndpointProcess:
    """`with EndpointProcess(delay_ms) as endpoint:` -> endpoint.url, endpoint.counts()."""

    def __init__(self, delay_ms: int) -> None:
        self.delay_ms = delay_ms
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def start(self) -> EndpointProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.launch.endpoint", "--delay-ms", str(self.delay_ms)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self._ask(None)
        if not self.url.startswith("http://"):
            self.stop()
            raise RuntimeError("the local ECS endpoint did not start; see its output above")
        return self

    def _ask(self, command: str | None) -> str:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        with self._lock:
            if command is not None:
                process.stdin.write(command + "\n")
                process.stdin.flush()
            return process.stdout.readline().strip()

    def counts(self) -> Mapping[str, int]:
        counts: dict[str, int] = json.loads(self._ask("counts"))
        return counts

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            assert process.stdin is not None
            process.stdin.write("stop\n")
            process.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> EndpointProcess:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="The benchmark's endpoint process (see module docstring).")
    parser.add_argument("--delay-ms", type=int, required=True)
    delay_ms = parser.parse_args().delay_ms
    answers, sys.stdout = sys.stdout, sys.stderr  # stray prints must not break the line protocol
    serve(delay_ms, sys.stdin, answers)


if __name__ == "__main__":
    main()
