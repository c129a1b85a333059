"""The S3 collector against a real moto server over HTTP, with real boto3 clients."""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.config import Config

from andon.collect.aws.s3 import S3_OPERATIONS, collect_s3, region_from_location
from andon.collect.aws.transport import AwsClients
from andon.core import AccessDenied, AwsTarget, Context, EndpointError, Gap, Limits, Resource
from andon.exposure.s3_model import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    AccessPointState,
    Bpa,
    Grant,
    ObjectAcl,
    S3BucketState,
    Unknown,
)

ACCOUNT = "123456789012"
OWNER = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"  # moto's fixed owner
OWNER_FULL = Grant("CanonicalUser", OWNER, "FULL_CONTROL")
HOSTILE_TAGS = {
    "owner": "<script>alert('x')</script>",
    "note": 'tab\there, newline\nthere, "quotes" & <angles>',
    "bidi": "\u202egnp.exe",
    "del": "\x7f",
    "'; DROP TABLE buckets; --": "{{7*7}} ${jndi:ldap://x}",
}
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowAll",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::andon-policy/*",
            }
        ],
    }
)
AP_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:eu-west-1:{ACCOUNT}:accesspoint/ap-internet/object/*",
            }
        ],
    }
)


def s3_client(url: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        "s3", endpoint_url=url, region_name=region, config=Config(s3={"addressing_style": "path"})
    )


def make_bucket(url: str, name: str, region: str = "us-east-1") -> Any:
    client = s3_client(url, region)
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return client


def control(url: str) -> Any:
    """An s3control client for seeding (its host prefix stripped the same way as Andon's)."""
    return AwsClients(AwsTarget(endpoint_url=url), Limits()).client("s3control")


def scan(url: str, **limits: Any) -> tuple[list[Resource], AwsClients]:
    clients = AwsClients(AwsTarget(endpoint_url=url), Limits(**limits))
    return list(collect_s3(Context(aws=clients.target, limits=clients.limits), clients)), clients


def by_name(resources: list[Resource]) -> dict[str, Resource]:
    return {r.name: r for r in resources}


def seed_estate(url: str) -> dict[str, str]:
    """Four buckets in three regions with every configuration the collector reads."""
    # 1. public ACL bucket with explicit READ + WRITE for everyone, hostile tags, objects
    s3 = make_bucket(url, "andon-public-acl")
    s3.put_bucket_acl(
        Bucket="andon-public-acl",
        AccessControlPolicy={
            "Owner": {"ID": OWNER},
            "Grants": [
                {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
                {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "WRITE"},
                {
                    "Grantee": {"Type": "Group", "URI": AUTHENTICATED_USERS},
                    "Permission": "READ_ACP",
                },
                {"Grantee": {"Type": "CanonicalUser", "ID": OWNER}, "Permission": "FULL_CONTROL"},
            ],
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket="andon-public-acl",
        OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]},
    )
    s3.put_bucket_tagging(
        Bucket="andon-public-acl",
        Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in HOSTILE_TAGS.items()]},
    )
    # explicit "private": moto (unlike S3) copies the bucket ACL onto objects put without one
    s3.put_object(
        Bucket="andon-public-acl", Key="a/private.csv", Body=b"secret,data", ACL="private"
    )
    s3.put_object(Bucket="andon-public-acl", Key="b/public.csv", Body=b"x", ACL="public-read")

    # 2. policy + bucket BPA + website + ACLs disabled + two access points, in eu-west-1
    eu = make_bucket(url, "andon-policy", "eu-west-1")
    eu.put_bucket_policy(Bucket="andon-policy", Policy=POLICY)
    eu.put_public_access_block(
        Bucket="andon-policy",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    eu.put_bucket_website(
        Bucket="andon-policy", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}
    )
    eu.put_bucket_ownership_controls(
        Bucket="andon-policy",
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    )
    eu.put_object(Bucket="andon-policy", Key="never-sampled.txt", Body=b"x", ACL="public-read")
    s3c = control(url)
    arns = {
        "ap-internet": s3c.create_access_point(
            AccountId=ACCOUNT, Name="ap-internet", Bucket="andon-policy"
        )["AccessPointArn"],
        "ap-vpc": s3c.create_access_point(
            AccountId=ACCOUNT,
            Name="ap-vpc",
            Bucket="andon-policy",
            VpcConfiguration={"VpcId": "vpc-0abc1234"},
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": False,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": False,
                "RestrictPublicBuckets": True,
            },
        )["AccessPointArn"],
    }
    s3c.put_access_point_policy(AccountId=ACCOUNT, Name="ap-internet", Policy=AP_POLICY)

    # 3. nothing configured at all, in us-west-2
    make_bucket(url, "andon-empty", "us-west-2")

    # 4. more objects than the ACL sample
    many = make_bucket(url, "andon-many")
    for i in range(5):
        many.put_object(Bucket="andon-many", Key=f"k{i}", Body=b"x")

    # the account's BPA
    s3c.put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
    )
    return arns


ACCOUNT_BPA = Bpa(block_public_policy=True)


def test_full_estate_is_normalized_exactly(moto_url: str, aws_env: dict[str, str]) -> None:
    arns = seed_estate(moto_url)
    resources, _ = scan(moto_url, object_acl_sample=3)

    account = resources[0]
    assert account.uid == f"arn:aws:s3::{ACCOUNT}:account-public-access-block"
    assert (account.kind, account.native_type) == (
        "account.settings",
        "AWS::S3::AccountPublicAccessBlock",
    )
    assert (account.name, account.account, account.region) == (ACCOUNT, ACCOUNT, "global")
    assert account.attributes == {"public_access_block": ACCOUNT_BPA.to_dict()}
    assert account.gaps == ()

    buckets = by_name(resources[1:])
    assert sorted(buckets) == ["andon-empty", "andon-many", "andon-policy", "andon-public-acl"]
    for name, bucket in buckets.items():
        assert bucket.uid == f"arn:aws:s3:::{name}"
        assert (bucket.kind, bucket.native_type, bucket.cloud, bucket.origin) == (
            "storage.bucket",
            "AWS::S3::Bucket",
            "aws",
            "api",
        )
        assert bucket.account == ACCOUNT
        assert bucket.gaps == ()

    public = buckets["andon-public-acl"]
    assert public.region == "us-east-1"
    assert dict(public.tags) == HOSTILE_TAGS
    assert (
        public.attributes
        == S3BucketState(
            name="andon-public-acl",
            account=ACCOUNT,
            region="us-east-1",
            owner_id=OWNER,
            acl=(
                Grant("Group", ALL_USERS, "READ"),
                Grant("Group", ALL_USERS, "WRITE"),
                Grant("Group", AUTHENTICATED_USERS, "READ_ACP"),
                OWNER_FULL,
            ),
            policy=None,
            bucket_bpa=None,
            account_bpa=ACCOUNT_BPA,
            ownership="ObjectWriter",
            website=False,
            access_points=(),
            object_acls=(
                ObjectAcl("a/private.csv", (OWNER_FULL,)),
                ObjectAcl("b/public.csv", (OWNER_FULL, Grant("Group", ALL_USERS, "READ"))),
            ),
            objects_sampled_all=True,
        ).to_dict()
    )

    policy = buckets["andon-policy"]
    assert policy.region == "eu-west-1"
    assert policy.tags == {}
    assert (
        policy.attributes
        == S3BucketState(
            name="andon-policy",
            account=ACCOUNT,
            region="eu-west-1",
            owner_id=OWNER,
            acl=(OWNER_FULL,),
            policy=POLICY,
            bucket_bpa=Bpa(block_public_acls=True, ignore_public_acls=True),
            account_bpa=ACCOUNT_BPA,
            ownership="BucketOwnerEnforced",
            website=True,
            access_points=(
                AccessPointState(
                    name="ap-internet",
                    arn=arns["ap-internet"],
                    account=ACCOUNT,
                    network_origin="Internet",
                    vpc_id="",
                    policy=AP_POLICY,
                    bpa=Bpa(True, True, True, True),  # AWS's default for a new access point
                ),
                AccessPointState(
                    name="ap-vpc",
                    arn=arns["ap-vpc"],
                    account=ACCOUNT,
                    network_origin="VPC",
                    vpc_id="vpc-0abc1234",
                    policy=None,
                    bpa=Bpa(ignore_public_acls=True, restrict_public_buckets=True),
                ),
            ),
            object_acls=(),  # ACLs disabled: no object is sampled
            objects_sampled_all=True,
        ).to_dict()
    )

    empty = buckets["andon-empty"]
    assert empty.region == "us-west-2"
    assert (
        empty.attributes
        == S3BucketState(
            name="andon-empty",
            account=ACCOUNT,
            region="us-west-2",
            owner_id=OWNER,
            acl=(OWNER_FULL,),
            account_bpa=ACCOUNT_BPA,
        ).to_dict()
    )

    many = buckets["andon-many"].attributes
    assert many["object_acls"] == [
        {"key": k, "grants": [OWNER_FULL.to_dict()]} for k in ("k0", "k1", "k2")
    ]
    assert many["objects_sampled_all"] is False


def test_raw_keeps_configuration_only_and_is_json(moto_url: str, aws_env: dict[str, str]) -> None:
    seed_estate(moto_url)
    resources, _ = scan(moto_url, object_acl_sample=3)
    text = json.dumps([dict(r.raw) for r in resources])  # JSON-safe (timestamps as text)
    assert "ResponseMetadata" not in text
    assert "secret,data" not in text  # object content is never fetched
    assert resources[0].raw["GetPublicAccessBlock"] == {
        "PublicAccessBlockConfiguration": ACCOUNT_BPA.to_dict()
    }
    raw = by_name(resources)["andon-policy"].raw
    assert raw["GetBucketPolicy"] == {"Policy": POLICY}
    assert raw["GetBucketLocation"] == {"LocationConstraint": "eu-west-1"}
    assert raw["GetBucketTagging"] is None  # asked, not configured
    assert sorted(raw["access_points"]) == ["ap-internet", "ap-vpc"]
    assert raw["access_points"]["ap-internet"]["GetAccessPointPolicy"] == {"Policy": AP_POLICY}
    assert "GetObjectAcl" not in raw and "ListObjectsV2" not in raw
    public_raw = by_name(resources)["andon-public-acl"].raw
    assert sorted(public_raw["GetObjectAcl"]) == ["a/private.csv", "b/public.csv"]


def test_calls_are_the_api_floor(moto_url: str, aws_env: dict[str, str]) -> None:
    seed_estate(moto_url)
    _, clients = scan(moto_url, object_acl_sample=3, concurrency=4)
    counts = clients.call_counts
    allowed = {(op.service, op.name) for op in S3_OPERATIONS}
    assert set(counts) <= allowed
    per_bucket = [
        "GetBucketLocation",  # moto's ListBuckets gives no BucketRegion
        "GetBucketTagging",
        "GetBucketAcl",
        "GetBucketPolicy",
        "GetPublicAccessBlock",
        "GetBucketOwnershipControls",
        "GetBucketWebsite",
    ]
    assert counts == {
        ("sts", "GetCallerIdentity"): 1,
        ("s3control", "GetPublicAccessBlock"): 1,  # the account BPA, once for all buckets
        ("s3", "ListBuckets"): 1,
        **{("s3", op): 4 for op in per_bucket},
        ("s3control", "ListAccessPoints"): 3,  # once per region holding buckets
        ("s3control", "GetAccessPoint"): 2,
        ("s3control", "GetAccessPointPolicy"): 2,
        ("s3", "ListObjectsV2"): 3,  # not for the bucket with ACLs disabled
        ("s3", "GetObjectAcl"): 2 + 3,
    }


def test_operations_table_is_complete_and_read_only() -> None:
    names = [(op.service, op.name) for op in S3_OPERATIONS]
    assert len(names) == len(set(names))
    for op in S3_OPERATIONS:
        assert op.name.startswith(("Get", "List")), op
        assert op.iam_action.split(":")[0] in {"s3", "sts"}
    assert "s3:GetObject" not in {op.iam_action for op in S3_OPERATIONS}


def test_region_filter_keeps_only_wanted_regions(moto_url: str, aws_env: dict[str, str]) -> None:
    seed_estate(moto_url)
    clients = AwsClients(AwsTarget(endpoint_url=moto_url, regions=("eu-west-1",)), Limits())
    resources = list(collect_s3(Context(aws=clients.target), clients))
    assert [r.name for r in resources] == [ACCOUNT, "andon-policy"]
    counts = clients.call_counts
    assert counts[("s3", "GetBucketLocation")] == 4  # the region is learnt per bucket
    assert counts[("s3", "GetBucketAcl")] == 1  # ... and nothing else is read elsewhere
    assert counts[("s3control", "ListAccessPoints")] == 1


def test_results_stream_with_bounded_work_in_flight(moto_url: str, aws_env: dict[str, str]) -> None:
    for i in range(6):
        make_bucket(moto_url, f"andon-stream-{i}")
    clients = AwsClients(AwsTarget(endpoint_url=moto_url), Limits(concurrency=1))
    ctx = Context(aws=clients.target, limits=clients.limits)
    assert inspect.isgenerator(collect_s3(ctx, clients))
    stream = collect_s3(ctx, clients)
    assert clients.call_counts == {}  # nothing runs before the first resource is asked for
    assert next(stream).kind == "account.settings"
    assert next(stream).kind == "storage.bucket"
    time.sleep(1.0)  # ample time for an unbounded pool to collect every bucket meanwhile
    started = clients.call_counts[("s3", "GetBucketLocation")]
    assert started <= 2  # the bucket just yielded, and one more in flight or waiting
    rest = list(stream)
    assert len(rest) == 5
    assert clients.call_counts[("s3", "GetBucketLocation")] == 6


def test_a_bucket_deleted_mid_scan_is_left_out(moto_url: str, aws_env: dict[str, str]) -> None:
    s3 = s3_client(moto_url)
    for i in range(4):
        make_bucket(moto_url, f"andon-going-{i}")
    clients = AwsClients(AwsTarget(endpoint_url=moto_url), Limits(concurrency=1))
    stream = collect_s3(Context(aws=clients.target, limits=clients.limits), clients)
    first = [next(stream), next(stream)]  # the account, then one bucket; one more in flight
    listed = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    last = listed[-1]
    assert last not in {r.name for r in first}
    s3.delete_bucket(Bucket=last)  # not started yet: concurrency 1 keeps it waiting
    rest = list(stream)
    names = {r.name for r in first[1:] + rest}
    assert names == set(listed) - {last}
    assert all(r.gaps == () for r in rest)


def test_region_names_from_location_constraint() -> None:
    assert region_from_location(None) == "us-east-1"
    assert region_from_location("") == "us-east-1"
    assert region_from_location("EU") == "eu-west-1"
    assert region_from_location("ap-south-2") == "ap-south-2"


# -- denied calls: moto's IAM enforcement -----------------------------------------------------


def _allow_s3_but(*denies: dict[str, Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sts:*"], "Resource": "*"}, *denies],
    }


def _scan_as(url: str, key: tuple[str, str]) -> tuple[Iterator[Resource], AwsClients]:
    target = AwsTarget(endpoint_url=url, access_key_id=key[0], secret_access_key=key[1])
    clients = AwsClients(target, Limits(max_attempts=0))
    return collect_s3(Context(aws=target, limits=clients.limits), clients), clients


def test_denied_calls_become_unknown_fields_and_gaps(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    s3 = make_bucket(moto_url, "andon-open")
    s3.put_object(Bucket="andon-open", Key="hidden.txt", Body=b"x")
    s3.put_object(Bucket="andon-open", Key="shown.txt", Body=b"x", ACL="public-read")
    make_bucket(moto_url, "andon-secret").put_bucket_policy(Bucket="andon-secret", Policy=POLICY)
    key = moto_iam_user(
        _allow_s3_but(
            {
                "Effect": "Deny",
                "Action": "s3:GetBucketPolicy",
                "Resource": "arn:aws:s3:::andon-secret",
            },
            {
                "Effect": "Deny",
                "Action": "s3:GetObjectAcl",
                "Resource": "arn:aws:s3:::andon-open/hidden.txt",
            },
            {"Effect": "Deny", "Action": "s3:ListAccessPoints", "Resource": "*"},
        )
    )
    stream, clients = _scan_as(moto_url, key)
    resources = by_name(list(stream))
    denied_ap = (  # moto's s3control words its denials like IAM does
        "AccessDenied on ListAccessPoints: User: arn:aws:iam::123456789012:user/"
        "andon-test-auditor is not authorized to perform: s3:ListAccessPoints"
    )
    ap_gap = Gap("s3control", "ListAccessPoints", denied_ap, "AccessDenied", "", "us-east-1")

    secret = resources["andon-secret"]
    denied_policy = "AccessDenied on GetBucketPolicy: Access Denied"
    assert secret.attributes["policy"] == Unknown(denied_policy).to_dict()
    assert secret.attributes["access_points"] == Unknown(denied_ap).to_dict()
    assert secret.attributes["acl"] == [OWNER_FULL.to_dict()]  # the rest is still read
    assert set(secret.gaps) == {
        Gap(
            "s3",
            "GetBucketPolicy",
            denied_policy,
            "AccessDenied",
            "arn:aws:s3:::andon-secret",
            "us-east-1",
        ),
        replace(ap_gap, resource_uid="arn:aws:s3:::andon-secret"),
    }

    opened = resources["andon-open"]
    assert opened.attributes["policy"] is None
    denied_acl = "AccessDenied on GetObjectAcl: Access Denied"
    assert opened.attributes["object_acls"] == [
        {"key": "hidden.txt", "grants": {"unknown": denied_acl}},
        {
            "key": "shown.txt",
            "grants": [OWNER_FULL.to_dict(), Grant("Group", ALL_USERS, "READ").to_dict()],
        },
    ]
    assert {(g.operation, g.reason) for g in opened.gaps} == {
        ("GetObjectAcl", denied_acl),
        ("ListAccessPoints", denied_ap),
    }
    assert clients.call_counts[("s3control", "ListAccessPoints")] == 1  # not retried per bucket


def test_denied_account_bpa_is_unknown_on_account_and_every_bucket(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    make_bucket(moto_url, "andon-bpa")
    # moto authorizes the account-level read as "s3:GetPublicAccessBlock" (AWS's IAM action is
    # s3:GetAccountPublicAccessBlock) and the bucket-level one as s3:ListBucket
    key = moto_iam_user(
        _allow_s3_but({"Effect": "Deny", "Action": "s3:GetPublicAccessBlock", "Resource": "*"})
    )
    stream, clients = _scan_as(moto_url, key)
    account, bucket = list(stream)
    reason = (
        "AccessDenied on GetPublicAccessBlock: User: arn:aws:iam::123456789012:user/"
        "andon-test-auditor is not authorized to perform: s3:GetPublicAccessBlock"
    )
    gap = Gap("s3control", "GetPublicAccessBlock", reason, "AccessDenied", account.uid, "us-east-1")
    assert account.attributes == {"public_access_block": {"unknown": reason}}
    assert account.gaps == (gap,)
    assert bucket.attributes["account_bpa"] == {"unknown": reason}
    assert bucket.attributes["bucket_bpa"] is None  # read fine: not configured
    assert bucket.gaps == (replace(gap, resource_uid=bucket.uid),)
    assert clients.call_counts[("s3control", "GetPublicAccessBlock")] == 1


def test_denied_bucket_listing_is_fatal(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    make_bucket(moto_url, "andon-unlisted")
    key = moto_iam_user(
        _allow_s3_but({"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"})
    )
    stream, _ = _scan_as(moto_url, key)
    assert next(stream).kind == "account.settings"
    with pytest.raises(AccessDenied) as caught:
        next(stream)
    assert (caught.value.service, caught.value.operation, caught.value.code) == (
        "s3",
        "ListBuckets",
        "AccessDenied",
    )


# -- the endpoint dies mid-scan ----------------------------------------------------------------


def test_endpoint_dying_mid_scan_raises_after_complete_buckets(
    moto_process: Callable[[], Any], aws_env: dict[str, str]
) -> None:
    server = moto_process()
    for i in range(12):
        make_bucket(server.url, f"andon-dying-{i:02d}")
    limits = Limits(concurrency=2, max_attempts=1, connect_timeout=1, read_timeout=3)
    clients = AwsClients(AwsTarget(endpoint_url=server.url), limits)
    stream = collect_s3(Context(aws=clients.target, limits=limits), clients)
    got = [next(stream), next(stream), next(stream)]
    server.kill()
    started = time.monotonic()
    with pytest.raises(EndpointError) as caught:
        got.extend(stream)  # buckets complete before the kill still arrive
    assert time.monotonic() - started < 30  # it does not hang
    assert "stopped answering mid-scan" in str(caught.value)
    assert caught.value.code in {"EndpointConnectionError", "ConnectionClosedError"}
    assert got[0].kind == "account.settings"
    buckets = got[1:]
    assert 2 <= len(buckets) < 12
    for bucket in buckets:  # everything yielded is whole
        assert bucket.gaps == ()
        state = S3BucketState.from_dict(bucket.attributes)
        assert state.acl == (OWNER_FULL,)
        assert state.region == "us-east-1"
        assert state.account_bpa is None
