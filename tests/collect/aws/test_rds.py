"""The RDS collector against moto over HTTP with real boto3: instances, Aurora clusters, DB and
cluster snapshots."""

from __future__ import annotations

from typing import Any

import pytest

from andon.collect.aws import rds
from andon.collect.aws.rds import endpoint_port, restore_values
from andon.core import AccessDenied
from andon.core.model import Level
from andon.exposure.s3_model import Unknown

from .test_ec2 import (
    ACCOUNT,
    OTHER,
    REGION,
    IamUser,
    Vpc,
    allow_all_but,
    client,
    denied,
    exposure,
    group,
    rule,
    run,
    seed_vpc,
    stream,
    tcp,
)


def subnet_group(url: str, net: Vpc, name: str = "public", *, public: bool = True) -> str:
    subnets = [net.public, net.public_b] if public else [net.private]
    client(url, "rds").create_db_subnet_group(
        DBSubnetGroupName=name, DBSubnetGroupDescription=name, SubnetIds=subnets
    )
    return name


def instance(url: str, ident: str, sg: str, subnets: str, *, public: bool, **kw: Any) -> None:
    client(url, "rds").create_db_instance(
        DBInstanceIdentifier=ident,
        DBInstanceClass="db.t3.micro",
        PubliclyAccessible=public,
        VpcSecurityGroupIds=[sg],
        DBSubnetGroupName=subnets,
        **(
            kw
            or {
                "Engine": "postgres",
                "MasterUsername": "admin",
                "MasterUserPassword": "password-1",
                "AllocatedStorage": 20,
            }
        ),
    )


def test_public_instance_with_an_open_group_is_public(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "orders-db", tcp(5432, "0.0.0.0/0"))
    instance(moto_url, "orders", sg, subnet_group(moto_url, net), public=True)
    found, clients = run(moto_url, rds)
    db = found["orders"]
    assert (db.kind, db.uid) == ("database.instance", f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders")
    assert db.attributes == {
        "kind": "rds-instance",
        "identifier": "orders",
        "port": 5432,
        "publicly_accessible": True,
        "security_groups": [{"id": sg, "name": "orders-db", "ingress": [rule(5432, "0.0.0.0/0")]}],
        "engine": "postgres",
        "account": ACCOUNT,
        "region": REGION,
        "members": [],
        "internet_route": True,
    }
    assert db.gaps == ()
    assert db.raw["DescribeDBInstances"]["DBInstanceIdentifier"] == "orders"
    e = exposure(rds, db)
    assert e.level == Level.PUBLIC and "port 5432 (PostgreSQL)" in e.reasons[0]
    assert clients.call_counts[("rds", "DescribeDBInstances")] == 1
    assert ("rds", "DescribeDBSnapshotAttributes") not in clients.call_counts  # no snapshots


def test_public_flag_with_a_closed_group_is_latent(moto_url: str, aws_env: dict[str, str]) -> None:
    net = seed_vpc(moto_url)
    office = group(moto_url, net.vpc, "office", tcp(5432, "203.0.113.0/24"))
    instance(moto_url, "closed", office, subnet_group(moto_url, net), public=True)
    found, _ = run(moto_url, rds)
    e = exposure(rds, found["closed"])
    assert e.level == Level.PRIVATE and e.latent
    assert "one rule away from public" in e.reasons[0]


def test_a_rule_open_to_every_ipv6_address_is_enough(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    net = seed_vpc(moto_url)
    v6 = group(moto_url, net.vpc, "v6", tcp(5432, "::/0"))
    instance(moto_url, "v6", v6, subnet_group(moto_url, net), public=True)
    found, _ = run(moto_url, rds)
    assert found["v6"].attributes["security_groups"][0]["ingress"] == [rule(5432, "::/0")]
    assert exposure(rds, found["v6"]).level == Level.PUBLIC


def test_not_publicly_accessible_needs_no_route_tables(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "open", tcp(5432, "0.0.0.0/0"))
    instance(moto_url, "inside", sg, subnet_group(moto_url, net), public=False)
    found, clients = run(moto_url, rds)
    assert found["inside"].attributes["internet_route"] is None
    e = exposure(rds, found["inside"])
    assert e.level == Level.PRIVATE and not e.latent
    assert ("ec2", "DescribeRouteTables") not in clients.call_counts


def test_public_flag_in_private_subnets_is_latent(moto_url: str, aws_env: dict[str, str]) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "open", tcp(5432, "0.0.0.0/0"))
    instance(moto_url, "hidden", sg, subnet_group(moto_url, net, public=False), public=True)
    found, _ = run(moto_url, rds)
    assert found["hidden"].attributes["internet_route"] is False
    e = exposure(rds, found["hidden"])
    assert e.level == Level.PRIVATE and e.latent
    assert "no route to an internet gateway" in e.reasons[0]


def aurora(url: str, net: Vpc, sg: str, *flags: bool) -> None:
    rdsc = client(url, "rds")
    rdsc.create_db_cluster(
        DBClusterIdentifier="ledger",
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="password-1",
        VpcSecurityGroupIds=[sg],
        DBSubnetGroupName=subnet_group(url, net),
    )
    for n, public in enumerate(flags, 1):
        rdsc.create_db_instance(
            DBInstanceIdentifier=f"ledger-{n}",
            DBClusterIdentifier="ledger",
            Engine="aurora-postgresql",
            DBInstanceClass="db.r5.large",
            PubliclyAccessible=public,
            DBSubnetGroupName="public",
        )


def test_aurora_cluster_is_public_through_a_member(moto_url: str, aws_env: dict[str, str]) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "ledger", tcp(5432, "0.0.0.0/0"))
    aurora(moto_url, net, sg, True, False)
    found, _ = run(moto_url, rds)
    assert set(found) == {"ledger"}  # the members are folded into their cluster
    cluster = found["ledger"]
    assert cluster.kind == "database.cluster"
    assert cluster.uid == f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:ledger"
    attrs = cluster.attributes
    assert attrs["kind"] == "aurora-cluster" and attrs["engine"] == "aurora-postgresql"
    assert attrs["members"] == [["ledger-1", True], ["ledger-2", False]]
    assert attrs["publicly_accessible"] is False  # Aurora has no cluster-level flag
    assert (attrs["port"], attrs["internet_route"]) == (5432, True)
    assert set(cluster.raw["DescribeDBInstances"]) == {"ledger-1", "ledger-2"}
    e = exposure(rds, cluster)
    assert e.level == Level.PUBLIC
    assert any("publicly accessible instances: ledger-1" in r for r in e.reasons)


def test_aurora_cluster_without_public_members_is_private(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "ledger", tcp(5432, "0.0.0.0/0"))
    aurora(moto_url, net, sg, False)
    found, clients = run(moto_url, rds)
    assert found["ledger"].attributes["internet_route"] is None
    assert exposure(rds, found["ledger"]).level == Level.PRIVATE
    assert ("ec2", "DescribeRouteTables") not in clients.call_counts


def seed_snapshots(url: str) -> None:
    rdsc = client(url, "rds")
    rdsc.create_db_instance(
        DBInstanceIdentifier="source",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        MasterUsername="admin",
        MasterUserPassword="password-1",
        AllocatedStorage=20,
    )
    shares = {"to-all": ["all"], "to-other": [OTHER], "kept": []}
    for name, values in shares.items():
        rdsc.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier="source")
        if values:
            rdsc.modify_db_snapshot_attribute(
                DBSnapshotIdentifier=name, AttributeName="restore", ValuesToAdd=values
            )
    rdsc.create_db_cluster(
        DBClusterIdentifier="books",
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password-1",
    )
    for name, values in {"books-all": ["all", OTHER], "books-other": [OTHER]}.items():
        rdsc.create_db_cluster_snapshot(
            DBClusterSnapshotIdentifier=name, DBClusterIdentifier="books"
        )
        rdsc.modify_db_cluster_snapshot_attribute(
            DBClusterSnapshotIdentifier=name, AttributeName="restore", ValuesToAdd=values
        )


def test_manual_snapshots_with_their_restore_attribute(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    seed_snapshots(moto_url)
    found, clients = run(moto_url, rds)
    snapshots = {n for n, r in found.items() if r.kind.startswith("snapshot.")}
    # moto also takes an automated snapshot of each instance: those cannot be shared, and
    # SnapshotType=manual leaves them out
    assert snapshots == {"to-all", "to-other", "kept", "books-all", "books-other"}
    public = found["to-all"]
    assert public.uid == f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:to-all"
    assert public.attributes == {
        "kind": "rds-snapshot",
        "identifier": "to-all",
        "public": True,
        "accounts": [],
        "organizations": [],
        "organizational_units": [],
        "encrypted": False,
        "account": ACCOUNT,
        "region": REGION,
        "block_public_access": None,
    }
    assert public.raw["DescribeDBSnapshotAttributes"]["DBSnapshotAttributesResult"]
    assert exposure(rds, public).level == Level.PUBLIC
    assert exposure(rds, found["to-other"]).level == Level.CROSS_ACCOUNT
    assert exposure(rds, found["kept"]).level == Level.PRIVATE
    books = found["books-all"]
    assert books.kind == "snapshot.database_cluster"
    assert books.uid == f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-snapshot:books-all"
    assert (books.attributes["public"], books.attributes["accounts"]) == (True, [OTHER])
    assert exposure(rds, books).level == Level.PUBLIC
    assert exposure(rds, found["books-other"]).level == Level.CROSS_ACCOUNT
    assert clients.call_counts[("rds", "DescribeDBSnapshotAttributes")] == 3
    assert clients.call_counts[("rds", "DescribeDBClusterSnapshotAttributes")] == 2


def test_documented_shapes() -> None:
    # RDS API Reference, DescribeDBSnapshotAttributes → DBSnapshotAttributesResult
    # (DBSnapshotAttribute: AttributeName, AttributeValues); an unshared snapshot still lists
    # "restore" with no values.
    answer = {
        "DBSnapshotAttributesResult": {
            "DBSnapshotIdentifier": "manual-1",
            "DBSnapshotAttributes": [
                {"AttributeName": "restore", "AttributeValues": ["all", OTHER]}
            ],
        }
    }
    assert restore_values(answer, "DBSnapshotAttributesResult", "DBSnapshotAttributes") == [
        "all",
        OTHER,
    ]
    empty = {"DBSnapshotAttributesResult": {"DBSnapshotAttributes": [{"AttributeName": "restore"}]}}
    assert restore_values(empty, "DBSnapshotAttributesResult", "DBSnapshotAttributes") == []
    # RDS API Reference, DBInstance: Endpoint is absent while the instance is being created
    port = endpoint_port({"DBInstanceIdentifier": "new", "DBInstanceStatus": "creating"})
    assert port == Unknown("the answer gives no endpoint port yet (status creating)")
    assert endpoint_port({"Endpoint": {"Address": "x", "Port": 3306}}) == 3306
    assert endpoint_port({"Port": 5432, "DBClusterIdentifier": "c"}) == 5432


def test_denied_detail_calls_become_unknowns_and_gaps(
    moto_url: str, moto_iam_user: IamUser
) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "open", tcp(5432, "0.0.0.0/0"))
    instance(moto_url, "orders", sg, subnet_group(moto_url, net), public=True)
    seed_snapshots(moto_url)
    key = moto_iam_user(
        allow_all_but("ec2:DescribeSecurityGroups", "rds:DescribeDBSnapshotAttributes")
    )
    found, _ = run(moto_url, rds, key=key)
    db = found["orders"]
    why = denied("ec2:DescribeSecurityGroups", "DescribeSecurityGroups")
    assert db.attributes["security_groups"] == {"unknown": why}
    assert db.attributes["internet_route"] is True
    assert [(g.service, g.operation, g.reason) for g in db.gaps] == [
        ("ec2", "DescribeSecurityGroups", why)
    ]
    e = exposure(rds, db)
    assert e.level == Level.UNKNOWN and any("could not be read" in r for r in e.reasons)
    snap = found["to-all"]
    why = denied("rds:DescribeDBSnapshotAttributes", "DescribeDBSnapshotAttributes")
    assert snap.attributes["public"] == {"unknown": why}
    assert [(g.operation, g.code) for g in snap.gaps] == [
        ("DescribeDBSnapshotAttributes", "AccessDenied")
    ]
    assert exposure(rds, snap).level == Level.UNKNOWN
    assert exposure(rds, found["books-all"]).level == Level.PUBLIC  # cluster snapshots readable


def test_denied_cluster_listing_yields_members_as_instances_then_raises(
    moto_url: str, moto_iam_user: IamUser
) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "ledger", tcp(5432, "0.0.0.0/0"))
    aurora(moto_url, net, sg, True)
    key = moto_iam_user(allow_all_but("rds:DescribeDBClusters"))
    resources, _ = stream(moto_url, rds, key=key)
    got = {}
    with pytest.raises(AccessDenied) as raised:
        for r in resources:
            got[r.name] = r
    assert raised.value.operation == "DescribeDBClusters"
    member = got["ledger-1"]
    assert member.kind == "database.instance"
    assert exposure(rds, member).level == Level.PUBLIC
