"""Amazon SQS queues and their access policies → ``messaging.queue`` (``AWS::SQS::Queue``).

Calls: ListQueues (paginated); per queue GetQueueAttributes for ``Policy`` and ``QueueArn`` (one
call); ListQueueTags only for a queue whose policy is not private (tags matter only for the
exemption tag). A queue without a ``Policy`` attribute has no resource policy. A queue deleted
mid-scan (``AWS.SimpleQueueService.NonExistentQueue``) is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from andon.collect.aws._kit import (
    Kinds,
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

SERVICE = "sqs"
KIND = "messaging.queue"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "ListQueues", "sqs:ListQueues"),
    Operation(SERVICE, "GetQueueAttributes", "sqs:GetQueueAttributes"),
    Operation(SERVICE, "ListQueueTags", "sqs:ListQueueTags"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""

KINDS: Kinds = {KIND: ("AWS::SQS::Queue", policy_exposure)}

_NO_QUEUE = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
GONE = {"GetQueueAttributes": _NO_QUEUE, "ListQueueTags": _NO_QUEUE}
_PAGE = 1000  # the API maximum


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``messaging.queue`` per queue of ``account`` in ``region``, as each completes.

    Raises the listing's :class:`~andon.core.errors.CollectError` when ListQueues fails.
    """
    run = Region(ctx, clients, account, region, service=SERVICE, kinds=KINDS, gone=GONE)
    urls = run.listing("ListQueues", "QueueUrls", "NextToken", "NextToken", _url, MaxResults=_PAGE)
    yield from run.stream(urls, lambda url: [_queue(run, url)])


def _url(item: Any) -> str:
    return text(item, "a queue URL")


def queue_arn(run: Region, url: str) -> tuple[str, str]:
    """The ARN and name of a queue from its URL (``…/<account>/<name>``)."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    name = parts[-1] if parts else url
    owner = parts[-2] if len(parts) > 1 and parts[-2].isdigit() else run.account
    return run.arn("sqs", name, account=owner), name


def _queue(run: Region, url: str) -> Resource:
    arn, name = queue_arn(run, url)
    reads = run.reads(arn)
    got = reads.read(
        "GetQueueAttributes", _attributes, QueueUrl=url, AttributeNames=["Policy", "QueueArn"]
    )
    policy: str | Unknown | None
    if isinstance(got, Unknown):
        policy = got
    else:
        policy, arn = got[0], got[1] or arn
    return run.policy_resource(
        reads,
        KIND,
        service="sqs",
        arn=arn,
        name=name,
        policy=policy,
        extra={"url": url},
        read_tags=lambda: reads.read(
            "ListQueueTags", lambda a: tag_list(a.get("Tags") or {}), QueueUrl=url
        ),
    )


def _attributes(answer: dict[str, Any]) -> tuple[str | None, str]:
    attributes = answer.get("Attributes") or {}
    return policy_text(attributes.get("Policy")), str(attributes.get("QueueArn") or "")
