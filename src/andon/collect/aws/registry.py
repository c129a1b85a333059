"""The AWS service table: every collector Andon runs, what it calls, which kinds it emits.

Each regional collector is a module ``andon.collect.aws.<module>`` with the contract

* ``collect(ctx, clients, account, region) -> Iterator[Resource]`` for one (account, region);
* ``OPERATIONS``: every API call it may make, with the IAM action allowing it;
* ``KINDS``: canonical kind → (native CloudFormation type, attributes → :class:`Exposure`).

S3 is the exception: its listing is account-wide (ListBuckets returns every region's
buckets), so :func:`andon.collect.aws.s3.collect_s3` runs once per account, in the cell
``(account, "global", "s3")``, and honours ``ctx.aws.regions`` itself.

:func:`select_services` turns ``--service`` names and a rule selection into the list of
:class:`Service` a scan runs; :func:`policy_operations` gives what ``andon permissions`` prints.
Modules are imported when a service is loaded, never at import time of this module.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from andon.collect.aws.s3 import S3_OPERATIONS, Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.errors import ConfigError
from andon.core.model import Exposure, Resource

Evaluate = Callable[[Mapping[str, Any]], Exposure]
Collect = Callable[[Context, AwsClients, str, str], Iterator[Resource]]

GLOBAL_REGION = "global"
"""The region of a cell whose service lists account-wide (S3)."""

# (name on the command line, module under andon.collect.aws, botocore endpoint name)
REGIONAL: tuple[tuple[str, str, str], ...] = (
    ("sqs", "sqs", "sqs"),
    ("sns", "sns", "sns"),
    ("kms", "kms", "kms"),
    ("secretsmanager", "secretsmanager", "secretsmanager"),
    ("ecr", "ecr", "ecr"),
    ("efs", "efs", "efs"),
    ("lambda", "lambda_", "lambda"),
    ("opensearch", "opensearch", "opensearch"),
    ("glacier", "glacier", "glacier"),
    ("backup", "backup", "backup"),
    ("apigateway", "apigateway", "apigateway"),
    ("dynamodb", "dynamodb", "dynamodb"),
    ("rds", "rds", "rds"),
    ("redshift", "redshift", "redshift"),
    ("ec2", "ec2", "ec2"),
)
SERVICE_NAMES: tuple[str, ...] = ("s3", *(name for name, _, _ in REGIONAL))
"""Every service ``--service`` accepts, in scan order."""

SCOPE_OPERATIONS: tuple[Operation, ...] = (
    Operation("sts", "GetCallerIdentity", "sts:GetCallerIdentity"),
    Operation("ec2", "DescribeRegions", "ec2:DescribeRegions"),
)
"""Calls made in every account to know who it is and which regions are enabled."""

ORG_OPERATIONS: tuple[Operation, ...] = (
    Operation("organizations", "DescribeOrganization", "organizations:DescribeOrganization"),
    Operation("organizations", "ListAccounts", "organizations:ListAccounts"),
)
"""Calls made with the starting credentials by ``andon scan --org``."""

ASSUME_ROLE = Operation("sts", "AssumeRole", "sts:AssumeRole")
"""Made with the starting credentials for every account reached through a role."""


@dataclass(frozen=True)
class Service:
    """One collector: its name, entry point, calls and kinds.

    ``regional`` services run once per (account, region); the others once per account in
    the region :data:`GLOBAL_REGION`. ``endpoint`` is the botocore service name used to tell
    whether the service is offered in a region.
    """

    name: str
    collect: Collect
    operations: tuple[Operation, ...]
    kinds: Mapping[str, tuple[str, Evaluate]] = field(default_factory=dict)
    regional: bool = True
    endpoint: str = ""


def _s3_collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    from andon.collect.aws.s3 import collect_s3

    return collect_s3(ctx, clients)


def _bucket_exposure(attributes: Mapping[str, Any]) -> Exposure:
    from andon.exposure.s3 import evaluate_bucket
    from andon.exposure.s3_model import S3BucketState

    return evaluate_bucket(S3BucketState.from_dict(attributes))


def _account_exposure(attributes: Mapping[str, Any]) -> Exposure:
    from andon.scan import account_settings_exposure

    return account_settings_exposure(attributes)


def s3_service() -> Service:
    """S3: account-wide listing, the reference collector."""
    return Service(
        name="s3",
        collect=_s3_collect,
        operations=S3_OPERATIONS,
        kinds={
            "storage.bucket": ("AWS::S3::Bucket", _bucket_exposure),
            "account.settings": ("AWS::S3::AccountPublicAccessBlock", _account_exposure),
        },
        regional=False,
        endpoint="s3",
    )


def load(name: str) -> Service:
    """The :class:`Service` called ``name`` (its module is imported now).

    Raises :class:`ConfigError` for an unknown name (with suggestions).
    """
    if name == "s3":
        return s3_service()
    for cli_name, module_name, endpoint in REGIONAL:
        if cli_name == name:
            module = importlib.import_module(f"andon.collect.aws.{module_name}")
            return Service(
                name=cli_name,
                collect=module.collect,
                operations=tuple(module.OPERATIONS),
                kinds=dict(module.KINDS),
                regional=True,
                endpoint=endpoint,
            )
    close = difflib.get_close_matches(name, SERVICE_NAMES, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ConfigError(f"unknown service {name!r}{hint} (known: {', '.join(SERVICE_NAMES)})")


def select_services(
    names: Sequence[str] = (), *, rule_kinds: Iterable[str] | None = None
) -> list[Service]:
    """The services a scan runs, in :data:`SERVICE_NAMES` order.

    ``names`` (``--service``, repeatable; empty: every service) picks services by name;
    ``rule_kinds`` (the kinds the selected rules look at; ``None``: no rule selection) drops
    every service none of whose kinds a selected rule needs, so ``--rule 's3.*'`` reads S3
    only. Raises :class:`ConfigError` for an unknown name, or when nothing is left to scan.
    """
    wanted = list(dict.fromkeys(n.strip().lower() for n in names if n.strip()))
    for name in wanted:
        if name not in SERVICE_NAMES:
            load(name)  # raises ConfigError with suggestions
    chosen = [load(n) for n in SERVICE_NAMES if not wanted or n in wanted]
    if rule_kinds is None:
        return chosen
    kinds = set(rule_kinds)
    kept = [s for s in chosen if kinds & set(s.kinds)]
    if not kept:
        raise ConfigError(
            "no selected rule looks at the selected services "
            f"({', '.join(s.name for s in chosen)}): nothing to scan"
        )
    return kept


def kind_table(services: Iterable[Service]) -> dict[str, Evaluate]:
    """Canonical kind → the collector's own evaluator (its ``KINDS``)."""
    return {kind: fn for s in services for kind, (_native, fn) in s.kinds.items()}


def policy_operations(
    services: Iterable[Service], *, org: bool = False, assume_role: bool = False
) -> list[Operation]:
    """Every operation a scan of ``services`` may make, scope calls included, deduplicated."""
    ops: dict[tuple[str, str], Operation] = {}
    extra: list[Operation] = list(SCOPE_OPERATIONS)
    if org:
        extra += ORG_OPERATIONS
    if org or assume_role:
        extra.append(ASSUME_ROLE)
    for op in (*extra, *(o for s in services for o in s.operations)):
        ops.setdefault((op.service, op.name), op)
    return list(ops.values())
