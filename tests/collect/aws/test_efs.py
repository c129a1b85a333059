"""The EFS collector against the moto server over HTTP."""

from __future__ import annotations

import json

import pytest

from andon.collect.aws import efs
from andon.core.model import Level

from .policy_helpers import (
    ACCOUNT,
    assert_denied_gap,
    client,
    level,
    scan,
    stream,
)
from .recorded import Answer, recorded_endpoint

ARN = f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:file-system/"


def open_policy(fs_id: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                    "Resource": ARN + fs_id,
                }
            ],
        }
    )


def seed(url: str) -> dict[str, str]:
    fs = client(url, "efs")
    shared = fs.create_file_system(
        CreationToken="shared",
        Tags=[{"Key": "Name", "Value": "shared"}, {"Key": "andon:public", "Value": "scratch"}],
    )["FileSystemId"]
    fs.put_file_system_policy(FileSystemId=shared, Policy=open_policy(shared))
    plain = fs.create_file_system(CreationToken="plain", Tags=[{"Key": "Name", "Value": "plain"}])
    return {"shared": shared, "plain": plain["FileSystemId"]}


def test_file_systems_are_normalized_and_evaluated(moto_url: str, aws_env: dict[str, str]) -> None:
    ids = seed(moto_url)
    got, clients = scan(moto_url, efs)
    shared = got["shared"]
    assert shared.uid == ARN + ids["shared"] and shared.kind == "storage.filesystem"
    assert shared.attributes == {
        "service": "efs",
        "arn": ARN + ids["shared"],
        "account": ACCOUNT,
        "policy": open_policy(ids["shared"]),
        "known": {},
        "file_system_id": ids["shared"],
    }
    assert shared.tags == {"Name": "shared", "andon:public": "scratch"} and shared.gaps == ()
    assert level(efs, shared) == Level.PUBLIC
    plain = got["plain"]
    assert plain.attributes["policy"] is None and level(efs, plain) == Level.PRIVATE
    assert clients.call_counts == {
        ("efs", "DescribeFileSystems"): 1,
        ("efs", "DescribeFileSystemPolicy"): 2,
    }


def test_recorded_denial_is_unknown_with_a_gap(moto_url: str, aws_env: dict[str, str]) -> None:
    """EFS API Reference, DescribeFileSystemPolicy → Errors, and 'Common Errors':
    AccessDeniedException, HTTP 403, the code in the ``x-amzn-ErrorType`` header."""
    ids = seed(moto_url)
    message = "User is not authorized to perform: elasticfilesystem:DescribeFileSystemPolicy"
    denial = Answer(
        {"ErrorCode": "AccessDeniedException", "Message": message},
        403,
        {"x-amzn-ErrorType": "AccessDeniedException"},
    )
    routes = {("GET", "/2015-02-01/file-systems/[^/]+/policy"): denial}
    with recorded_endpoint(moto_url, routes) as url:
        resources, _ = stream(url, efs)
        got = {r.name: r for r in resources}
    assert set(got) == {"shared", "plain"}
    for fs in got.values():
        assert_denied_gap(
            fs,
            fs.attributes["policy"],
            "DescribeFileSystemPolicy",
            "elasticfilesystem:DescribeFileSystemPolicy",
        )
        assert level(efs, fs) == Level.UNKNOWN
    assert got["shared"].attributes["file_system_id"] == ids["shared"]


@pytest.mark.skip(
    reason="moto 5.2.5 answers every signed EFS request with SignatureDoesNotMatch once IAM "
    "enforcement is on, so a denial cannot be staged through moto_iam_user; "
    "test_recorded_denial_is_unknown_with_a_gap replays AWS's denial instead"
)
def test_denied_policy_through_moto_iam() -> None:
    """Kept as the record of what moto cannot do."""
