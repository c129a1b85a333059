"""EC2 actions: EBS snapshots and AMIs no longer shared with ``all``; security groups no longer
open to the world on data ports.

A security group rule admitting the world (``0.0.0.0/0``, ``::/0`` or a range broader than
/8) is narrowed to what is not a data port: a rule ``tcp 0-65535 from 0.0.0.0/0`` becomes
``tcp 0-3305`` and ``tcp 3307-65535`` when 3306 is the exposed data port, so a web server on
the same group keeps port 443. Rules from other sources (VPC ranges, other groups) are never
touched. A security group may be shared by other instances: they change the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from andon.collect.aws.transport import AwsClients
from andon.core.model import Finding, Resource
from andon.exposure.aws_models import InstanceState, SecurityGroup, SharedCopyState
from andon.exposure.network import DATA_PORTS, classify_cidr
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

_NO_SNAPSHOT = frozenset({"InvalidSnapshot.NotFound"})
_NO_IMAGE = frozenset({"InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"})
_NO_GROUP = frozenset({"InvalidGroup.NotFound", "InvalidGroupId.NotFound"})

# -- snapshots and AMIs --------------------------------------------------------------------

_SHARE_API: Mapping[str, tuple[str, str, str, str, str, frozenset[str]]] = {
    # kind: (describe, modify, id parameter, attribute, answer field, gone codes)
    "ebs-snapshot": (
        "DescribeSnapshotAttribute",
        "ModifySnapshotAttribute",
        "SnapshotId",
        "createVolumePermission",
        "CreateVolumePermissions",
        _NO_SNAPSHOT,
    ),
    "ami": (
        "DescribeImageAttribute",
        "ModifyImageAttribute",
        "ImageId",
        "launchPermission",
        "LaunchPermissions",
        _NO_IMAGE,
    ),
}


def _share_read(clients: AwsClients, t: Target) -> Config:
    describe, _m, param, attribute, field, gone = _SHARE_API[str(t["share_kind"])]
    answer = read_or_gone(
        clients, t, "ec2", describe, gone, Attribute=attribute, **{param: t["identifier"]}
    )
    assert answer is not None
    return {"public": any(p.get("Group") == "all" for p in answer.get(field) or [])}


def _share_write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    if current == desired:
        return
    kind = str(t["share_kind"])
    op = "Add" if desired["public"] else "Remove"
    if kind == "ami":
        call(
            clients,
            t,
            "ec2",
            "ModifyImageAttribute",
            ImageId=t["identifier"],
            LaunchPermission={op: [{"Group": "all"}]},
        )
    else:
        call(
            clients,
            t,
            "ec2",
            "ModifySnapshotAttribute",
            SnapshotId=t["identifier"],
            Attribute="createVolumePermission",
            OperationType=op.lower(),
            GroupNames=["all"],
        )


def _share_offline(resource: Resource, t: Target) -> Config:
    copy = SharedCopyState.from_dict(resource.attributes)
    if isinstance(copy.public, Unknown):
        raise CannotPlan(f"the sharing permissions could not be read ({copy.public.reason})")
    return {"public": bool(copy.public)}


UNSHARE_PUBLIC = Action(
    id="ec2.share.remove_public",
    title="remove the public (`all`) create-volume / launch permission",
    offline=_share_offline,
    read=_share_read,
    transform=lambda before, t, p: {"public": False},
    write=_share_write,
)


# -- security groups -----------------------------------------------------------------------

Rule = tuple[str, int | None, int | None, str]  # protocol, from, to, CIDR


def _world(cidr: str) -> bool:
    return classify_cidr(cidr)[0] in ("world", "broad")


def _rules_of(perms: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    out: set[Rule] = set()
    for p in perms:
        proto = str(p.get("IpProtocol", "-1"))
        lo, hi = p.get("FromPort"), p.get("ToPort")
        if proto in ("-1", "all"):
            lo = hi = None
        cidrs = [r["CidrIp"] for r in p.get("IpRanges", ())]
        cidrs += [r["CidrIpv6"] for r in p.get("Ipv6Ranges", ())]
        for c in cidrs:
            if _world(c):
                out.add((proto, lo, hi, c))
    return _sorted(out)


def _sorted(rules: Iterable[Rule]) -> list[list[Any]]:
    return [list(r) for r in sorted(set(rules), key=lambda r: (r[3], r[0], r[1] or -2, r[2] or -2))]


def _group_offline(resource: Resource, t: Target) -> Config:
    groups = InstanceState.from_dict(resource.attributes).security_groups
    if isinstance(groups, Unknown):
        raise CannotPlan(f"the security groups could not be read ({groups.reason})")
    for g in groups:
        if g.group_id == t["group_id"]:
            return {"world": _sg_world(g)}
    raise CannotPlan(f"security group {t['group_id']} is not in the snapshot")


def _sg_world(group: SecurityGroup) -> list[list[Any]]:
    if isinstance(group.ingress, Unknown):
        raise CannotPlan(
            f"the rules of {group.group_id} could not be read ({group.ingress.reason})"
        )
    out: set[Rule] = set()
    for r in group.ingress:
        lo, hi = (None, None) if r.protocol in ("-1", "all") else (r.from_port, r.to_port)
        for c in (*r.ipv4, *r.ipv6):
            if _world(c):
                out.add((r.protocol, lo, hi, c))
    return _sorted(out)


def _group_read(clients: AwsClients, t: Target) -> Config:
    answer = read_or_gone(
        clients, t, "ec2", "DescribeSecurityGroups", _NO_GROUP, GroupIds=[t["group_id"]]
    )
    assert answer is not None
    groups = answer.get("SecurityGroups") or []
    if not groups:
        from andon.remediate.model import Gone

        raise Gone(str(t["uid"]))
    return {"world": _rules_of(groups[0].get("IpPermissions") or [])}


def _split(lo: int, hi: int, ports: list[int]) -> list[tuple[int, int]]:
    """``lo-hi`` without ``ports``."""
    out: list[tuple[int, int]] = []
    start = lo
    for port in sorted(p for p in ports if lo <= p <= hi):
        if port > start:
            out.append((start, port - 1))
        start = port + 1
    if start <= hi:
        out.append((start, hi))
    return out


def _covers(rule: Rule, ports: list[int]) -> bool:
    proto, lo, hi, _c = rule
    if proto in ("-1", "all"):
        return True
    if proto not in ("tcp", "6"):
        return False
    lo, hi = (0, 65535) if lo is None or hi is None or lo == -1 else (lo, hi)
    return any(lo <= p <= hi for p in ports)


def _group_transform(before: Config, t: Target, p: Mapping[str, Any]) -> Config:
    ports = [int(x) for x in p.get("ports", sorted(DATA_PORTS))]
    out: set[Rule] = set()
    for raw in before["world"]:
        rule: Rule = (str(raw[0]), raw[1], raw[2], str(raw[3]))
        if not _covers(rule, ports):
            out.add(rule)
            continue
        proto, lo, hi, cidr = rule
        if proto in ("-1", "all"):
            icmp = "icmpv6" if ":" in cidr else "icmp"
            out.add(("udp", 0, 65535, cidr))
            out.add((icmp, -1, -1, cidr))
            lo, hi = 0, 65535
        lo, hi = (0, 65535) if lo is None or hi is None or lo == -1 else (lo, hi)
        for a, b in _split(lo, hi, ports):
            out.add(("tcp", a, b, cidr))
    return {"world": _sorted(out)}


def _perm(rule: list[Any]) -> dict[str, Any]:
    proto, lo, hi, cidr = rule
    perm: dict[str, Any] = {"IpProtocol": proto}
    if lo is not None:
        perm["FromPort"] = lo
        perm["ToPort"] = hi
    if ":" in cidr:
        perm["Ipv6Ranges"] = [{"CidrIpv6": cidr}]
    else:
        perm["IpRanges"] = [{"CidrIp": cidr}]
    return perm


def _group_write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    have = {tuple(r) for r in current["world"]}
    want = {tuple(r) for r in desired["world"]}
    gone = [list(r) for r in have - want]
    new = [list(r) for r in want - have]
    if gone:
        call(
            clients,
            t,
            "ec2",
            "RevokeSecurityGroupIngress",
            GroupId=t["group_id"],
            IpPermissions=[_perm(r) for r in _sorted(tuple(r) for r in gone)],  # type: ignore[misc]
        )
    if new:
        call(
            clients,
            t,
            "ec2",
            "AuthorizeSecurityGroupIngress",
            GroupId=t["group_id"],
            IpPermissions=[_perm(r) for r in _sorted(tuple(r) for r in new)],  # type: ignore[misc]
        )


CLOSE_DATA_PORTS = Action(
    id="ec2.security_group.close_data_ports",
    title="revoke the world-open ingress on the data ports only",
    offline=_group_offline,
    read=_group_read,
    transform=_group_transform,
    write=_group_write,
)

ACTIONS = (UNSHARE_PUBLIC, CLOSE_DATA_PORTS)


def propose(finding: Finding, resource: Resource, ctx: PlanContext) -> list[Proposal]:
    """Unshare a public snapshot or AMI; close the world-open data ports of an instance."""
    if resource.kind in ("snapshot.volume", "image.machine"):
        copy = SharedCopyState.from_dict(resource.attributes)
        target = base_target(resource, identifier=copy.identifier, share_kind=copy.kind)
        notes = ("accounts it is shared with by id or organization keep their access",)
        return [Proposal(UNSHARE_PUBLIC.id, target, {}, notes, "not public")]
    inst = InstanceState.from_dict(resource.attributes)
    if isinstance(inst.security_groups, Unknown):
        raise CannotPlan(f"the security groups could not be read ({inst.security_groups.reason})")
    ports = sorted(DATA_PORTS)
    out = []
    for group in inst.security_groups:
        world = _sg_world(group)
        hit = [r for r in world if _covers((str(r[0]), r[1], r[2], str(r[3])), ports)]
        if not hit:
            continue
        open_ports = sorted(
            p for r in hit for p in ports if _covers((str(r[0]), r[1], r[2], str(r[3])), [p])
        )
        shown = ", ".join(str(p) for p in open_ports[:8]) + (" ..." if len(open_ports) > 8 else "")
        out.append(
            Proposal(
                CLOSE_DATA_PORTS.id,
                base_target(resource, group_id=group.group_id, instance=inst.instance_id),
                {"ports": open_ports},
                (
                    f"closes data ports {shown} to the world on {group.group_id}; the group's "
                    "other ports and every non-world source stay as they are",
                    "every instance or interface using this security group changes too",
                ),
                "data ports closed to the world",
            )
        )
    if not out:
        raise CannotPlan("no security group of the instance admits the world on a data port")
    return out
