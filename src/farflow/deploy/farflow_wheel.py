"""The running farflow as a wheel in the Airflow image's build context, `<project>/.farflow/dist/`.

The project's Dockerfile installs `farflow==<version>` with `pip --find-links /tmp/farflow-dist`, the
folder staged here, so the image runs the farflow that deploys it, however that farflow was installed:
from an editable checkout, a wheel file, a git URL or (once farflow is published) the package index.
With the folder empty, pip takes farflow from the index.

The wheel is assembled from the installed package's files and its installed metadata (METADATA,
entry_points.txt) with zipfile alone: no build backend, no network, no subprocess. It is reproducible
byte for byte (sorted entries, fixed timestamps, stored uncompressed so no zlib build changes it), so an
unchanged farflow leaves the image's asset hash alone and a deploy rebuilds nothing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import farflow

DIST_FOLDER = Path(".farflow") / "dist"
"""In the project: ignored by git (`.farflow/` is local state), let into the Docker build context."""
DISTRIBUTION = "farflow"
TAG = "py3-none-any"
_METADATA_FILES = ("METADATA", "entry_points.txt")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
_FILE_MODE = 0o100644  # a regular file, rw-r--r--


@dataclass(frozen=True)
class Wheel:
    """A built wheel: its file name (which pip parses), its version and the zip's bytes."""

    filename: str
    version: str
    content: bytes


def package_files(package: Path) -> list[Path]:
    """The package's files, relative to its parent, sorted: no caches, no hidden files (editor or local state)."""
    return sorted(
        path.relative_to(package.parent)
        for path in package.rglob("*")
        if path.is_file()
        and path.suffix != ".pyc"
        and not any(part == "__pycache__" or part.startswith(".") for part in path.relative_to(package).parts)
    )


def build_wheel(package: Path, distribution: metadata.Distribution) -> Wheel:
    """A wheel of `package` (the folder of `import farflow`) with the installed distribution's metadata."""
    name = re.sub(r"[-_.]+", "_", distribution.metadata["Name"]).lower()
    version = distribution.version
    dist_info = f"{name}-{version.replace('-', '_')}.dist-info"
    entries: list[tuple[str, bytes]] = [
        (relative.as_posix(), (package.parent / relative).read_bytes()) for relative in package_files(package)
    ]
    for metadata_file in _METADATA_FILES:
        text = distribution.read_text(metadata_file)
        if text is not None:
            entries.append((f"{dist_info}/{metadata_file}", text.encode()))
    generator = f"Wheel-Version: 1.0\nGenerator: {__name__}\nRoot-Is-Purelib: true\nTag: {TAG}\n"
    entries.append((f"{dist_info}/WHEEL", generator.encode()))
    record = "".join(f"{path},{_digest(content)},{len(content)}\n" for path, content in entries)
    entries.append((f"{dist_info}/RECORD", f"{record}{dist_info}/RECORD,,\n".encode()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path, content in entries:
            entry = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            entry.create_system = 3  # Unix, so the mode below means the same everywhere
            entry.external_attr = _FILE_MODE << 16
            archive.writestr(entry, content)
    return Wheel(f"{name}-{version.replace('-', '_')}-{TAG}.whl", version, buffer.getvalue())


def _digest(content: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def running_farflow() -> tuple[Path, metadata.Distribution] | None:
    """The folder `import farflow` loaded and its installed distribution; None without one (a bare source tree)."""
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    return Path(str(farflow.__file__)).parent, distribution


@dataclass(frozen=True)
class Staged:
    """What the image build gets: the version to pin, and the staged wheel (None: from the index)."""

    folder: Path
    version: str
    wheel: Path | None


def stage(project: Path) -> Staged:
    """Write the running farflow's wheel into `<project>/.farflow/dist/`, replacing other farflow wheels.

    The folder is created even when there is no wheel to stage: the Dockerfile copies it, and Docker
    fails on a COPY of a missing folder. An identical wheel is left untouched.
    """
    folder = project / DIST_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    found = running_farflow()
    wheel = build_wheel(*found) if found else None
    for old in folder.glob(f"{DISTRIBUTION}-*.whl"):
        if wheel is None or old.name != wheel.filename:
            old.unlink()
    if wheel is None:
        return Staged(folder, farflow.__version__, None)
    path = folder / wheel.filename
    if not path.is_file() or path.read_bytes() != wheel.content:
        partial = folder / f".{wheel.filename}.{os.getpid()}.partial"
        try:
            partial.write_bytes(wheel.content)
            partial.replace(path)  # atomic: a parallel synth never sees half a wheel
        finally:
            partial.unlink(missing_ok=True)
    return Staged(folder, wheel.version, path)
