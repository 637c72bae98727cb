"""Every code name docs/glossary.md cites exists: a renamed module, class or key fails here, not in a reader.

A backticked span is checked by its form: `farflow.a.b.Name` (the module file under src/ defines Name),
`airflow.a.b.Name` (imported), `[ecs_fargate] key` (in the option table), `path/to/file.py` (exists), and
a bare identifier or `Class.attribute` (each part a word in src/farflow's code). Other spans (commands,
URLs, Airflow options) are prose.
"""

from __future__ import annotations

import ast
import importlib
import re
from functools import cache
from pathlib import Path

import pytest

from farflow.executor.settings import OPTIONS_BY_NAME

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src"
GLOSSARY = ROOT / "docs" / "glossary.md"
DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def cited(text: str) -> list[str]:
    return sorted(set(re.findall(r"`([^`\n]+)`", text)))


@cache
def source_words() -> frozenset[str]:
    words: set[str] = set()
    for path in (SRC / "farflow").rglob("*.py"):
        words.update(re.findall(r"\w+", path.read_text(encoding="utf-8")))
    return frozenset(words)


def _module_file(parts: list[str]) -> Path | None:
    base = SRC.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _top_level_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def _farflow_name_exists(name: str) -> bool:
    """Without importing (the deploy's modules start CDK): the longest module prefix, then its names."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        path = _module_file(parts[:split])
        if path is None:
            continue
        rest = parts[split:]
        if not rest:
            return True
        if rest[0] in _top_level_names(path) or _module_file(parts[: split + 1]) is not None:
            return all(part in re.findall(r"\w+", path.read_text(encoding="utf-8")) for part in rest[1:])
        return False
    return False


def _airflow_name_exists(name: str) -> bool:
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            if not hasattr(found, part):
                return False
            found = getattr(found, part)
        return True
    return False


def problem(span: str) -> str | None:
    """Why a cited name does not exist, or None (also for spans that are not code names)."""
    span = span.removesuffix("()")
    if key := re.fullmatch(r"\[ecs_fargate\] (\w+)", span):
        return None if key.group(1) in OPTIONS_BY_NAME else "no such [ecs_fargate] key"
    if span.endswith(".py") and re.fullmatch(r"[\w/.]+", span):
        in_src = any(path.as_posix().endswith(span) for path in (SRC / "farflow").rglob("*.py"))
        return None if in_src or (ROOT / span).is_file() else "no such file"
    if not DOTTED.fullmatch(span) or span.endswith((".toml", ".md", ".json")):
        return None
    if span.startswith("farflow."):
        return None if _farflow_name_exists(span) else "not defined in src/farflow"
    if span.startswith("airflow."):
        return None if _airflow_name_exists(span) else "not in Airflow"
    missing = [part for part in span.split(".") if part not in source_words()]
    return f"{', '.join(missing)} not in src/farflow" if missing else None


def test_every_code_name_the_glossary_cites_exists() -> None:
    spans = cited(GLOSSARY.read_text(encoding="utf-8"))
    assert len([span for span in spans if DOTTED.fullmatch(span.removesuffix("()"))]) > 40
    assert {span: why for span in spans if (why := problem(span))} == {}


@pytest.mark.parametrize(
    "span",
    [
        "farflow.executor.workload_store.WorkloadStore",  # the module's old name
        "farflow.executor.settings.credentials_log_interval_option",
        "farflow.spec.no_such_module",
        "airflow.utils.state.NoSuchState",
        "[ecs_fargate] no_such_key",
        "src/farflow/executor/turns.py",
        "NoSuchClassAnywhere.attribute",
        "Stash.reference_of_nothing",
    ],
)
def test_a_name_that_does_not_exist_is_found(span: str) -> None:
    assert problem(span) is not None


def test_prose_spans_are_not_checked() -> None:
    assert problem("python -m farflow.workload <reference>") is None
    assert problem("s3://<bucket>/<prefix><family>/<clientToken>.json") is None
    assert problem("[scheduler] task_queued_timeout") is None
    assert problem("farflow.toml") is None
