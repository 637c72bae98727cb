from __future__ import annotations

import pytest

from farflow.local.endpoint import lifecycle
from farflow.local.endpoint.lifecycle import (
    OOM_REASON,
    ContainerExit,
    container_exit,
    launch_fault,
    memory_mib,
    next_status,
    user_stop,
)


def test_status_advances_towards_running() -> None:
    assert next_status("PROVISIONING") == "PENDING"
    assert next_status("PENDING") == "RUNNING"
    with pytest.raises(ValueError, match="RUNNING"):
        next_status("RUNNING")


def test_exit_codes_follow_docker() -> None:
    assert container_exit(0) == ContainerExit(0)
    assert container_exit(3) == ContainerExit(3)
    assert container_exit(-15) == ContainerExit(143)
    assert container_exit(-9, out_of_memory=True) == ContainerExit(137, OOM_REASON)


def test_user_stop_keeps_the_callers_reason() -> None:
    assert user_stop("draining") == lifecycle.Ending("UserInitiated", "draining")
    assert user_stop(None).reason == "Task stopped by user"


def test_launch_faults_map_to_ecs_endings() -> None:
    assert launch_fault(None) is None
    spot = launch_fault("spot")
    assert spot is not None
    assert (spot.stop_code, spot.reason) == ("SpotInterruption", "Your Spot Task was interrupted.")
    failure = launch_fault("start_failure")
    assert failure is not None
    assert failure.stop_code == "TaskFailedToStart"
    assert failure.reason.startswith("CannotPullContainerError:")


@pytest.mark.parametrize(
    ("value", "mib"),
    [(None, None), ("", None), (512, 512), ("1024", 1024), ("1 GB", 1024), ("0.5GB", 512), ("2gib", 2048)],
)
def test_memory_sizes(value: object, mib: int | None) -> None:
    assert memory_mib(value) == mib


def test_unreadable_memory_says_so() -> None:
    with pytest.raises(ValueError, match="lots"):
        memory_mib("lots")
