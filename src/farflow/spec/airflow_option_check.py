"""`[airflow.options]` checked against the installed Airflow's own option list, one line per problem.

The list is Airflow's configuration description (what `airflow config list --defaults` prints), with
the installed providers' sections, so an option is known exactly when this Airflow would read it.
Airflow is imported only when a project sets options: a file without them loads as fast as before.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from typing import Any

from farflow.spec.airflow_options import OWNED, AirflowOption

TABLE = "airflow.options"
EXAMPLE = "core.parallelism = 64"
LIST_COMMAND = "`airflow config list --defaults`"
_KIND_WORDS = {"integer": "a whole number", "float": "a number", "boolean": "true or false"}
_TRUE, _FALSE = {"true", "t", "1"}, {"false", "f", "0"}


@cache
def airflow_options() -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
    """Section -> option -> Airflow's description of it (type, default), for the installed Airflow.

    The names are every option `airflow config list --defaults` prints: the described ones (core's and
    the installed providers') and the defaults Airflow keeps for providers not installed here (Celery,
    Kubernetes, Elasticsearch...), which the image may install; those have no type to check.
    """
    from airflow.configuration import conf, retrieve_configuration_description

    description = retrieve_configuration_description(include_providers=True)
    return {
        section: {
            key: description.get(section, {}).get("options", {}).get(key, {})
            for key in conf.get_options_including_defaults(section)
        }
        for section in conf.get_sections_including_defaults()
    }


@cache
def sensitive_options() -> frozenset[tuple[str, str]]:
    """(section, option) pairs Airflow itself treats as secrets (it masks them in `airflow config list`)."""
    from airflow.configuration import conf

    return frozenset(conf.sensitive_config_values)


def _airflow_version() -> str:
    from airflow import __version__

    return str(__version__)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def check_options(data: Any) -> tuple[tuple[AirflowOption, ...], list[str]]:
    """The options a `[airflow.options]` table gives, and a sentence for each one that cannot be used."""
    if not isinstance(data, Mapping):
        return (), [
            f"[airflow] options = {_show(data)}: write it as the table [{TABLE}] with lines like {EXAMPLE}."
        ]
    options: list[AirflowOption] = []
    found: list[str] = []
    for section, body in data.items():
        if not isinstance(body, Mapping):
            found.append(
                f"[{TABLE}] {section} = {_show(body)}: name the option with its section, section.option = "
                f"value, like {EXAMPLE}."
            )
            continue
        for key, value in body.items():
            option, problem = _check(str(section), str(key), value)
            if problem:
                found.append(f"[{TABLE}] {section}.{key} = {_show(value)}: {problem}")
            elif option:
                options.append(option)
    return tuple(options), found


def _check(section: str, key: str, value: Any) -> tuple[AirflowOption | None, str | None]:
    """The option, or why Airflow would not take it (unknown, farflow's own, or the wrong type)."""
    if isinstance(value, (Mapping, list)) or not isinstance(value, (str, int, float, bool)):
        return None, f"give a string, number or true/false, like {EXAMPLE}."
    known = airflow_options()
    version = _airflow_version()
    if section not in known:
        close = difflib.get_close_matches(section, list(known), n=1)
        hint = f"; did you mean [{close[0]}]?" if close else "."
        return None, f"Airflow {version} has no section [{section}]{hint} {LIST_COMMAND} lists its options."
    if key not in known[section]:
        close = difflib.get_close_matches(key, list(known[section]), n=1)
        hint = f"; did you mean {section}.{close[0]}?" if close else "."
        return None, f"Airflow {version}'s [{section}] has no option {key}{hint} {LIST_COMMAND} lists them."
    owner = OWNED.get(f"{section}.{key}")
    if owner:
        return None, f"farflow sets this option itself from {owner}; change that instead, or remove the line."
    if (section, key) in sensitive_options():
        return None, (
            "Airflow marks this option sensitive, and options are plain environment variables in the task "
            'definition; keep the secret in AWS Secrets Manager (with [airflow] secrets = "secrets-manager") '
            "and remove the line."
        )
    described = known[section][key]
    kind, default = described.get("type"), described.get("default")
    typed = _typed(kind, value)
    if typed is None:
        shown = str(default).lower() if kind == "boolean" else default
        like = f", like its default {section}.{key} = {shown}" if default not in (None, "") else ""
        return None, f"Airflow reads {_KIND_WORDS.get(str(kind), str(kind))} here{like}."
    return AirflowOption(section, key, typed), None


def _typed(kind: str | None, value: str | int | float | bool) -> str | int | float | bool | None:
    """`value` as Airflow's type for the option would read it, or None if it would refuse it."""
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        return True if text in _TRUE else False if text in _FALSE else None
    if kind == "integer":
        if isinstance(value, (bool, float)):
            return None
        try:
            return int(value)
        except ValueError:
            return None
    if kind == "float":
        if isinstance(value, bool):
            return None
        try:
            return float(value)
        except ValueError:
            return None
    return value if not isinstance(value, bool) else str(value)
