"""Which local folder and interpreter stand in for a container image (documented in docs/local-images.md).

There is no Docker locally, so an image is a name we map to a way of running its command:

- a repository whose last path segment names a folder `<project>/tasks/<name>` runs with that folder as
  its working directory (checked first: it is the more specific match);
- a repository whose name contains "airflow" runs in this Python environment, in the project folder
  (or a fresh scratch folder when there is no project);
- anything else cannot start, as an image that cannot be pulled.

In both cases a command starting with `python`/`python3`/`python3.X` runs `ImageResolver.python`, and one
starting with `airflow` runs the `airflow` script beside it; any other program is looked up on PATH.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
DOCS = "docs/local-images.md"


class ImageNotFoundError(Exception):
    """The image has no local stand-in; the message is the task's stoppedReason."""


@dataclass(frozen=True)
class LocalImage:
    """How to run one container: the argv and the working directory (None: a fresh scratch folder)."""

    argv: tuple[str, ...]
    cwd: Path | None


def repository(image: str) -> str:
    """The repository path of an image reference, without registry host, tag or digest."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    if ":" in last:
        last = last.split(":", 1)[0]
    name = f"{head}/{last}" if head else last
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    return "/".join(parts)


class ImageResolver:
    """Maps (image, command) to a local argv and working directory; pure apart from one folder check."""

    def __init__(self, project_dir: Path | None = None, python: str = sys.executable) -> None:
        self.project_dir = Path(project_dir).resolve() if project_dir is not None else None
        self.python = python

    @property
    def airflow(self) -> str:
        """The `airflow` script of the environment `python` belongs to."""
        return str(Path(self.python).parent / "airflow")

    def task_folder(self, image: str) -> Path | None:
        """`<project>/tasks/<name>` when the image's last path segment names such a folder."""
        if self.project_dir is None:
            return None
        name = repository(image).rsplit("/", 1)[-1]
        folder = self.project_dir / "tasks" / name
        return folder if name and folder.is_dir() else None

    def runs_airflow(self, image: str) -> bool:
        """An Airflow image: it runs in this Python environment (a task folder's image never does)."""
        return self.task_folder(image) is None and "airflow" in repository(image).lower()

    def resolve(self, image: str, command: Sequence[str]) -> LocalImage:
        folder = self.task_folder(image)
        if folder is not None:
            return LocalImage(self.map_command(command), folder)
        if "airflow" in repository(image).lower():
            return LocalImage(self.map_command(command), self.project_dir)
        raise ImageNotFoundError(self.explain(image))

    def map_command(self, command: Sequence[str]) -> tuple[str, ...]:
        """Point python and airflow at this environment; leave every other program to PATH."""
        if not command:
            return ()
        program = Path(command[0]).name
        if _PYTHON.match(program):
            return (self.python, *command[1:])
        if program == "airflow":
            return (self.airflow, *command[1:])
        return tuple(command)

    def explain(self, image: str) -> str:
        folders = (
            f"a folder {self.project_dir / 'tasks'}/<name> named by the image's last path segment"
            if self.project_dir is not None
            else "a project's tasks/<name> folder (this endpoint was started without a project)"
        )
        return (
            f"CannotPullContainerError: image {image!r} has no local stand-in. Locally an image runs as "
            f"{folders}, or, if its repository name contains 'airflow', in this Python environment. "
            f"See {DOCS}."
        )
