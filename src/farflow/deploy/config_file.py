"""`farflow.toml`: read it into a `DeployConfig`, refusing anything AWS would not take; write its defaults.

Missing tables and keys keep their defaults, so a project's file can hold only what it changes.
Unknown names and wrong types are errors, not ignored: a misspelt key silently left at its default
would deploy something other than what was written.
"""

from __future__ import annotations

import difflib
import re
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import is_dataclass, replace
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from farflow.deploy.config import DeployConfig
from farflow.deploy.config_keys import (
    FILE_NAME,
    OPTIONS_HELP,
    PERMISSIONS_EXAMPLE,
    PERMISSIONS_HELP,
    SIZE_HELP,
    keys,
    subtable_field,
    subtables,
    table_help,
)
from farflow.deploy.config_permissions import check_permissions, folder_problems
from farflow.deploy.config_rules import at, normalized, problems, show
from farflow.deploy.outputs import output_collisions
from farflow.spec.airflow_option_check import check_options
from farflow.spec.names import Names
from farflow.spec.policy_size import budget_problems
from farflow.spec.task_definitions import task_folders

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

T = TypeVar("T")
WIDTH = 100
# Tables whose keys are not farflow's but another program's, each checked by its own function.
FREE_TABLES = {"airflow.options": check_options, "permissions": check_permissions}


class DeployConfigError(ValueError):
    """farflow.toml cannot be deployed as written; the message names the file, each key and its fix."""


class MissingConfigError(DeployConfigError):
    """The project has no farflow.toml; the message says how to write one."""


def load(project: Path) -> DeployConfig:
    """The deploy settings of `project`, from its farflow.toml (required: it says what to deploy)."""
    path = project / FILE_NAME
    if not project.is_dir():
        raise MissingConfigError(
            f"{project} does not exist or is not a folder. `farflow init {project}` writes a project."
        )
    if not path.is_file():
        raise MissingConfigError(
            f"{project} has no {FILE_NAME}, which says what to deploy. `farflow init {project} --config-only` "
            "writes one with every key at its default (`farflow init` writes it with a new project)."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DeployConfigError(f"{path}: cannot be read ({error}).") from None
    return parse(text, str(path), folders=[folder.name for folder in task_folders(project)])


def parse(text: str, source: str = FILE_NAME, folders: Sequence[str] | None = None) -> DeployConfig:
    """The config a farflow.toml text describes; `source` names it in errors. With the project's
    tasks/<name> `folders`, each `[permissions.tasks.<name>]` must name one of them."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DeployConfigError(
            f"{source}: not valid TOML: {error}. See the file `farflow init` writes."
        ) from None
    found: list[str] = []
    replaced: set[tuple[str, str]] = set()
    config = _merge("", DeployConfig(), data, found, replaced)
    found += [problem for problem in problems(config) if not _about(problem, replaced)]
    if folders is not None:
        found += folder_problems(config.permissions, folders) + output_collisions(folders)
    found += budget_problems(
        config.permissions,
        Names(config.project.name),
        worker=config.worker.enabled,
        folders=[folder for folder, _ in config.permissions.tasks] if folders is None else folders,
    )
    if found:
        raise DeployConfigError("\n".join(f"{source}: {problem}" for problem in found))
    return normalized(config)


def _about(problem: str, replaced: set[tuple[str, str]]) -> bool:
    """True if a value check's `problem` names a key whose value was refused for its type.

    Such a key holds its default while the rest is checked (so one pass finds every problem); a check
    that reads it would quote the default as if it were written, so its sentence is left out.
    """
    head = problem.split(": ", 1)[0]
    return any(
        f"[{table}] {key}" in problem or (head.startswith(f"[{table}]") and re.search(rf"\b{key}\b", head))
        for table, key in replaced
    )


def _merge(
    table: str, default: T, data: Mapping[str, Any], found: list[str], replaced: set[tuple[str, str]]
) -> T:
    """`default` with the values `data` gives, checking names and types; problems go to `found`, and the
    keys whose value was refused (and so keep their default) to `replaced`."""
    hints = get_type_hints(type(default))
    inner = subtables(default)
    holder = subtable_field(default)
    known = [name for name in hints if name != holder] + list(inner)
    changes: dict[str, Any] = {}
    inner_changes: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{table}.{key}" if table else key
        if key not in known:
            found.append(_unknown(table, key, value, known))
            continue
        current = inner[key] if key in inner else getattr(default, key)
        if dotted in FREE_TABLES:
            changes[key], problems_found = FREE_TABLES[dotted](value)
            found += problems_found
        elif is_dataclass(current):
            if isinstance(value, dict):
                (inner_changes if key in inner else changes)[key] = _merge(
                    dotted, current, value, found, replaced
                )
            else:
                found.append(
                    f"{_label(table, key, value)}: {key} is a table; write it as [{dotted}] with its keys below."
                )
        elif (problem := _type_problem(value, hints[key], current)) is not None:
            found.append(f"{_label(table, key, value)}: {problem}")
            replaced.add((table, key))
        else:
            changes[key] = tuple(value) if isinstance(value, list) else value
    if holder and inner_changes:
        changes[holder] = {**inner, **inner_changes}
    return replace(default, **changes)  # type: ignore[type-var]


def _label(table: str, key: str, value: Any) -> str:
    return at(table, key, value) if table else f"{key} = {show(value)}"


def _unknown(table: str, key: str, value: Any, known: list[str]) -> str:
    """An unknown table or key, with the closest known names."""
    close = difflib.get_close_matches(key, known, n=1)
    if not table:
        if not isinstance(value, dict):
            owners = [known_key.table for known_key in keys() if known_key.name == key]
            where = f"; it belongs in [{owners[0]}]" if owners else ""
            return f"{key} = {show(value)} is outside any table{where}. The tables are {_list(known)}."
        hint = f" Did you mean [{close[0]}]?" if close else ""
        return f"[{key}] is not a {FILE_NAME} table.{hint} The tables are {_list(known)}."
    hint = f" Did you mean {close[0]}?" if close else ""
    return f"[{table}] {key} is not a key of [{table}].{hint} Its keys are {', '.join(known)}."


def _list(names: list[str]) -> str:
    return ", ".join(f"[{name}]" for name in names)


_KINDS = {bool: "true or false", int: "a whole number", str: "a quoted string", tuple: "a list of strings"}


def _type_problem(value: Any, expected: Any, default: Any) -> str | None:
    """None if `value` has the type the dataclass field wants (TOML's bool is not an int here)."""
    kind = getattr(expected, "__origin__", expected)
    if kind is tuple:
        fits = isinstance(value, list) and all(isinstance(item, str) for item in value)
    else:
        fits = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if fits:
        return None
    return f"must be {_KINDS[kind]}, like the default {show(default)}; this is {_kind_of(value)}."


def _kind_of(value: Any) -> str:
    if isinstance(value, list) and not all(isinstance(item, str) for item in value):
        return "a list holding something other than strings"
    names = {bool: "true/false", int: "a whole number", float: "a decimal number", str: "a string"}
    names |= {list: "a list", dict: "a table"}
    return next((name for kind, name in names.items() if isinstance(value, kind)), "a date or time")


def render_default() -> str:
    """The commented farflow.toml `farflow init` writes: every key at its default, from the dataclasses."""
    lines = [
        f"# {FILE_NAME}: what `farflow deploy` builds on AWS. Every key is shown at its default; a key",
        "# left out keeps its default. `farflow synth` checks this file offline; docs/deploy.md explains",
        "# every key and what the stack costs.",
    ]
    current = None
    for key in keys():
        if key.table != current:
            current = key.table
            lines += [
                "",
                *textwrap.wrap(table_help()[key.table], WIDTH, initial_indent="# ", subsequent_indent="# "),
            ]
            lines.append(f"[{key.table}]")
        if key.name not in SIZE_HELP:  # a service size's cpu and memory need no words
            lines += textwrap.wrap(key.help, WIDTH, initial_indent="# ", subsequent_indent="# ")
        lines.append(f"{key.name} = {show(key.default)}")
    lines += ["", *textwrap.wrap(OPTIONS_HELP, WIDTH, initial_indent="# ", subsequent_indent="# ")]
    lines += ["# [airflow.options]", "# core.parallelism = 64", "# scheduler.max_tis_per_query = 32"]
    lines += ["", *textwrap.wrap(PERMISSIONS_HELP, WIDTH, initial_indent="# ", subsequent_indent="# ")]
    lines += [f"# {line}" if line else "#" for line in PERMISSIONS_EXAMPLE.splitlines()]
    return "\n".join(lines) + "\n"
