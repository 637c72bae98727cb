"""Which containers the lifecycle thread kills for memory: each over its own limit, or all over the task's."""

from __future__ import annotations

from dataclasses import dataclass

from farflow.local.endpoint.container_run import MIB, ContainerRun, over_memory
from farflow.local.endpoint.lifecycle import ContainerExit
from farflow.local.endpoint.plan import ContainerPlan
from farflow.local.process_tree import TreeSample


@dataclass
class FakeProcess:
    pid: int

    def poll(self) -> int | None:
        return None


class Sample(TreeSample):
    """A tree whose proportional set size is given (what a forked child shares with its parent)."""

    def __init__(self, resident_mib: int, proportional_mib: int) -> None:
        super().__init__(memory=resident_mib * MIB, members=[])
        self.proportional = proportional_mib * MIB

    def proportional_memory(self) -> int:
        return self.proportional


def run(pid: int, limit_mib: int | None) -> ContainerRun:
    plan = ContainerPlan(f"c{pid}", (), None, {}, limit_mib, 30.0, None)
    return ContainerRun(index=pid, plan=plan, process=FakeProcess(pid))  # type: ignore[arg-type]


def test_a_container_over_its_own_limit_is_killed_alone() -> None:
    runs = [run(1, 100), run(2, 100)]
    samples = {1: Sample(150, 150), 2: Sample(50, 50)}
    assert over_memory(runs, samples, task_memory_mib=None) == [runs[0]]


def test_shared_pages_count_once_so_a_fork_under_its_limit_is_spared() -> None:
    """Resident memory is over the limit, the proportional share is not: nothing to kill."""
    assert over_memory([run(1, 100)], {1: Sample(150, 80)}, task_memory_mib=None) == []


def test_all_containers_go_when_the_task_is_over_its_memory() -> None:
    runs = [run(1, None), run(2, None)]
    samples = {1: Sample(60, 60), 2: Sample(60, 60)}
    assert over_memory(runs, samples, task_memory_mib=100) == runs
    assert over_memory(runs, samples, task_memory_mib=200) == []


def test_exited_unsampled_and_already_killed_containers_are_left_alone() -> None:
    exited, unsampled, killed = run(1, 10), run(2, 10), run(3, 10)
    exited.exit = ContainerExit(0)
    killed.out_of_memory = True
    samples = {1: Sample(50, 50), 3: Sample(50, 50)}
    assert over_memory([exited, unsampled, killed], samples, task_memory_mib=10) == []
