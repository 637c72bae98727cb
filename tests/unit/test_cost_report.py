"""`farflow cost`: task events read back, added up per DAG, task or day, fetched page by page."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from farflow.cli import app
from farflow.cost_report import PAGE, Row, cost_events, fetch, summarize

STOPPED = "arn:aws:ecs:...: ECS task stopped (EssentialContainerExited); container 'airflow' stopped with exit code 0"


def log(
    dag: str, task: str, when: str, usd: float, seconds: int, *, event: str = "ecs task stopped"
) -> dict[str, Any]:
    extra = f"{STOPPED}; cost ${usd:.6f} ({seconds} s billed: 2 vCPU, 4 GB, x86_64, Fargate; us-east-1 prices of 2026-06)"
    return {"event": event, "dag_id": dag, "task_id": task, "when": when, "extra": extra}


LOGS = [
    log("etl", "extract", "2026-06-01T10:00:00Z", 0.002, 70),
    log("etl", "load", "2026-06-01T23:59:00Z", 0.001, 60),
    log("etl", "load", "2026-06-02T00:01:00+00:00", 0.001, 60, event="ecs task relaunched"),
    log("report", "render", "2026-06-02T08:00:00Z", 0.010, 600),
    {
        "event": "ecs task stopped",
        "dag_id": "ec2",
        "task_id": "gpu",
        "when": "2026-06-02T08:00:00Z",
        "extra": "ECS task stopped; no Fargate cost (not on Fargate: EC2 capacity is billed as instances)",
    },
    {
        "event": "ecs task launched",
        "dag_id": "etl",
        "task_id": "extract",
        "when": "2026-06-01T09:59:00Z",
        "extra": "cost $9.000000 (1 s billed",
    },
]


def test_only_events_with_a_cost_count() -> None:
    events = cost_events(LOGS)
    assert [(e.dag_id, e.task_id, e.usd, e.billed_seconds) for e in events] == [
        ("etl", "extract", 0.002, 70),
        ("etl", "load", 0.001, 60),
        ("etl", "load", 0.001, 60),
        ("report", "render", 0.01, 600),
    ]
    assert events[0].when == datetime(2026, 6, 1, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("by", "keys"),
    [
        ("dag", [("report", 1, 0.01), ("etl", 3, 0.004)]),
        ("task", [("report.render", 1, 0.01), ("etl.extract", 1, 0.002), ("etl.load", 2, 0.002)]),
        ("day", [("2026-06-02", 2, 0.011), ("2026-06-01", 2, 0.003)]),
    ],
)
def test_rows_per_dag_task_or_day_most_expensive_first_and_a_total(by: Any, keys: list[Any]) -> None:
    rows, total = summarize(cost_events(LOGS), by)
    assert [(row.key, row.ecs_tasks, round(row.usd, 6)) for row in rows] == keys
    assert (total.key, total.ecs_tasks, total.billed_seconds) == ("total", 4, 790)
    assert total.usd == pytest.approx(0.014)
    assert summarize([], by) == ([], Row("total", 0, 0, 0))


class FakeApi:
    """The api-server's /api/v2/eventLogs, paged as Airflow pages it."""

    def __init__(self, logs: list[dict[str, Any]]) -> None:
        self.logs = logs
        self.asked: list[dict[str, Any]] = []
        self.logged_in: tuple[str, str] | None = None

    def login(self, username: str, password: str) -> None:
        self.logged_in = (username, password)

    def request(self, method: str, path: str, body: Any = None, **query: Any) -> dict[str, Any]:
        assert (method, path) == ("GET", "/api/v2/eventLogs")
        self.asked.append(query)
        offset, limit = query["offset"], query["limit"]
        return {"event_logs": self.logs[offset : offset + limit], "total_entries": len(self.logs)}


def test_fetch_reads_every_page_of_the_cost_events_in_the_window() -> None:
    api = FakeApi([LOGS[0]] * (2 * PAGE + 3))
    since, until = datetime(2026, 6, 1, tzinfo=timezone.utc), datetime(2026, 6, 8, tzinfo=timezone.utc)
    assert len(fetch(api, since, until, "etl")) == 2 * PAGE + 3
    assert [query["offset"] for query in api.asked] == [0, PAGE, 2 * PAGE]
    first = api.asked[0]
    assert first["included_events"] == ["ecs task stopped", "ecs task relaunched"]
    assert (first["after"], first["before"], first["dag_id"]) == (since.isoformat(), until.isoformat(), "etl")


def test_the_command_prints_a_row_per_dag_and_the_total_with_the_local_stacks_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakeApi(LOGS)
    monkeypatch.setattr("farflow.airflow_api.AirflowApi", lambda url, timeout: api)
    (tmp_path / ".farflow").mkdir()
    (tmp_path / ".farflow" / "secrets.json").write_text(json.dumps({"admin_password": "s3cret"}))
    result = CliRunner().invoke(
        app, ["cost", "--project", str(tmp_path), "--since", "2026-06-01"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert api.logged_in == ("admin", "s3cret")
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") >= 4}
    assert set(lines) >= {"report", "etl", "total"}
    assert "0.014000" in lines["total"] and "0:13:10" in lines["total"]
    assert "not NAT, data transfer" in result.output


def test_the_command_needs_a_password_and_a_known_grouping(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["cost", "--project", str(tmp_path)], env={"FARFLOW_API_PASSWORD": ""})
    assert result.exit_code == 2 and "--password" in result.output
    result = runner.invoke(app, ["cost", "--by", "week", "--password", "x"])
    assert result.exit_code == 2 and "use dag, task or day" in result.output


def test_the_command_asks_the_api_server_of_the_projects_stack_that_is_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from farflow.local import stack_record
    from farflow.local.stack_record import StackRecord
    from farflow.local.state import StateDir

    asked: list[str] = []
    monkeypatch.setattr(
        "farflow.airflow_api.AirflowApi", lambda url, timeout: asked.append(url) or FakeApi(LOGS)
    )
    monkeypatch.delenv("FARFLOW_API_URL", raising=False)
    state = StateDir.for_project(tmp_path)
    # This test process plays the stack that is up, on a port other than 8080.
    up = StackRecord.for_this_process(tmp_path, 18080).with_(phase="up", api_url="http://127.0.0.1:18080")
    stack_record.claim(state, up)
    try:
        result = CliRunner().invoke(app, ["cost", "-p", str(tmp_path), "--password", "x"])
    finally:
        stack_record.release(state)
    assert result.exit_code == 0, result.output
    assert asked == ["http://127.0.0.1:18080"]
    # With no stack up, `farflow local up`'s default port.
    assert CliRunner().invoke(app, ["cost", "-p", str(tmp_path), "--password", "x"]).exit_code == 0
    assert asked[-1] == "http://127.0.0.1:8080"


def test_the_command_refuses_a_window_that_ends_before_it_starts(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["cost", "-p", str(tmp_path), "--password", "x", "--since", "2026-06-08", "--until", "2026-06-01"],
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --since 2026-06-08 00:00 is not before --until 2026-06-01 00:00 (UTC)."
    ]


def test_each_ecs_task_event_reads_back_its_try_ecs_task_phases_ending_and_cost() -> None:
    from farflow.cost_report import ecs_task_events

    arn = "arn:aws:ecs:us-east-1:123456789012:task/farflow/0123abcd"
    stopped = {
        "event": "ecs task stopped",
        "dag_id": "etl",
        "run_id": "manual__1",
        "task_id": "load",
        "map_index": 2,
        "try_number": 1,
        "when": "2026-06-01T10:00:00Z",
        "extra": f"{arn}: ECS task stopped (SpotInterruption): Your Spot Task was interrupted.; container "
        "'airflow' stopped with exit code 143; cost $0.000411 (60 s billed: 0.5 vCPU, 1 GB, x86_64, "
        "Fargate Spot; us-east-1 prices of 2026-06); phases: queued 0.120 s, provisioning 12.000 s, "
        "pull 3.500 s, start 1.000 s, run 40.000 s, stop 30.000 s",
    }
    never = {
        **stopped,
        "event": "ecs task relaunched",
        "map_index": None,
        "try_number": "1",
        "extra": f"{arn}: ECS task stopped (TaskFailedToStart): CannotPullContainerError; container "
        "'airflow' has no exit code; no Fargate cost (stopped before its image pull began: Fargate "
        "bills nothing); phases: provisioning 4.000 s, stop 1.000 s",
    }
    first, second = ecs_task_events([stopped, never])
    assert (first.run_id, first.task_id, first.map_index, first.try_number) == ("manual__1", "load", 2, 1)
    assert (first.ecs_task_id, first.stop_code, first.exit_code) == ("0123abcd", "SpotInterruption", 143)
    assert first.usd == 0.000411 and first.phases["run"] == 40.0 and len(first.phases) == 6
    assert (second.map_index, second.try_number, second.usd) == (-1, 1, None)
    assert (second.stop_code, second.exit_code) == ("TaskFailedToStart", None)
    assert second.phases == {"provisioning": 4.0, "stop": 1.0}
    assert cost_events([stopped, never]) == [cost_events([stopped])[0]]
