"""boto3 against a started LocalEcsEndpoint: the ECS lifecycle, real processes, logs, faults."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import boto3
import psutil
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from farflow.local.endpoint import FaultSettings, ImageResolver, LocalEcsEndpoint
from tests.integration.local.conftest import CLUSTER, LOG_GROUP, Local, seed
from tests.support.polling import wait_until

SLEEPER = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"


def pids_in(line: str) -> list[int]:
    return [int(word) for word in line.split()]


def alive(pid: int) -> bool:
    """Running, or not yet dead: a zombie waiting for init to reap it counts as gone."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_gone(pids: list[int]) -> None:
    wait_until(lambda: not any(alive(pid) for pid in pids), what=f"processes {pids} to end", timeout=5)


def test_task_runs_to_stopped_with_exit_code_0_and_its_output_in_logs(local: Local) -> None:
    response = local.run(local.register(["python", "-c", "print('hello from the task')"]))
    first = response["tasks"][0]
    assert response["failures"] == []
    assert (first["lastStatus"], first["desiredStatus"]) == ("PROVISIONING", "RUNNING")
    assert "createdAt" in first
    assert "exitCode" not in first["containers"][0]

    arn = first["taskArn"]
    task = local.wait_status(arn, "STOPPED")
    assert task["desiredStatus"] == "STOPPED"
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    stamps = ("createdAt", "connectivityAt", "pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt")
    moments = {key: task[key] for key in (*stamps, "executionStoppedAt", "stoppedAt")}
    assert list(moments.values()) == sorted(moments.values()), moments
    assert task["containers"][0]["exitCode"] == 0
    assert task["containers"][0]["lastStatus"] == "STOPPED"
    assert local.log_lines(arn) == ["hello from the task"]
    found = local.logs.filter_log_events(
        logGroupName=LOG_GROUP, logStreamNames=[f"ecs/main/{arn.split('/')[-1]}"]
    )
    assert [event["message"] for event in found["events"]] == ["hello from the task"]


def test_exit_code_is_the_containers(local: Local) -> None:
    arn = local.launch(["python", "-c", "import sys; print('failing', file=sys.stderr); sys.exit(3)"])
    task = local.wait_status(arn, "STOPPED")
    assert task["containers"][0]["exitCode"] == 3
    assert task["stopCode"] == "EssentialContainerExited"
    assert local.log_lines(arn) == ["failing"]


def test_stop_task_terminates_the_process(local: Local) -> None:
    arn = local.launch(["python", "-c", SLEEPER])
    pid = pids_in(local.wait_log(arn, str.isdigit, "the task's pid"))[0]
    assert local.describe(arn)["lastStatus"] == "RUNNING"

    answer = local.ecs.stop_task(cluster=CLUSTER, task=arn, reason="no longer needed")["task"]
    assert answer["desiredStatus"] == "STOPPED"

    task = local.wait_status(arn, "STOPPED")
    assert task["stopCode"] == "UserInitiated"
    assert task["stoppedReason"] == "no longer needed"
    assert task["containers"][0]["exitCode"] == 143
    wait_gone([pid])


def test_stop_task_kills_after_the_stop_timeout(local: Local) -> None:
    ignore_term = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); " + SLEEPER
    arn = local.run(local.register(["python", "-c", ignore_term], stopTimeout=1))["tasks"][0]["taskArn"]
    pid = pids_in(local.wait_log(arn, str.isdigit, "the task's pid"))[0]

    local.ecs.stop_task(cluster=CLUSTER, task=arn.split("/")[-1])

    task = local.wait_status(arn, "STOPPED")
    assert task["stoppedReason"] == "Task stopped by user"
    assert task["containers"][0]["exitCode"] == 137
    wait_gone([pid])


def test_memory_over_the_limit_is_killed(local: Local) -> None:
    hog = "import time; hoard = b'x' * (192 << 20); print('allocated', flush=True); time.sleep(30)"
    arn = local.launch(["python", "-c", hog], overrides={"memory": "64"})
    task = local.wait_status(arn, "STOPPED")
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["containers"][0]["exitCode"] == 137
    assert task["containers"][0]["reason"] == "OutOfMemoryError: Container killed due to memory usage"


# Parent and child hold the same 96 MiB until the gate file appears: about 2 x 100 MiB resident, over the
# 160 MiB limit; proportionally about 100 MiB, within it.
def test_memory_a_forked_child_shares_with_its_parent_counts_once(local: Local, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    forked = (
        "import os, sys, time; hoard = b'x' * (96 << 20); pid = os.fork()\n"
        "if pid: print('forked', flush=True)\n"
        "deadline = time.monotonic() + 60\n"
        "while not os.path.exists(sys.argv[1]) and time.monotonic() < deadline: time.sleep(0.05)\n"
        "if pid == 0: os._exit(0)\n"
        "os.waitpid(pid, 0); print('within its memory', flush=True)"
    )
    arn = local.launch(["python", "-c", forked, str(gate)], overrides={"memory": "160"})
    local.wait_log(arn, lambda line: line == "forked", "the task to fork")
    # Two memory checks after the fork (the second began after it, while both processes hold the memory),
    # or the task ended: killed for its memory.
    checked = local.endpoint.memory_checks()
    wait_until(
        lambda: (
            local.endpoint.memory_checks() >= checked + 2 or local.describe(arn)["lastStatus"] == "STOPPED"
        ),
        what="two memory checks",
        timeout=30,
    )
    gate.touch()
    task = local.wait_status(arn, "STOPPED")
    assert task["containers"][0]["exitCode"] == 0
    assert local.log_lines(arn) == ["forked", "within its memory"]


def test_unknown_image_fails_to_start(local: Local) -> None:
    arn = local.run(local.register(["nginx"], image="nginx:1.27"))["tasks"][0]["taskArn"]
    task = local.wait_status(arn, "STOPPED")
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError:")
    assert "docs/local-images.md" in task["stoppedReason"]
    assert "startedAt" not in task
    assert "exitCode" not in task["containers"][0]


def test_unknown_program_fails_to_start(local: Local) -> None:
    arn = local.launch(["no-such-program-farflow", "--secret-token", "abc"])
    task = local.wait_status(arn, "STOPPED")
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotStartContainerError:")
    assert "no-such-program-farflow" in task["stoppedReason"]
    assert "abc" not in task["stoppedReason"]  # arguments may hold tokens: never repeated


def test_missing_log_group_fails_to_start_unless_created(local: Local) -> None:
    absent = local.run(local.register(["python", "-c", "pass"], log_group="/absent"))["tasks"][0]["taskArn"]
    task = local.wait_status(absent, "STOPPED")
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError:")
    assert "/absent" in task["stoppedReason"]

    created = local.register(["python", "-c", "print('made it')"], log_group="/created", create_group=True)
    arn = local.run(created)["tasks"][0]["taskArn"]
    assert local.wait_status(arn, "STOPPED")["containers"][0]["exitCode"] == 0
    stream = f"ecs/main/{arn.split('/')[-1]}"
    events = local.logs.get_log_events(logGroupName="/created", logStreamName=stream)["events"]
    assert [event["message"] for event in events] == ["made it"]


def test_throttling(local: Local) -> None:
    local.endpoint.faults = FaultSettings(throttle_rate=1.0)
    ecs = local.endpoint.client("ecs", config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    with pytest.raises(ClientError) as error:
        ecs.list_clusters()
    assert error.value.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert local.logs.describe_log_groups()["logGroups"]  # only ECS calls are throttled


def test_latency_delays_ecs_calls(local: Local) -> None:
    local.endpoint.faults = FaultSettings(latency_ms=300)
    started = time.monotonic()
    local.ecs.list_clusters()
    assert time.monotonic() - started >= 0.3


def test_no_capacity_returns_failures_and_starts_nothing(local: Local) -> None:
    local.endpoint.faults = FaultSettings(capacity_rate=1.0)
    started_by = f"capacity-{uuid.uuid4().hex[:8]}"
    response = local.run(local.register(["python", "-c", "pass"]), startedBy=started_by)
    assert response["tasks"] == []
    assert response["failures"] == [
        {
            "arn": f"arn:aws:ecs:us-east-1:{local.endpoint.account_id}:cluster/{CLUSTER}",
            "reason": "Capacity is unavailable at this time. Please try again later or in a different "
            "availability zone",
        }
    ]
    assert local.ecs.list_tasks(cluster=CLUSTER, startedBy=started_by)["taskArns"] == []


@pytest.mark.parametrize(
    ("faults", "stop_code", "reason"),
    [
        (FaultSettings(spot_interruption_rate=1.0), "SpotInterruption", "Your Spot Task was interrupted."),
        (
            FaultSettings(start_failure_rate=1.0),
            "TaskFailedToStart",
            "CannotPullContainerError: injected start failure",
        ),
    ],
)
def test_launch_faults_stop_tasks_before_start(
    local: Local, tmp_path: Path, faults: FaultSettings, stop_code: str, reason: str
) -> None:
    local.endpoint.faults = faults
    marker = tmp_path / "ran"
    arn = local.launch(["python", "-c", f"open({str(marker)!r}, 'w').close()"])
    task = local.wait_status(arn, "STOPPED")
    assert (task["stopCode"], task["stoppedReason"]) == (stop_code, reason)
    assert "startedAt" not in task
    assert not marker.exists()


def test_client_token_returns_the_first_calls_task(local: Local, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    definition = local.register(["python", "-c", f"open({str(runs)!r}, 'a').write('ran\\n')"])
    token = f"token-{uuid.uuid4()}"
    first = local.run(definition, clientToken=token)["tasks"][0]["taskArn"]
    again = local.run(definition, clientToken=token)["tasks"]
    assert [task["taskArn"] for task in again] == [first]
    local.wait_status(first, "STOPPED")
    assert runs.read_text() == "ran\n"
    other = local.run(definition, clientToken=f"token-{uuid.uuid4()}")["tasks"][0]["taskArn"]
    assert other != first
    local.wait_status(other, "STOPPED")


def test_server_error_after_creating_the_task_and_a_retry_with_its_token_gets_it(
    local: Local, tmp_path: Path
) -> None:
    local.endpoint.faults = FaultSettings(server_error_rate=1.0)
    runs = tmp_path / "runs"
    definition = local.register(["python", "-c", f"open({str(runs)!r}, 'a').write('ran\\n')"])
    token, started_by = f"token-{uuid.uuid4()}", f"server-error-{uuid.uuid4().hex[:8]}"
    once = local.endpoint.client("ecs", config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    with pytest.raises(ClientError) as error:
        once.run_task(
            cluster=CLUSTER,
            taskDefinition=definition,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [local.subnet]}},
            clientToken=token,
            startedBy=started_by,
        )
    assert error.value.response["Error"]["Code"] == "ServerException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    [created] = local.ecs.list_tasks(cluster=CLUSTER, startedBy=started_by)["taskArns"]
    local.endpoint.faults = FaultSettings()
    again = local.run(definition, clientToken=token, startedBy=started_by)["tasks"]
    assert [task["taskArn"] for task in again] == [created]
    local.wait_status(created, "STOPPED")
    assert runs.read_text() == "ran\n"
    starts = [start for start in local.endpoint.started_containers() if start.task_arn == created]
    assert [start.container for start in starts] == ["main"]


def test_unknown_tasks(local: Local) -> None:
    with pytest.raises(ClientError) as error:
        local.ecs.stop_task(cluster=CLUSTER, task="a" * 32)
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert error.value.response["Error"]["Message"] == "The referenced task was not found."
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    described = local.ecs.describe_tasks(cluster=CLUSTER, tasks=["b" * 32])
    assert described["tasks"] == []
    assert described["failures"] == [{"arn": "b" * 32, "reason": "MISSING"}]


def test_request_fields_pass_through(local: Local) -> None:
    show = "import json, os; print(json.dumps({**dict(os.environ), 'cwd': os.getcwd()}))"
    started_by = f"pass-{uuid.uuid4().hex[:8]}"
    overrides = {
        "cpu": "512",
        "memory": "1024",
        "ephemeralStorage": {"sizeInGiB": 30},
        "containerOverrides": [
            {
                "name": "main",
                "environment": [{"name": "GREETING", "value": "hi"}],
                "resourceRequirements": [{"type": "GPU", "value": "1"}],
            }
        ],
    }
    response = local.run(
        local.register(
            ["python", "-c", show], environment=[{"name": "GREETING", "value": "from definition"}]
        ),
        tags=[{"key": "team", "value": "data"}],
        startedBy=started_by,
        overrides=overrides,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
    )
    arn = response["tasks"][0]["taskArn"]
    assert local.ecs.list_tasks(cluster=CLUSTER, startedBy=started_by)["taskArns"] == [arn]
    local.wait_status(arn, "STOPPED")

    task = local.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn], include=["TAGS"])["tasks"][0]
    assert task["tags"] == [{"key": "team", "value": "data"}]
    assert (task["startedBy"], task["capacityProviderName"], task["launchType"]) == (
        started_by,
        "FARGATE_SPOT",
        "FARGATE",
    )
    assert (task["cpu"], task["memory"]) == ("512", "1024")
    assert task["overrides"]["containerOverrides"][0]["environment"] == [{"name": "GREETING", "value": "hi"}]
    assert arn in local.ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]

    env = json.loads(local.log_lines(arn)[0])
    assert env["GREETING"] == "hi"
    assert env["AWS_ENDPOINT_URL"] == local.endpoint.url
    assert (env["AWS_REGION"], env["AWS_DEFAULT_REGION"]) == ("us-east-1", "us-east-1")
    assert "AWS_ACCESS_KEY_ID" not in env and "AWS_SECRET_ACCESS_KEY" not in env  # no task role
    assert env["FARFLOW_ECS_TASK_ARN"] == arn


def test_a_task_without_a_task_role_has_no_credentials_as_on_fargate(local: Local) -> None:
    call = (
        "import boto3, botocore.exceptions as e\n"
        "try:\n    boto3.client('s3').list_buckets()\nexcept e.NoCredentialsError as error:\n"
        "    print(type(error).__name__)"
    )
    arn = local.run(local.register(["python", "-c", call], family="no-role"))["tasks"][0]["taskArn"]
    assert local.wait_status(arn, "STOPPED")["containers"][0]["exitCode"] == 0
    assert local.log_lines(arn) == ["NoCredentialsError"]


def test_task_folder_image_runs_in_its_folder(local: Local, project: Path) -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/farflow-tasks/multi_task:latest"
    definition = local.register(["python3", "-c", "import os; print(os.getcwd())"], image=image)
    arn = local.run(definition)["tasks"][0]["taskArn"]
    assert local.wait_status(arn, "STOPPED")["containers"][0]["exitCode"] == 0
    assert local.log_lines(arn) == [str((project / "tasks" / "multi_task").resolve())]


def test_first_essential_exit_stops_the_other_containers(local: Local) -> None:
    options = {"awslogs-group": LOG_GROUP, "awslogs-stream-prefix": "ecs"}
    logging = {"logDriver": "awslogs", "options": options}
    definition = local.ecs.register_task_definition(
        family="pair",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "main", "image": "apache/airflow", "command": ["python", "-c", "print('done')"]},
            {"name": "helper", "image": "apache/airflow", "command": ["python", "-c", SLEEPER]},
            {"name": "router", "image": "fluent/fluent-bit", "essential": False, "logConfiguration": logging},
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = local.run(definition)["tasks"][0]["taskArn"]
    task = local.wait_status(arn, "STOPPED")
    containers = {container["name"]: container for container in task["containers"]}
    assert task["stopCode"] == "EssentialContainerExited"
    assert containers["main"]["exitCode"] == 0
    assert containers["helper"]["exitCode"] == 143
    assert containers["router"]["exitCode"] == 0  # a sidecar has no process; it reports a clean exit
    assert {container["lastStatus"] for container in containers.values()} == {"STOPPED"}


def test_ec2_launch_type_needs_a_container_instance(local: Local) -> None:
    ec2 = local.endpoint.client("ec2")
    local.ecs.create_cluster(clusterName="on-ec2")
    definition = local.ecs.register_task_definition(
        family="on-ec2",
        containerDefinitions=[
            {"name": "main", "image": "apache/airflow", "memory": 128, "command": ["python", "-c", "pass"]}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    with pytest.raises(ClientError) as error:
        local.ecs.run_task(cluster="on-ec2", taskDefinition=definition, launchType="EC2")
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"

    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    document = json.dumps({"instanceId": instance})
    local.ecs.register_container_instance(cluster="on-ec2", instanceIdentityDocument=document)
    response = local.ecs.run_task(cluster="on-ec2", taskDefinition=definition, launchType="EC2")
    arn = response["tasks"][0]["taskArn"]
    task = wait_until(
        lambda: (
            (t := local.ecs.describe_tasks(cluster="on-ec2", tasks=[arn])["tasks"][0])["lastStatus"]
            == "STOPPED"
            and t
        ),
        what="the EC2 task to stop",
        timeout=15.0,
    )
    assert (task["launchType"], task["containers"][0]["exitCode"]) == ("EC2", 0)


def test_without_execution_tasks_stay_running_without_processes() -> None:
    with LocalEcsEndpoint(execute=False) as endpoint:
        local = seed(endpoint)
        definition = local.register(["python", "-c", SLEEPER])
        me = psutil.Process()
        children, threads = set(me.children(recursive=True)), threading.active_count()

        def launch() -> None:
            local.run(definition, count=5, startedBy="bulk")

        launchers = [threading.Thread(target=launch) for _ in range(8)]
        for thread in launchers:
            thread.start()
        for thread in launchers:
            thread.join()
        arns = local.ecs.list_tasks(cluster=CLUSTER, startedBy="bulk")["taskArns"]
        assert len(arns) == 40

        def all_running() -> bool:
            tasks = local.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]
            return len(tasks) == 40 and all(task["lastStatus"] == "RUNNING" for task in tasks)

        wait_until(all_running, what="40 tasks to be RUNNING", timeout=15.0)
        assert set(me.children(recursive=True)) == children
        wait_until(lambda: threading.active_count() <= threads + 2, what="no thread per task", timeout=15.0)

        local.ecs.stop_task(cluster=CLUSTER, task=arns[0], reason="done")
        task = local.wait_status(arns[0], "STOPPED")
        assert (task["stopCode"], task["stoppedReason"]) == ("UserInitiated", "done")
        assert task["containers"][0]["exitCode"] == 143
        assert local.describe(arns[1])["lastStatus"] == "RUNNING"


@pytest.mark.parametrize("fork_server", [True, False], ids=["fork", "spawn"])
def test_stopping_the_endpoint_ends_every_task_process(tmp_path: Path, fork_server: bool) -> None:
    # Like Airflow's task supervisor, the command moves its child out of the container's process group.
    escape = (
        "import os, subprocess, time; child = subprocess.Popen(['sleep', '60'], start_new_session=True); "
    )
    escape += "print(os.getpid(), child.pid, flush=True); time.sleep(60)"
    endpoint = LocalEcsEndpoint(images=ImageResolver(project_dir=tmp_path), fork_server=fork_server)
    endpoint.start()
    try:
        local = seed(endpoint)
        arns = [local.launch(["python", "-c", escape]) for _ in range(2)]
        pids = [pid for arn in arns for pid in pids_in(local.wait_log(arn, bool, "the task's pids"))]
        assert len(pids) == 4 and all(alive(pid) for pid in pids)
        warm = endpoint.warm_pids()
        assert bool(warm) == fork_server
    finally:
        endpoint.stop()
    wait_gone(pids + warm)
    endpoint.stop()  # idempotent
    with pytest.raises(RuntimeError, match="not running"):
        _ = endpoint.url


def test_processes_a_command_leaves_behind_end_with_it(local: Local) -> None:
    leave = "import subprocess, time; child = subprocess.Popen(['sleep', '60'], start_new_session=True); "
    leave += "print(child.pid, flush=True); time.sleep(1)"
    arn = local.launch(["python", "-c", leave])
    child = pids_in(local.wait_log(arn, str.isdigit, "the child's pid"))[0]
    assert local.wait_status(arn, "STOPPED")["containers"][0]["exitCode"] == 0
    wait_gone([child])


def test_endpoints_in_one_process_do_not_share_state(local: Local) -> None:
    with LocalEcsEndpoint(execute=False) as other:
        assert other.account_id != local.endpoint.account_id
        assert other.client("ecs").list_clusters()["clusterArns"] == []
        assert local.ecs.list_clusters()["clusterArns"]


def test_module_serves_until_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "farflow.local.endpoint",
            "--port",
            "0",
            "--no-execute",
            "--project",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the endpoint prints it once it accepts requests
        assert line.startswith("Local ECS endpoint listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[-1].strip()
        ecs = boto3.client("ecs", endpoint_url=url, region_name="us-east-1")
        assert ecs.list_clusters()["clusterArns"] == []
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_run_task_answer_held_after_the_task_was_created(local: Local) -> None:
    """A caller killed while RunTask is in flight never learns of a task that runs anyway."""
    local.endpoint.faults = FaultSettings(run_task_answer_delay_ms=5000)
    started_by = f"held-{uuid.uuid4().hex[:8]}"
    definition = local.register(["python", "-c", "import time; time.sleep(1)"])
    answers: list[dict] = []  # type: ignore[type-arg]
    caller = threading.Thread(target=lambda: answers.append(local.run(definition, startedBy=started_by)))
    caller.start()
    try:
        arns = wait_until(
            lambda: local.ecs.list_tasks(cluster=CLUSTER, startedBy=started_by)["taskArns"],
            what="the task RunTask created",
            timeout=15.0,
        )
        assert not answers  # created, and the answer still held
    finally:
        caller.join(timeout=30)
    assert [task["taskArn"] for task in answers[0]["tasks"]] == arns
    assert local.wait_status(arns[0], "STOPPED")["containers"][0]["exitCode"] == 0
