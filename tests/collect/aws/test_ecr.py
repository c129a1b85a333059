"""The ECR collector against the moto server over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from andon.collect.aws import ecr
from andon.core.model import Level

from .policy_helpers import (
    ACCOUNT,
    allow_all_but,
    assert_denied_gap,
    client,
    deny,
    level,
    scan,
    stream,
)

ARN = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/"
# ECR User Guide, 'Private repository policy examples': repository policies omit Resource
PUBLIC = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowPull",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            }
        ],
    }
)


def seed(url: str) -> None:
    repos = client(url, "ecr")
    repos.create_repository(
        repositoryName="pulled", tags=[{"Key": "andon:public", "Value": "mirror"}]
    )
    repos.set_repository_policy(repositoryName="pulled", policyText=PUBLIC)
    repos.create_repository(repositoryName="private")


def test_repositories_are_normalized_and_evaluated(moto_url: str, aws_env: dict[str, str]) -> None:
    seed(moto_url)
    got, clients = scan(moto_url, ecr)
    pulled = got["pulled"]
    assert pulled.uid == ARN + "pulled" and pulled.kind == "registry.repository"
    assert pulled.attributes == {
        "service": "ecr",
        "arn": ARN + "pulled",
        "account": ACCOUNT,
        "policy": pulled.attributes["policy"],
        "known": {},
    }
    assert json.loads(pulled.attributes["policy"]) == json.loads(PUBLIC)
    assert pulled.tags == {"andon:public": "mirror"} and pulled.gaps == ()
    assert level(ecr, pulled) == Level.PUBLIC
    private = got["private"]
    assert private.attributes["policy"] is None and level(ecr, private) == Level.PRIVATE
    assert private.raw["GetRepositoryPolicy"] is None  # RepositoryPolicyNotFoundException
    assert clients.call_counts == {
        ("ecr", "DescribeRepositories"): 1,
        ("ecr", "GetRepositoryPolicy"): 2,
        ("ecr", "ListTagsForResource"): 1,
    }


def test_denied_policy_is_unknown_with_a_gap(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    seed(moto_url)
    key = moto_iam_user(allow_all_but(deny("ecr:GetRepositoryPolicy")))
    resources, _ = stream(moto_url, ecr, key=key)
    got = {r.name: r for r in resources}
    assert set(got) == {"pulled", "private"}
    for repo in got.values():
        assert_denied_gap(
            repo, repo.attributes["policy"], "GetRepositoryPolicy", "ecr:GetRepositoryPolicy"
        )
        assert level(ecr, repo) == Level.UNKNOWN
