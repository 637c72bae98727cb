"""A port in use is named with its holder and the option that fixes it."""

from __future__ import annotations

import os
import socket

import pytest

from farflow.local.ports import PortInUseError, ensure_free, free_port, in_use_message


def test_port_in_use_names_the_holder_and_the_fix() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortInUseError) as caught:
            ensure_free(port)
    message = str(caught.value)
    assert f"Port {port}" in message
    assert "--port" in message
    assert f"pid {os.getpid()}" in message


def test_free_port_is_free() -> None:
    ensure_free(free_port())


@pytest.mark.parametrize("port", [0, 70000])
def test_invalid_ports(port: int) -> None:
    with pytest.raises(PortInUseError, match="not a valid TCP port"):
        ensure_free(port)


def test_message_without_holder() -> None:
    assert in_use_message(8080, None) == (
        "Port 8080 on 127.0.0.1 is already in use. Stop that process, or choose another port with "
        "--port (e.g. --port 8081)."
    )
