"""Amazon DynamoDB tables and their resource-based policies → ``database.table``
(``AWS::DynamoDB::Table``).

Calls: ListTables (paginated); per table GetResourcePolicy on the table ARN
(``PolicyNotFoundException`` is no policy); ListTagsOfResource only for a table whose policy is
not private. A table deleted mid-scan (``ResourceNotFoundException``) is left out. Stream
policies (a stream ARN's own resource policy) are not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from andon.collect.aws._kit import (
    Kinds,
    Reads,
    Region,
    policy_exposure,
    policy_text,
    tag_list,
    text,
)
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.model import Resource
from andon.exposure.s3_model import Unknown

SERVICE = "dynamodb"
KIND = "database.table"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "ListTables", "dynamodb:ListTables"),
    Operation(SERVICE, "GetResourcePolicy", "dynamodb:GetResourcePolicy"),
    Operation(SERVICE, "ListTagsOfResource", "dynamodb:ListTagsOfResource"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""

KINDS: Kinds = {KIND: ("AWS::DynamoDB::Table", policy_exposure)}

ABSENT = {"GetResourcePolicy": frozenset({"PolicyNotFoundException"})}
_NO_TABLE = frozenset({"ResourceNotFoundException"})
GONE = {"GetResourcePolicy": _NO_TABLE, "ListTagsOfResource": _NO_TABLE}
_PAGE = 100  # the API maximum


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``database.table`` per table of ``account`` in ``region``, as each completes.

    Raises the listing's :class:`~andon.core.errors.CollectError` when ListTables fails.
    """
    run = Region(
        ctx, clients, account, region, service=SERVICE, kinds=KINDS, absent=ABSENT, gone=GONE
    )
    names = run.listing(
        "ListTables",
        "TableNames",
        "ExclusiveStartTableName",
        "LastEvaluatedTableName",
        _name,
        Limit=_PAGE,
    )
    yield from run.stream(names, lambda name: [_table(run, name)])


def _name(item: Any) -> str:
    return text(item, "a table name")


def _table(run: Region, name: str) -> Resource:
    arn = run.arn("dynamodb", f"table/{name}")
    reads = run.reads(arn)
    policy = reads.read("GetResourcePolicy", _policy, absent=None, ResourceArn=arn)
    return run.policy_resource(
        reads,
        KIND,
        service="dynamodb",
        arn=arn,
        name=name,
        policy=policy,
        read_tags=lambda: _tags(reads, arn),
    )


def _policy(answer: dict[str, Any]) -> str | None:
    return policy_text(answer.get("Policy"))


def _tags(reads: Reads, arn: str) -> dict[str, str] | Unknown:
    pages = reads.read_pages(
        "ListTagsOfResource",
        lambda a: list(tag_list(a.get("Tags")).items()),
        "NextToken",
        "NextToken",
        ResourceArn=arn,
    )
    return pages if isinstance(pages, Unknown) else dict(pages)
