"""``andon permissions``: the read-only IAM policy a scan needs, and nothing more.

The policy is built from the ``OPERATIONS`` of every enabled collector
(:mod:`andon.collect.aws.registry`) plus the scope calls (GetCallerIdentity, DescribeRegions);
``--classify`` adds what reading exposed content needs (``CLASSIFY_OPERATIONS``), ``--org``
what listing the organization and assuming the audit role in each account need.
``tests/cli/test_permissions.py`` records every call a full scan makes and fails when one is
missing from this policy or is not read-only.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from andon.cli.common import OUTPUT_OPTION, emit, fail
from andon.core.errors import AndonError
from andon.report.safe import json_dumps

READ_VERBS = ("List", "Describe", "Get", "Head", "LookupEvents")
"""Operation name prefixes of read-only calls."""
READ_EXCEPTIONS = frozenset({("sts", "AssumeRole")})
"""Calls that change nothing although their name is not a read verb: AssumeRole only hands
out temporary credentials for the audit role."""


def is_read_only(service: str, operation: str) -> bool:
    """True for List*/Describe*/Get*/Head*/LookupEvents calls and :data:`READ_EXCEPTIONS`."""
    return operation.startswith(READ_VERBS) or (service, operation) in READ_EXCEPTIONS


def build_policy(
    services: list[str] | None = None,
    *,
    rule_patterns: list[str] | None = None,
    classify: bool = False,
    org: bool = False,
    role_name: str | None = None,
) -> dict[str, Any]:
    """The IAM policy document (``Version`` 2012-10-17) for a scan of ``services``.

    Raises :class:`andon.core.errors.ConfigError` for an unknown service, or
    :class:`andon.core.errors.NotFound` for a rule pattern matching nothing.
    """
    from andon.collect.aws.registry import (
        ASSUME_ROLE,
        ORG_OPERATIONS,
        policy_operations,
        select_services,
    )
    from andon.collect.aws.scope import DEFAULT_ROLE_NAME
    from andon.rules import default_registry

    kinds = None
    if rule_patterns:
        selected = default_registry().select(rule_patterns)
        kinds = {k for r in selected for k in r.meta.resource_kinds}
    chosen = select_services(services or (), rule_kinds=kinds)
    ops = [
        o
        for o in policy_operations(chosen)
        if (o.service, o.name) != (ASSUME_ROLE.service, ASSUME_ROLE.name)
    ]
    audit = sorted({o.iam_action for o in ops})
    statements: list[dict[str, Any]] = [
        {"Sid": "AndonReadOnlyAudit", "Effect": "Allow", "Action": audit, "Resource": "*"}
    ]
    if classify:
        from andon.classify.integrate import CLASSIFY_OPERATIONS

        extra = sorted({o.iam_action for o in CLASSIFY_OPERATIONS} - set(audit))
        if extra:
            statements.append(
                {
                    "Sid": "AndonClassifyExposedContent",
                    "Effect": "Allow",
                    "Action": extra,
                    "Resource": "*",
                }
            )
    if org:
        statements.append(
            {
                "Sid": "AndonListOrganization",
                "Effect": "Allow",
                "Action": sorted({o.iam_action for o in ORG_OPERATIONS}),
                "Resource": "*",
            }
        )
    if org or role_name:
        statements.append(
            {
                "Sid": "AndonAssumeAuditRole",
                "Effect": "Allow",
                "Action": ASSUME_ROLE.iam_action,
                "Resource": f"arn:aws:iam::*:role/{role_name or DEFAULT_ROLE_NAME}",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def permissions(
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="Only this service (repeatable). Default: all."),
    ] = None,
    rules: Annotated[
        list[str] | None,
        typer.Option("--rule", help="Only the services these rules look at (repeatable)."),
    ] = None,
    classify: Annotated[
        bool,
        typer.Option("--classify", help="Add what `andon scan --classify` reads (GetObject)."),
    ] = False,
    org: Annotated[
        bool,
        typer.Option(
            "--org",
            help="Add what `andon scan --org` needs in the management account: list the "
            "organization and assume the audit role in each account.",
        ),
    ] = False,
    role_name: Annotated[
        str | None,
        typer.Option(help="The audit role the --org statement may assume (default AndonAudit)."),
    ] = None,
    output: OUTPUT_OPTION = None,
) -> None:
    """Print the read-only IAM policy holding exactly the actions a scan calls.

    Attach it to the role or user Andon runs as (with --org: to the audit role in every
    account, and the --org statements to the identity in the management account).
    """
    try:
        policy = build_policy(
            service, rule_patterns=rules, classify=classify, org=org, role_name=role_name
        )
    except AndonError as exc:
        fail(str(exc))
    emit(json_dumps(policy) + "\n", output)
