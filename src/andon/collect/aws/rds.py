"""RDS: DB instances, Aurora and Multi-AZ DB clusters, and manual DB / cluster snapshots.

:func:`collect` yields, for one (account, region):

1. ``database.instance`` (``AWS::RDS::DBInstance``): every DB instance that is not a member of a
   listed cluster, as :class:`DatabaseState` (``rds-instance``): ``PubliclyAccessible``, the
   endpoint port, the VPC security groups with their rules, and - when publicly accessible -
   whether a subnet of its DB subnet group routes to an internet gateway;
2. ``database.cluster`` (``AWS::RDS::DBCluster``): each cluster (``aurora-cluster``) with its
   members' ``PubliclyAccessible`` flags (Aurora has no cluster-level flag; a Multi-AZ DB
   cluster's own flag is kept too). Member instances are folded into their cluster, so one
   exposure is reported once; if DescribeDBClusters fails they are yielded as instances;
3. ``snapshot.database`` (``AWS::RDS::DBSnapshot``) and ``snapshot.database_cluster``
   (``AWS::RDS::DBClusterSnapshot``): the account's manual snapshots (automated ones cannot be
   shared) with their ``restore`` attribute (:class:`SharedCopyState`), one attribute call each
   with bounded concurrency.

The security groups and route tables come from :class:`andon.collect.aws.ec2.Ec2Network`; pass
the one of this (account, region) as ``network=`` to share it with EC2 and Redshift. The failure
model is that of :mod:`andon.collect.aws.ec2`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from andon.collect.aws._kit import Region
from andon.collect.aws.ec2 import (
    NETWORK_OPERATIONS,
    Ec2Network,
    error,
    group_ids,
    item,
    named,
    raise_first,
    share_exposure,
    tolerant,
)
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.errors import CollectError
from andon.core.model import Exposure, Resource
from andon.exposure.aws_models import DatabaseState, SharedCopyState
from andon.exposure.network import evaluate_database
from andon.exposure.s3_model import Unknown

OPERATIONS: tuple[Operation, ...] = (
    Operation("rds", "DescribeDBClusters", "rds:DescribeDBClusters"),
    Operation("rds", "DescribeDBInstances", "rds:DescribeDBInstances"),
    *NETWORK_OPERATIONS,
    Operation("rds", "DescribeDBSnapshots", "rds:DescribeDBSnapshots"),
    Operation("rds", "DescribeDBSnapshotAttributes", "rds:DescribeDBSnapshotAttributes"),
    Operation("rds", "DescribeDBClusterSnapshots", "rds:DescribeDBClusterSnapshots"),
    Operation(
        "rds", "DescribeDBClusterSnapshotAttributes", "rds:DescribeDBClusterSnapshotAttributes"
    ),
)
"""Every (service, operation) :func:`collect` may call; all read-only."""

INSTANCE_TYPE = "AWS::RDS::DBInstance"
CLUSTER_TYPE = "AWS::RDS::DBCluster"
SNAPSHOT_TYPE = "AWS::RDS::DBSnapshot"
CLUSTER_SNAPSHOT_TYPE = "AWS::RDS::DBClusterSnapshot"


def _database(attributes: Mapping[str, Any]) -> Exposure:
    return evaluate_database(DatabaseState.from_dict(attributes))


KINDS: dict[str, tuple[str, Callable[[Mapping[str, Any]], Exposure]]] = {
    "database.instance": (INSTANCE_TYPE, _database),
    "database.cluster": (CLUSTER_TYPE, _database),
    "snapshot.database": (SNAPSHOT_TYPE, share_exposure),
    "snapshot.database_cluster": (CLUSTER_SNAPSHOT_TYPE, share_exposure),
}

_PAGE = {"MaxRecords": 100}
_GONE = {
    "DescribeDBSnapshotAttributes": frozenset({"DBSnapshotNotFound", "DBSnapshotNotFoundFault"}),
    "DescribeDBClusterSnapshotAttributes": frozenset(
        {"DBClusterSnapshotNotFoundFault", "DBClusterSnapshotNotFound"}
    ),
}


def collect(
    ctx: Context,
    clients: AwsClients,
    account: str,
    region: str,
    network: Ec2Network | None = None,
) -> Iterator[Resource]:
    """Instances, clusters, then DB snapshots and cluster snapshots of one (account, region)."""
    net = network or Ec2Network(clients, account, region)
    errors: list[CollectError] = []

    def run() -> Region:  # one per stream: a Region's stream cannot be reused
        return Region(ctx, clients, account, region, service="rds", kinds=KINDS, gone=_GONE)

    db = run()
    each = partial(_identified, "DBClusterIdentifier")
    listing = db.listing("DescribeDBClusters", "DBClusters", "Marker", "Marker", each, **_PAGE)
    clusters = list(tolerant(errors, listing))
    clustered = {c["DBClusterIdentifier"] for c in clusters}
    members: dict[str, dict[str, Any]] = {}
    each = partial(_identified, "DBInstanceIdentifier")
    listing = db.listing("DescribeDBInstances", "DBInstances", "Marker", "Marker", each, **_PAGE)
    for doc in tolerant(errors, listing):
        if doc.get("DBClusterIdentifier") in clustered:
            members[doc["DBInstanceIdentifier"]] = doc
        else:
            yield from item(errors, "rds", "DescribeDBInstances", _instance, db, net, doc)
    lost = next((e for e in errors if e.operation == "DescribeDBInstances"), None)
    for doc in clusters:
        yield from item(errors, "rds", "DescribeDBClusters", _cluster, db, net, doc, members, lost)
    for k in (_DB_SNAPSHOTS, _CLUSTER_SNAPSHOTS):
        snaps = run()
        each = partial(_identified, k.ident)
        listing = snaps.listing(
            k.listing, k.key, "Marker", "Marker", each, SnapshotType="manual", **_PAGE
        )
        own = (d for d in tolerant(errors, listing) if _account_of(d.get(k.arn)) in ("", account))
        yield from snaps.stream(own, partial(item, errors, "rds", k.listing, _snapshot, snaps, k))
    raise_first(errors)


def _identified(field: str, entry: Any) -> dict[str, Any]:
    """A listing entry that carries its identifier (a malformed one fails the page)."""
    if not isinstance(entry[field], str) or not entry[field]:
        raise TypeError(f"{field} is not text")
    return dict(entry)


def _account_of(arn: Any) -> str:
    parts = str(arn or "").split(":")
    return parts[4] if len(parts) > 5 else ""


def endpoint_port(doc: Mapping[str, Any]) -> int | Unknown:
    """The port from ``Endpoint.Port`` (instances), ``Port`` (clusters) or ``DbInstancePort``;
    Unknown while the endpoint does not exist yet (e.g. status ``creating``)."""
    endpoint = doc.get("Endpoint")
    for value in (
        endpoint.get("Port") if isinstance(endpoint, Mapping) else None,
        doc.get("Port"),
        doc.get("DbInstancePort"),
    ):
        if isinstance(value, int) and value > 0:
            return value
    status = doc.get("DBInstanceStatus") or doc.get("Status") or "unknown"
    return Unknown(f"the answer gives no endpoint port yet (status {status})")


def subnets_of(doc: Mapping[str, Any]) -> tuple[str, list[str]]:
    """(VPC id, subnet ids) of a DB instance's ``DBSubnetGroup``."""
    group = doc.get("DBSubnetGroup")
    if not isinstance(group, Mapping):
        return "", []
    subnets = [str(s["SubnetIdentifier"]) for s in group.get("Subnets") or ()]
    return str(group.get("VpcId") or ""), subnets


def _instance(run: Region, net: Ec2Network, doc: dict[str, Any]) -> Resource:
    ident = doc["DBInstanceIdentifier"]
    reads = run.reads(str(doc.get("DBInstanceArn") or run.arn("rds", f"db:{ident}")))
    reads.keep("DescribeDBInstances", doc)
    public = bool(doc.get("PubliclyAccessible"))
    state = DatabaseState(
        kind="rds-instance",
        identifier=ident,
        port=endpoint_port(doc),
        publicly_accessible=public,
        security_groups=net.security_groups(group_ids(doc.get("VpcSecurityGroups")), reads),
        engine=str(doc.get("Engine") or ""),
        account=run.account,
        region=run.region,
        internet_route=net.internet_route(*subnets_of(doc), reads) if public else None,
    )
    return named(run, reads, "database.instance", ident, state, doc)


def _cluster(
    run: Region,
    net: Ec2Network,
    doc: dict[str, Any],
    members: Mapping[str, dict[str, Any]],
    lost: CollectError | None,
) -> Resource:
    """An Aurora cluster is reachable through its instances: each member's flag counts, and
    the subnets of the members decide the route. A Multi-AZ DB cluster has its own flag."""
    ident = doc["DBClusterIdentifier"]
    reads = run.reads(str(doc.get("DBClusterArn") or run.arn("rds", f"cluster:{ident}")))
    reads.keep("DescribeDBClusters", doc)
    engine = str(doc.get("Engine") or "")
    flag = not engine.startswith("aurora") and bool(doc.get("PubliclyAccessible"))
    flags: list[tuple[str, bool | Unknown]] = []
    vpc, subnets, kept = "", [], {}
    for member in doc.get("DBClusterMembers") or ():
        mid = str(member["DBInstanceIdentifier"])
        inst = members.get(mid)
        if inst is None:
            why = f"member {mid} is not in the answer"
            missing = lost or error("rds", "DescribeDBInstances", "DBInstanceNotFound", why)
            flags.append((mid, reads.fail(missing)))
            continue
        kept[mid] = inst
        flags.append((mid, bool(inst.get("PubliclyAccessible"))))
        member_vpc, member_subnets = subnets_of(inst)
        vpc = vpc or member_vpc
        subnets += [s for s in member_subnets if s not in subnets]
    if kept:
        reads.keep("DescribeDBInstances", kept)
    exposed = flag or any(f is True for _, f in flags)
    state = DatabaseState(
        kind="aurora-cluster",
        identifier=ident,
        port=endpoint_port(doc),
        publicly_accessible=flag,
        security_groups=net.security_groups(group_ids(doc.get("VpcSecurityGroups")), reads),
        engine=engine,
        account=run.account,
        region=run.region,
        members=tuple(flags),
        internet_route=net.internet_route(vpc, subnets, reads) if exposed else None,
    )
    return named(run, reads, "database.cluster", ident, state, doc)


@dataclass(frozen=True)
class _Snapshots:
    """What differs between DB snapshots and DB cluster snapshots."""

    kind: str  # SharedCopyState.kind
    canonical: str
    listing: str
    key: str  # the list in the listing answer
    ident: str  # the identifier field, also the attribute request's parameter
    arn: str
    operation: str
    result: str  # DescribeDB(Cluster)SnapshotAttributesResult
    attributes: str
    encrypted: str


_DB_SNAPSHOTS = _Snapshots(
    kind="rds-snapshot",
    canonical="snapshot.database",
    listing="DescribeDBSnapshots",
    key="DBSnapshots",
    ident="DBSnapshotIdentifier",
    arn="DBSnapshotArn",
    operation="DescribeDBSnapshotAttributes",
    result="DBSnapshotAttributesResult",
    attributes="DBSnapshotAttributes",
    encrypted="Encrypted",
)
_CLUSTER_SNAPSHOTS = _Snapshots(
    kind="rds-cluster-snapshot",
    canonical="snapshot.database_cluster",
    listing="DescribeDBClusterSnapshots",
    key="DBClusterSnapshots",
    ident="DBClusterSnapshotIdentifier",
    arn="DBClusterSnapshotArn",
    operation="DescribeDBClusterSnapshotAttributes",
    result="DBClusterSnapshotAttributesResult",
    attributes="DBClusterSnapshotAttributes",
    encrypted="StorageEncrypted",
)


def restore_values(answer: Mapping[str, Any], result: str, attributes: str) -> list[str]:
    """The ``restore`` attribute's values (``all`` or account ids) from
    DescribeDBSnapshotAttributes / DescribeDBClusterSnapshotAttributes; none when absent."""
    for attribute in answer[result].get(attributes) or ():
        if attribute.get("AttributeName") == "restore":
            return [str(v) for v in attribute.get("AttributeValues") or ()]
    return []


def _snapshot(run: Region, k: _Snapshots, doc: dict[str, Any]) -> list[Resource]:
    ident = doc[k.ident]
    arn_type = "snapshot" if k is _DB_SNAPSHOTS else "cluster-snapshot"
    reads = run.reads(str(doc.get(k.arn) or run.arn("rds", f"{arn_type}:{ident}")))
    reads.keep(k.listing, doc)
    parse: Callable[[dict[str, Any]], list[str]]
    parse = partial(restore_values, result=k.result, attributes=k.attributes)
    ask: dict[str, Any] = {k.ident: ident}
    values = reads.read(k.operation, parse, **ask)
    encrypted = bool(doc.get(k.encrypted))
    if isinstance(values, Unknown):
        state = SharedCopyState(k.kind, ident, values, values, encrypted=encrypted)
    else:
        state = SharedCopyState.from_restore_attribute(k.kind, ident, values, encrypted=encrypted)
    state = replace(state, account=run.account, region=run.region)
    return [named(run, reads, k.canonical, ident, state, doc)]
