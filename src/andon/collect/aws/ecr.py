"""Amazon ECR repositories and their repository policies → ``registry.repository``
(``AWS::ECR::Repository``).

Calls: DescribeRepositories (paginated); per repository GetRepositoryPolicy
(``RepositoryPolicyNotFoundException`` is no policy); ListTagsForResource only for a repository
whose policy is not private. A repository deleted mid-scan (``RepositoryNotFoundException``) is
left out. The registry-level policy (replication, pull-through cache) is not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from andon.collect.aws._kit import Kinds, Region, policy_exposure, policy_text, tag_list, text
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.model import Resource

SERVICE = "ecr"
KIND = "registry.repository"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "DescribeRepositories", "ecr:DescribeRepositories"),
    Operation(SERVICE, "GetRepositoryPolicy", "ecr:GetRepositoryPolicy"),
    Operation(SERVICE, "ListTagsForResource", "ecr:ListTagsForResource"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""

KINDS: Kinds = {KIND: ("AWS::ECR::Repository", policy_exposure)}

ABSENT = {"GetRepositoryPolicy": frozenset({"RepositoryPolicyNotFoundException"})}
_NO_REPO = frozenset({"RepositoryNotFoundException"})
GONE = {"GetRepositoryPolicy": _NO_REPO, "ListTagsForResource": _NO_REPO}
_PAGE = 1000  # the API maximum


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``registry.repository`` per repository of ``account`` in ``region``.

    Raises the listing's :class:`~andon.core.errors.CollectError` when DescribeRepositories
    fails.
    """
    run = Region(
        ctx, clients, account, region, service=SERVICE, kinds=KINDS, absent=ABSENT, gone=GONE
    )
    repos = run.listing(
        "DescribeRepositories",
        "repositories",
        "nextToken",
        "nextToken",
        _entry,
        maxResults=_PAGE,
    )
    yield from run.stream(repos, lambda repo: [_repository(run, repo)])


def _entry(item: Any) -> dict[str, Any]:
    text(item["repositoryArn"], "repositoryArn")
    text(item["repositoryName"], "repositoryName")
    return dict(item)


def _repository(run: Region, entry: dict[str, Any]) -> Resource:
    arn, name = str(entry["repositoryArn"]), str(entry["repositoryName"])
    registry = {"registryId": str(entry["registryId"])} if entry.get("registryId") else {}
    reads = run.reads(arn)
    reads.keep("DescribeRepositories", entry)
    policy = reads.read(
        "GetRepositoryPolicy", _policy, absent=None, repositoryName=name, **registry
    )
    return run.policy_resource(
        reads,
        KIND,
        service="ecr",
        arn=arn,
        name=name,
        policy=policy,
        read_tags=lambda: reads.read(
            "ListTagsForResource", lambda a: tag_list(a.get("tags")), resourceArn=arn
        ),
    )


def _policy(answer: dict[str, Any]) -> str | None:
    return policy_text(answer.get("policyText"))
