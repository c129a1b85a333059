"""The KMS collector against the moto server over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from andon.collect.aws import kms
from andon.collect.aws._kit import policy_exposure
from andon.core.model import Level
from andon.exposure.aws_models import ResourcePolicyState

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

PUBLIC = policy(allow("*", "kms:Decrypt", "*"))


def seed(url: str) -> dict[str, str]:
    keys = client(url, "kms")
    public = keys.create_key(Policy=PUBLIC, Tags=[{"TagKey": "andon:public", "TagValue": "demo"}])
    default = keys.create_key(Tags=[{"TagKey": "team", "TagValue": "x"}])
    return {"public": public["KeyMetadata"]["KeyId"], "default": default["KeyMetadata"]["KeyId"]}


def test_keys_are_normalized_and_evaluated(moto_url: str, aws_env: dict[str, str]) -> None:
    ids = seed(moto_url)
    got, clients = scan(moto_url, kms)
    public = got[ids["public"]]
    arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{ids['public']}"
    assert public.uid == arn and public.kind == "crypto.key"
    assert public.attributes == {
        "service": "kms",
        "arn": arn,
        "account": ACCOUNT,
        "policy": PUBLIC,
        "known": {},
        "key_manager": "CUSTOMER",
        "key_state": "Enabled",
    }
    assert public.tags == {"andon:public": "demo"} and public.gaps == ()
    assert level(kms, public) == Level.PUBLIC
    default = got[ids["default"]]  # moto's default key policy: the account root
    assert level(kms, default) == Level.PRIVATE and default.tags == {}
    assert clients.call_counts == {
        ("kms", "ListKeys"): 1,
        ("kms", "DescribeKey"): 2,
        ("kms", "GetKeyPolicy"): 2,
        ("kms", "ListResourceTags"): 1,
    }


def test_aws_managed_key_policy_is_private_by_design() -> None:
    """The documented shapes: DescribeKey of an AWS managed key (KMS API Reference,
    DescribeKey, Example 1 response) and the policy AWS writes for it (KMS Developer Guide,
    'AWS managed keys': kms:CallerAccount plus kms:ViaService)."""
    answer = {
        "KeyMetadata": {
            "AWSAccountId": "111122223333",
            "Arn": "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
            "KeyManager": "AWS",
            "KeyState": "Enabled",
        }
    }
    assert kms._metadata(answer) == ("AWS", "Enabled")
    managed = json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "auto-ebs-2",
            "Statement": [
                {
                    "Sid": "Allow access through EBS for all principals in the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": "111122223333",
                            "kms:ViaService": "ec2.us-west-2.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )
    state = ResourcePolicyState("kms", answer["KeyMetadata"]["Arn"], "111122223333", managed)
    assert policy_exposure(state.to_dict()).level == Level.PRIVATE


def test_denied_policy_is_unknown_with_a_gap(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    ids = seed(moto_url)
    key = moto_iam_user(allow_all_but(deny("kms:GetKeyPolicy")))
    resources, _ = stream(moto_url, kms, key=key)
    got = {r.name: r for r in resources}
    assert set(got) == set(ids.values())
    for resource in got.values():
        assert_denied_gap(
            resource, resource.attributes["policy"], "GetKeyPolicy", "kms:GetKeyPolicy"
        )
        assert resource.attributes["key_manager"] == "CUSTOMER"  # DescribeKey still read
        assert level(kms, resource) == Level.UNKNOWN
