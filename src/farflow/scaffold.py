"""`farflow init`: copy the sample project shipped in the package (src/farflow/template) into a folder.

`farflow.toml` is not shipped as a file: it is rendered from `farflow.deploy.config`'s defaults, so the
file a project starts with cannot disagree with them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path

from farflow.deploy.config_file import render_default
from farflow.deploy.config_keys import FILE_NAME

# Files whose shipped name differs from the name in a project (a dotfile would be hidden from packaging).
RENAMES = {"gitignore": ".gitignore", "dockerignore": ".dockerignore"}
SKIPPED = {"__pycache__"}
CDK_JSON = Path("cdk.json")  # lets `npx aws-cdk` run in the project by hand, as `farflow deploy` does
# What builds the Airflow image that `farflow deploy` runs everything in (src/farflow/template/Dockerfile).
IMAGE_FILES = (Path("Dockerfile"), Path(".dockerignore"), Path("requirements.txt"))
DEPLOY_FILES = (Path(FILE_NAME), CDK_JSON, *IMAGE_FILES)


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
            "project over it (files of the same name are replaced, others are kept), or --config-only to "
            f"add just {FILE_NAME} and {CDK_JSON}."
        )
    return [*_copy_template(target, lambda relative: True), _write_config(target)]


def init_deploy_files(target: Path, *, force: bool = False) -> list[Path]:
    """Add what `farflow synth` and `farflow deploy` need to an existing project; return the files written.

    farflow.toml and cdk.json, kept if farflow.toml exists unless forced; and the Airflow image's build
    files (IMAGE_FILES) where the project has none: a project's own Dockerfile or requirements.txt is
    never replaced (synth says what a Dockerfile lacks). Refused when there is nothing to add.
    """
    target = target.expanduser()
    if not target.is_dir():
        raise ProjectExistsError(f"{target} is not a folder. `farflow init {target}` writes a whole project.")
    write_config = force or not (target / FILE_NAME).exists()
    missing = {path for path in IMAGE_FILES if not (target / path).exists()}
    if not write_config and not missing:
        raise ProjectExistsError(
            f"{target / FILE_NAME} exists already. Pass --force to replace it (and {CDK_JSON}) with the defaults."
        )

    def wanted(relative: Path) -> bool:
        return project_path(relative) in missing or (write_config and relative == CDK_JSON)

    written = _copy_template(target, wanted)
    return [*written, _write_config(target)] if write_config else written


def _copy_template(target: Path, wanted: Callable[[Path], bool]) -> list[Path]:
    written: list[Path] = []
    with as_file(files("farflow") / "template") as root:
        for relative in template_files(root):
            if not wanted(relative):
                continue
            destination = target / project_path(relative)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / relative, destination)
            written.append(project_path(relative))
    return written


def _write_config(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    (target / FILE_NAME).write_text(render_default(), encoding="utf-8")
    return Path(FILE_NAME)
