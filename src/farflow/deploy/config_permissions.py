"""farflow.toml's `[permissions]`: read into `ProjectPermissions`, every problem found in one pass.

Each problem is one line naming the key, the value and the fix. Action names are checked against IAM's
own list (`farflow.deploy.iam_reference`); resources must be `*` or an ARN of IAM's shape,
`arn:<partition>:<service>:<region>:<account>:<resource>` ("IAM identifiers: IAM ARNs"); managed
policies must be policy ARNs, AWS's (`arn:aws:iam::aws:policy/...`) or an account's own.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from farflow.deploy.iam_reference import action_problem, action_warning
from farflow.spec.policy_check import policy_problem
from farflow.spec.project_permissions import (
    AIRFLOW_TASK,
    ALLOW,
    DENY,
    ROLE_KEYS,
    TASKS,
    WORKER,
    ProjectPermissions,
    ProjectStatement,
    RoleGrants,
)

logger = logging.getLogger(__name__)

TABLE = "permissions"
GRANT_KEYS = ("managed_policies", "statements")
STATEMENT_KEYS = ("sid", "effect", "actions", "not_actions", "resources", "not_resources", "conditions")
EXAMPLE_STATEMENT = '{ actions = ["s3:GetObject"], resources = ["arn:aws:s3:::my-data/*"] }'
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
_PARTITION = "|".join(PARTITIONS)
# The resource part may hold spaces: an S3 object key may ("Creating object key names").
_ARN = re.compile(rf"arn:({_PARTITION}):[a-z0-9*?-]+:[a-z0-9*?-]*:(\d{{12}}|[\d*?]*|aws):\S.*")
_SID = re.compile(r"[A-Za-z0-9]+")
_MANAGED = re.compile(rf"arn:({_PARTITION}):iam::(aws|\d{{12}}):policy/[\w+=,.@/-]+")
# IAM's condition operators ("IAM JSON policy elements: Condition operators"); each may end in IfExists
# (but Null) and be prefixed ForAllValues: or ForAnyValue: for multivalued keys.
OPERATORS = frozenset(
    {
        *(f"String{kind}" for kind in ("Equals", "NotEquals", "EqualsIgnoreCase", "NotEqualsIgnoreCase")),
        "StringLike",
        "StringNotLike",
        *(
            f"{kind}{test}"
            for kind in ("Numeric", "Date")
            for test in (
                "Equals",
                "NotEquals",
                "LessThan",
                "LessThanEquals",
                "GreaterThan",
                "GreaterThanEquals",
            )
        ),
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        *(f"Arn{test}" for test in ("Equals", "Like", "NotEquals", "NotLike")),
    }
)
_CONDITION_KEY = re.compile(r"[A-Za-z0-9-]+:[^\s]+")
# Grants that would hand the project's code the account: every action, or every IAM or STS action (which
# create, change and assume roles), and AWS's managed policies that do the same. farflow's guard denies the
# known ways from these to farflow's own roles, but not every way to the account's other roles and users.
ADMIN_ACTIONS = frozenset({"*", "iam:*", "sts:*"})
ADMIN_POLICIES = frozenset({"AdministratorAccess", "IAMFullAccess", "PowerUserAccess"})


def _show(value: Any) -> str:
    return json.dumps(value, default=str)


def operator_known(operator: str) -> bool:
    base = operator.removeprefix("ForAllValues:").removeprefix("ForAnyValue:")
    return base == "Null" or base.removesuffix("IfExists") in OPERATORS


def check_permissions(data: Any) -> tuple[ProjectPermissions, list[str]]:
    """The permissions a `[permissions]` table gives, and one sentence per value that cannot be used."""
    if not isinstance(data, Mapping):
        return ProjectPermissions(), [
            f"permissions = {_show(data)}: write it as tables, [permissions.airflow_task] with "
            f"statements = [{EXAMPLE_STATEMENT}]."
        ]
    found: list[str] = []
    given: dict[str, Any] = {}
    for key, body in data.items():
        if key not in ROLE_KEYS:
            close = difflib.get_close_matches(key, ROLE_KEYS, n=1)
            hint = f" Did you mean [{TABLE}.{close[0]}]?" if close else ""
            found.append(
                f"[{TABLE}.{key}] is not a role farflow.toml may grant to.{hint} Only the roles that run "
                f"the project's code take grants: [{TABLE}.{AIRFLOW_TASK}], [{TABLE}.{WORKER}] and "
                f"[{TABLE}.{TASKS}.<folder>]; farflow's own roles keep their policies."
            )
        elif key == TASKS:
            given[key] = _folders(body, found)
        else:
            given[key] = _grants(f"{TABLE}.{key}", body, found)
    return ProjectPermissions(**given), found


def _folders(data: Any, found: list[str]) -> tuple[tuple[str, RoleGrants], ...]:
    if not isinstance(data, Mapping):
        found.append(
            f"[{TABLE}] tasks = {_show(data)}: give each tasks/<folder> its own table, "
            f"[{TABLE}.tasks.<folder>]."
        )
        return ()
    return tuple((folder, _grants(f"{TABLE}.tasks.{folder}", body, found)) for folder, body in data.items())


def _grants(table: str, data: Any, found: list[str]) -> RoleGrants:
    if not isinstance(data, Mapping):
        found.append(
            f"[{table.rsplit('.', 1)[0]}] {table.rsplit('.', 1)[1]} = {_show(data)}: write it as [{table}]."
        )
        return RoleGrants()
    for key in data:
        if key not in GRANT_KEYS:
            close = difflib.get_close_matches(key.lower(), GRANT_KEYS, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            found.append(
                f"[{table}] {key} is not a key of [{table}].{hint} Its keys are {', '.join(GRANT_KEYS)}."
            )
    managed = data.get("managed_policies", [])
    policies: list[str] = []
    if not isinstance(managed, list) or not all(isinstance(arn, str) for arn in managed):
        found.append(
            f"[{table}] managed_policies = {_show(managed)}: must be a list of policy ARNs, like "
            '["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"].'
        )
    else:
        for arn in managed:
            if (
                _MANAGED.fullmatch(arn)
                and arn.split(":")[4] == "aws"
                and arn.split("/")[-1] in ADMIN_POLICIES
            ):
                found.append(
                    f"[{table}] managed_policies: {_show(arn)} gives the project's code the account's "
                    "administration (roles, users and their policies); attach the services' own policies "
                    '(like "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess") or write statements.'
                )
            elif _MANAGED.fullmatch(arn):
                policies.append(arn)
            else:
                found.append(
                    f"[{table}] managed_policies: {_show(arn)} is not a managed policy ARN; write "
                    '"arn:aws:iam::aws:policy/<Name>" for an AWS managed policy or '
                    '"arn:aws:iam::<12-digit account>:policy/<name>" for your own.'
                )
    statements = data.get("statements", [])
    if not isinstance(statements, list):
        found.append(
            f"[{table}] statements = {_show(statements)}: must be a list, like [{EXAMPLE_STATEMENT}]."
        )
        statements = []
    parsed = [
        _statement(f"[{table}] statements[{index}]", item, found) for index, item in enumerate(statements)
    ]
    return RoleGrants(tuple(policies), tuple(item for item in parsed if item is not None))


def _strings(where: str, key: str, value: Any, example: str, found: list[str]) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        found.append(f"{where} {key} = {_show(value)}: must be a non-empty list of strings, like {example}.")
        return []
    return value


def _statement(where: str, data: Any, found: list[str]) -> ProjectStatement | None:
    """One statement, or None (its problems added to `found`)."""
    if not isinstance(data, Mapping):
        found.append(f"{where} = {_show(data)}: write a statement as a table, like {EXAMPLE_STATEMENT}.")
        return None
    before = len(found)
    found += _key_problems(where, data)
    if problem := text_problem(data):
        found.append(f"{where}: {problem}")
    sid = data.get("sid", "")
    if not isinstance(sid, str) or (sid and not _SID.fullmatch(sid)):
        found.append(f'{where} sid = {_show(sid)}: IAM takes letters and digits only, like "ReadReports".')
    actions, not_actions = _either(where, data, "actions", '["s3:GetObject"]', found)
    for action in actions:
        if problem := action_problem(action):
            found.append(f"{where} {_key('actions', not_actions)}: {_show(action)} {problem}")
        elif warning := action_warning(action):
            logger.warning("farflow.toml %s: %s", where, warning)
    resources, not_resources = _either(where, data, "resources", '["arn:aws:s3:::my-data/*"]', found)
    for resource in resources:
        if problem := resource_problem(resource):
            found.append(f"{where} {_key('resources', not_resources)}: {_show(resource)} {problem}")
    effect = data.get("effect", ALLOW)
    if effect not in (ALLOW, DENY):
        found.append(f'{where} effect = {_show(effect)}: IAM takes "{ALLOW}" (the default) or "{DENY}".')
    elif effect == ALLOW and not not_actions:
        found += [
            f"{where} actions: {_show(action)} would let the project's code administer the account (create, "
            'change or assume roles); name the actions it calls, like "s3:GetObject" or "s3:Get*".'
            for action in actions
            if action.lower() in ADMIN_ACTIONS
        ]
    conditions = data.get("conditions", {})
    found += _condition_problems(where, conditions)
    if len(found) > before:
        return None
    statement = ProjectStatement(
        tuple(actions), tuple(resources), effect, conditions, not_actions, not_resources, sid
    )
    if problem := evaluator_problem(statement.document()):
        found.append(f"{where}: {problem}")
        return None
    return statement


def _key(name: str, negated: bool) -> str:
    return f"not_{name}" if negated else name


def _key_problems(where: str, data: Mapping[str, Any]) -> list[str]:
    found = []
    for key in data:
        if key.lower() == "principal":
            found.append(
                f"{where} principal: an identity policy names no principal (it is the role's own); to let "
                "a role into a bucket or key, name its ARN (the stack's outputs) in that bucket's or key's "
                "own policy instead."
            )
        elif key not in STATEMENT_KEYS:
            close = difflib.get_close_matches(key.lower(), STATEMENT_KEYS, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]}?" if close else "."
            found.append(
                f"{where} {key} is not a key of a statement{hint} Its keys are {', '.join(STATEMENT_KEYS)}."
            )
    return found


def _either(
    where: str, data: Mapping[str, Any], name: str, example: str, found: list[str]
) -> tuple[list[str], bool]:
    """`name` or `not_<name>` (IAM's Action/NotAction, Resource/NotResource): exactly one, and whether it
    is the Not form."""
    negated = f"not_{name}"
    if name in data and negated in data:
        found.append(f"{where}: give {name} or {negated}, not both (IAM takes one of them).")
        return [], False
    if negated in data:
        return _strings(where, negated, data[negated], example, found), True
    return _strings(where, name, data.get(name), example, found), False


# IAM's policy grammar: "tab, line feed, carriage return and characters from U+0020 to U+00FF"
# ("IAM and AWS STS quotas": character limits; "IAM JSON policy grammar").
_LATIN_1 = re.compile(r"[\t\n\r\u0020-\u00ff]*")


def text_problem(value: Any) -> str | None:
    """None if every string in `value` is text IAM takes; else which string and why."""
    if isinstance(value, str):
        if _LATIN_1.fullmatch(value):
            return None
        [bad] = [char for char in value if not _LATIN_1.fullmatch(char)][:1]
        return (
            f"{_show(value)} holds {bad!r} (U+{ord(bad):04X}); IAM policies take only tab, newline and "
            "characters U+0020 to U+00FF (Latin-1): write it in ASCII, with a * where it differs."
        )
    items = list(value.items()) if isinstance(value, Mapping) else value if isinstance(value, list) else []
    for item in items:
        for part in item if isinstance(item, tuple) else (item,):
            if problem := text_problem(part):
                return problem
    return None


def evaluator_problem(document: Mapping[str, Any]) -> str | None:
    """None if `farflow.policy` (the local endpoint's evaluator) can decide the statement; else why."""
    if problem := policy_problem([document]):
        return (
            f"{problem}; the local stack's evaluator (farflow.policy) cannot decide it. Write it another way."
        )
    return None


def resource_problem(resource: str) -> str | None:
    """None for `*` or an ARN of IAM's shape; else what to write."""
    if resource == "*" or _ARN.fullmatch(resource):
        return None
    if resource.startswith("s3://"):
        bucket = resource.removeprefix("s3://").rstrip("/")
        return f'is an S3 URL; IAM names the bucket "arn:aws:s3:::{bucket}" and its objects "arn:aws:s3:::{bucket}/*".'
    return (
        f"is not an ARN; write arn:<partition>:<service>:<region>:<account>:<resource> with partition "
        f'{", ".join(PARTITIONS)}, like "arn:aws:s3:::my-data/*", or "*".'
    )


def _condition_problems(where: str, conditions: Any) -> list[str]:
    example = '{ StringEquals = { "aws:ResourceTag/team" = "data" } }'
    if not isinstance(conditions, Mapping):
        return [
            f"{where} conditions = {_show(conditions)}: must be IAM's Condition block as a table, like {example}."
        ]
    found = []
    for operator, body in conditions.items():
        if not operator_known(operator):
            close = difflib.get_close_matches(operator, sorted(OPERATORS), n=1)
            hint = f"; did you mean {close[0]}?" if close else "."
            found.append(f"{where} conditions: {operator} is not an IAM condition operator{hint}")
            continue
        if not isinstance(body, Mapping) or not body:
            found.append(
                f"{where} conditions.{operator} = {_show(body)}: must be a table of condition keys, like {example}."
            )
            continue
        for key, value in body.items():
            if not _CONDITION_KEY.fullmatch(key):
                found.append(
                    f"{where} conditions.{operator}: {_show(key)} is not a condition key; keys are "
                    '<service>:<name>, like "aws:SourceVpc" or "s3:prefix".'
                )
            if not _condition_value(value):
                found.append(
                    f"{where} conditions.{operator}.{key} = {_show(value)}: give a string, number, "
                    "true/false or a list of them."
                )
    return found


def _condition_value(value: Any) -> bool:
    scalars = (str, int, float, bool)
    return isinstance(value, scalars) or (
        isinstance(value, list) and bool(value) and all(isinstance(item, scalars) for item in value)
    )


def folder_problems(permissions: ProjectPermissions, folders: Sequence[str]) -> list[str]:
    """A line for each `[permissions.tasks.<folder>]` whose tasks/<folder> (with a Dockerfile) is missing."""
    found = []
    for folder, _ in permissions.tasks:
        if folder not in folders:
            close = difflib.get_close_matches(folder, list(folders), n=1)
            hint = f" Did you mean [{TABLE}.tasks.{close[0]}]?" if close else ""
            have = ", ".join(folders) or "none"
            found.append(
                f"[{TABLE}.tasks.{folder}]: the project has no tasks/{folder} folder with a Dockerfile "
                f"(its task folders: {have}).{hint} Rename the table or add the folder."
            )
    return found


def worker_problems(permissions: ProjectPermissions, worker_enabled: bool) -> list[str]:
    if permissions.worker and not worker_enabled:
        return [
            f"[{TABLE}.{WORKER}] grants to the worker role, but [worker] enabled = false: there is no worker "
            f"pool. Remove [{TABLE}.{WORKER}] or set enabled = true."
        ]
    return []


MANAGED_POLICIES_DEFAULT, MANAGED_POLICIES_MOST = 10, 20
"""IAM's "Managed policies attached to an IAM role" quota: 10 by default, raisable to 20 ("IAM and AWS STS
quotas"). farflow refuses more than 20; above 10 it warns that the raised quota is needed."""


def partition_of(region: str) -> str | None:
    """The partition of a Region ("AWS partitions": cn-* China, us-gov-* GovCloud); None if not known."""
    if not region:
        return None
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def _arn_partition(arn: str) -> str:
    return arn.split(":")[1] if arn.startswith("arn:") and arn.count(":") >= 5 else ""


def _roles(permissions: ProjectPermissions) -> list[tuple[str, RoleGrants]]:
    return [
        (f"{TABLE}.{AIRFLOW_TASK}", permissions.airflow_task),
        (f"{TABLE}.{WORKER}", permissions.worker),
        *((f"{TABLE}.tasks.{folder}", grants) for folder, grants in permissions.tasks),
    ]


def account_problems(permissions: ProjectPermissions, region: str, account: str) -> list[str]:
    """ARNs IAM would refuse in this stack: another partition than `region`'s (IAM: "Partition "aws" is
    not valid for resource"), a customer managed policy of another account than `account` (attach takes
    only the account's own), and more managed policies on a role than the quota."""
    partition = partition_of(region)
    found = []
    for table, grants in _roles(permissions):
        arns = [("managed_policies", arn) for arn in grants.managed_policies]
        arns += [
            (f"statements {_key('resources', statement.not_resources)}", resource)
            for statement in grants.statements
            for resource in statement.resources
            if resource != "*"
        ]
        for key, arn in arns:
            given = _arn_partition(arn)
            if partition and given != partition:
                found.append(
                    f"[{table}] {key}: {_show(arn)} is in partition {given}, but [project] region = "
                    f'"{region}" is in {partition}: write "arn:{partition}:{arn.split(":", 2)[2]}".'
                )
        for arn in grants.managed_policies:
            owner = arn.split(":")[4]
            if account and owner not in ("aws", account):
                found.append(
                    f"[{table}] managed_policies: {_show(arn)} belongs to account {owner}, but [project] "
                    f"account = \"{account}\": a role takes only its own account's policies (or AWS's); "
                    "create the policy in this account or write its statements here."
                )
        count = len(grants.managed_policies)
        if count > MANAGED_POLICIES_MOST:
            found.append(
                f"[{table}] managed_policies: {count} policies, but IAM attaches at most "
                f"{MANAGED_POLICIES_MOST} to a role (even with its quota raised): merge some into one "
                "customer managed policy or write them as statements."
            )
        elif count > MANAGED_POLICIES_DEFAULT:
            logger.warning(
                "farflow.toml [%s] managed_policies: %d policies; IAM attaches %d to a role by default. "
                'Raise the IAM quota "Managed policies per role" (Service Quotas console, up to %d) before '
                "deploying, or the deploy fails.",
                table,
                count,
                MANAGED_POLICIES_DEFAULT,
                MANAGED_POLICIES_MOST,
            )
    return found
