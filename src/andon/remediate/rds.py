"""Database actions: RDS instances (and Aurora cluster members) and Redshift clusters made not
publicly accessible; RDS DB and cluster snapshots no longer restorable by ``all``.

``PubliclyAccessible`` false removes the public DNS answer: clients outside the VPC (a
developer's laptop, a SaaS tool on the internet) lose their connection. RDS applies it at once
(``ApplyImmediately``); the instance stays up. Removing ``all`` from a snapshot's ``restore``
attribute keeps every account it is shared with by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from andon.collect.aws.transport import AwsClients
from andon.core.model import Finding, Resource
from andon.exposure.aws_models import DatabaseState, SharedCopyState
from andon.exposure.s3_model import Unknown
from andon.remediate.model import (
    Action,
    CannotPlan,
    Config,
    PlanContext,
    Proposal,
    Target,
    base_target,
    call,
    read_or_gone,
)

_NO_DB = frozenset({"DBInstanceNotFound", "DBInstanceNotFoundFault"})
_NO_CLUSTER = frozenset({"ClusterNotFound", "ClusterNotFoundFault"})
_NO_SNAPSHOT = frozenset({"DBSnapshotNotFound", "DBSnapshotNotFoundFault"})
_NO_CLUSTER_SNAPSHOT = frozenset({"DBClusterSnapshotNotFoundFault", "DBClusterSnapshotNotFound"})


def _flag(value: Any) -> bool:
    if isinstance(value, Unknown):
        raise CannotPlan(f"PubliclyAccessible could not be read ({value.reason})")
    return bool(value)


# -- RDS instances -------------------------------------------------------------------------


def _instance_offline(resource: Resource, t: Target) -> Config:
    db = DatabaseState.from_dict(resource.attributes)
    if db.kind == "aurora-cluster":
        members = dict(db.members)
        return {"publicly_accessible": _flag(members.get(str(t["db_instance"]), False))}
    return {"publicly_accessible": _flag(db.publicly_accessible)}


def _instance_read(clients: AwsClients, t: Target) -> Config:
    answer = read_or_gone(
        clients, t, "rds", "DescribeDBInstances", _NO_DB, DBInstanceIdentifier=t["db_instance"]
    )
    assert answer is not None
    found = answer.get("DBInstances") or []
    if not found:
        from andon.remediate.model import Gone

        raise Gone(str(t["uid"]))
    return {"publicly_accessible": bool(found[0].get("PubliclyAccessible"))}


def _instance_write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    if current != desired:
        call(
            clients,
            t,
            "rds",
            "ModifyDBInstance",
            DBInstanceIdentifier=t["db_instance"],
            PubliclyAccessible=bool(desired["publicly_accessible"]),
            ApplyImmediately=True,
        )


RDS_PRIVATE = Action(
    id="rds.instance.not_publicly_accessible",
    title="set the DB instance's PubliclyAccessible to false",
    offline=_instance_offline,
    read=_instance_read,
    transform=lambda before, t, p: {"publicly_accessible": False},
    write=_instance_write,
)


# -- Redshift --------------------------------------------------------------------------------


def _redshift_read(clients: AwsClients, t: Target) -> Config:
    answer = read_or_gone(
        clients, t, "redshift", "DescribeClusters", _NO_CLUSTER, ClusterIdentifier=t["cluster"]
    )
    assert answer is not None
    clusters = answer.get("Clusters") or []
    if not clusters:
        from andon.remediate.model import Gone

        raise Gone(str(t["uid"]))
    return {"publicly_accessible": bool(clusters[0].get("PubliclyAccessible"))}


def _redshift_write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    if current != desired:
        call(
            clients,
            t,
            "redshift",
            "ModifyCluster",
            ClusterIdentifier=t["cluster"],
            PubliclyAccessible=bool(desired["publicly_accessible"]),
        )


REDSHIFT_PRIVATE = Action(
    id="redshift.cluster.not_publicly_accessible",
    title="set the Redshift cluster's PubliclyAccessible to false",
    offline=lambda r, t: {
        "publicly_accessible": _flag(DatabaseState.from_dict(r.attributes).publicly_accessible)
    },
    read=_redshift_read,
    transform=lambda before, t, p: {"publicly_accessible": False},
    write=_redshift_write,
)


# -- snapshots ---------------------------------------------------------------------------------

_SNAP_API: Mapping[str, tuple[str, str, str, str, frozenset[str]]] = {
    # kind: (describe, modify, identifier parameter, result field, gone codes)
    "rds-snapshot": (
        "DescribeDBSnapshotAttributes",
        "ModifyDBSnapshotAttribute",
        "DBSnapshotIdentifier",
        "DBSnapshotAttributesResult",
        _NO_SNAPSHOT,
    ),
    "rds-cluster-snapshot": (
        "DescribeDBClusterSnapshotAttributes",
        "ModifyDBClusterSnapshotAttribute",
        "DBClusterSnapshotIdentifier",
        "DBClusterSnapshotAttributesResult",
        _NO_CLUSTER_SNAPSHOT,
    ),
}


def _snapshot_read(clients: AwsClients, t: Target) -> Config:
    describe, _modify, param, result, gone = _SNAP_API[str(t["snapshot_kind"])]
    answer = read_or_gone(clients, t, "rds", describe, gone, **{param: t["snapshot"]})
    assert answer is not None
    attributes = answer[result].get(result.replace("Result", "")) or []
    values: list[str] = []
    for attribute in attributes:
        if attribute.get("AttributeName") == "restore":
            values = [str(v) for v in attribute.get("AttributeValues") or ()]
    return {"public": "all" in values}


def _snapshot_write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    if current == desired:
        return
    _describe, modify, param, _result, _gone = _SNAP_API[str(t["snapshot_kind"])]
    change = "ValuesToAdd" if desired["public"] else "ValuesToRemove"
    call(
        clients,
        t,
        "rds",
        modify,
        AttributeName="restore",
        **{param: t["snapshot"], change: ["all"]},
    )


def _snapshot_offline(resource: Resource, t: Target) -> Config:
    copy = SharedCopyState.from_dict(resource.attributes)
    if isinstance(copy.public, Unknown):
        raise CannotPlan(
            f"the snapshot's restore attribute could not be read ({copy.public.reason})"
        )
    return {"public": bool(copy.public)}


RDS_SNAPSHOT_PRIVATE = Action(
    id="rds.snapshot.remove_public_restore",
    title="remove `all` from the snapshot's restore attribute",
    offline=_snapshot_offline,
    read=_snapshot_read,
    transform=lambda before, t, p: {"public": False},
    write=_snapshot_write,
)

ACTIONS = (RDS_PRIVATE, REDSHIFT_PRIVATE, RDS_SNAPSHOT_PRIVATE)


def propose(finding: Finding, resource: Resource, ctx: PlanContext) -> list[Proposal]:
    """PubliclyAccessible false for a database, ``all`` removed for a snapshot."""
    kind = resource.kind
    if kind in ("snapshot.database", "snapshot.database_cluster"):
        copy = SharedCopyState.from_dict(resource.attributes)
        target = base_target(resource, snapshot=copy.identifier, snapshot_kind=copy.kind)
        note = "accounts the snapshot is shared with by id keep their access"
        return [Proposal(RDS_SNAPSHOT_PRIVATE.id, target, {}, (note,), "no public restore")]
    db = DatabaseState.from_dict(resource.attributes)
    note = (
        "clients outside the VPC (over the internet) lose their connection; the database "
        "keeps running and clients inside the VPC are not affected"
    )
    if db.kind.startswith("redshift"):
        if db.kind != "redshift-cluster":
            raise CannotPlan(f"no automatic fix for {db.kind} (change it in the console)")
        target = base_target(resource, cluster=db.identifier)
        return [Proposal(REDSHIFT_PRIVATE.id, target, {}, (note,), "not publicly accessible")]
    if db.kind == "aurora-cluster":
        members = [i for i, v in db.members if v is True or isinstance(v, Unknown)]
        if not members:
            raise CannotPlan("no member instance of the cluster is publicly accessible")
        return [
            Proposal(
                RDS_PRIVATE.id,
                base_target(resource, db_instance=m),
                {},
                (note, f"cluster member {m}"),
                "not publicly accessible",
            )
            for m in members
        ]
    target = base_target(resource, db_instance=db.identifier)
    return [Proposal(RDS_PRIVATE.id, target, {}, (note,), "not publicly accessible")]
