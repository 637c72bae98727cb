"""The launch-throughput benchmark's --quick mode runs end to end for farflow (no timing assertions)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "launch_throughput.py"


def test_quick_benchmark_runs_farflow_and_reports_every_row(tmp_path: Path) -> None:
    out, results = tmp_path / "benchmarks.md", tmp_path / "benchmarks.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--quick",
            "--executors",
            "farflow",
            "--delays",
            "40",
            "--out",
            str(out),
            "--json",
            str(results),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr

    cells = json.loads(results.read_text())["cells"]
    assert [(c["executor"], c["delay_ms"], c["n"]) for c in cells] == [("farflow", 40, 20)]
    for cell in cells:
        assert cell["running"] == cell["n"] == 20
        assert cell["failed"] == 0
        assert not cell["capped"]
        assert cell["run_task_per_task"] == 1.0  # counted at the endpoint: one RunTask per task, no retries
        assert cell["rounds"] >= 1

    report = out.read_text()
    rows = [
        line.split(" | ")[:4] for line in report.splitlines() if line.startswith("| ") and "---" not in line
    ]
    assert rows[0][0] == "| executor"
    assert rows[1:] == [["| farflow", "40 ms", "20", "20/20"]]
    assert "--quick --executors farflow --delays 40" in report
    assert len(re.findall(r"^│ farflow\s+│", completed.stdout, re.MULTILINE)) == 1  # the printed rich table
