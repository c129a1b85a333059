"""The Secrets Manager collector against the moto server over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from andon.collect.aws import secretsmanager
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

PUBLIC = policy(allow("*", "secretsmanager:GetSecretValue", "*"))


def seed(url: str) -> dict[str, str]:
    secrets = client(url, "secretsmanager")
    shared = secrets.create_secret(
        Name="shared", SecretString="s3cr3t", Tags=[{"Key": "andon:public", "Value": "demo"}]
    )["ARN"]
    secrets.put_resource_policy(SecretId="shared", ResourcePolicy=PUBLIC)
    kept = secrets.create_secret(Name="kept", SecretString="s3cr3t")["ARN"]
    return {"shared": shared, "kept": kept}


def test_secrets_are_normalized_and_evaluated(moto_url: str, aws_env: dict[str, str]) -> None:
    arns = seed(moto_url)
    got, clients = scan(moto_url, secretsmanager)
    shared = got["shared"]
    assert shared.uid == arns["shared"] and shared.kind == "secrets.secret"
    assert shared.attributes == {
        "service": "secretsmanager",
        "arn": arns["shared"],
        "account": ACCOUNT,
        "policy": PUBLIC,
        "known": {},
    }
    assert shared.tags == {"andon:public": "demo"} and shared.gaps == ()
    assert level(secretsmanager, shared) == Level.PUBLIC
    kept = got["kept"]
    assert kept.attributes["policy"] is None and level(secretsmanager, kept) == Level.PRIVATE
    assert "s3cr3t" not in repr(shared.raw) + repr(kept.raw)  # no value is ever read
    assert clients.call_counts == {
        ("secretsmanager", "ListSecrets"): 1,
        ("secretsmanager", "GetResourcePolicy"): 2,  # the tags come with the listing
    }


def test_denied_policy_is_unknown_with_a_gap(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    seed(moto_url)
    key = moto_iam_user(allow_all_but(deny("secretsmanager:GetResourcePolicy")))
    resources, _ = stream(moto_url, secretsmanager, key=key)
    got = {r.name: r for r in resources}
    assert set(got) == {"shared", "kept"}
    for secret in got.values():
        assert_denied_gap(
            secret,
            secret.attributes["policy"],
            "GetResourcePolicy",
            "secretsmanager:GetResourcePolicy",
        )
        assert level(secretsmanager, secret) == Level.UNKNOWN
    assert got["shared"].tags == {"andon:public": "demo"}
