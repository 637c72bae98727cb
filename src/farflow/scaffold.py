"""`farflow init`: copy the sample project shipped in the package (src/farflow/template) into a folder."""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

# Files whose shipped name differs from the name in a project (a dotfile would be hidden from packaging).
RENAMES = {"gitignore": ".gitignore"}
SKIPPED = {"__pycache__"}


class ProjectExistsError(RuntimeError):
    """The target folder holds files already; the message says how to go on."""


def template_files(root: Path) -> list[Path]:
    """Relative paths of the template's files, sorted, without caches."""
    return sorted(
        path.relative_to(root)
        for path in root.rglob("*")
        if path.is_file() and not SKIPPED.intersection(path.relative_to(root).parts) and path.suffix != ".pyc"
    )


def project_path(relative: Path) -> Path:
    """Where a template file lands in the project."""
    return relative.with_name(RENAMES.get(relative.name, relative.name))


def init_project(target: Path, *, force: bool = False) -> list[Path]:
    """Write the sample project into `target` and return the files written (relative to it)."""
    target = target.expanduser()
    if target.exists() and not target.is_dir():
        raise ProjectExistsError(f"{target} is a file, not a folder. Choose another path for the project.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ProjectExistsError(
            f"{target} is not empty. Choose an empty or new folder, or pass --force to write the sample "
            "project over it (files of the same name are replaced, others are kept)."
        )
    written: list[Path] = []
    with as_file(files("farflow") / "template") as root:
        for relative in template_files(root):
            destination = target / project_path(relative)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / relative, destination)
            written.append(project_path(relative))
    return written
