"""`farflow cost`: what each DAG, task or day cost on Fargate, added up from the executor's task events.

When an ECS task stops, the executor writes what Fargate bills for it, its phases, stop code and exit
code into the task's "ecs task stopped" event ("ecs task relaunched" for a try that had to start again),
which Airflow keeps in its event log and serves at /api/v2/eventLogs. This module reads those events back
(`ecs_task_events`, which the UI plugin uses too, on the same rows read from the database) and adds them
up: `fetch` asks the REST API, the rest is pure. Only Fargate compute is counted (farflow.executor.cost
says what is not).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from farflow.executor.cost import read_cost
from farflow.executor.outcomes import read_ending
from farflow.executor.phases import read_phases

COST_EVENTS = ("ecs task stopped", "ecs task relaunched")
PAGE = 100  # the api-server's default maximum_page_limit
Grouping = Literal["dag", "task", "day"]


@dataclass(frozen=True)
class CostEvent:
    """One ECS task's cost, from its event."""

    dag_id: str
    task_id: str
    when: datetime
    usd: float
    billed_seconds: int


@dataclass(frozen=True)
class Row:
    key: str
    ecs_tasks: int
    billed_seconds: int
    usd: float


@dataclass(frozen=True)
class EcsTaskEvent:
    """One ECS task's ending as its event tells it: which Airflow try, which ECS task, where the time went
    and what it cost (None: Fargate billed nothing, or not at a price in the table)."""

    dag_id: str
    run_id: str | None
    task_id: str
    map_index: int
    try_number: int
    when: datetime
    ecs_task_arn: str | None
    phases: dict[str, float]
    stop_code: str | None
    exit_code: int | None
    usd: float | None
    billed_seconds: int | None

    @property
    def ecs_task_id(self) -> str | None:
        return self.ecs_task_arn.rsplit("/", 1)[-1] if self.ecs_task_arn else None


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _number(value: object, default: int) -> int:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else default


def ecs_task_events(logs: Iterable[Mapping[str, Any]]) -> list[EcsTaskEvent]:
    """Every ECS task's ending among `logs` (event log entries as the REST API serves them)."""
    found = []
    for log in logs:
        if log.get("event") not in COST_EVENTS:
            continue
        extra = str(log.get("extra") or "")
        arn, _, _ = extra.partition(": ")
        billed = read_cost(extra)
        stop_code, exit_code = read_ending(extra)
        found.append(
            EcsTaskEvent(
                dag_id=str(log.get("dag_id")),
                run_id=str(log["run_id"]) if log.get("run_id") is not None else None,
                task_id=str(log.get("task_id")),
                map_index=_number(log.get("map_index"), -1),
                try_number=_number(log.get("try_number"), 0),
                when=_moment(log["when"]),
                ecs_task_arn=arn if arn.startswith("arn:") else None,
                phases=read_phases(extra),
                stop_code=stop_code,
                exit_code=exit_code,
                usd=billed.usd if billed else None,
                billed_seconds=billed.billed_seconds if billed else None,
            )
        )
    return found


def cost_events(logs: Iterable[Mapping[str, Any]]) -> list[CostEvent]:
    """The events that carry a cost (an EC2 task or one that never pulled its image has none)."""
    return [
        CostEvent(event.dag_id, event.task_id, event.when, event.usd, event.billed_seconds)
        for event in ecs_task_events(logs)
        if event.usd is not None and event.billed_seconds is not None
    ]


def _key(event: CostEvent, by: Grouping) -> str:
    if by == "dag":
        return event.dag_id
    if by == "task":
        return f"{event.dag_id}.{event.task_id}"
    return event.when.astimezone(timezone.utc).date().isoformat()


def summarize(events: Iterable[CostEvent], by: Grouping) -> tuple[list[Row], Row]:
    """One row per DAG, task (dag.task) or UTC day, most expensive first, and the total."""
    groups: defaultdict[str, list[CostEvent]] = defaultdict(list)
    for event in events:
        groups[_key(event, by)].append(event)
    rows = [_row(key, members) for key, members in groups.items()]
    rows.sort(key=lambda row: (-row.usd, row.key))
    return rows, _row("total", [event for members in groups.values() for event in members])


def _row(key: str, events: list[CostEvent]) -> Row:
    return Row(key, len(events), sum(e.billed_seconds for e in events), sum(e.usd for e in events))


def fetch(api: Any, since: datetime, until: datetime, dag_id: str | None = None) -> list[dict[str, Any]]:
    """Every cost-bearing task event logged between `since` and `until`, page by page."""
    logs: list[dict[str, Any]] = []
    while True:
        answer = api.request(
            "GET",
            "/api/v2/eventLogs",
            included_events=list(COST_EVENTS),
            after=since.isoformat(),
            before=until.isoformat(),
            dag_id=dag_id,
            order_by="id",
            limit=PAGE,
            offset=len(logs),
        )
        page = list(answer.get("event_logs", []))
        logs += page
        if len(page) < PAGE or len(logs) >= int(answer.get("total_entries", 0)):
            return logs
