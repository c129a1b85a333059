"""The SQS collector against the moto server over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from andon.collect.aws import sqs
from andon.core import AccessDenied
from andon.core.model import Level

from .policy_helpers import (
    ACCOUNT,
    OTHER,
    allow,
    allow_all_but,
    assert_denied_gap,
    client,
    deny,
    level,
    policy,
    scan,
    stream,
)

ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:"
PUBLIC = policy(allow("*", "sqs:SendMessage", ARN + "open"))
SHARED = policy(allow({"AWS": f"arn:aws:iam::{OTHER}:root"}, "sqs:ReceiveMessage", ARN + "shared"))


def seed(url: str) -> dict[str, str]:
    q = client(url, "sqs")
    urls = {
        "open": q.create_queue(
            QueueName="open", Attributes={"Policy": PUBLIC}, tags={"andon:public": "intake"}
        )["QueueUrl"],
        "shared": q.create_queue(QueueName="shared", Attributes={"Policy": SHARED})["QueueUrl"],
        "closed": q.create_queue(QueueName="closed", tags={"team": "x"})["QueueUrl"],
    }
    return urls


def test_queues_are_normalized_and_evaluated(moto_url: str, aws_env: dict[str, str]) -> None:
    urls = seed(moto_url)
    got, clients = scan(moto_url, sqs)
    assert set(got) == {"open", "shared", "closed"}
    open_ = got["open"]
    assert open_.uid == ARN + "open" and open_.kind == "messaging.queue"
    assert open_.attributes == {
        "service": "sqs",
        "arn": ARN + "open",
        "account": ACCOUNT,
        "policy": PUBLIC,
        "known": {},
        "url": urls["open"],
    }
    assert open_.tags == {"andon:public": "intake"}
    assert open_.gaps == ()
    assert level(sqs, open_) == Level.PUBLIC
    assert level(sqs, got["shared"]) == Level.CROSS_ACCOUNT
    closed = got["closed"]
    assert closed.attributes["policy"] is None and level(sqs, closed) == Level.PRIVATE
    assert closed.tags == {}  # private: its tags are not read
    assert clients.call_counts == {
        ("sqs", "ListQueues"): 1,
        ("sqs", "GetQueueAttributes"): 3,
        ("sqs", "ListQueueTags"): 2,
    }


def test_denied_attributes_are_unknown_with_a_gap(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    seed(moto_url)
    key = moto_iam_user(allow_all_but(deny("sqs:GetQueueAttributes")))
    resources, _ = stream(moto_url, sqs, key=key)
    got = {r.name: r for r in resources}
    for resource in got.values():
        assert_denied_gap(
            resource, resource.attributes["policy"], "GetQueueAttributes", "sqs:GetQueueAttributes"
        )
        assert len(resource.gaps) == 1  # unknown is not private: its tags are read too
        assert level(sqs, resource) == Level.UNKNOWN
    assert got["open"].tags == {"andon:public": "intake"}


def test_denied_listing_raises(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    seed(moto_url)
    key = moto_iam_user(allow_all_but(deny("sqs:ListQueues")))
    resources, _ = stream(moto_url, sqs, key=key)
    with pytest.raises(AccessDenied) as caught:
        list(resources)
    assert (caught.value.service, caught.value.operation) == ("sqs", "ListQueues")
