"""farflow registers as an Airflow provider: Airflow's own CLI lists the [ecs_fargate] options."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from farflow.executor.settings import OPTIONS, load_settings

MINIMAL = {"region": "us-east-1", "cluster": "c", "container_name": "airflow", "task_definition": "airflow"}


def test_airflow_config_list_shows_every_ecs_fargate_option(tmp_path: Path) -> None:
    airflow = Path(sys.executable).with_name("airflow")
    env = os.environ | {"AIRFLOW_HOME": str(tmp_path)}
    result = subprocess.run(
        [str(airflow), "config", "list", "--defaults", "--show-values", "--section", "ecs_fargate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    assert "[ecs_fargate]" in result.stdout
    for option in OPTIONS:
        assert f"# {option.name} = {option.default or ''}".rstrip() in result.stdout
        assert option.env_var in result.stdout
    assert "missing 'cli' section" not in result.stderr + result.stdout

    # What Airflow shows as the default is what the executor runs with when the key is unset.
    shown = dict(re.findall(r"^# (\w+) = ?(.*)$", result.stdout, re.MULTILINE))
    unset = load_settings(MINIMAL.get)
    for option in OPTIONS:
        if not option.required:
            given = {**MINIMAL, option.name: shown[option.name] or None}
            assert load_settings(given.get) == unset, option.name
