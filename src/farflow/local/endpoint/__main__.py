"""`python -m farflow.local.endpoint`: serve a local ECS endpoint until SIGTERM or Ctrl-C.

Prints one line, `Local ECS endpoint listening on http://HOST:PORT`, once it accepts requests. Faults come
from the FARFLOW_FAULT_* variables (see FaultSettings.from_env).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from farflow.local.endpoint.faults import FaultSettings, FaultSettingsError
from farflow.local.endpoint.image_resolver import ImageResolver


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m farflow.local.endpoint",
        description="A loopback ECS + CloudWatch Logs endpoint that runs each task's command locally.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--project", type=Path, help="project folder whose tasks/<name> folders are images")
    parser.add_argument("--region", default="us-east-1", help="region for the printed URL's clients")
    parser.add_argument("--no-execute", action="store_true", help="keep tasks RUNNING without processes")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.project is not None and not args.project.is_dir():
        parser.error(f"--project {args.project} is not a folder; give the project folder (with tasks/).")
    try:
        faults = FaultSettings.from_env()
    except FaultSettingsError as error:
        parser.error(str(error))
    from farflow.local.endpoint.server import LocalEcsEndpoint  # after the checks: moto is slow to import

    done = threading.Event()

    def finish(signum: int, frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    endpoint = LocalEcsEndpoint(
        host=args.host,
        port=args.port,
        faults=faults,
        images=ImageResolver(project_dir=args.project),
        execute=not args.no_execute,
        region=args.region,
    )
    with endpoint:
        print(f"Local ECS endpoint listening on {endpoint.url}", flush=True)
        done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
