"""One essential container's process as the lifecycle thread (runtime.py) watches it, and which containers
are over their memory: a limit on each container and one on the task, as Fargate enforces them."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import psutil

from farflow.local.endpoint.lifecycle import ContainerExit
from farflow.local.endpoint.plan import ContainerPlan
from farflow.local.endpoint.warm_python_client import ContainerProcess
from farflow.local.process_tree import TreeSample, descendants, signal_tree

MIB = 1024 * 1024


@dataclass(eq=False)
class ContainerRun:
    """One essential container's process."""

    index: int  # position in the task definition (and in the model's containers)
    plan: ContainerPlan
    process: ContainerProcess  # subprocess.Popen, or a fork of a warm interpreter
    forked: bool = False
    reader: threading.Thread | None = None
    kill_at: float | None = None
    killed: bool = False
    out_of_memory: bool = False
    exit: ContainerExit | None = None
    exited_at: float = 0.0
    members: dict[int, psutil.Process] = field(default_factory=dict)  # descendants seen so far

    @property
    def group(self) -> int:
        return self.process.pid

    def remember(self, members: list[psutil.Process]) -> None:
        known = {pid: member for pid, member in self.members.items() if member.is_running()}
        self.members = known | {member.pid: member for member in members}

    def signal(self, signum: int) -> None:
        """Signal the container: its group and every process it started, even ones that left the group."""
        if self.exit is None:
            self.remember(descendants(self.group))
        signal_tree(self.group, self.members.values(), signum)


def over_memory(
    runs: Sequence[ContainerRun], samples: Mapping[int, TreeSample], task_memory_mib: int | None
) -> list[ContainerRun]:
    """The live containers over their memory, or all of the task's when it is over the task's. Memory is
    the proportional set size, read only for trees whose resident set size (its upper bound, and cheap to
    read) is over a limit."""
    live = [run for run in runs if run.exit is None and not run.out_of_memory and run.group in samples]
    if not live:
        return []
    resident = {run.group: samples[run.group].memory for run in live}
    proportional: dict[int, int] = {}

    def used(run: ContainerRun, limit: int) -> int:
        if resident[run.group] <= limit:
            return resident[run.group]
        if run.group not in proportional:
            proportional[run.group] = samples[run.group].proportional_memory()
        return proportional[run.group]

    over = [run for run in live if 0 < (limit := (run.plan.memory_mib or 0) * MIB) < used(run, limit)]
    task_limit = (task_memory_mib or 0) * MIB
    if task_limit and sum(resident.values()) > task_limit and sum(used(run, 0) for run in live) > task_limit:
        return live
    return over
