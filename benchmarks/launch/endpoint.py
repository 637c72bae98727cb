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
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

ROOT = Path(__file__).resolve().parents[2]


def serve(delay_ms: int, commands: IO[str], answers: IO[str]) -> None:
    """The child: start the endpoint, count its calls, answer commands until "stop" or EOF."""
    from farflow.local.endpoint import FaultSettings, LocalEcsEndpoint

    faults = FaultSettings(latency_ms=delay_ms)
    with LocalEcsEndpoint(host="127.0.0.1", port=0, faults=faults, execute=False) as endpoint:
        print(endpoint.url, file=answers, flush=True)
        for line in commands:
            command = line.strip()
            if command == "counts":
                print(json.dumps(endpoint.calls()), file=answers, flush=True)
            elif command == "stop":
                break


class EndpointProcess:
    """`with EndpointProcess(delay_ms) as endpoint:` -> endpoint.url, endpoint.counts().

    Another benchmark's endpoint module (same line protocol, more commands) runs with `module`."""

    def __init__(self, delay_ms: int, module: str = "benchmarks.launch.endpoint") -> None:
        self.delay_ms = delay_ms
        self.module = module
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def start(self) -> EndpointProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", self.module, "--delay-ms", str(self.delay_ms)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.ask(None)
        if not self.url.startswith("http://"):
            self.stop()
            raise RuntimeError("the local ECS endpoint did not start; see its output above")
        return self

    def ask(self, command: str | None) -> str:
        """Send one command line (None: none) and return the child's answer line."""
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        with self._lock:
            if command is not None:
                process.stdin.write(command + "\n")
                process.stdin.flush()
            return process.stdout.readline().strip()

    def counts(self) -> Mapping[str, int]:
        counts: dict[str, int] = json.loads(self.ask("counts"))
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


def child_main(serve: Callable[[int, IO[str], IO[str]], None]) -> None:
    """A benchmark endpoint process's entry point: `--delay-ms`, then `serve` on stdin and stdout."""
    parser = argparse.ArgumentParser(description="A benchmark's endpoint process (see its module docstring).")
    parser.add_argument("--delay-ms", type=int, required=True)
    delay_ms = parser.parse_args().delay_ms
    answers, sys.stdout = sys.stdout, sys.stderr  # stray prints must not break the line protocol
    serve(delay_ms, sys.stdin, answers)


def main() -> None:
    child_main(serve)


if __name__ == "__main__":
    main()
