"""Check a RunTask request against botocore's ECS model, with problems that never quote values.

boto3 validates the same way at call time, but then the launcher sees a ParamValidationError for
one task's bad executor_config, and botocore's report quotes parameter values (which can include
the task's command and its token). Checking while building turns it into a clear per-task error.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from botocore.model import Shape
from botocore.session import get_session
from botocore.validate import ParamValidator


@functools.cache
def run_task_input_shape() -> Shape:
    """The real `RunTask` input shape from botocore's bundled ECS model (loaded once, ~0.5 s)."""
    shape = get_session().get_service_model("ecs").operation_model("RunTask").input_shape
    assert shape is not None
    return shape


def run_task_problems(request: Mapping[str, Any]) -> list[str]:
    """What botocore would reject in `request`, one line per problem, naming parameters only."""
    errors = ParamValidator().validate(dict(request), run_task_input_shape())
    if not errors.has_errors():
        return []
    raw = getattr(errors, "_errors", None)
    if not isinstance(raw, list):  # botocore changed its internals: say less rather than leak values
        return ["the request does not match ECS's RunTask input shape"]
    return [_describe(*error) for error in raw]


def _describe(reason: str, name: str, details: Mapping[str, Any]) -> str:
    where = name.lstrip(".") or "the request"
    if reason == "missing required field":
        return f"{where} is missing the required field {details.get('required_name')!r}"
    if reason == "unknown field":
        valid = ", ".join(details.get("valid_names", ()))
        return f"{where} has the unknown field {details.get('unknown_param')!r} (valid: {valid})"
    if reason in ("invalid type", "invalid type for document"):
        valid = ", ".join(_type_name(text) for text in details.get("valid_types", ()))
        found = type(details.get("param")).__name__
        return f"{where} has type {found}; ECS expects {valid}"
    if reason == "invalid range":
        return f"{where} is below ECS's minimum of {details.get('min_allowed')}"
    if reason == "invalid length":
        return f"{where} is shorter than ECS's minimum length of {details.get('min_allowed')}"
    return f"{where}: {reason}"


def _type_name(text: object) -> str:
    """ "<class 'str'>" -> "str"."""
    return str(text).removeprefix("<class '").removesuffix("'>")
