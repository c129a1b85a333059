"""Scope: the config file, regions (opt-in status), Organizations, assuming roles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.aws_estate import organization

from andon.collect.aws.scope import (
    DEFAULT_ROLE_NAME,
    AccountSpec,
    ScanConfig,
    assume_role_session,
    list_organization,
    load_config,
    open_account,
    parse_config,
    plan_regions,
)
from andon.collect.aws.transport import AwsClients
from andon.core.context import AwsTarget, Context, Limits
from andon.core.errors import AccessDenied, CollectError, ConfigError

FULL = """
regions = ["eu-west-1", "us-east-1"]
services = ["s3", "rds"]

[organization]
enabled = true
role_name = "Audit/AndonAudit"
external_id = "andon-7f3c"
exclude = ["444455556666"]

[trust]
accounts = ["111122223333"]
org_id = "o-a1b2c3d4e5"
networks = ["vpc-0abc", "10.0.0.0/8"]

[[accounts]]
profile = "prod-audit"

[[accounts]]
id = "222233334444"
role_name = "Other"

[[accounts]]
role_arn = "arn:aws:iam::333344445555:role/X"
external_id = "own-id"
"""


def test_a_full_config_file(tmp_path: Path) -> None:
    path = tmp_path / "andon.toml"
    path.write_text(FULL, encoding="utf-8")
    config = load_config(path)
    assert config.regions == ("eu-west-1", "us-east-1")
    assert config.services == ("s3", "rds")
    assert config.org and config.role_name == "Audit/AndonAudit"
    assert config.external_id == "andon-7f3c"
    assert config.org_exclude == {"444455556666"}
    assert config.trust.accounts == {"111122223333"}
    assert config.trust.org_id == "o-a1b2c3d4e5"
    assert config.trust.networks == {"vpc-0abc", "10.0.0.0/8"}
    prof, named, arn = config.accounts
    assert prof == AccountSpec(profile="prod-audit", external_id="andon-7f3c")
    assert named.role("aws") == "arn:aws:iam::222233334444:role/Other"
    assert arn.account_id == "333344445555" and arn.external_id == "own-id"
    assert arn.role("aws") == "arn:aws:iam::333344445555:role/X"


def test_flags_override_the_file() -> None:
    base = parse_config({"regions": ["eu-west-1"], "organization": {"role_name": "FromFile"}})
    assert base.role_name == "FromFile" and not base.org
    merged = base.with_flags(
        org=True, role_name="FromFlag", external_id="xx-1", regions=("us-east-1",)
    )
    assert merged.org and merged.role_name == "FromFlag" and merged.external_id == "xx-1"
    assert merged.regions == ("us-east-1",)
    assert ScanConfig().role_name == DEFAULT_ROLE_NAME


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"region": ["x"]}, "unknown key"),
        ({"trust": {"accounts": ["12345"]}}, "12-digit"),
        ({"trust": {"org_id": "org-1"}}, "organization id"),
        ({"accounts": [{"role_name": "X"}]}, "needs the account id"),
        ({"accounts": [{"name": "nothing"}]}, "needs a profile"),
        ({"accounts": [{"role_arn": "arn:aws:s3:::bucket"}]}, "not an IAM role ARN"),
        (
            {"accounts": [{"id": "111122223333", "role_arn": "arn:aws:iam::222233334444:role/X"}]},
            "not 111122223333",
        ),
        ({"organization": {"enabled": "yes"}}, "true or false"),
        ({"organization": {"role_name": "bad name!"}}, "valid IAM role name"),
        ({"organization": {"external_id": "x"}}, "external id"),
        ({"accounts": {"profile": "x"}}, "array of tables"),
        ({"regions": "us-east-1"}, "array of strings"),
    ],
)
def test_config_errors_name_what_is_wrong(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(doc)


def test_unreadable_or_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("regions = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[trust]\nnope = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"wrong\.toml: unknown key"):
        load_config(wrong)


def clients_for(url: str, **kw: Any) -> AwsClients:
    return AwsClients(AwsTarget(endpoint_url=url, **kw), Limits(max_attempts=1))


def test_regions_follow_the_opt_in_status(moto_url: str, aws_env: dict[str, str]) -> None:
    clients = clients_for(moto_url)
    every = plan_regions(clients, ())
    assert "us-east-1" in every.regions and "ap-east-1" not in every.regions  # opt-in region
    assert every.regions == tuple(sorted(every.regions)) and every.error is None
    asked = plan_regions(clients, ("eu-west-1", "ap-east-1", "mars-1"))
    assert asked.regions == ("eu-west-1",)
    assert dict(asked.refused) == {
        "ap-east-1": "region ap-east-1 is not enabled in this account (opt-in required)",
        "mars-1": "region mars-1 is not offered to this account",
    }


def test_regions_when_describe_regions_is_denied(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    key, secret = moto_iam_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "ec2:DescribeRegions", "Resource": "*"},
            ],
        }
    )
    clients = clients_for(moto_url, access_key_id=key, secret_access_key=secret)
    plan = plan_regions(clients, ())
    assert plan.regions == ("us-east-1",)  # the home region only, and the reason why
    assert isinstance(plan.error, AccessDenied) and plan.error.operation == "DescribeRegions"
    assert plan_regions(clients, ("eu-west-1",)).regions == ("eu-west-1",)


def test_organization_accounts(moto_url: str, aws_env: dict[str, str]) -> None:
    organization(moto_url, 2)
    org_id, accounts = list_organization(clients_for(moto_url))
    assert org_id is not None and org_id.startswith("o-")
    assert len(accounts) == 3 and all(a.status == "ACTIVE" for a in accounts)
    assert "123456789012" in {a.account_id for a in accounts}


def test_listing_an_organization_outside_one_fails(moto_url: str, aws_env: dict[str, str]) -> None:
    with pytest.raises(CollectError) as caught:
        list_organization(clients_for(moto_url))
    assert caught.value.code == "AWSOrganizationsNotInUseException"


def test_assumed_role_clients_reach_the_member_account(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    sessions = organization(moto_url, 1)
    member = sessions[1].client("sts", endpoint_url=moto_url).get_caller_identity()["Account"]
    base = clients_for(moto_url)
    seen: list[boto3.Session] = []
    ctx = Context(aws=AwsTarget(endpoint_url=moto_url), limits=Limits(max_attempts=1))
    spec = AccountSpec(member, role_name="AndonAudit", external_id="ext-42")
    clients = open_account(ctx, base, spec, instrument=seen.append)
    assert clients.account_id() == member
    assert len(seen) == 1 and seen[0] is clients.session
    assert base.call_counts[("sts", "AssumeRole")] == 1
    credentials = clients.session.get_credentials()
    assert credentials is not None and credentials.method == "andon-assume-role"
    # the starting account itself needs no role
    assert open_account(ctx, base, AccountSpec("123456789012")) is base


def test_a_role_that_cannot_be_assumed_raises(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    key, secret = moto_iam_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"},
            ],
        }
    )
    base = clients_for(moto_url, access_key_id=key, secret_access_key=secret)
    with pytest.raises(AccessDenied) as caught:
        assume_role_session(base, "arn:aws:iam::111122223333:role/AndonAudit")
    assert caught.value.operation == "AssumeRole"
