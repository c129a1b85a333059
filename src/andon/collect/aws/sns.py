"""Amazon SNS topics and their access policies → ``messaging.topic`` (``AWS::SNS::Topic``).

Calls: ListTopics (paginated); per topic GetTopicAttributes (its ``Policy``; every topic has
one, the default granting the owner's account); ListTagsForResource only for a topic whose
policy is not private. A topic deleted mid-scan (``NotFound``) is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from andon.collect.aws._kit import Kinds, Region, policy_exposure, policy_text, tag_list, text
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.model import Resource

SERVICE = "sns"
KIND = "messaging.topic"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "ListTopics", "sns:ListTopics"),
    Operation(SERVICE, "GetTopicAttributes", "sns:GetTopicAttributes"),
    Operation(SERVICE, "ListTagsForResource", "sns:ListTagsForResource"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""

KINDS: Kinds = {KIND: ("AWS::SNS::Topic", policy_exposure)}

_NO_TOPIC = frozenset({"NotFound", "NotFoundException", "ResourceNotFound"})
GONE = {"GetTopicAttributes": _NO_TOPIC, "ListTagsForResource": _NO_TOPIC}


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``messaging.topic`` per topic of ``account`` in ``region``, as each completes.

    Raises the listing's :class:`~andon.core.errors.CollectError` when ListTopics fails.
    """
    run = Region(ctx, clients, account, region, service=SERVICE, kinds=KINDS, gone=GONE)
    arns = run.listing("ListTopics", "Topics", "NextToken", "NextToken", _topic_arn)
    yield from run.stream(arns, lambda arn: [_topic(run, arn)])


def _topic_arn(item: Any) -> str:
    return text(item["TopicArn"], "TopicArn")


def _topic(run: Region, arn: str) -> Resource:
    reads = run.reads(arn)
    policy = reads.read("GetTopicAttributes", _policy, TopicArn=arn)
    return run.policy_resource(
        reads,
        KIND,
        service="sns",
        arn=arn,
        name=arn.rsplit(":", 1)[-1],
        policy=policy,
        read_tags=lambda: reads.read(
            "ListTagsForResource", lambda a: tag_list(a.get("Tags")), ResourceArn=arn
        ),
    )


def _policy(answer: dict[str, Any]) -> str | None:
    return policy_text((answer.get("Attributes") or {}).get("Policy"))
