"""AWS Secrets Manager secrets and their resource policies → ``secrets.secret``
(``AWS::SecretsManager::Secret``).

Calls: ListSecrets (paginated; it carries the tags); per secret GetResourcePolicy (an answer
without ``ResourcePolicy`` means no policy). Secrets scheduled for deletion are not listed (they
cannot be read). A secret deleted mid-scan (``ResourceNotFoundException``) is left out. No call
reads a secret's value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from andon.collect.aws._kit import Kinds, Region, policy_exposure, policy_text, tag_list, text
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.model import Resource

SERVICE = "secretsmanager"
KIND = "secrets.secret"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "ListSecrets", "secretsmanager:ListSecrets"),
    Operation(SERVICE, "GetResourcePolicy", "secretsmanager:GetResourcePolicy"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""

KINDS: Kinds = {KIND: ("AWS::SecretsManager::Secret", policy_exposure)}

GONE = {"GetResourcePolicy": frozenset({"ResourceNotFoundException"})}
_PAGE = 100  # the API maximum


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``secrets.secret`` per secret of ``account`` in ``region``, as each completes.

    Raises the listing's :class:`~andon.core.errors.CollectError` when ListSecrets fails.
    """
    run = Region(ctx, clients, account, region, service=SERVICE, kinds=KINDS, gone=GONE)
    secrets = run.listing(
        "ListSecrets", "SecretList", "NextToken", "NextToken", _entry, MaxResults=_PAGE
    )
    yield from run.stream(secrets, lambda s: [_secret(run, s)])


def _entry(item: Any) -> dict[str, Any]:
    text(item["ARN"], "ARN")
    tag_list(item.get("Tags"))
    return dict(item)


def _secret(run: Region, entry: dict[str, Any]) -> Resource:
    arn = str(entry["ARN"])
    reads = run.reads(arn)
    reads.keep("ListSecrets", entry)
    policy = reads.read("GetResourcePolicy", _policy, SecretId=arn)
    return run.policy_resource(
        reads,
        KIND,
        service="secretsmanager",
        arn=arn,
        name=str(entry.get("Name") or arn),
        policy=policy,
        tags=tag_list(entry.get("Tags")),
    )


def _policy(answer: dict[str, Any]) -> str | None:
    return policy_text(answer.get("ResourcePolicy"))
