"""AWS KMS keys and their key policies → ``crypto.key`` (``AWS::KMS::Key``).

Calls: ListKeys (paginated); per key DescribeKey (``KeyManager``, ``KeyState``) and
GetKeyPolicy for the ``default`` policy (the only name KMS supports); ListResourceTags only for
a key whose policy is not private. AWS-managed keys are kept: their policies are written by AWS
and grant only through the owner's account (``kms:CallerAccount`` and ``kms:ViaService``), so
they evaluate as private by design; ``key_manager`` tells them apart. A key deleted mid-scan
(``NotFoundException``) is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from andon.collect.aws._kit import (
    Kinds,
    Region,
    dump,
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

SERVICE = "kms"
KIND = "crypto.key"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "ListKeys", "kms:ListKeys"),
    Operation(SERVICE, "DescribeKey", "kms:DescribeKey"),
    Operation(SERVICE, "GetKeyPolicy", "kms:GetKeyPolicy"),
    Operation(SERVICE, "ListResourceTags", "kms:ListResourceTags"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""

KINDS: Kinds = {KIND: ("AWS::KMS::Key", policy_exposure)}

_NO_KEY = frozenset({"NotFoundException"})
GONE = {"DescribeKey": _NO_KEY, "GetKeyPolicy": _NO_KEY, "ListResourceTags": _NO_KEY}
_PAGE = 1000  # the API maximum


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``crypto.key`` per key of ``account`` in ``region``, as each completes.

    Raises the listing's :class:`~andon.core.errors.CollectError` when ListKeys fails.
    """
    run = Region(ctx, clients, account, region, service=SERVICE, kinds=KINDS, gone=GONE)
    keys = run.listing("ListKeys", "Keys", "Marker", "NextMarker", _entry, Limit=_PAGE)
    yield from run.stream(keys, lambda key: [_key(run, *key)])


def _entry(item: Any) -> tuple[str, str]:
    return text(item["KeyId"], "KeyId"), text(item["KeyArn"], "KeyArn")


def _key(run: Region, key_id: str, arn: str) -> Resource:
    reads = run.reads(arn)
    meta = reads.read("DescribeKey", _metadata, KeyId=key_id)
    policy = reads.read("GetKeyPolicy", _policy, KeyId=key_id, PolicyName="default")
    manager: str | Unknown = meta if isinstance(meta, Unknown) else meta[0]
    state: str | Unknown = meta if isinstance(meta, Unknown) else meta[1]
    return run.policy_resource(
        reads,
        KIND,
        service="kms",
        arn=arn,
        name=key_id,
        policy=policy,
        extra={"key_manager": dump(manager), "key_state": dump(state)},
        read_tags=lambda: reads.read(
            "ListResourceTags",
            lambda a: tag_list(a.get("Tags"), "TagKey", "TagValue"),
            KeyId=key_id,
        ),
    )


def _metadata(answer: dict[str, Any]) -> tuple[str, str]:
    meta = answer["KeyMetadata"]
    return str(meta.get("KeyManager") or ""), str(meta.get("KeyState") or "")


def _policy(answer: dict[str, Any]) -> str | None:
    return policy_text(answer.get("Policy"))
