"""Redshift: provisioned clusters.

:func:`collect` yields one ``warehouse.cluster`` (``AWS::Redshift::Cluster``) per cluster of
one (account, region), as :class:`DatabaseState` (``redshift-cluster``): ``PubliclyAccessible``,
the endpoint port, the VPC security groups with their rules, and - when publicly accessible -
whether a subnet of its cluster subnet group routes to an internet gateway. The subnet groups
are listed once (DescribeClusterSubnetGroups), and only when some cluster is publicly
accessible.

Not covered here: Redshift Serverless workgroups and shared Redshift snapshots.

The security groups and route tables come from :class:`andon.collect.aws.ec2.Ec2Network`; pass
the one of this (account, region) as ``network=`` to share it with EC2 and RDS. The failure
model is that of :mod:`andon.collect.aws.ec2`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from andon.collect.aws._kit import Reads, Region
from andon.collect.aws.ec2 import (
    NETWORK_OPERATIONS,
    Ec2Network,
    Once,
    error,
    group_ids,
    guarded,
    item,
    named,
    raise_first,
    tolerant,
)
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.errors import CollectError
from andon.core.model import Exposure, Resource
from andon.exposure.aws_models import DatabaseState
from andon.exposure.network import evaluate_database
from andon.exposure.s3_model import Unknown

OPERATIONS: tuple[Operation, ...] = (
    Operation("redshift", "DescribeClusters", "redshift:DescribeClusters"),
    Operation("redshift", "DescribeClusterSubnetGroups", "redshift:DescribeClusterSubnetGroups"),
    *NETWORK_OPERATIONS,
)
"""Every (service, operation) :func:`collect` may call; all read-only."""

CLUSTER_TYPE = "AWS::Redshift::Cluster"


def _database(attributes: Mapping[str, Any]) -> Exposure:
    return evaluate_database(DatabaseState.from_dict(attributes))


KINDS: dict[str, tuple[str, Callable[[Mapping[str, Any]], Exposure]]] = {
    "warehouse.cluster": (CLUSTER_TYPE, _database),
}

_SubnetGroups = dict[str, tuple[str, list[str]]]  # name → (VPC id, subnet ids)
_PAGE = {"MaxRecords": 100}


def collect(
    ctx: Context,
    clients: AwsClients,
    account: str,
    region: str,
    network: Ec2Network | None = None,
) -> Iterator[Resource]:
    """Every Redshift cluster of one (account, region), streamed page by page."""
    net = network or Ec2Network(clients, account, region)
    run = Region(ctx, clients, account, region, service="redshift", kinds=KINDS)
    groups: Once[_SubnetGroups | CollectError] = Once(
        partial(guarded, "redshift", "DescribeClusterSubnetGroups", partial(_subnet_groups, run))
    )
    errors: list[CollectError] = []
    listing = run.listing("DescribeClusters", "Clusters", "Marker", "Marker", _identified, **_PAGE)
    for doc in tolerant(errors, listing):
        yield from item(errors, "redshift", "DescribeClusters", _cluster, run, net, groups, doc)
    raise_first(errors)


def _identified(entry: Any) -> dict[str, Any]:
    """A listing entry that carries its identifier (a malformed one fails the page)."""
    if not isinstance(entry["ClusterIdentifier"], str) or not entry["ClusterIdentifier"]:
        raise TypeError("ClusterIdentifier is not text")
    return dict(entry)


def _subnet_groups(run: Region) -> _SubnetGroups:
    op, key = "DescribeClusterSubnetGroups", "ClusterSubnetGroups"
    docs = run.listing(op, key, "Marker", "Marker", dict, **_PAGE)
    return {str(g["ClusterSubnetGroupName"]): subnets_of(g) for g in docs}


def subnets_of(group: Mapping[str, Any]) -> tuple[str, list[str]]:
    """(VPC id, subnet ids) of a DescribeClusterSubnetGroups ``ClusterSubnetGroup``."""
    subnets = [str(s["SubnetIdentifier"]) for s in group.get("Subnets") or ()]
    return str(group.get("VpcId") or ""), subnets


def endpoint_port(doc: Mapping[str, Any]) -> int | Unknown:
    """``Endpoint.Port``; Unknown while the cluster has no endpoint yet (e.g. ``creating``)."""
    port = (doc.get("Endpoint") or {}).get("Port")
    if isinstance(port, int) and port > 0:
        return port
    status = doc.get("ClusterStatus") or "unknown"
    return Unknown(f"the answer gives no endpoint port yet (status {status})")


def _route(
    net: Ec2Network,
    groups: Once[_SubnetGroups | CollectError],
    doc: Mapping[str, Any],
    reads: Reads,
) -> bool | Unknown | None:
    """Whether a subnet of the cluster's subnet group routes to an internet gateway."""
    name = str(doc.get("ClusterSubnetGroupName") or "")
    if not name:
        return net.internet_route(str(doc.get("VpcId") or ""), [], reads)
    index = groups.get()
    if isinstance(index, CollectError):
        return reads.fail(index)
    if name not in index:
        why = f"cluster subnet group {name} is not in the answer"
        code = "ClusterSubnetGroupNotFoundFault"
        return reads.fail(error("redshift", "DescribeClusterSubnetGroups", code, why))
    vpc, subnets = index[name]
    return net.internet_route(str(doc.get("VpcId") or vpc), subnets, reads)


def _cluster(
    run: Region,
    net: Ec2Network,
    groups: Once[_SubnetGroups | CollectError],
    doc: dict[str, Any],
) -> Resource:
    ident = doc["ClusterIdentifier"]
    reads = run.reads(run.arn("redshift", f"cluster:{ident}"))
    reads.keep("DescribeClusters", doc)
    public = bool(doc.get("PubliclyAccessible"))
    state = DatabaseState(
        kind="redshift-cluster",
        identifier=ident,
        port=endpoint_port(doc),
        publicly_accessible=public,
        security_groups=net.security_groups(group_ids(doc.get("VpcSecurityGroups")), reads),
        engine="redshift",
        account=run.account,
        region=run.region,
        internet_route=_route(net, groups, doc, reads) if public else None,
    )
    return named(run, reads, "warehouse.cluster", ident, state, doc)
