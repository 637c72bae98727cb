"""The tracking-at-scale benchmark's --quick mode runs end to end (no timing assertions): polling, and events
with faults, which takes the path of events without faults and then some."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.sections import keep_sections, write_section

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "tracking_scale.py"


def test_quick_benchmark_follows_every_task_to_its_end_by_polling_and_by_faulty_events(
    tmp_path: Path,
) -> None:
    out, results = tmp_path / "benchmarks.md", tmp_path / "tracking.json"
    out.write_text("# Benchmark: launch throughput\n\nthe launch table\n")
    completed = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--quick",
            "--modes",
            "polling",
            "faults",
            "--out",
            str(out),
            "--json",
            str(results),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr

    runs = {run["mode"]: run for run in json.loads(results.read_text())["results"]}
    assert list(runs) == ["polling", "events, 5% lost, duplicated, reordered"]
    for run in runs.values():
        assert (run["finished"], run["lost"], run["twice"], run["wrong"]) == (40, 0, 0, 0)
        assert not run["capped"]
        assert run["stop_to_state_s"]["p50"] is not None
    assert runs["polling"]["events"] == {}  # no rule: nothing published
    faulty = runs["events, 5% lost, duplicated, reordered"]
    assert faulty["events"]["published"] >= 4 * 40  # four changes a task
    assert faulty["views"].get("changed", 0) > 0

    report = out.read_text()
    assert report.startswith("# Benchmark: launch throughput\n\nthe launch table\n")  # left as it was
    assert "<!-- benchmark:tracking-scale -->" in report and "--quick" in report
    assert "| polling | 40 | 40/40 (0, 0, 0) |" in report


def test_each_benchmark_rewrites_only_its_own_section(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# launch\nold launch table\n")
    write_section(doc, "tracking-scale", "# tracking\nfirst")
    write_section(doc, "tracking-scale", "# tracking\nsecond")
    assert doc.read_text().count("benchmark:tracking-scale -->") == 2  # one opening, one closing marker
    assert "second" in doc.read_text() and "first" not in doc.read_text()
    doc.write_text(keep_sections(doc, "# launch\nnew launch table\n"))
    text = doc.read_text()
    assert text.startswith("# launch\nnew launch table\n") and "# tracking\nsecond" in text
