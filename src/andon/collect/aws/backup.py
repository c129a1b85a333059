"""AWS Backup vaults and their access policies → ``backup.vault`` (``AWS::Backup::BackupVault``).

Calls: ListBackupVaults (paginated); per vault GetBackupVaultAccessPolicy
(``ResourceNotFoundException`` is no policy: the service answers it for a missing policy and for
a missing vault alike); ListTags only for a vault whose policy is not private.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from andon.collect.aws._kit import Kinds, Region, policy_exposure, policy_text, tag_list, text
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.model import Resource

SERVICE = "backup"
KIND = "backup.vault"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "ListBackupVaults", "backup:ListBackupVaults"),
    Operation(SERVICE, "GetBackupVaultAccessPolicy", "backup:GetBackupVaultAccessPolicy"),
    Operation(SERVICE, "ListTags", "backup:ListTags"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""

KINDS: Kinds = {KIND: ("AWS::Backup::BackupVault", policy_exposure)}

ABSENT = {"GetBackupVaultAccessPolicy": frozenset({"ResourceNotFoundException"})}
GONE = {"ListTags": frozenset({"ResourceNotFoundException"})}
_PAGE = 1000  # the API maximum


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``backup.vault`` per backup vault of ``account`` in ``region``.

    Raises the listing's :class:`~andon.core.errors.CollectError` when ListBackupVaults fails.
    """
    run = Region(
        ctx, clients, account, region, service=SERVICE, kinds=KINDS, absent=ABSENT, gone=GONE
    )
    vaults = run.listing(
        "ListBackupVaults", "BackupVaultList", "NextToken", "NextToken", _entry, MaxResults=_PAGE
    )
    yield from run.stream(vaults, lambda vault: [_vault(run, vault)])


def _entry(item: Any) -> dict[str, Any]:
    text(item["BackupVaultName"], "BackupVaultName")
    return dict(item)


def _vault(run: Region, entry: dict[str, Any]) -> Resource:
    name = str(entry["BackupVaultName"])
    arn = str(entry.get("BackupVaultArn") or run.arn("backup", f"backup-vault:{name}"))
    reads = run.reads(arn)
    reads.keep("ListBackupVaults", entry)
    policy = reads.read("GetBackupVaultAccessPolicy", _policy, absent=None, BackupVaultName=name)
    return run.policy_resource(
        reads,
        KIND,
        service="backup",
        arn=arn,
        name=name,
        policy=policy,
        read_tags=lambda: reads.read(
            "ListTags", lambda a: tag_list(a.get("Tags")), ResourceArn=arn
        ),
    )


def _policy(answer: dict[str, Any]) -> str | None:
    return policy_text(answer.get("Policy"))
