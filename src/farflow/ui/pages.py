"""The plugin's two pages as self-contained HTML (inline SVG, no script): pure functions of the report,
so a test can read what a browser shows without one."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from farflow.executor.phases import PHASES, start_latency
from farflow.ui.report import RunPoint

COLOURS = {
    "queued": "#8e7cc3",
    "provisioning": "#e69138",
    "pull": "#3d85c6",
    "start": "#6aa84f",
    "run": "#45818e",
    "stop": "#999999",
}
MEANINGS = {
    "queued": "Airflow queued the task until ECS answered RunTask (farflow's share)",
    "provisioning": "createdAt to pullStartedAt: capacity and the network interface",
    "pull": "pullStartedAt to pullStoppedAt: the container images",
    "start": "pullStoppedAt to startedAt: the containers started",
    "run": "startedAt to stoppingAt or executionStoppedAt: the Airflow task itself",
    "stop": "to stoppedAt: SIGTERM, the stop timeout, the network interface released",
}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 16px; color: #222; }
table { border-collapse: collapse; margin: 12px 0; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; font-size: 14px; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.legend span { display: inline-block; margin-right: 14px; font-size: 13px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
.total { font-size: 18px; margin: 8px 0; }
"""
BAR_WIDTH = 640
ROW = 26
LABEL = 220


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def _usd(value: float | None) -> str:
    return "no Fargate cost" if value is None else f"${value:.6f}"


def _legend() -> str:
    items = "".join(
        f'<span title="{escape(MEANINGS[name])}"><i style="background:{COLOURS[name]}"></i>{name}</span>'
        for name in PHASES
    )
    return f'<div class="legend">{items}</div>'


def _label(task: Mapping[str, Any]) -> str:
    label = str(task["task_id"])
    if task["map_index"] >= 0:
        label += f"[{task['map_index']}]"
    return f"{label} try {task['try_number']}"


def timeline(tasks: Sequence[Mapping[str, Any]]) -> str:
    """One bar per ECS task, its phases end to end from its queueing, on one scale of seconds."""
    longest = max((sum(task["phases"].values()) for task in tasks), default=0.0) or 1.0
    scale = BAR_WIDTH / longest
    rows = []
    for index, task in enumerate(tasks):
        y, x = index * ROW, float(LABEL)
        parts = [f'<text x="0" y="{y + 17}" font-size="13">{escape(_label(task))}</text>']
        for name in PHASES:
            seconds = task["phases"].get(name)
            if seconds is None:
                continue
            width = max(seconds * scale, 1.0)
            parts.append(
                f'<rect class="phase" data-phase="{name}" x="{x:.1f}" y="{y + 4}" width="{width:.1f}" '
                f'height="{ROW - 8}" fill="{COLOURS[name]}"><title>{name} {seconds:.3f} s</title></rect>'
            )
            x += width
        rows.append("".join(parts))
    height = max(len(tasks), 1) * ROW + 20
    axis = f'<text x="{LABEL}" y="{height - 4}" font-size="12">0 s</text>' + (
        f'<text x="{LABEL + BAR_WIDTH}" y="{height - 4}" font-size="12" text-anchor="end">{longest:.1f} s</text>'
    )
    return (
        f'<svg id="timeline" role="img" aria-label="phase timeline" width="{LABEL + BAR_WIDTH + 10}" '
        f'height="{height}">{"".join(rows)}{axis}</svg>'
    )


def run_page(dag_id: str, run_id: str, report: Mapping[str, Any], link: Callable[[str], str | None]) -> str:
    """Per DAG run: the timeline, then a row per ECS task; `link` turns an ECS task id into its page."""
    tasks = report["tasks"]
    rows = []
    for task in tasks:
        ecs_id = task["ecs_task_id"]
        target = link(ecs_id) if ecs_id else None
        shown = escape(ecs_id or "unknown")
        ecs = f'<a class="ecs-task" href="{escape(target)}" target="_blank">{shown}</a>' if target else shown
        latency = start_latency(task["phases"])
        rows.append(
            f"<tr><td>{escape(_label(task))}</td><td>{ecs}</td><td>{escape(str(task['stop_code'] or ''))}</td>"
            f"<td class=n>{'' if task['exit_code'] is None else task['exit_code']}</td>"
            f"<td class=n>{'' if latency is None else f'{latency:.1f} s'}</td>"
            f"<td class=n>{escape(_usd(task['cost_usd']))}</td></tr>"
        )
    table = (
        "<table><tr><th>task</th><th>ECS task</th><th>stop code</th><th>exit code</th>"
        f"<th>start latency</th><th>cost</th></tr>{''.join(rows)}</table>"
    )
    empty = "" if tasks else "<p>No ECS task of this run has stopped yet.</p>"
    body = (
        f"<h2>{escape(dag_id)} / {escape(run_id)}: Fargate</h2>"
        f'<div class="total">Total cost: <b id="total-cost">{_usd(report["cost_usd"])}</b> '
        f"over {len(tasks)} ECS tasks</div>{_legend()}{timeline(tasks)}{empty}{table}"
    )
    return _page(f"{dag_id} {run_id}: Fargate", body)


CHART_HEIGHT = 220
CHART_WIDTH = 760
CHART_TOP = 24  # room for the two scales' labels above the plot
BAR_MAX = 48


def dag_chart(points: Sequence[RunPoint]) -> str:
    """Cost per run as bars (left scale) and median start latency as dots (right scale), oldest first."""
    if not points:
        return '<svg id="dag-chart" width="10" height="10"></svg>'
    top_cost = max(point.cost_usd for point in points) or 1.0
    top_latency = max((point.median_start_seconds or 0.0) for point in points) or 1.0
    step = CHART_WIDTH / len(points)
    bar = min(step * 0.7, BAR_MAX)
    bottom = CHART_TOP + CHART_HEIGHT
    marks = [f'<line x1="0" y1="{bottom}" x2="{CHART_WIDTH}" y2="{bottom}" stroke="#999"/>']
    for index, point in enumerate(points):
        x = index * step
        height = point.cost_usd / top_cost * CHART_HEIGHT
        marks.append(
            f'<rect class="cost" x="{x + (step - bar) / 2:.1f}" y="{bottom - height:.1f}" '
            f'width="{bar:.1f}" height="{height:.1f}" fill="#3d85c6"><title>{escape(point.run_id)}: '
            f"{_usd(point.cost_usd)}</title></rect>"
        )
        if point.median_start_seconds is not None:
            y = bottom - point.median_start_seconds / top_latency * CHART_HEIGHT
            marks.append(
                f'<circle class="latency" cx="{x + step / 2:.1f}" cy="{y:.1f}" r="4" fill="#e69138">'
                f"<title>{escape(point.run_id)}: median start {point.median_start_seconds:.1f} s</title></circle>"
            )
    scales = (
        f'<text x="0" y="12" font-size="12" fill="#3d85c6">cost up to {_usd(top_cost)}</text>'
        f'<text x="{CHART_WIDTH}" y="12" font-size="12" fill="#e69138" text-anchor="end">'
        f"median start up to {top_latency:.1f} s</text>"
    )
    return (
        f'<svg id="dag-chart" role="img" aria-label="cost and start latency per run" '
        f'width="{CHART_WIDTH}" height="{CHART_TOP + CHART_HEIGHT + 4}">{"".join(marks)}{scales}</svg>'
    )


def dag_page(dag_id: str, days: int, points: Sequence[RunPoint], run_href: Callable[[str], str]) -> str:
    """Per DAG: the last `days` days of runs, as a chart and a table."""
    rows = "".join(
        f'<tr><td><a href="{escape(run_href(point.run_id))}">{escape(point.run_id)}</a></td>'
        f"<td class=n>{point.ecs_tasks}</td><td class=n>{_usd(point.cost_usd)}</td><td class=n>"
        f"{'' if point.median_start_seconds is None else f'{point.median_start_seconds:.1f} s'}</td></tr>"
        for point in points
    )
    total = sum(point.cost_usd for point in points)
    body = (
        f"<h2>{escape(dag_id)}: Fargate over the last {days} days</h2>"
        f'<div class="total">{len(points)} run{"" if len(points) == 1 else "s"}, total cost <b id="total-cost">{_usd(total)}</b></div>'
        f"{dag_chart(points)}<table><tr><th>run</th><th>ECS tasks</th><th>cost</th>"
        f"<th>median start latency</th></tr>{rows}</table>"
    )
    return _page(f"{dag_id}: Fargate", body)
