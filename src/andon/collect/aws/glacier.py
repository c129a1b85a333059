"""Amazon S3 Glacier vaults and their vault access policies → ``storage.archive_vault``
(``AWS::Glacier::Vault``).

Calls: ListVaults (paginated, account ``-``: the caller's); per vault GetVaultAccessPolicy
(``ResourceNotFoundException`` is no policy: Glacier answers it for a missing policy and for a
missing vault alike); ListTagsForVault only for a vault whose policy is not private. The vault
lock policy (GetVaultLock) is not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from andon.collect.aws._kit import Kinds, Region, policy_exposure, policy_text, tag_list, text
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.model import Resource

SERVICE = "glacier"
KIND = "storage.archive_vault"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "ListVaults", "glacier:ListVaults"),
    Operation(SERVICE, "GetVaultAccessPolicy", "glacier:GetVaultAccessPolicy"),
    Operation(SERVICE, "ListTagsForVault", "glacier:ListTagsForVault"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""

KINDS: Kinds = {KIND: ("AWS::Glacier::Vault", policy_exposure)}

ABSENT = {"GetVaultAccessPolicy": frozenset({"ResourceNotFoundException"})}
GONE = {"ListTagsForVault": frozenset({"ResourceNotFoundException"})}
_PAGE = "1000"  # the API maximum (a string in this API)


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``storage.archive_vault`` per vault of ``account`` in ``region``.

    Raises the listing's :class:`~andon.core.errors.CollectError` when ListVaults fails.
    """
    run = Region(
        ctx, clients, account, region, service=SERVICE, kinds=KINDS, absent=ABSENT, gone=GONE
    )
    vaults = run.listing(
        "ListVaults", "VaultList", "marker", "Marker", _entry, accountId="-", limit=_PAGE
    )
    yield from run.stream(vaults, lambda vault: [_vault(run, vault)])


def _entry(item: Any) -> dict[str, Any]:
    text(item["VaultName"], "VaultName")
    return dict(item)


def _vault(run: Region, entry: dict[str, Any]) -> Resource:
    name = str(entry["VaultName"])
    arn = str(entry.get("VaultARN") or run.arn("glacier", f"vaults/{name}"))
    reads = run.reads(arn)
    reads.keep("ListVaults", entry)
    policy = reads.read("GetVaultAccessPolicy", _policy, absent=None, accountId="-", vaultName=name)
    return run.policy_resource(
        reads,
        KIND,
        service="glacier",
        arn=arn,
        name=name,
        policy=policy,
        read_tags=lambda: reads.read(
            "ListTagsForVault", lambda a: tag_list(a.get("Tags")), accountId="-", vaultName=name
        ),
    )


def _policy(answer: dict[str, Any]) -> str | None:
    return policy_text((answer.get("policy") or {}).get("Policy"))
