"""`farflow cost`: what each DAG, task or day cost on Fargate, added up from the executor's task events.

When an ECS task stops, the executor writes what Fargate bills for it into the task's "ecs task stopped"
event ("ecs task relaunched" for a try that had to start again), which Airflow keeps in its event log
and serves at /api/v2/eventLogs. This module reads those events back and adds them up: `fetch` asks the
REST API, the rest is pure. Only Fargate compute is counted (farflow.executor.cost says what is not).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from farflow.executor.cost import read_cost

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


def cost_events(logs: Iterable[Mapping[str, Any]]) -> list[CostEvent]:
    """The events that carry a cost (an EC2 task or one that never pulled its image has none)."""
    found = []
    for log in logs:
        billed = read_cost(str(log.get("extra") or ""))
        if billed is None or log.get("event") not in COST_EVENTS:
            continue
        when = datetime.fromisoformat(str(log["when"]).replace("Z", "+00:00"))
        found.append(
            CostEvent(
                str(log.get("dag_id")), str(log.get("task_id")), when, billed.usd, billed.billed_seconds
            )
        )
    return found


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
