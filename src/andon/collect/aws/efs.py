"""Amazon EFS file systems and their file-system policies → ``storage.filesystem``
(``AWS::EFS::FileSystem``).

Calls: DescribeFileSystems (paginated; it carries the tags); per file system
DescribeFileSystemPolicy (``PolicyNotFound`` is no policy: then any client that reaches a mount
target has access, which the network decides). A file system deleted mid-scan
(``FileSystemNotFound``) is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from andon.collect.aws._kit import Kinds, Region, policy_exposure, policy_text, tag_list, text
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.model import Resource

SERVICE = "efs"
KIND = "storage.filesystem"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "DescribeFileSystems", "elasticfilesystem:DescribeFileSystems"),
    Operation(SERVICE, "DescribeFileSystemPolicy", "elasticfilesystem:DescribeFileSystemPolicy"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""

KINDS: Kinds = {KIND: ("AWS::EFS::FileSystem", policy_exposure)}

ABSENT = {"DescribeFileSystemPolicy": frozenset({"PolicyNotFound"})}
GONE = {"DescribeFileSystemPolicy": frozenset({"FileSystemNotFound"})}
_PAGE = 100  # the API pages at 100


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``storage.filesystem`` per file system of ``account`` in ``region``.

    Raises the listing's :class:`~andon.core.errors.CollectError` when DescribeFileSystems
    fails.
    """
    run = Region(
        ctx, clients, account, region, service=SERVICE, kinds=KINDS, absent=ABSENT, gone=GONE
    )
    systems = run.listing(
        "DescribeFileSystems", "FileSystems", "Marker", "NextMarker", _entry, MaxItems=_PAGE
    )
    yield from run.stream(systems, lambda fs: [_file_system(run, fs)])


def _entry(item: Any) -> dict[str, Any]:
    text(item["FileSystemId"], "FileSystemId")
    tag_list(item.get("Tags"))
    return dict(item)


def _file_system(run: Region, entry: dict[str, Any]) -> Resource:
    fs_id = str(entry["FileSystemId"])
    arn = str(entry.get("FileSystemArn") or run.arn("elasticfilesystem", f"file-system/{fs_id}"))
    reads = run.reads(arn)
    reads.keep("DescribeFileSystems", entry)
    policy = reads.read("DescribeFileSystemPolicy", _policy, absent=None, FileSystemId=fs_id)
    return run.policy_resource(
        reads,
        KIND,
        service="efs",
        arn=arn,
        name=str(entry.get("Name") or fs_id),
        policy=policy,
        extra={"file_system_id": fs_id},
        tags=tag_list(entry.get("Tags")),
    )


def _policy(answer: dict[str, Any]) -> str | None:
    return policy_text(answer.get("Policy"))
