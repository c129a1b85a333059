"""The Redshift collector against moto over HTTP with real boto3."""

from __future__ import annotations

import pytest

from andon.collect.aws import redshift
from andon.collect.aws.redshift import endpoint_port, subnets_of
from andon.core import AccessDenied
from andon.core.model import Level
from andon.exposure.s3_model import Unknown

from .test_ec2 import (
    ACCOUNT,
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


def warehouse(url: str, net: Vpc, ident: str, sg: str, *, public: bool) -> None:
    rs = client(url, "redshift")
    if not rs.describe_cluster_subnet_groups()["ClusterSubnetGroups"]:
        rs.create_cluster_subnet_group(
            ClusterSubnetGroupName="public", Description="public", SubnetIds=[net.public]
        )
    rs.create_cluster(
        ClusterIdentifier=ident,
        NodeType="dc2.large",
        ClusterType="single-node",
        MasterUsername="admin",
        MasterUserPassword="Password1",
        PubliclyAccessible=public,
        VpcSecurityGroupIds=[sg],
        ClusterSubnetGroupName="public",
    )


def test_public_cluster_with_an_open_group_is_public(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "bi", tcp(5439, "0.0.0.0/0"))
    warehouse(moto_url, net, "sales", sg, public=True)
    found, clients = run(moto_url, redshift)
    cluster = found["sales"]
    assert cluster.kind == "warehouse.cluster"
    assert cluster.uid == f"arn:aws:redshift:{REGION}:{ACCOUNT}:cluster:sales"
    assert cluster.attributes == {
        "kind": "redshift-cluster",
        "identifier": "sales",
        "port": 5439,
        "publicly_accessible": True,
        "security_groups": [{"id": sg, "name": "bi", "ingress": [rule(5439, "0.0.0.0/0")]}],
        "engine": "redshift",
        "account": ACCOUNT,
        "region": REGION,
        "members": [],
        "internet_route": True,
    }
    assert cluster.gaps == ()
    e = exposure(redshift, cluster)
    assert e.level == Level.PUBLIC and "port 5439 (Redshift)" in e.reasons[0]
    assert clients.call_counts[("redshift", "DescribeClusterSubnetGroups")] == 1


def test_public_flag_with_a_closed_group_is_latent(moto_url: str, aws_env: dict[str, str]) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "bi", tcp(5432, "0.0.0.0/0"))  # not the cluster's port
    warehouse(moto_url, net, "sales", sg, public=True)
    found, _ = run(moto_url, redshift)
    e = exposure(redshift, found["sales"])
    assert e.level == Level.PRIVATE and e.latent


def test_private_cluster_needs_no_subnet_groups_or_routes(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "bi", tcp(5439, "0.0.0.0/0"))
    warehouse(moto_url, net, "inside", sg, public=False)
    found, clients = run(moto_url, redshift)
    assert found["inside"].attributes["internet_route"] is None
    assert exposure(redshift, found["inside"]).level == Level.PRIVATE
    assert ("redshift", "DescribeClusterSubnetGroups") not in clients.call_counts
    assert ("ec2", "DescribeRouteTables") not in clients.call_counts


def test_documented_cluster_shape() -> None:
    # Amazon Redshift API Reference, Cluster (VpcId, ClusterSubnetGroupName, Endpoint) and
    # ClusterSubnetGroup (VpcId, Subnets[].SubnetIdentifier). moto 5.2.5 omits the cluster's
    # VpcId; the collector then takes the VPC from the subnet group.
    group_doc = {
        "ClusterSubnetGroupName": "public",
        "VpcId": "vpc-1",
        "Subnets": [
            {"SubnetIdentifier": "subnet-a", "SubnetAvailabilityZone": {"Name": "us-east-1a"}},
            {"SubnetIdentifier": "subnet-b", "SubnetAvailabilityZone": {"Name": "us-east-1b"}},
        ],
    }
    assert subnets_of(group_doc) == ("vpc-1", ["subnet-a", "subnet-b"])
    creating = {"ClusterIdentifier": "new", "ClusterStatus": "creating", "VpcId": "vpc-1"}
    assert endpoint_port(creating) == Unknown(
        "the answer gives no endpoint port yet (status creating)"
    )
    assert endpoint_port({"Endpoint": {"Address": "x", "Port": 5439}}) == 5439


def test_denied_subnet_groups_make_the_route_unknown(moto_url: str, moto_iam_user: IamUser) -> None:
    net = seed_vpc(moto_url)
    sg = group(moto_url, net.vpc, "bi", tcp(5439, "0.0.0.0/0"))
    warehouse(moto_url, net, "sales", sg, public=True)
    key = moto_iam_user(allow_all_but("redshift:DescribeClusterSubnetGroups"))
    found, _ = run(moto_url, redshift, key=key)
    cluster = found["sales"]
    why = denied("redshift:DescribeClusterSubnetGroups", "DescribeClusterSubnetGroups")
    assert cluster.attributes["internet_route"] == {"unknown": why}
    assert [(g.service, g.operation, g.code) for g in cluster.gaps] == [
        ("redshift", "DescribeClusterSubnetGroups", "AccessDenied")
    ]
    assert exposure(redshift, cluster).level == Level.UNKNOWN


def test_denied_listing_raises(moto_url: str, moto_iam_user: IamUser) -> None:
    key = moto_iam_user(allow_all_but("redshift:DescribeClusters"))
    resources, _ = stream(moto_url, redshift, key=key)
    with pytest.raises(AccessDenied) as raised:
        list(resources)
    assert raised.value.operation == "DescribeClusters"
