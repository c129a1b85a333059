"""Targeted re-collection of EC2, RDS and Redshift resources, and of the network references
that stand for them (security groups, route tables, VPCs, network interfaces).

The handlers of :mod:`andon.collect.aws.targeted` for these services: each locates its
resource with the service's describe call filtered by identifier, then builds it with the
collector's own per-resource function (:mod:`.ec2`, :mod:`.rds`, :mod:`.redshift`) and one
:class:`~andon.collect.aws.ec2.Ec2Network` per region, shared by the run. An Aurora member
instance is re-read as its cluster, as a full scan folds it. Neither RDS nor Redshift filters
its listing by security group or VPC, so a network reference lists the region's databases and
keeps those it affects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from andon.collect.aws import ec2, rds, redshift
from andon.collect.aws._kit import Gone, Region
from andon.collect.aws.targeted import Handler, Run, arn_tail, locate, with_uid
from andon.core.errors import CollectError, EndpointError
from andon.core.model import Resource
from andon.watch.refs import NETWORK_INTERFACE, ROUTE_TABLE, SECURITY_GROUP, VPC, ResourceRef

# -- databases ----------------------------------------------------------------------------------

_NO_DB = ("DBInstanceNotFound", "DBInstanceNotFoundFault")
_NO_CLUSTER = ("DBClusterNotFoundFault", "DBClusterNotFound")


def _db_instance(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    ident = ref.uid.rsplit(":db:", 1)[-1]
    answer = locate(run, ref, "rds", "DescribeDBInstances", _NO_DB, DBInstanceIdentifier=ident)
    docs = [rds._identified("DBInstanceIdentifier", d) for d in answer.get("DBInstances") or []]
    if not docs:
        return []
    doc = docs[0]
    cluster = doc.get("DBClusterIdentifier")
    if cluster:  # a member is folded into its cluster, as in a full scan
        uid = ref.uid.rsplit(":db:", 1)[0] + f":cluster:{cluster}"
        return _db_cluster(run, with_uid(ref, uid), fallback=doc)
    return [rds._instance(run.region(ref, "rds", rds), run.net(ref.region), doc)]


def _db_cluster(
    run: Run, ref: ResourceRef, fallback: dict[str, Any] | None = None
) -> list[Resource]:
    run.check_account(ref)
    ident = ref.uid.rsplit(":cluster:", 1)[-1]
    try:
        answer = locate(
            run, ref, "rds", "DescribeDBClusters", _NO_CLUSTER, DBClusterIdentifier=ident
        )
    except Gone:
        if fallback is None:
            raise
        region = run.region(ref, "rds", rds)  # the cluster is unlisted: the member stands alone
        return [rds._instance(region, run.net(ref.region), fallback)]
    clusters = [rds._identified("DBClusterIdentifier", d) for d in answer.get("DBClusters") or []]
    if not clusters:
        return []
    doc = clusters[0]
    lost: CollectError | None = None
    members: dict[str, dict[str, Any]] = {}
    try:
        listed = run.call(
            ref,
            "rds",
            "DescribeDBInstances",
            Filters=[{"Name": "db-cluster-id", "Values": [str(doc["DBClusterIdentifier"])]}],
        )
        for inst in listed.get("DBInstances") or []:
            members[str(inst["DBInstanceIdentifier"])] = dict(inst)
    except EndpointError:
        raise
    except CollectError as exc:
        lost = exc
    region = run.region(ref, "rds", rds)
    return [rds._cluster(region, run.net(ref.region), doc, members, lost)]


def _db_snapshot(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    cluster = ref.kind == "snapshot.database_cluster"
    k = rds._CLUSTER_SNAPSHOTS if cluster else rds._DB_SNAPSHOTS
    marker = ":cluster-snapshot:" if cluster else ":snapshot:"
    ident = ref.uid.rsplit(marker, 1)[-1]
    gone = (
        ("DBClusterSnapshotNotFoundFault", "DBClusterSnapshotNotFound")
        if cluster
        else ("DBSnapshotNotFound", "DBSnapshotNotFoundFault")
    )
    ask: dict[str, Any] = {k.ident: ident}
    answer = locate(run, ref, "rds", k.listing, gone, **ask)
    docs = [rds._identified(k.ident, d) for d in answer.get(k.key) or []]
    docs = [
        d
        for d in docs
        if d.get("SnapshotType", "manual") == "manual"
        and rds._account_of(d.get(k.arn)) in ("", run.account)
    ]
    if not docs:
        return []
    return rds._snapshot(run.region(ref, "rds", rds), k, docs[0])


def _warehouse(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    ident = ref.uid.rsplit(":cluster:", 1)[-1]
    answer = locate(
        run,
        ref,
        "redshift",
        "DescribeClusters",
        ("ClusterNotFound", "ClusterNotFoundFault"),
        ClusterIdentifier=ident,
    )
    docs = [redshift._identified(d) for d in answer.get("Clusters") or []]
    return _redshift_clusters(run, ref, docs)


def _redshift_clusters(run: Run, ref: ResourceRef, docs: list[dict[str, Any]]) -> list[Resource]:
    if not docs:
        return []
    region = run.region(ref, "redshift", redshift)
    groups = ec2.Once(
        partial(
            ec2.guarded,
            "redshift",
            "DescribeClusterSubnetGroups",
            partial(redshift._subnet_groups, region),
        )
    )
    net = run.net(ref.region)
    return [redshift._cluster(region, net, groups, doc) for doc in docs]


# -- EC2 ----------------------------------------------------------------------------------------


def _ec2_region(run: Run, ref: ResourceRef) -> Region:
    return Region(
        run.ctx,
        run.clients,
        run.account,
        ref.region,
        service="ec2",
        kinds=ec2.KINDS,
        gone=ec2._GONE,
    )


def _instances_where(
    run: Run,
    ref: ResourceRef,
    keep: Callable[[Mapping[str, Any]], bool] | None = None,
    **ask: Any,
) -> list[Resource]:
    """The instances DescribeInstances gives for ``ask`` (all of the region when empty) that
    ``keep`` selects. Groups and VPCs are matched here rather than with the
    ``instance.group-id`` filter, which moto 5.2 answers with an HTTP 500."""
    region = _ec2_region(run, ref)
    docs: list[dict[str, Any]] = []
    pages = run.clients.pages(
        run.clients.client("ec2", ref.region), "DescribeInstances", "NextToken", "NextToken", **ask
    )
    for page in pages:
        for reservation in page.get("Reservations") or []:
            docs.extend(d for d in ec2._instances(reservation) if keep is None or keep(d))
    net = run.net(ref.region)
    return [ec2._instance(region, net, doc) for doc in docs]


def _instance_groups(doc: Mapping[str, Any]) -> list[str]:
    return ec2.instance_addresses(doc)[2]


def _instance_vpcs(doc: Mapping[str, Any]) -> set[str]:
    enis = [e for e in doc.get("NetworkInterfaces") or () if isinstance(e, Mapping)]
    return {str(v) for v in (doc.get("VpcId"), *(e.get("VpcId") for e in enis)) if v}


def _instance(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    iid = arn_tail(ref.uid)
    try:
        return _instances_where(run, ref, InstanceIds=[iid])
    except EndpointError:
        raise
    except CollectError as exc:
        if exc.code in ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"):
            return []
        raise


def _copy(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    image = ref.kind == "image.machine"
    k = ec2._IMAGES if image else ec2._SNAPSHOTS
    ident = arn_tail(ref.uid)
    gone = (
        ("InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidAMIID.Malformed")
        if image
        else ("InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed")
    )
    ask: dict[str, Any] = {"ImageIds": [ident]} if image else {"SnapshotIds": [ident]}
    answer = locate(run, ref, "ec2", k.listing, gone, **ask)
    copies = ec2._Copies(_ec2_region(run, ref), k)
    out: list[Resource] = []
    for doc in answer.get(k.key) or []:
        if copies.mine(doc):
            out.extend(copies.copy(dict(doc)))
    return out


def _uses_group(doc: Mapping[str, Any], group: str) -> bool:
    return group in ec2.group_ids(doc.get("VpcSecurityGroups"))


def _databases(
    run: Run, ref: ResourceRef, keep: Callable[[Mapping[str, Any]], bool]
) -> list[Resource]:
    """RDS instances and clusters and Redshift clusters of ``ref``'s region that ``keep``
    selects (a region-wide listing of each: neither API filters by group or VPC)."""
    out: list[Resource] = []
    listed = run.clients.pages(
        run.clients.client("rds", ref.region), "DescribeDBInstances", "Marker", "Marker"
    )
    for page in listed:
        for doc in page.get("DBInstances") or []:
            if keep(doc):
                uid = str(doc.get("DBInstanceArn") or "")
                if uid:
                    out += _db_instance(run, _rds_ref(ref, "database.instance", uid))
    listed = run.clients.pages(
        run.clients.client("rds", ref.region), "DescribeDBClusters", "Marker", "Marker"
    )
    for page in listed:
        for doc in page.get("DBClusters") or []:
            if keep(doc):
                uid = str(doc.get("DBClusterArn") or "")
                if uid:
                    out += _db_cluster(run, _rds_ref(ref, "database.cluster", uid))
    listed = run.clients.pages(
        run.clients.client("redshift", ref.region), "DescribeClusters", "Marker", "Marker"
    )
    docs = [
        redshift._identified(d) for page in listed for d in page.get("Clusters") or [] if keep(d)
    ]
    out += _redshift_clusters(run, ref, docs)
    return out


def _rds_ref(ref: ResourceRef, kind: str, uid: str) -> ResourceRef:
    return ResourceRef(ref.account, ref.region, "rds", kind, uid)


def _security_group(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    group = arn_tail(ref.uid)
    out = _instances_where(run, ref, lambda doc: group in _instance_groups(doc))
    out += _databases(run, ref, lambda doc: _uses_group(doc, group))
    return out


def _in_vpc(doc: Mapping[str, Any], vpc: str) -> bool:
    subnet_group = doc.get("DBSubnetGroup")
    if isinstance(subnet_group, Mapping) and subnet_group.get("VpcId") == vpc:
        return True
    return doc.get("VpcId") == vpc or "DBClusterMembers" in doc  # clusters: no VPC field


def _vpc(run: Run, ref: ResourceRef, vpc: str | None = None) -> list[Resource]:
    run.check_account(ref)
    vpc = vpc or arn_tail(ref.uid)
    out = _instances_where(run, ref, lambda doc: vpc in _instance_vpcs(doc))
    out += _databases(run, ref, lambda doc: _in_vpc(doc, vpc))
    return out


def _route_table(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    table = arn_tail(ref.uid)
    answer = locate(
        run,
        ref,
        "ec2",
        "DescribeRouteTables",
        ("InvalidRouteTableID.NotFound",),
        RouteTableIds=[table],
    )
    vpcs = {str(t.get("VpcId")) for t in answer.get("RouteTables") or [] if t.get("VpcId")}
    out: list[Resource] = []
    for vpc in sorted(vpcs):
        out += _vpc(run, ref, vpc)
    return out


def _interface(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    eni = arn_tail(ref.uid)
    answer = locate(
        run,
        ref,
        "ec2",
        "DescribeNetworkInterfaces",
        ("InvalidNetworkInterfaceID.NotFound",),
        NetworkInterfaceIds=[eni],
    )
    out: list[Resource] = []
    for doc in answer.get("NetworkInterfaces") or []:
        instance = str((doc.get("Attachment") or {}).get("InstanceId") or "")
        if instance:
            out += _instances_where(run, ref, InstanceIds=[instance])
    return out


HANDLERS: dict[str, Handler] = {
    "database.instance": _db_instance,
    "database.cluster": _db_cluster,
    "snapshot.database": _db_snapshot,
    "snapshot.database_cluster": _db_snapshot,
    "warehouse.cluster": _warehouse,
    "compute.instance": _instance,
    "snapshot.volume": _copy,
    "image.machine": _copy,
    SECURITY_GROUP: _security_group,
    ROUTE_TABLE: _route_table,
    VPC: _vpc,
    NETWORK_INTERFACE: _interface,
}
