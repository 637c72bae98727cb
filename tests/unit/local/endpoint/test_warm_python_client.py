"""Which containers fork from which warm interpreter (pure), and the warm interpreter's message framing."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from farflow.local.endpoint import warm_python_server
from farflow.local.endpoint.image_resolver import ImageResolver
from farflow.local.endpoint.plan import TASK_ARN_KEY, ContainerPlan
from farflow.local.endpoint.warm_python_client import (
    EXECUTE_WORKLOAD,
    PRELOADS,
    Invocation,
    assumed_override,
    fork_server_enabled,
    invocation,
    warm_key,
)

PYTHON = "/env/bin/python"


def plan(
    argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = Path("/project")
) -> ContainerPlan:
    return ContainerPlan(
        name="main",
        argv=tuple(argv),
        cwd=cwd,
        env={"PATH": "/bin", TASK_ARN_KEY: "arn:task/1", **(env or {})},
        memory_mib=None,
        stop_timeout=30.0,
        log=None,
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([PYTHON, "-m", "pkg.mod", "--a", "b"], Invocation("-m", "pkg.mod", ("--a", "b"))),
        ([PYTHON, "-c", "print(1)", "x"], Invocation("-c", "print(1)", ("x",))),
        ([PYTHON, "script.py", "-v"], Invocation("script", "script.py", ("-v",))),
        ([PYTHON, "-u", "-c", "pass"], None),  # interpreter options: a fresh interpreter honours them
        ([PYTHON, "-X", "importtime", "-m", "x"], None),
        ([PYTHON, "-"], None),
        ([PYTHON, "-m"], None),
        ([PYTHON], None),
        (["/other/python", "-c", "pass"], None),  # not the project's Python
        (["sh", "-c", "echo"], None),
    ],
)
def test_invocation(argv: list[str], expected: Invocation | None) -> None:
    assert invocation(argv, PYTHON) == expected


def test_the_key_is_everything_but_the_task_arn() -> None:
    key = warm_key(plan([PYTHON, "-c", "pass"]), PYTHON)
    assert key is not None
    assert dict(key.env) == {"PATH": "/bin"}
    assert key == warm_key(plan([PYTHON, "-c", "other code", "args"], {TASK_ARN_KEY: "arn:task/2"}), PYTHON)
    assert key == warm_key(plan([PYTHON, "script.py"]), PYTHON)  # the program is per fork
    assert key != warm_key(plan([PYTHON, "-c", "pass"], {"AIRFLOW__CORE__DAGS_FOLDER": "/b"}), PYTHON)
    assert key != warm_key(plan([PYTHON, "-c", "pass"], {"FARFLOW_CLUSTER": "other"}), PYTHON)
    assert key != warm_key(plan([PYTHON, "-c", "pass"], cwd=Path("/elsewhere")), PYTHON)
    assert key != warm_key(plan([PYTHON, "-c", "pass"]), "/another/python")
    assert warm_key(plan([PYTHON, "-u", "-c", "pass"]), PYTHON) is None


def test_a_module_with_preloads_gets_an_interpreter_of_its_own() -> None:
    airflow = warm_key(plan([PYTHON, "-m", EXECUTE_WORKLOAD, "--json-string", "{}"]), PYTHON)
    plain = warm_key(plan([PYTHON, "-m", "other.module"]), PYTHON)
    assert airflow is not None and plain is not None
    assert airflow.preload == PRELOADS[EXECUTE_WORKLOAD]
    assert "airflow.sdk.execution_time.task_runner" in airflow.preload
    assert plain.preload == ()
    assert warm_key(plan([PYTHON, "-c", EXECUTE_WORKLOAD]), PYTHON) == plain  # only -m picks preloads


@pytest.mark.parametrize(
    ("environ", "platform", "enabled"),
    [
        ({}, "linux", True),  # on by default
        ({"FARFLOW_LOCAL_FORK_SERVER": "1"}, "linux", True),
        ({"FARFLOW_LOCAL_FORK_SERVER": "0"}, "linux", False),
        ({"FARFLOW_LOCAL_FORK_SERVER": " Off "}, "linux", False),
        ({"FARFLOW_LOCAL_FORK_SERVER": "false"}, "linux", False),
        (
            {"FARFLOW_LOCAL_FORK_SERVER": "1"},
            "darwin",
            False,
        ),  # macOS frameworks are not fork-safe: Airflow itself execs there
    ],
)
def test_fork_server_switch(
    environ: dict[str, str], platform: str, enabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    assert fork_server_enabled(environ) is enabled


def test_assumed_override(tmp_path: Path) -> None:
    (tmp_path / "tasks" / "job").mkdir(parents=True)
    images = ImageResolver(project_dir=tmp_path, python=PYTHON)

    def assumed(**definition: Any) -> dict[str, object] | None:
        return assumed_override({"name": "main", **definition}, images)

    assert assumed(image="farflow/airflow:local") == {"command": ["python", "-m", EXECUTE_WORKLOAD]}
    assert assumed(image="farflow/airflow:local", command=["python", "-c", "pass"]) == {}
    assert assumed(image="farflow-local/job:latest", entryPoint=["python"]) == {}
    assert assumed(image="farflow-local/job:latest") is None  # a task folder without a command
    assert assumed(image="nginx:1.27") is None


def test_messages_and_fds_cross_a_socket(tmp_path: Path) -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    target = tmp_path / "out"
    with ours, theirs, target.open("wb") as file:
        request = {"fork": {"mode": "-c", "target": "pass", "args": ["é", ""], "env": {"A": "1"}, "cwd": "/"}}
        warm_python_server.send(ours, request, [file.fileno()])
        received, fds = warm_python_server.receive(theirs)
        assert received == request and len(fds) == 1
        os.write(fds[0], b"through the passed fd")
        os.close(fds[0])
        warm_python_server.send(theirs, {"exited": 12, "code": -9})
        assert warm_python_server.receive(ours) == ({"exited": 12, "code": -9}, [])
        ours.shutdown(socket.SHUT_WR)
        assert warm_python_server.receive(theirs) == (None, [])
    assert target.read_bytes() == b"through the passed fd"
    with pytest.raises(ValueError, match="dict"):
        warm_python_server.decode(warm_python_server.marshal.dumps([1]))
