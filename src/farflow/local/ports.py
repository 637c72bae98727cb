"""Loopback ports: is one free, which process holds it, and a free one for the demo."""

from __future__ import annotations

import contextlib
import socket

import psutil

HOST = "127.0.0.1"


class PortInUseError(RuntimeError):
    """The port farflow needs is taken; the message names the holder and the fix."""


def port_holder(port: int) -> str | None:
    """`pid N (name)` of a process listening on `port`, if this user may see it."""
    with contextlib.suppress(psutil.AccessDenied, OSError):
        for connection in psutil.net_connections(kind="inet"):
            if connection.laddr and connection.laddr.port == port and connection.status == psutil.CONN_LISTEN:
                if connection.pid is None:
                    return None
                with contextlib.suppress(psutil.Error):
                    return f"pid {connection.pid} ({psutil.Process(connection.pid).name()})"
                return f"pid {connection.pid}"
    return None


def in_use_message(port: int, holder: str | None, option: str = "--port") -> str:
    by = f" by {holder}" if holder else ""
    return (
        f"Port {port} on {HOST} is already in use{by}. Stop that process, or choose another port with "
        f"{option} (e.g. {option} {port + 1})."
    )


def ensure_free(port: int, option: str = "--port") -> None:
    """Raise PortInUseError (naming the holder and the fix) if nothing can listen on HOST:port."""
    if not 0 < port < 65536:
        raise PortInUseError(
            f"Port {port} is not a valid TCP port; choose one between 1 and 65535 with {option}."
        )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise PortInUseError(in_use_message(port, port_holder(port), option)) from None


def free_port() -> int:
    """A port that was free a moment ago (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
