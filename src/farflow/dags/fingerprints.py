"""What the deployed images were built from, by content: the deploy records it, a push compares.

A push changes DAG files only. The Airflow image is built from the project's Dockerfile and
requirements.txt, and each `tasks/<name>` folder builds its own image; when any of those differ from
what the last deploy recorded (a stack output), `farflow dags push` says they need `farflow deploy`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from farflow.dags.plan import local_files, md5_of
from farflow.spec import task_folders

AIRFLOW_IMAGE_FILES = ("Dockerfile", "requirements.txt")
DIGEST_CHARS = 16


def _digest(parts: list[tuple[str, str]]) -> str:
    text = "\n".join(f"{name} {md5}" for name, md5 in sorted(parts))
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_CHARS]


def image_inputs(project: Path) -> dict[str, str]:
    """A digest per image input: each Airflow image file, and each tasks/<name> folder."""
    found = {}
    for name in AIRFLOW_IMAGE_FILES:
        path = project / name
        found[name] = _digest([(name, md5_of(path))]) if path.is_file() else ""
    for folder in task_folders(project):
        found[f"tasks/{folder.name}"] = _digest([(f.key, f.md5) for f in local_files(folder).values()])
    return found


def changed(current: Mapping[str, str], deployed: Mapping[str, str]) -> list[str]:
    """The inputs whose digest differs from the deployed one (new and removed ones too)."""
    return sorted(name for name in set(current) | set(deployed) if current.get(name) != deployed.get(name))


def to_output(inputs: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(inputs.items())), separators=(",", ":"))


def from_output(text: str) -> dict[str, str]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return {str(key): str(digest) for key, digest in value.items()} if isinstance(value, dict) else {}
