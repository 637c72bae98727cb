"""Containers forked from a warm interpreter are processes of their own, indistinguishable to the task from
spawned ones: pid and session, folder, environment, argv, exit codes, output; and no state carries over
from one task to the next. (The lifecycle, StopTask, memory and logs tests in test_endpoint.py run with
the fork server on and off.)"""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from farflow.local import process_tree
from farflow.local.endpoint import ImageResolver, LocalEcsEndpoint
from farflow.local.endpoint.warm_python_client import EXECUTE_WORKLOAD
from tests.integration.local.conftest import AIRFLOW_IMAGE, Local, seed
from tests.support.polling import wait_until

MARKER = "FARFLOW_TEST_STACK"
FOLDER = "probe_task"
IMAGE = f"farflow-local/{FOLDER}:latest"
# What a task can see of how it was started; printed as one JSON line.
PROBE = """
import json, os, sys
print(json.dumps({
    "pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0), "pgid": os.getpgid(0),
    "cwd": os.getcwd(), "env": dict(os.environ), "argv": sys.argv, "path0": sys.path[0],
    "name": __name__, "file": globals().get("__file__"), "main": sys.modules["__main__"].__dict__.get("__file__"),
}), flush=True)
"""
# Changes a task could make to process-global state, and a check that none of them is visible.
MUTATE = (
    "import json, os, sys, types; json.FARFLOW_MUTATED = 1; os.environ['FARFLOW_LEAK'] = '1'; "
    "sys.modules['farflow_leak'] = types.ModuleType('farflow_leak'); sys.path.append('/farflow-leak'); "
    "os.chdir('/'); print(os.getppid(), flush=True)"
)
CHECK = (
    "import json, os, sys; print(os.getppid(), hasattr(json, 'FARFLOW_MUTATED'), 'FARFLOW_LEAK' in os.environ, "
    "'farflow_leak' in sys.modules, '/farflow-leak' in sys.path, os.getcwd() == '/', flush=True)"
)
CONF_PROBE = """
import json, os
from airflow.configuration import conf
print(json.dumps({"dags_folder": conf.get("core", "dags_folder"), "probe": os.environ.get("FARFLOW_PROBE")}))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fork-project")
    folder = root / "tasks" / FOLDER
    folder.mkdir(parents=True)
    (folder / "probe.py").write_text(PROBE)
    (folder / "probe_module.py").write_text(PROBE)
    (folder / "conf_probe.py").write_text(CONF_PROBE)
    # Modules a warm interpreter must not fork after importing (it falls back to spawning):
    (folder / "sets_env.py").write_text("import os\nos.environ['FARFLOW_SET_AT_IMPORT'] = '1'\n")
    (folder / "starts_thread.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
    )
    return root


def base_env(marker: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        "LANG": "C.UTF-8",
        MARKER: marker,
    }


def endpoint(project: Path, fork_server: bool, marker: str = "", **kwargs: Any) -> LocalEcsEndpoint:
    return LocalEcsEndpoint(
        images=ImageResolver(project_dir=project),
        base_env=base_env(marker or uuid.uuid4().hex),
        fork_server=fork_server,
        **kwargs,
    )


@pytest.fixture(scope="module")
def forked(project: Path) -> Iterator[Local]:
    # The warm interpreter of `python -m conf_probe` imports Airflow's configuration, as the Airflow task's
    # imports the Task SDK: with the container's environment, which the task must see.
    with endpoint(project, True, fork_preloads={"conf_probe": ("airflow.configuration",)}) as started:
        yield seed(started)


@pytest.fixture(scope="module")
def spawned(project: Path) -> Iterator[Local]:
    with endpoint(project, False) as started:
        yield seed(started)


def launch(local: Local, command: list[str], **container: Any) -> str:
    """Register a one-container task definition (the probe folder's image unless given) and run it."""
    definition = local.register(command, **{"image": IMAGE, **container})
    return str(local.run(definition)["tasks"][0]["taskArn"])


def run(local: Local, command: list[str], **container: Any) -> tuple[dict[str, Any], list[str]]:
    """Run a one-container task to STOPPED: its description and its output lines."""
    arn = launch(local, command, **container)
    task = local.wait_status(arn, "STOPPED")
    return task, local.log_lines(arn)


def probe(local: Local, command: list[str], **container: Any) -> dict[str, Any]:
    task, lines = run(local, command, **container)
    assert task["containers"][0]["exitCode"] == 0, lines
    return dict(json.loads(lines[0]))


def same_start(forked: Local, spawned: Local, command: list[str]) -> dict[str, Any]:
    """Probe one command on both endpoints; assert the task sees the same; return the forked view."""
    environment = [{"name": "GREETING", "value": "hello"}]
    seen = probe(forked, command, environment=environment)
    cold = probe(spawned, command, environment=environment)
    assert seen["ppid"] in forked.endpoint.warm_pids()  # really forked
    assert cold["ppid"] == os.getpid()  # really spawned, by this process
    assert seen["pid"] == seen["sid"] == seen["pgid"]  # its own session and process group
    for view, local in ((seen, forked), (cold, spawned)):
        # What differs between two endpoints (and two tasks) by design:
        assert (
            view["env"]
            .pop("FARFLOW_ECS_TASK_ARN")
            .startswith(f"arn:aws:ecs:us-east-1:{local.endpoint.account_id}:")
        )
        assert view["env"].pop("AWS_ENDPOINT_URL") == local.endpoint.url
        assert view["env"].pop(MARKER)
        for key in ("pid", "ppid", "sid", "pgid"):
            view.pop(key)
    assert seen == cold
    return seen


def test_a_forked_python_c_container_sees_what_a_spawned_one_sees(
    forked: Local, spawned: Local, project: Path
) -> None:
    seen = same_start(forked, spawned, ["python", "-c", PROBE, "first", "second"])
    assert seen["argv"] == ["-c", "first", "second"]
    assert (seen["path0"], seen["name"], seen["main"]) == ("", "__main__", None)
    assert seen["cwd"] == str(project / "tasks" / FOLDER)
    # Exactly the container's environment: the endpoint's base, its injections, the definition's. The
    # definition has no task role, so no credentials, and nothing that would find some elsewhere.
    assert set(seen["env"]) == {
        "PATH",
        "HOME",
        "LANG",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "AWS_EC2_METADATA_DISABLED",
        "GREETING",
    }


def test_a_forked_script_container_sees_what_a_spawned_one_sees(
    forked: Local, spawned: Local, project: Path
) -> None:
    seen = same_start(forked, spawned, ["python3", "probe.py", "--flag"])
    folder = str(project / "tasks" / FOLDER)
    assert seen["argv"] == ["probe.py", "--flag"]
    assert (seen["path0"], seen["file"]) == (folder, f"{folder}/probe.py")


def test_a_forked_python_m_container_sees_what_a_spawned_one_sees(
    forked: Local, spawned: Local, project: Path
) -> None:
    seen = same_start(forked, spawned, ["python", "-m", "probe_module", "x"])
    folder = str(project / "tasks" / FOLDER)
    assert seen["argv"] == [f"{folder}/probe_module.py", "x"]
    assert (seen["path0"], seen["name"]) == (folder, "__main__")


@pytest.mark.parametrize(
    ("code", "exit_code", "output"),
    [
        ("import sys; print('bye', flush=True); sys.exit(3)", 3, ["bye"]),
        ("import os; os._exit(7)", 7, []),
        ("raise SystemExit('a message')", 1, ["a message"]),
        (
            "raise ValueError('boom')",
            1,
            [
                "Traceback (most recent call last):",
                '  File "<string>", line 1, in <module>',
                "ValueError: boom",
            ],
        ),
        ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", 143, []),
        ("import atexit; atexit.register(print, 'at exit')", 0, ["at exit"]),
        (
            "import threading, time; threading.Thread(target=lambda: (time.sleep(0.3), print('thread'))).start()",
            0,
            ["thread"],
        ),
    ],
    ids=["sys.exit", "os._exit", "message", "traceback", "signal", "atexit", "thread"],
)
def test_a_forked_container_ends_as_a_spawned_one_does(
    forked: Local, spawned: Local, code: str, exit_code: int, output: list[str]
) -> None:
    for local in (forked, spawned):
        task, lines = run(local, ["python", "-c", code])
        assert (task["containers"][0]["exitCode"], lines) == (exit_code, output)


TITLE = (
    "import setproctitle; setproctitle.setproctitle('airflow worker -- probe'); "
    "print(open('/proc/self/cmdline').read().split(chr(0))[0], flush=True)"
)


def test_a_forked_container_can_retitle_itself_as_a_spawned_one_can(forked: Local, spawned: Local) -> None:
    # As Airflow's task runner does; `ps` and the tests that find a task's runner read the title.
    for local in (forked, spawned):
        _, lines = run(local, ["python", "-c", TITLE])
        assert lines == ["airflow worker -- probe"]


def test_what_a_task_changes_in_its_process_does_not_reach_the_next(forked: Local) -> None:
    _, first = run(forked, ["python", "-c", MUTATE])
    _, second = run(forked, ["python", "-c", CHECK])
    warm, *seen = second[0].split()
    assert first == [warm]  # both forked from the same warm interpreter
    assert seen == ["False"] * 5


def test_each_environment_gets_a_warm_interpreter_that_imported_with_it(
    forked: Local, tmp_path: Path
) -> None:
    """Airflow builds its configuration at import: a task must see its own environment's, not another's."""

    def conf(dags: str, probe: str) -> dict[str, Any]:
        environment = [
            {"name": "AIRFLOW_HOME", "value": str(tmp_path)},
            {"name": "AIRFLOW__CORE__DAGS_FOLDER", "value": dags},
            {"name": "FARFLOW_PROBE", "value": probe},
        ]
        arn = launch(forked, ["python", "-m", "conf_probe"], environment=environment)
        task = forked.wait_status(arn, "STOPPED", timeout=60)
        lines = forked.log_lines(arn)
        assert task["containers"][0]["exitCode"] == 0, lines
        return dict(json.loads(lines[-1]))

    warm_before = set(forked.endpoint.warm_pids())
    first = conf("/dags/one", "one")
    second = conf("/dags/two", "two")
    again = conf("/dags/one", "one")
    assert first == again == {"dags_folder": "/dags/one", "probe": "one"}
    assert second == {"dags_folder": "/dags/two", "probe": "two"}
    assert len(set(forked.endpoint.warm_pids()) - warm_before) >= 2  # one per environment


def test_commands_a_warm_interpreter_cannot_run_are_spawned(forked: Local) -> None:
    """Interpreter options, and programs other than this Python, start as plain processes."""
    for command in (["python", "-u", "-c", "import os; print(os.getppid())"], ["sh", "-c", "echo $PPID"]):
        task, lines = run(forked, command)
        assert task["containers"][0]["exitCode"] == 0
        assert lines == [str(os.getpid())]


@pytest.mark.parametrize(
    "preload",
    ["farflow_no_such_module", "sets_env", "starts_thread"],
    ids=["import-error", "changes-environment", "starts-a-thread"],
)
def test_a_warm_interpreter_that_cannot_warm_up_leaves_its_containers_to_start_cold(
    project: Path, preload: str
) -> None:
    with endpoint(project, True, fork_preloads={"probe_module": (preload,)}) as started:
        local = seed(started)
        seen = probe(local, ["python", "-m", "probe_module"])
        assert seen["ppid"] == os.getpid()
        assert seen["pid"] == seen["sid"]


def test_when_a_warm_interpreter_dies_its_containers_end_and_the_next_start_cold(forked: Local) -> None:
    sleeper = "import os, time; print(os.getppid(), flush=True); time.sleep(60)"
    arn = launch(forked, ["python", "-c", sleeper], environment=[{"name": "DIE", "value": "1"}])
    warm = int(forked.wait_log(arn, str.isdigit, "the warm interpreter's pid"))
    os.kill(warm, signal.SIGKILL)
    task = forked.wait_status(arn, "STOPPED")
    assert task["containers"][0]["exitCode"] == 137
    again = launch(
        forked, ["python", "-c", sleeper.replace("60", "0")], environment=[{"name": "DIE", "value": "1"}]
    )
    assert forked.wait_status(again, "STOPPED")["containers"][0]["exitCode"] == 0
    assert forked.log_lines(again) == [str(os.getpid())]


def test_registering_an_airflow_task_definition_warms_its_interpreter(project: Path) -> None:
    with endpoint(project, True, fork_preloads={EXECUTE_WORKLOAD: ("json",)}) as started:
        local = seed(started)
        assert started.warm_pids() == []
        local.register(
            None, image=AIRFLOW_IMAGE, family="airflow-task"
        )  # no command: farflow's executor brings it
        assert len(started.warm_pids()) == 1
        local.register(["python", "-c", "pass"], family="other")  # a command of its own: warmed at launch
        assert len(started.warm_pids()) == 1


def test_warm_interpreters_end_with_the_endpoint(project: Path) -> None:
    marker = uuid.uuid4().hex
    started = endpoint(project, True, marker).start()
    try:
        local = seed(started)
        arn = launch(local, ["python", "-c", "import time; time.sleep(60)"])
        local.wait_status(arn, "RUNNING")
        warm = started.warm_pids()
        assert warm and process_tree.marked(MARKER, marker)
    finally:
        started.stop()
    wait_until(
        lambda: not process_tree.marked(MARKER, marker), what="every marked process to end", timeout=10
    )
    assert not [pid for pid in warm if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
