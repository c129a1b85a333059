"""EC2: instances, EBS snapshots and AMIs, and the per-region network index that the RDS,
Redshift and EC2 collectors share.

:func:`collect` yields, for one (account, region):

1. ``compute.instance`` (``AWS::EC2::Instance``): :class:`InstanceState` - public IPv4, IPv6
   addresses, the security groups of the instance and of all its network interfaces, and (when
   it has a public address) whether its subnets route to an internet gateway;
2. ``snapshot.volume`` (``AWS::EC2::Snapshot``): the account's own EBS snapshots with their
   ``createVolumePermission`` (:class:`SharedCopyState`), one attribute call each;
3. ``image.machine`` (``AWS::EC2::Image``): the account's own AMIs with ``launchPermission``.

:class:`Ec2Network` is the shared part: the region's security groups (one paginated
DescribeSecurityGroups), the entries of the managed prefix lists their rules reference
(GetManagedPrefixListEntries, once per list) and the route tables (one paginated
DescribeRouteTables, read only when something is publicly addressable). Each is read lazily, at
most once, thread-safely. Build one per (account, region) and pass it as ``network=`` to
:func:`collect` here and in :mod:`.rds` and :mod:`.redshift`; each builds its own otherwise.

Failures follow :mod:`._kit`: a failed call is an ``Unknown`` in the field it feeds plus a gap
on the resource (a failed region-wide read such as DescribeSecurityGroups is a gap on every
resource that needed it); a resource deleted mid-scan is left out. A failed listing does not
stop the other listings of the run: everything readable is yielded, then the first listing
error is raised (an ``EndpointError`` at once).

Block public access for snapshots and AMIs is read once per region, only when a public snapshot
or AMI was found (it changes nothing otherwise). moto 5.x implements neither call: the field is
then ``Unknown`` with code ``NotImplemented``, and a gap on the snapshot, whose verdict it
decides (``block-all-sharing`` holds a public snapshot back). For AMIs the setting only stops new
public sharing (EC2 API Reference, EnableImageBlockPublicAccess), so an unreadable one is kept
as ``Unknown`` in the field without a gap: the verdict does not depend on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Generic, TypeVar

from andon.collect.aws._kit import PARSE_ERRORS, Reads, Region, malformed, tag_list
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.errors import CollectError, EndpointError
from andon.core.model import Exposure, Resource
from andon.exposure.aws_models import (
    IngressRule,
    InstanceState,
    PrefixList,
    SecurityGroup,
    SharedCopyState,
)
from andon.exposure.network import evaluate_instance
from andon.exposure.s3_model import Unknown
from andon.exposure.shares import evaluate_share

T = TypeVar("T")

NETWORK_OPERATIONS: tuple[Operation, ...] = (
    Operation("ec2", "DescribeSecurityGroups", "ec2:DescribeSecurityGroups"),
    Operation("ec2", "GetManagedPrefixListEntries", "ec2:GetManagedPrefixListEntries"),
    Operation("ec2", "DescribeRouteTables", "ec2:DescribeRouteTables"),
)
"""The calls :class:`Ec2Network` may make (part of the RDS and Redshift operations too)."""

OPERATIONS: tuple[Operation, ...] = (
    Operation("ec2", "DescribeInstances", "ec2:DescribeInstances"),
    *NETWORK_OPERATIONS,
    Operation("ec2", "DescribeSnapshots", "ec2:DescribeSnapshots"),
    Operation("ec2", "DescribeSnapshotAttribute", "ec2:DescribeSnapshotAttribute"),
    Operation("ec2", "GetSnapshotBlockPublicAccessState", "ec2:GetSnapshotBlockPublicAccessState"),
    Operation("ec2", "DescribeImages", "ec2:DescribeImages"),
    Operation("ec2", "DescribeImageAttribute", "ec2:DescribeImageAttribute"),
    Operation("ec2", "GetImageBlockPublicAccessState", "ec2:GetImageBlockPublicAccessState"),
)
"""Every (service, operation) :func:`collect` may call; all read-only."""


def _instance_exposure(attributes: Mapping[str, Any]) -> Exposure:
    return evaluate_instance(InstanceState.from_dict(attributes))


def share_exposure(attributes: Mapping[str, Any]) -> Exposure:
    """A shared copy's exposure (the owner's account trusted only)."""
    return evaluate_share(SharedCopyState.from_dict(attributes))


KINDS: dict[str, tuple[str, Callable[[Mapping[str, Any]], Exposure]]] = {
    "compute.instance": ("AWS::EC2::Instance", _instance_exposure),
    "snapshot.volume": ("AWS::EC2::Snapshot", share_exposure),
    "image.machine": ("AWS::EC2::Image", share_exposure),
}

_GONE = {
    "DescribeSnapshotAttribute": frozenset({"InvalidSnapshot.NotFound"}),
    "DescribeImageAttribute": frozenset({"InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"}),
}
_UNSUPPORTED_CODES = frozenset({"NotImplemented", "InvalidAction", "UnsupportedOperation"})


# -- small helpers, shared with rds.py and redshift.py -----------------------------------------


class Once(Generic[T]):
    """A value computed at most once (on first use), however many threads ask."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._value: tuple[T] | None = None

    def get(self) -> T:
        with self._lock:
            if self._value is None:
                self._value = (self._build(),)
            return self._value[0]


def guarded(service: str, operation: str, build: Callable[[], T]) -> T | CollectError:
    """``build()``, with an API failure or a malformed answer returned rather than raised (an
    :class:`EndpointError` still propagates: it ends the run)."""
    try:
        return build()
    except EndpointError:
        raise
    except CollectError as exc:
        return exc
    except PARSE_ERRORS as exc:
        return malformed(service, operation, exc)


def error(service: str, operation: str, code: str, why: str) -> CollectError:
    """A failure Andon finds itself (a referenced thing absent from an answer)."""
    text = f"{code} on {operation}: {why}"
    return CollectError(text, service=service, operation=operation, code=code)


def tolerant(errors: list[CollectError], items: Iterable[T]) -> Iterator[T]:
    """``items`` (a lazy listing) until it fails; the failure is appended to ``errors`` so the
    run's other listings go on. An :class:`EndpointError` propagates."""
    try:
        yield from items
    except EndpointError:
        raise
    except CollectError as exc:
        errors.append(exc)


def raise_first(errors: Sequence[CollectError]) -> None:
    """Raise the first listing error of a run (naming the others), if there is one."""
    if not errors:
        return
    first = errors[0]
    if len(errors) == 1:
        raise first
    also = "; ".join(str(e) for e in errors[1:])
    raise type(first)(
        f"{first}; also: {also}", service=first.service, operation=first.operation, code=first.code
    )


def item(
    errors: list[CollectError],
    service: str,
    operation: str,
    make: Callable[..., Resource | list[Resource]],
    *args: Any,
) -> list[Resource]:
    """``make(*args)``; an item of ``operation``'s answer too malformed to build is recorded
    as that listing's error and left out (workers may call this: ``list.append`` is atomic)."""
    try:
        made = make(*args)
    except PARSE_ERRORS as exc:
        errors.append(malformed(service, operation, exc))
        return []
    return made if isinstance(made, list) else [made]


def group_ids(items: Any, key: str = "VpcSecurityGroupId") -> list[str]:
    """Security group ids from RDS/Redshift ``VpcSecurityGroups`` (or EC2 ``Groups``)."""
    return [str(g[key]) for g in items or () if g.get(key)]


def named(run: Region, reads: Reads, kind: str, ident: str, state: Any, doc: Any) -> Resource:
    """The resource, tagged from the listing ``doc`` (``Tags`` or ``TagList``); its ``Name``
    tag names it."""
    tags = tag_list(doc.get("Tags") or doc.get("TagList"))
    name = tags.get("Name") or ident
    return run.resource(reads, kind, name, state.to_dict(), tags=tags)


# -- the shared network index ------------------------------------------------------------------

_RouteIndex = tuple[dict[str, bool], dict[str, bool]]  # subnet → IGW route; VPC → main table's


class Ec2Network:
    """Security groups, managed prefix lists and route tables of one (account, region), read
    lazily and at most once each; thread-safe, so collectors running in parallel share it.

    The caller owns it (no module-level cache): build one per (account, region) with that
    account's clients, e.g. ``networks[(account, region)] = Ec2Network(clients, account,
    region)``, pass it as ``network=`` to the EC2, RDS and Redshift collectors of that cell,
    and drop it when the cell's collectors are done."""

    def __init__(self, clients: AwsClients, account: str, region: str) -> None:
        self.clients = clients
        self.account = account
        self.region = region
        self._groups: Once[dict[str, dict[str, Any]] | CollectError] = Once(
            partial(guarded, "ec2", "DescribeSecurityGroups", self._read_groups)
        )
        self._routes: Once[_RouteIndex | CollectError] = Once(
            partial(guarded, "ec2", "DescribeRouteTables", self._read_routes)
        )
        self._lock = threading.Lock()
        self._prefix_lists: dict[str, Once[tuple[str, ...] | CollectError]] = {}

    def _all(self, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        client = self.clients.client("ec2", self.region)
        items: list[dict[str, Any]] = []
        for page in self.clients.pages(client, operation, "NextToken", "NextToken", **kwargs):
            got = page.get(key) or []
            if not isinstance(got, list):
                raise TypeError(f"{key} is not a list")
            items += got
        return items

    def _read_groups(self) -> dict[str, dict[str, Any]]:
        groups = self._all("DescribeSecurityGroups", "SecurityGroups", MaxResults=1000)
        return {str(g["GroupId"]): g for g in groups}

    def _read_routes(self) -> _RouteIndex:
        return route_index(self._all("DescribeRouteTables", "RouteTables", MaxResults=100))

    def _read_prefix_list(self, pl_id: str) -> tuple[str, ...]:
        op = "GetManagedPrefixListEntries"
        entries = self._all(op, "Entries", PrefixListId=pl_id, MaxResults=100)
        return tuple(str(e["Cidr"]) for e in entries)

    def prefix_list(self, pl_id: str) -> tuple[str, ...] | CollectError:
        """The CIDRs of a managed prefix list (read once)."""
        with self._lock:
            once = self._prefix_lists.get(pl_id)
            if once is None:
                read = partial(self._read_prefix_list, pl_id)
                once = Once(partial(guarded, "ec2", "GetManagedPrefixListEntries", read))
                self._prefix_lists[pl_id] = once
        return once.get()

    def security_groups(
        self, ids: Iterable[str], reads: Reads
    ) -> tuple[SecurityGroup, ...] | Unknown:
        """The named groups with their ingress rules; failures become Unknowns and gaps."""
        index = self._groups.get()
        if isinstance(index, CollectError):
            return reads.fail(index)
        groups = []
        for gid in dict.fromkeys(ids):
            doc = index.get(gid)
            if doc is None:
                why = f"{gid} is not in the answer"
                missing = error("ec2", "DescribeSecurityGroups", "InvalidGroup.NotFound", why)
                groups.append(SecurityGroup(gid, reads.fail(missing)))
            else:
                groups.append(self._group(gid, doc, reads))
        return tuple(groups)

    def _group(self, gid: str, doc: Mapping[str, Any], reads: Reads) -> SecurityGroup:
        name = str(doc.get("GroupName") or "")
        try:
            perms = list(doc.get("IpPermissions") or [])
            used = {str(p["PrefixListId"]) for q in perms for p in q.get("PrefixListIds") or ()}
            known: dict[str, tuple[str, ...]] = {}
            failed: dict[str, Unknown] = {}
            for pl_id in sorted(used):
                entries = self.prefix_list(pl_id)
                if isinstance(entries, CollectError):
                    failed[pl_id] = _fail_once(reads, entries)
                else:
                    known[pl_id] = entries
            rules = tuple(_rule(perm, known, failed) for perm in perms)
        except PARSE_ERRORS as exc:
            bad = reads.fail(malformed("ec2", "DescribeSecurityGroups", exc))
            return SecurityGroup(gid, bad, name)
        return SecurityGroup(gid, rules, name)

    def internet_route(
        self, vpc_id: str, subnet_ids: Sequence[str], reads: Reads
    ) -> bool | Unknown | None:
        """Does any of the subnets (none given: the VPC's main table) route to an internet
        gateway? ``None`` when neither subnet nor VPC is known (not checked)."""
        if not subnet_ids and not vpc_id:
            return None
        index = self._routes.get()
        if isinstance(index, CollectError):
            return reads.fail(index)
        by_subnet, by_vpc = index
        found = {s: by_subnet.get(s, by_vpc.get(vpc_id)) for s in subnet_ids or ("",)}
        if any(found.values()):
            return True
        if None not in found.values():
            return False
        where = ", ".join(s or "(none)" for s, f in found.items() if f is None)
        why = f"no route table applies to subnet(s) {where} of VPC {vpc_id or '(unknown)'}"
        return reads.fail(error("ec2", "DescribeRouteTables", "NotFound", why))


def _fail_once(reads: Reads, exc: CollectError) -> Unknown:
    """``reads.fail`` without a second identical gap (one prefix list in several groups)."""
    if any(g.operation == exc.operation and g.reason == str(exc) for g in reads.gaps):
        return Unknown(str(exc))
    return reads.fail(exc)


def _rule(
    perm: Mapping[str, Any], known: Mapping[str, tuple[str, ...]], failed: Mapping[str, Unknown]
) -> IngressRule:
    rule = IngressRule.from_api(perm, known)
    if not failed:
        return rule
    lists = tuple(
        PrefixList(p.prefix_list_id, failed[p.prefix_list_id]) if p.prefix_list_id in failed else p
        for p in rule.prefix_lists
    )
    return replace(rule, prefix_lists=lists)


def route_index(tables: Iterable[Mapping[str, Any]]) -> _RouteIndex:
    """From DescribeRouteTables: per subnet (explicit association) and per VPC (main table),
    whether the table has a route whose target is an internet gateway (``igw-``; an egress-only
    gateway admits nothing from outside). Amazon VPC User Guide, "Configure route tables": a
    subnet without an explicit association uses the main route table; a subnet whose table
    routes to an internet gateway is a public subnet."""
    by_subnet: dict[str, bool] = {}
    by_vpc: dict[str, bool] = {}
    for table in tables:
        igw = any(
            str(r.get("GatewayId") or "").startswith("igw-") and r.get("State") != "blackhole"
            for r in table.get("Routes") or ()
        )
        for assoc in table.get("Associations") or ():
            if (assoc.get("AssociationState") or {}).get("State") in ("disassociated", "failed"):
                continue
            if assoc.get("Main"):
                by_vpc[str(table["VpcId"])] = igw
            elif assoc.get("SubnetId"):
                by_subnet[str(assoc["SubnetId"])] = igw
    return by_subnet, by_vpc


# -- the EC2 collector --------------------------------------------------------------------------


def collect(
    ctx: Context,
    clients: AwsClients,
    account: str,
    region: str,
    network: Ec2Network | None = None,
) -> Iterator[Resource]:
    """Instances, then own EBS snapshots, then own AMIs of ``account`` in ``region``."""
    net = network or Ec2Network(clients, account, region)
    errors: list[CollectError] = []

    def run() -> Region:  # one per stream: a Region's stream cannot be reused
        return Region(ctx, clients, account, region, service="ec2", kinds=KINDS, gone=_GONE)

    instances = run()
    reservations = instances.listing(
        "DescribeInstances", "Reservations", "NextToken", "NextToken", _instances, MaxResults=1000
    )
    for docs in tolerant(errors, reservations):
        for doc in docs:
            yield from item(errors, "ec2", "DescribeInstances", _instance, instances, net, doc)
    # moto ignores OwnerIds (it lists ~1,300 public snapshots) but honours the filter
    own = {"OwnerIds": [account], "Filters": [{"Name": "owner-id", "Values": [account]}]}
    for k, ask in ((_SNAPSHOTS, own), (_IMAGES, {"Owners": ["self"]})):
        copies = _Copies(run(), k)
        listing = copies.run.listing(
            k.listing, k.key, "NextToken", "NextToken", dict, MaxResults=1000, **ask
        )
        mine = (d for d in tolerant(errors, listing) if copies.mine(d))
        yield from copies.run.stream(mine, partial(item, errors, "ec2", k.listing, copies.copy))
    raise_first(errors)


def _instances(reservation: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The instances of a reservation, without terminated ones (they have no network)."""
    docs = list(reservation.get("Instances") or ())
    for doc in docs:
        str(doc["InstanceId"])  # a malformed item fails the listing page, not later
    return [d for d in docs if (d.get("State") or {}).get("Name") != "terminated"]


def instance_addresses(
    doc: Mapping[str, Any],
) -> tuple[str | None, tuple[str, ...], list[str], list[str]]:
    """From a DescribeInstances ``Instance``: (public IPv4, IPv6 addresses, security group ids,
    subnet ids), over the instance and all its network interfaces (a secondary interface may
    carry an Elastic IP and its own groups; moto lists groups only on the interfaces)."""
    enis = [e for e in doc.get("NetworkInterfaces") or () if isinstance(e, Mapping)]
    publics = [doc.get("PublicIpAddress")]
    for eni in enis:
        addresses = [eni, *(eni.get("PrivateIpAddresses") or ())]
        publics += [(a.get("Association") or {}).get("PublicIp") for a in addresses]
    ipv6 = [doc.get("Ipv6Address")]
    ipv6 += [a.get("Ipv6Address") for eni in enis for a in eni.get("Ipv6Addresses") or ()]
    groups = group_ids(doc.get("SecurityGroups"), "GroupId")
    groups += [g for eni in enis for g in group_ids(eni.get("Groups"), "GroupId")]
    subnets = [doc.get("SubnetId")] + [eni.get("SubnetId") for eni in enis]
    return (
        next((str(p) for p in publics if p), None),
        tuple(dict.fromkeys(str(a) for a in ipv6 if a)),
        list(dict.fromkeys(groups)),
        list(dict.fromkeys(str(s) for s in subnets if s)),
    )


def _instance(run: Region, net: Ec2Network, doc: Mapping[str, Any]) -> Resource:
    iid = str(doc["InstanceId"])
    reads = run.reads(run.arn("ec2", f"instance/{iid}"))
    reads.keep("DescribeInstances", doc)
    public, ipv6, groups, subnets = instance_addresses(doc)
    vpc = str(doc.get("VpcId") or "")
    state = InstanceState(
        instance_id=iid,
        public_ipv4=public,
        ipv6_addresses=ipv6,
        security_groups=net.security_groups(groups, reads),
        account=run.account,
        region=run.region,
        internet_route=net.internet_route(vpc, subnets, reads) if public or ipv6 else None,
    )
    return named(run, reads, "compute.instance", iid, state, doc)


# -- snapshots and AMIs -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    """What differs between EBS snapshots and AMIs."""

    kind: str  # SharedCopyState.kind
    canonical: str
    arn_type: str
    listing: str
    key: str  # the list in the listing answer
    ident: str  # the id field, also the attribute request's parameter
    operation: str
    attribute: str
    permissions: str  # the permission list in the attribute answer
    bpa: str  # the Region's block public access call, and its answer field
    bpa_field: str


_SNAPSHOTS = _Kind(
    kind="ebs-snapshot",
    canonical="snapshot.volume",
    arn_type="snapshot",
    listing="DescribeSnapshots",
    key="Snapshots",
    ident="SnapshotId",
    operation="DescribeSnapshotAttribute",
    attribute="createVolumePermission",
    permissions="CreateVolumePermissions",
    bpa="GetSnapshotBlockPublicAccessState",
    bpa_field="State",
)
_IMAGES = _Kind(
    kind="ami",
    canonical="image.machine",
    arn_type="image",
    listing="DescribeImages",
    key="Images",
    ident="ImageId",
    operation="DescribeImageAttribute",
    attribute="launchPermission",
    permissions="LaunchPermissions",
    bpa="GetImageBlockPublicAccessState",
    bpa_field="ImageBlockPublicAccessState",
)


def block_public_access(answer: Mapping[str, Any], field: str) -> str:
    """GetSnapshotBlockPublicAccessState ``State`` / GetImageBlockPublicAccessState
    ``ImageBlockPublicAccessState``: ``block-all-sharing``, ``block-new-sharing``, ``unblocked``."""
    value = answer[field]
    if not isinstance(value, str) or not value:
        raise TypeError(f"{field} is not a state name")
    return value


def unsupported(exc: CollectError) -> CollectError:
    """An operation the endpoint does not implement, as a gap a person can read. moto answers
    an HTML HTTP 500 page (botocore cannot parse it); AWS would say InvalidAction."""
    page_500 = exc.code == "ResponseParserError" and "500 Internal Server Error" in str(exc)
    if exc.code not in _UNSUPPORTED_CODES and not page_500:
        return exc
    why = "the endpoint does not implement this call (moto 5.x does not), so the setting is unknown"
    return error(exc.service or "ec2", exc.operation, "NotImplemented", why)


def permissions(answer: Mapping[str, Any], field: str) -> list[dict[str, Any]]:
    """DescribeSnapshotAttribute ``CreateVolumePermissions`` / DescribeImageAttribute
    ``LaunchPermissions``: ``[{Group: all} | {UserId} | {OrganizationArn} | ...]``."""
    perms = answer.get(field) or []
    if not isinstance(perms, list) or not all(isinstance(p, dict) for p in perms):
        raise TypeError(f"{field} is not a list of permissions")
    return perms


class _Copies:
    """The EBS snapshots or AMIs of one run: one attribute call each, and the Region's block
    public access setting, read once and only when one of them is public."""

    def __init__(self, run: Region, k: _Kind) -> None:
        self.run = run
        self.k = k
        self._bpa: Once[str | CollectError] = Once(self._setting)

    def mine(self, doc: Mapping[str, Any]) -> bool:
        """Owned by the account (moto ignores OwnerIds and lists ~1,300 public snapshots)."""
        return str(doc.get("OwnerId") or "") == self.run.account and bool(doc.get(self.k.ident))

    def _setting(self) -> str | CollectError:
        clients, k = self.run.clients, self.k
        client = clients.client("ec2", self.run.region)
        got = guarded(
            "ec2", k.bpa, lambda: block_public_access(clients.call(client, k.bpa), k.bpa_field)
        )
        return unsupported(got) if isinstance(got, CollectError) else got

    def copy(self, doc: dict[str, Any]) -> list[Resource]:
        k = self.k
        ident = str(doc[k.ident])
        reads = self.run.reads(self.run.arn("ec2", f"{k.arn_type}/{ident}", account=""))
        reads.keep(k.listing, doc)
        parse: Callable[[dict[str, Any]], list[dict[str, Any]]]
        parse = partial(permissions, field=k.permissions)
        ask: dict[str, Any] = {k.ident: ident, "Attribute": k.attribute}
        perms = reads.read(k.operation, parse, **ask)
        if k is _SNAPSHOTS:
            encrypted: bool | None = bool(doc.get("Encrypted"))
        else:  # an AMI is encrypted when all its EBS volumes are
            ebs = [m["Ebs"] for m in doc.get("BlockDeviceMappings") or () if m.get("Ebs")]
            encrypted = all(bool(e.get("Encrypted")) for e in ebs) if ebs else None
        if isinstance(perms, Unknown):
            state = SharedCopyState(k.kind, ident, perms, perms, encrypted=encrypted)
        else:
            bpa: str | Unknown | None = None
            if any(p.get("Group") == "all" for p in perms):
                setting = self._bpa.get()
                if not isinstance(setting, CollectError):
                    bpa = setting
                elif k is _SNAPSHOTS:  # block-all-sharing would hold a public snapshot back
                    bpa = reads.fail(setting)
                else:  # AMI BPA only stops new sharing: the verdict does not depend on it
                    bpa = Unknown(str(setting))
            state = SharedCopyState.from_permissions(
                k.kind, ident, perms, encrypted=encrypted, block_public_access=bpa
            )
        state = replace(state, account=self.run.account, region=self.run.region)
        name = str(doc.get("Name") or "") or ident
        return [named(self.run, reads, k.canonical, name, state, doc)]
