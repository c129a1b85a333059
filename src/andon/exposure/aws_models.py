"""Normalized AWS configuration for the exposure engine beyond S3: resource policies, network
paths (security groups, databases, instances, OpenSearch, Lambda URLs, API Gateway) and shared
copies (snapshots and AMIs).

Like :mod:`andon.exposure.s3_model`: frozen, typed, ``to_dict``/``from_dict`` for the JSON
stored in ``Resource.attributes``; a part that could not be read is an :class:`Unknown` with the
reason, so the engine answers UNKNOWN for exactly that part, never PRIVATE. ``from_api`` helpers
take the shapes the AWS APIs return (EC2 ``IpPermissions``, ``LaunchPermissions``…).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from andon.exposure.s3_model import Unknown

PolicyOrUnknown = str | None | Unknown
BoolOrUnknown = bool | Unknown


def _is_unknown(d: Any) -> bool:
    return isinstance(d, Mapping) and set(d) == {"unknown"}


def _unknown_or(d: Any, value: Any) -> Any:
    """``Unknown`` for ``{"unknown": why}``, else ``value``."""
    return Unknown(str(d["unknown"])) if _is_unknown(d) else value


def _dump(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    return value


def _opt_bool(d: Any) -> bool | Unknown | None:
    if d is None:
        return None
    return Unknown(str(d["unknown"])) if _is_unknown(d) else bool(d)


def _bool(d: Any, default: bool = False) -> BoolOrUnknown:
    v = _opt_bool(d)
    return default if v is None else v


def _policy(d: Any) -> PolicyOrUnknown:
    if _is_unknown(d):
        return Unknown(str(d["unknown"]))
    return None if d is None else str(d)


def _strs(d: Any) -> tuple[str, ...] | Unknown:
    if _is_unknown(d):
        return Unknown(str(d["unknown"]))
    return tuple(str(x) for x in d or ())


# --- resource policies ---------------------------------------------------------------------
@dataclass(frozen=True)
class ResourcePolicyState:
    """A resource with a resource-based policy (``service`` as in :mod:`.services`)."""

    service: str
    arn: str
    account: str = ""
    policy: PolicyOrUnknown = None
    known: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "arn": self.arn,
            "account": self.account,
            "policy": _dump(self.policy),
            "known": dict(self.known),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ResourcePolicyState:
        return cls(
            service=str(d["service"]),
            arn=str(d["arn"]),
            account=str(d.get("account", "")),
            policy=_policy(d.get("policy")),
            known={str(k): str(v) for k, v in dict(d.get("known", {})).items()},
        )


# --- security groups ------------------------------------------------------------------------
@dataclass(frozen=True)
class PrefixList:
    """A managed prefix list referenced by a rule, with its entries when they were read."""

    prefix_list_id: str
    cidrs: tuple[str, ...] | Unknown = field(
        default_factory=lambda: Unknown("the prefix list was not resolved")
    )

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.prefix_list_id, "cidrs": _dump(self.cidrs)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PrefixList:
        return cls(str(d["id"]), _strs(d.get("cidrs", {"unknown": "not resolved"})))


@dataclass(frozen=True)
class IngressRule:
    """One ingress permission: protocol ``-1`` (all), ``tcp``, ``udp``, ``icmp``, ``icmpv6``
    or an IANA number; ports ``None`` when the rule has none (all ports)."""

    protocol: str
    from_port: int | None = None
    to_port: int | None = None
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    prefix_lists: tuple[PrefixList, ...] = ()
    groups: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "from_port": self.from_port,
            "to_port": self.to_port,
            "ipv4": list(self.ipv4),
            "ipv6": list(self.ipv6),
            "prefix_lists": [p.to_dict() for p in self.prefix_lists],
            "groups": list(self.groups),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IngressRule:
        fp, tp = d.get("from_port"), d.get("to_port")
        return cls(
            protocol=str(d.get("protocol", "-1")),
            from_port=None if fp is None else int(fp),
            to_port=None if tp is None else int(tp),
            ipv4=tuple(str(x) for x in d.get("ipv4", ())),
            ipv6=tuple(str(x) for x in d.get("ipv6", ())),
            prefix_lists=tuple(PrefixList.from_dict(p) for p in d.get("prefix_lists", ())),
            groups=tuple(str(x) for x in d.get("groups", ())),
        )

    @classmethod
    def from_api(
        cls, perm: Mapping[str, Any], prefix_lists: Mapping[str, tuple[str, ...]] | None = None
    ) -> IngressRule:
        """From an EC2 ``IpPermission`` (DescribeSecurityGroups); ``prefix_lists`` maps ids to
        entries read with GetManagedPrefixListEntries."""
        known = prefix_lists or {}
        pls = tuple(
            PrefixList(p["PrefixListId"], known[p["PrefixListId"]])
            if p["PrefixListId"] in known
            else PrefixList(p["PrefixListId"])
            for p in perm.get("PrefixListIds", ())
        )
        groups = tuple(
            f"{g['UserId']}/{g['GroupId']}" if g.get("UserId") else str(g.get("GroupId", ""))
            for g in perm.get("UserIdGroupPairs", ())
        )
        fp, tp = perm.get("FromPort"), perm.get("ToPort")
        return cls(
            protocol=str(perm.get("IpProtocol", "-1")),
            from_port=None if fp is None else int(fp),
            to_port=None if tp is None else int(tp),
            ipv4=tuple(r["CidrIp"] for r in perm.get("IpRanges", ())),
            ipv6=tuple(r["CidrIpv6"] for r in perm.get("Ipv6Ranges", ())),
            prefix_lists=pls,
            groups=groups,
        )


@dataclass(frozen=True)
class SecurityGroup:
    group_id: str
    ingress: tuple[IngressRule, ...] | Unknown = ()
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.group_id, "name": self.name, "ingress": _dump(self.ingress)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SecurityGroup:
        ing = d.get("ingress", [])
        return cls(
            group_id=str(d["id"]),
            name=str(d.get("name", "")),
            ingress=(
                Unknown(str(ing["unknown"]))
                if _is_unknown(ing)
                else tuple(IngressRule.from_dict(r) for r in ing)
            ),
        )


GroupsOrUnknown = tuple[SecurityGroup, ...] | Unknown


def _groups(d: Any) -> GroupsOrUnknown:
    if _is_unknown(d):
        return Unknown(str(d["unknown"]))
    return tuple(SecurityGroup.from_dict(g) for g in d or ())


# --- network-reachable data services -------------------------------------------------------
@dataclass(frozen=True)
class DatabaseState:
    """An RDS DB instance, an Aurora cluster, a Redshift cluster or workgroup.

    ``publicly_accessible`` is the API flag; for an Aurora cluster, which has none, give
    ``members`` (instance id → flag) instead. ``internet_route`` is whether the subnets route
    to an internet gateway (``None``: not collected; the flag then decides).
    """

    kind: str  # rds-instance | aurora-cluster | redshift-cluster | redshift-serverless
    identifier: str
    port: int | Unknown
    publicly_accessible: BoolOrUnknown = False
    security_groups: GroupsOrUnknown = ()
    engine: str = ""
    account: str = ""
    region: str = ""
    members: tuple[tuple[str, BoolOrUnknown], ...] = ()
    internet_route: bool | Unknown | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "identifier": self.identifier,
            "port": _dump(self.port),
            "publicly_accessible": _dump(self.publicly_accessible),
            "security_groups": _dump(self.security_groups),
            "engine": self.engine,
            "account": self.account,
            "region": self.region,
            "members": [[i, _dump(v)] for i, v in self.members],
            "internet_route": _dump(self.internet_route),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DatabaseState:
        port: Any = d.get("port")
        return cls(
            kind=str(d["kind"]),
            identifier=str(d["identifier"]),
            port=Unknown(str(port["unknown"])) if _is_unknown(port) else int(port or 0),
            publicly_accessible=_bool(d.get("publicly_accessible")),
            security_groups=_groups(d.get("security_groups")),
            engine=str(d.get("engine", "")),
            account=str(d.get("account", "")),
            region=str(d.get("region", "")),
            members=tuple((str(i), _bool(v)) for i, v in d.get("members", ())),
            internet_route=_opt_bool(d.get("internet_route")),
        )


@dataclass(frozen=True)
class InstanceState:
    """An EC2 instance: its public IPv4 address (``None``: none), its IPv6 addresses (globally
    routable), and its security groups."""

    instance_id: str
    public_ipv4: str | Unknown | None = None
    ipv6_addresses: tuple[str, ...] | Unknown = ()
    security_groups: GroupsOrUnknown = ()
    account: str = ""
    region: str = ""
    internet_route: bool | Unknown | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "public_ipv4": _dump(self.public_ipv4),
            "ipv6_addresses": _dump(self.ipv6_addresses),
            "security_groups": _dump(self.security_groups),
            "account": self.account,
            "region": self.region,
            "internet_route": _dump(self.internet_route),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InstanceState:
        ip = d.get("public_ipv4")
        return cls(
            instance_id=str(d["instance_id"]),
            public_ipv4=_unknown_or(ip, ip),
            ipv6_addresses=_strs(d.get("ipv6_addresses", ())),
            security_groups=_groups(d.get("security_groups")),
            account=str(d.get("account", "")),
            region=str(d.get("region", "")),
            internet_route=_opt_bool(d.get("internet_route")),
        )


@dataclass(frozen=True)
class OpenSearchDomainState:
    """An OpenSearch / Elasticsearch domain: in a VPC (``VPCOptions`` present) or public, its
    access policy, and whether fine-grained access control is on."""

    name: str
    arn: str
    in_vpc: BoolOrUnknown = False
    policy: PolicyOrUnknown = None
    fine_grained: bool | Unknown | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "in_vpc": _dump(self.in_vpc),
            "policy": _dump(self.policy),
            "fine_grained": _dump(self.fine_grained),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OpenSearchDomainState:
        return cls(
            name=str(d["name"]),
            arn=str(d["arn"]),
            in_vpc=_bool(d.get("in_vpc")),
            policy=_policy(d.get("policy")),
            fine_grained=_opt_bool(d.get("fine_grained")),
        )


@dataclass(frozen=True)
class FunctionUrlState:
    """A Lambda function URL: ``auth_type`` ``NONE`` or ``AWS_IAM``; the function's policy;
    ``created`` (ISO date of CreationTime) decides whether lambda:InvokeFunction is also
    needed (URLs created from October 2025)."""

    function_arn: str
    auth_type: str | Unknown
    policy: PolicyOrUnknown = None
    qualifier: str = ""
    created: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "function_arn": self.function_arn,
            "auth_type": _dump(self.auth_type),
            "policy": _dump(self.policy),
            "qualifier": self.qualifier,
            "created": self.created,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FunctionUrlState:
        at = d.get("auth_type")
        return cls(
            function_arn=str(d["function_arn"]),
            auth_type=_unknown_or(at, str(at)),
            policy=_policy(d.get("policy")),
            qualifier=str(d.get("qualifier", "")),
            created=str(d.get("created", "")),
        )


@dataclass(frozen=True)
class ApiMethod:
    """One REST method or HTTP/WebSocket route with its authorization type (``NONE``,
    ``AWS_IAM``, ``CUSTOM``, ``COGNITO_USER_POOLS``, ``JWT``)."""

    path: str
    http_method: str
    authorization: str
    api_key_required: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "method": self.http_method,
            "authorization": self.authorization,
            "api_key_required": self.api_key_required,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ApiMethod:
        return cls(
            str(d["path"]),
            str(d["method"]),
            str(d.get("authorization", "NONE")),
            bool(d.get("api_key_required", False)),
        )


@dataclass(frozen=True)
class ApiState:
    """An API Gateway API: ``api_type`` REST, HTTP or WEBSOCKET; endpoint types (EDGE,
    REGIONAL, PRIVATE); resource policy (REST only); methods or routes."""

    api_id: str
    arn: str
    api_type: str = "REST"
    endpoint_types: tuple[str, ...] | Unknown = ("REGIONAL",)
    policy: PolicyOrUnknown = None
    methods: tuple[ApiMethod, ...] | Unknown = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "api_id": self.api_id,
            "arn": self.arn,
            "api_type": self.api_type,
            "endpoint_types": _dump(self.endpoint_types),
            "policy": _dump(self.policy),
            "methods": _dump(self.methods),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ApiState:
        ms = d.get("methods", [])
        return cls(
            api_id=str(d["api_id"]),
            arn=str(d["arn"]),
            api_type=str(d.get("api_type", "REST")),
            endpoint_types=_strs(d.get("endpoint_types", ["REGIONAL"])),
            policy=_policy(d.get("policy")),
            methods=(
                Unknown(str(ms["unknown"]))
                if _is_unknown(ms)
                else tuple(ApiMethod.from_dict(m) for m in ms)
            ),
        )


# --- shared copies ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SharedCopyState:
    """A copy of data that can be shared by attribute: an RDS DB snapshot or cluster snapshot
    (``restore`` attribute), an EBS snapshot (``createVolumePermission``), an AMI
    (``launchPermission``).

    ``public``: shared with everyone (``all``); ``accounts``: the account ids it is shared with;
    ``organizations``/``organizational_units``: AMI shares with an organization or OU ARN.
    ``block_public_access``: the Region's snapshot or AMI setting (``block-all-sharing``,
    ``block-new-sharing``, ``unblocked``; ``None``: not collected).
    """

    kind: str  # rds-snapshot | rds-cluster-snapshot | ebs-snapshot | ami
    identifier: str
    public: BoolOrUnknown = False
    accounts: tuple[str, ...] | Unknown = ()
    organizations: tuple[str, ...] = ()
    organizational_units: tuple[str, ...] = ()
    encrypted: bool | Unknown | None = None
    account: str = ""
    region: str = ""
    block_public_access: str | Unknown | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "identifier": self.identifier,
            "public": _dump(self.public),
            "accounts": _dump(self.accounts),
            "organizations": list(self.organizations),
            "organizational_units": list(self.organizational_units),
            "encrypted": _dump(self.encrypted),
            "account": self.account,
            "region": self.region,
            "block_public_access": _dump(self.block_public_access),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SharedCopyState:
        bpa = d.get("block_public_access")
        return cls(
            kind=str(d["kind"]),
            identifier=str(d["identifier"]),
            public=_bool(d.get("public")),
            accounts=_strs(d.get("accounts", ())),
            organizations=tuple(str(x) for x in d.get("organizations", ())),
            organizational_units=tuple(str(x) for x in d.get("organizational_units", ())),
            encrypted=_opt_bool(d.get("encrypted")),
            account=str(d.get("account", "")),
            region=str(d.get("region", "")),
            block_public_access=_unknown_or(bpa, bpa),
        )

    @classmethod
    def from_restore_attribute(
        cls, kind: str, identifier: str, values: Sequence[str], **kw: Any
    ) -> SharedCopyState:
        """From DescribeDBSnapshotAttributes / DescribeDBClusterSnapshotAttributes: the
        ``restore`` attribute's ``AttributeValues`` (``all`` = public, else account ids)."""
        return cls(
            kind,
            identifier,
            public="all" in values,
            accounts=tuple(v for v in values if v != "all"),
            **kw,
        )

    @classmethod
    def from_permissions(
        cls, kind: str, identifier: str, permissions: Sequence[Mapping[str, Any]], **kw: Any
    ) -> SharedCopyState:
        """From EC2 ``CreateVolumePermissions`` or ``LaunchPermissions``: ``{"Group": "all"}``,
        ``{"UserId": …}``, ``{"OrganizationArn": …}``, ``{"OrganizationalUnitArn": …}``."""
        return cls(
            kind,
            identifier,
            public=any(p.get("Group") == "all" for p in permissions),
            accounts=tuple(str(p["UserId"]) for p in permissions if p.get("UserId")),
            organizations=tuple(
                str(p["OrganizationArn"]) for p in permissions if p.get("OrganizationArn")
            ),
            organizational_units=tuple(
                str(p["OrganizationalUnitArn"])
                for p in permissions
                if p.get("OrganizationalUnitArn")
            ),
            **kw,
        )
