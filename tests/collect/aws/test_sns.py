"""The SNS collector against the moto server over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from andon.collect.aws import sns
from andon.core.model import Level

from .policy_helpers import (
    ACCOUNT,
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

ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:"
PUBLIC = policy(allow("*", "sns:Subscribe", ARN + "open"))


def seed(url: str) -> None:
    topics = client(url, "sns")
    arn = topics.create_topic(Name="open", Tags=[{"Key": "andon:public", "Value": "alerts"}])
    topics.set_topic_attributes(
        TopicArn=arn["TopicArn"], AttributeName="Policy", AttributeValue=PUBLIC
    )
    topics.create_topic(Name="default", Tags=[{"Key": "team", "Value": "x"}])


def test_topics_are_normalized_and_evaluated(moto_url: str, aws_env: dict[str, str]) -> None:
    seed(moto_url)
    got, clients = scan(moto_url, sns)
    assert set(got) == {"open", "default"}
    open_ = got["open"]
    assert open_.uid == ARN + "open" and open_.kind == "messaging.topic"
    assert open_.attributes == {
        "service": "sns",
        "arn": ARN + "open",
        "account": ACCOUNT,
        "policy": open_.attributes["policy"],
        "known": {},
    }
    assert json.loads(open_.attributes["policy"]) == json.loads(PUBLIC)  # moto re-serializes it
    assert open_.tags == {"andon:public": "alerts"} and open_.gaps == ()
    assert level(sns, open_) == Level.PUBLIC
    default = got["default"]  # every topic has a policy: the default one grants the owner
    assert '"AWS:SourceOwner":"123456789012"' in default.attributes["policy"]
    assert level(sns, default) == Level.PRIVATE and default.tags == {}
    assert clients.call_counts == {
        ("sns", "ListTopics"): 1,
        ("sns", "GetTopicAttributes"): 2,
        ("sns", "ListTagsForResource"): 1,
    }


def test_denied_attributes_are_unknown_with_a_gap(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    seed(moto_url)
    key = moto_iam_user(allow_all_but(deny("sns:GetTopicAttributes")))
    resources, _ = stream(moto_url, sns, key=key)
    got = {r.name: r for r in resources}
    assert set(got) == {"open", "default"}
    for topic in got.values():
        assert_denied_gap(
            topic, topic.attributes["policy"], "GetTopicAttributes", "sns:GetTopicAttributes"
        )
        assert level(sns, topic) == Level.UNKNOWN
