"""What a push must do, decided from content alone: pure functions over file hashes and object ETags.

A file is uploaded when the bucket has no object under its key or the object's ETag differs from the
file's MD5; an object is deleted when no file has its key. An object S3 stored from a single PutObject,
unencrypted or with SSE-S3 (the DAGs bucket's, farflow.spec.dag_bundle), has the MD5 of its data as its
ETag ("Object", ETag, Amazon S3 API Reference: docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html);
the push writes each file with one PutObject, so an unchanged file is never sent again. An object whose
ETag is not an MD5 (written another way) simply counts as changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Never part of a bundle: interpreter caches and editor droppings.
SKIPPED_FOLDERS = frozenset({"__pycache__", ".git", ".ipynb_checkpoints"})
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".swp", "~")
SKIPPED_NAMES = frozenset({".DS_Store"})


@dataclass(frozen=True)
class LocalFile:
    key: str
    path: Path
    md5: str


@dataclass(frozen=True)
class SyncPlan:
    """Keys to upload (new and changed), keys to delete, and how many were left alone."""

    new: tuple[LocalFile, ...] = ()
    changed: tuple[LocalFile, ...] = ()
    deleted: tuple[str, ...] = ()
    unchanged: int = 0

    @property
    def uploads(self) -> tuple[LocalFile, ...]:
        return (*self.new, *self.changed)

    @property
    def empty(self) -> bool:
        return not (self.new or self.changed or self.deleted)

    def summary(self) -> str:
        return (
            f"{len(self.new)} new, {len(self.changed)} changed, {len(self.deleted)} deleted, "
            f"{self.unchanged} unchanged"
        )


@dataclass(frozen=True)
class Remote:
    """The bucket's objects under the bundle's prefix: key (without the prefix) to ETag."""

    etags: Mapping[str, str] = field(default_factory=dict)


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            if path.name not in SKIPPED_FOLDERS:
                yield from _walk(path)
        elif path.is_file() and path.name not in SKIPPED_NAMES and not path.name.endswith(SKIPPED_SUFFIXES):
            yield path


def local_files(folder: Path) -> dict[str, LocalFile]:
    """Every file of `folder` that belongs in the bundle, by its key (its POSIX path inside `folder`)."""
    return {
        (key := path.relative_to(folder).as_posix()): LocalFile(key, path, md5_of(path))
        for path in _walk(folder)
    }


def plan(local: Mapping[str, LocalFile], remote: Remote) -> SyncPlan:
    """Upload what is new or differs by content, delete what is gone; keys in sorted order."""
    etags = {key: etag.strip('"') for key, etag in remote.etags.items()}
    new = tuple(local[key] for key in sorted(local) if key not in etags)
    changed = tuple(local[key] for key in sorted(local) if key in etags and etags[key] != local[key].md5)
    deleted = tuple(sorted(set(etags) - set(local)))
    return SyncPlan(new=new, changed=changed, deleted=deleted, unchanged=len(local) - len(new) - len(changed))
