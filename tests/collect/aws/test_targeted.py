"""recollect over moto's server: each reference re-read through the collector's own
per-resource path gives exactly the resource a full scan gives; gone resources yield nothing;
expanding references (security group, route table, access point) reach what they affect.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from tests.aws_estate import CONFIG, Seeder, seed_region

from andon.collect.aws.registry import select_services
from andon.collect.aws.s3 import collect_s3
from andon.collect.aws.targeted import KINDS, recollect, recollect_each
from andon.collect.aws.transport import AwsClients
from andon.core.context import AwsTarget, Context, Limits
from andon.core.errors import CollectError, EndpointError
from andon.core.model import Resource
from andon.watch.refs import ResourceRef

ACCOUNT = "123456789012"
REGION = "us-east-1"


def context(url: str) -> Context:
    return Context(
        aws=AwsTarget(endpoint_url=url, regions=(REGION,)),
        limits=Limits(concurrency=4, max_attempts=1, connect_timeout=1, read_timeout=10),
    )


@pytest.fixture
def ctx(moto_url: str, aws_env: dict[str, str]) -> Context:
    return context(moto_url)


@pytest.fixture
def clients(ctx: Context) -> Iterator[AwsClients]:
    with AwsClients(ctx.aws, ctx.limits) as c:
        yield c


def client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION, config=CONFIG)


def ref_of(resource: Resource, service: str) -> ResourceRef:
    return ResourceRef(resource.account, resource.region, service, resource.kind, resource.uid)


def full_scan(ctx: Context, clients: AwsClients) -> dict[str, tuple[str, Resource]]:
    """Every resource a full scan of the region collects, by uid, with its service."""
    out: dict[str, tuple[str, Resource]] = {}
    for r in collect_s3(ctx, clients):
        out[r.uid] = ("s3", r)
    for service in select_services():
        if service.name == "s3":
            continue
        for r in service.collect(ctx, clients, ACCOUNT, REGION):
            out[r.uid] = (service.name, r)
    return out


def same(a: Resource, b: Resource) -> None:
    assert (a.uid, a.kind, a.native_type, a.name, a.account, a.region) == (
        b.uid,
        b.kind,
        b.native_type,
        b.name,
        b.account,
        b.region,
    )
    assert dict(a.attributes) == dict(b.attributes), a.uid
    assert dict(a.tags) == dict(b.tags), a.uid
    assert {(g.operation, g.code) for g in a.gaps} == {(g.operation, g.code) for g in b.gaps}


def test_every_kind_re_read_alone_equals_the_full_scan(
    ctx: Context, clients: AwsClients, moto_url: str
) -> None:
    seed_region(boto3.Session(region_name=REGION), moto_url, REGION, 1)
    full = full_scan(ctx, clients)
    kinds = {r.kind for _, r in full.values()}
    assert kinds >= {
        "storage.bucket", "account.settings", "messaging.queue", "messaging.topic",
        "crypto.key", "secrets.secret", "registry.repository", "storage.filesystem",
        "compute.function", "compute.function_url", "search.domain", "storage.archive_vault",
        "backup.vault", "api.rest_api", "database.table", "database.instance",
        "database.cluster", "snapshot.database", "snapshot.database_cluster",
        "warehouse.cluster", "compute.instance", "snapshot.volume", "image.machine",
    }  # fmt: skip
    assert kinds <= KINDS
    refs = [ref_of(resource, service) for service, resource in full.values()]
    got = {r.uid: r for r in recollect(ctx, clients, refs)}  # all at once, concurrently
    assert set(got) == set(full)
    for uid, resource in got.items():
        same(resource, full[uid][1])
    _, lone = full[next(u for u, (s, r) in full.items() if r.kind == "compute.function_url")]
    alone = list(recollect(ctx, clients, [ref_of(lone, "lambda")]))  # a URL: its function too
    assert {r.kind for r in alone} == {"compute.function", "compute.function_url"}


def test_gone_resources_yield_nothing(ctx: Context, clients: AwsClients, moto_url: str) -> None:
    seeder = Seeder(boto3.Session(region_name=REGION), moto_url, REGION, "gone")
    for seed in (seeder.s3, seeder.sqs, seeder.sns, seeder.lambda_, seeder.dynamodb):
        seed(0, True)
    full = full_scan(ctx, clients)
    refs = [ref_of(r, s) for s, r in full.values() if r.kind != "account.settings"]
    bucket = seeder.name("bucket", 0).lower()
    s3 = client(moto_url, "s3")
    s3.delete_bucket_policy(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)
    sqs = client(moto_url, "sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=seeder.name("queue", 0))["QueueUrl"])
    client(moto_url, "sns").delete_topic(TopicArn=seeder.arn("sns", seeder.name("topic", 0)))
    client(moto_url, "lambda").delete_function(FunctionName=seeder.name("fn", 0))
    client(moto_url, "dynamodb").delete_table(TableName=seeder.name("table", 0))
    failures: list[tuple[ResourceRef, CollectError]] = []
    assert list(recollect_each(ctx, clients, refs, failures)) == []
    assert failures == []


def test_a_deleted_function_url_leaves_the_function_only(
    ctx: Context, clients: AwsClients, moto_url: str
) -> None:
    seeder = Seeder(boto3.Session(region_name=REGION), moto_url, REGION, "url")
    seeder.lambda_(0, True)
    fn = seeder.arn("lambda", f"function:{seeder.name('fn', 0)}")
    url_ref = ResourceRef(ACCOUNT, REGION, "lambda", "compute.function_url", f"{fn}/url")
    got = {r.uid: r for r in recollect(ctx, clients, [url_ref])}
    assert set(got) == {fn, f"{fn}/url"}
    assert got[f"{fn}/url"].attributes["auth_type"] == "NONE"
    client(moto_url, "lambda").delete_function_url_config(FunctionName=seeder.name("fn", 0))
    assert [r.uid for r in recollect(ctx, clients, [url_ref])] == [fn]


def test_s3_account_settings_and_access_point_references(
    ctx: Context, clients: AwsClients, moto_url: str
) -> None:
    s3 = client(moto_url, "s3")
    s3.create_bucket(Bucket="ap-bucket")
    control = clients.client("s3control")  # its account host prefix stripped, as Andon's
    control.create_access_point(AccountId=ACCOUNT, Name="my-ap", Bucket="ap-bucket")
    control.put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    refs = [
        ResourceRef(ACCOUNT, "global", "s3", "account.settings",
                    f"arn:aws:s3::{ACCOUNT}:account-public-access-block"),
        ResourceRef(ACCOUNT, REGION, "s3", "storage.access_point",
                    f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/my-ap"),
    ]  # fmt: skip
    got = {r.kind: r for r in recollect(ctx, clients, refs)}
    assert got["account.settings"].attributes["public_access_block"]["BlockPublicAcls"] is True
    bucket = got["storage.bucket"]
    assert bucket.uid == "arn:aws:s3:::ap-bucket"
    assert [ap["name"] for ap in bucket.attributes["access_points"]] == ["my-ap"]
    assert bucket.attributes["account_bpa"]["RestrictPublicBuckets"] is True
    control.delete_access_point(AccountId=ACCOUNT, Name="my-ap")
    assert list(recollect(ctx, clients, refs[1:])) == []  # its bucket is unknown now


def test_network_references_reach_the_instances_and_databases_using_them(
    ctx: Context, clients: AwsClients, moto_url: str
) -> None:
    seeder = Seeder(boto3.Session(region_name=REGION), moto_url, REGION, "net")
    seeder.ec2(0, True)
    seeder.rds(0, True)
    seeder.redshift(0, True)
    group, _ = seeder.network()
    sg = ResourceRef(ACCOUNT, REGION, "ec2", "network.security_group",
                     f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{group}")  # fmt: skip
    kinds = sorted(r.kind for r in recollect(ctx, clients, [sg]))
    assert kinds == ["compute.instance", "database.cluster", "database.instance",
                     "warehouse.cluster"]  # fmt: skip
    ec2 = client(moto_url, "ec2")
    vpc = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["VpcId"]
    table = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "route.gateway-id", "Values": ["igw-*"]},
        ]
    )["RouteTables"]
    tables = [t["RouteTableId"] for t in table if any(
        str(r.get("GatewayId", "")).startswith("igw-") for r in t.get("Routes", []))]  # fmt: skip
    rtb = ResourceRef(ACCOUNT, REGION, "ec2", "network.route_table",
                      f"arn:aws:ec2:{REGION}:{ACCOUNT}:route-table/{tables[0]}")  # fmt: skip
    assert "compute.instance" in {r.kind for r in recollect(ctx, clients, [rtb])}


def test_an_aurora_member_is_re_read_as_its_cluster(
    ctx: Context, clients: AwsClients, moto_url: str
) -> None:
    seeder = Seeder(boto3.Session(region_name=REGION), moto_url, REGION, "au")
    seeder.rds(0, True)
    rds = client(moto_url, "rds")
    cluster = seeder.name("aurora", 0).lower()
    rds.create_db_instance(
        DBInstanceIdentifier="member-1",
        DBInstanceClass="db.r6g.large",
        Engine="aurora-postgresql",
        DBClusterIdentifier=cluster,
        PubliclyAccessible=True,
        DBSubnetGroupName=f"{seeder.prefix}-db",
    )
    member = ResourceRef(ACCOUNT, REGION, "rds", "database.instance",
                         f"arn:aws:rds:{REGION}:{ACCOUNT}:db:member-1")  # fmt: skip
    got = list(recollect(ctx, clients, [member]))
    assert [r.kind for r in got] == ["database.cluster"]
    assert got[0].attributes["members"] == [["member-1", True]]


def test_references_that_cannot_be_located_are_failures_after_the_rest(
    ctx: Context, clients: AwsClients, moto_url: str
) -> None:
    client(moto_url, "s3").create_bucket(Bucket="fine")
    fn = f"arn:aws:lambda:{REGION}:999999999999:function:theirs"
    refs = [
        ResourceRef("999999999999", REGION, "sqs", "messaging.queue",
                    f"arn:aws:sqs:{REGION}:999999999999:theirs"),
        ResourceRef(ACCOUNT, REGION, "s3", "storage.bucket", "arn:aws:s3:::fine"),
        ResourceRef(ACCOUNT, REGION, "iam", "identity.role", "arn:aws:iam::1:role/x"),
        ResourceRef("999999999999", REGION, "lambda", "compute.function", fn),
        ResourceRef("999999999999", REGION, "lambda", "compute.function_url", f"{fn}/url"),
    ]  # fmt: skip
    failures: list[tuple[ResourceRef, CollectError]] = []
    got = [r.uid for r in recollect_each(ctx, clients, refs, failures)]
    assert got == ["arn:aws:s3:::fine"]
    # one read stands for a function and its URL: both fail together, neither may resolve
    assert sorted((f[0].uid, f[1].code) for f in failures) == sorted(
        [(refs[0].uid, "OtherAccount"), (refs[2].uid, "UnsupportedKind"),
         (fn, "OtherAccount"), (f"{fn}/url", "OtherAccount")]
    )  # fmt: skip
    yielded: list[str] = []
    with pytest.raises(CollectError, match="and 3 more"):
        for r in recollect(ctx, clients, refs):
            yielded.append(r.uid)
    assert yielded == ["arn:aws:s3:::fine"]


def test_a_dead_endpoint_ends_the_run(moto_process: Any, aws_env: dict[str, str]) -> None:
    server = moto_process()
    ctx = context(server.url)
    client(server.url, "s3").create_bucket(Bucket="bucket-b")
    with AwsClients(ctx.aws, ctx.limits) as clients:
        clients.account_id()
        server.kill()
        ref = ResourceRef(ACCOUNT, REGION, "s3", "storage.bucket", "arn:aws:s3:::bucket-b")
        with pytest.raises(EndpointError):
            list(recollect_each(ctx, clients, [ref], []))


def test_a_secret_named_without_its_arn_suffix_is_found(
    ctx: Context, clients: AwsClients, moto_url: str
) -> None:
    arn = client(moto_url, "secretsmanager").create_secret(Name="named", SecretString="x")["ARN"]
    partial = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:named"
    assert arn != partial  # AWS appends six random characters
    ref = ResourceRef(ACCOUNT, REGION, "secretsmanager", "secrets.secret", partial)
    assert [r.uid for r in recollect(ctx, clients, [ref])] == [arn]
    client(moto_url, "secretsmanager").delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert list(recollect(ctx, clients, [ref])) == []
