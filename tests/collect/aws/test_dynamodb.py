"""The DynamoDB collector against the moto server over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from andon.collect.aws import dynamodb
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

ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/"
SHARED = policy(allow({"AWS": f"arn:aws:iam::{OTHER}:root"}, "dynamodb:GetItem", ARN + "shared"))


def seed(url: str) -> None:
    db = client(url, "dynamodb")
    for name, tags in (("shared", {"andon:public": "partner"}), ("own", {"team": "x"})):
        db.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
    db.put_resource_policy(ResourceArn=ARN + "shared", Policy=SHARED)


def test_tables_are_normalized_and_evaluated(moto_url: str, aws_env: dict[str, str]) -> None:
    seed(moto_url)
    got, clients = scan(moto_url, dynamodb)
    shared = got["shared"]
    assert shared.uid == ARN + "shared" and shared.kind == "database.table"
    assert shared.attributes == {
        "service": "dynamodb",
        "arn": ARN + "shared",
        "account": ACCOUNT,
        "policy": SHARED,
        "known": {},
    }
    assert shared.tags == {"andon:public": "partner"} and shared.gaps == ()
    assert level(dynamodb, shared) == Level.CROSS_ACCOUNT
    own = got["own"]
    assert own.attributes["policy"] is None and level(dynamodb, own) == Level.PRIVATE
    assert own.tags == {}
    assert clients.call_counts == {
        ("dynamodb", "ListTables"): 1,
        ("dynamodb", "GetResourcePolicy"): 2,
        ("dynamodb", "ListTagsOfResource"): 1,
    }


def test_denied_policy_is_unknown_with_a_gap(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    seed(moto_url)
    key = moto_iam_user(allow_all_but(deny("dynamodb:GetResourcePolicy")))
    resources, _ = stream(moto_url, dynamodb, key=key)
    got = {r.name: r for r in resources}
    assert set(got) == {"shared", "own"}
    for table in got.values():
        assert_denied_gap(
            table, table.attributes["policy"], "GetResourcePolicy", "dynamodb:GetResourcePolicy"
        )
        assert level(dynamodb, table) == Level.UNKNOWN
