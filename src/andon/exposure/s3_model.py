"""The normalized S3 configuration that the exposure engine reads.

Collectors (live API) and IaC readers both produce these objects; ``to_dict``/``from_dict``
give the JSON form stored in :attr:`andon.core.Resource.attributes`.

Any part that could not be read is an :class:`Unknown` carrying the reason, so the engine can
answer ``UNKNOWN`` for exactly that part instead of guessing "private".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"


@dataclass(frozen=True)
class Unknown:
    """A part of the configuration that could not be read, and why."""

    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"unknown": self.reason}


def _is_unknown(d: Any) -> bool:
    return isinstance(d, Mapping) and set(d) == {"unknown"}


@dataclass(frozen=True)
class Grant:
    """One ACL grant. ``grantee_type`` is ``Group``, ``CanonicalUser`` or ``AmazonCustomerByEmail``;
    ``grantee`` is the group URI, canonical id or e-mail address."""

    grantee_type: str
    grantee: str
    permission: str  # READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL

    def to_dict(self) -> dict[str, str]:
        return {"type": self.grantee_type, "grantee": self.grantee, "permission": self.permission}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Grant:
        return cls(str(d["type"]), str(d.get("grantee", "")), str(d["permission"]))


@dataclass(frozen=True)
class Bpa:
    """The four Block Public Access settings at one level. Absent configuration = all False."""

    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    def to_dict(self) -> dict[str, bool]:
        return {
            "BlockPublicAcls": self.block_public_acls,
            "IgnorePublicAcls": self.ignore_public_acls,
            "BlockPublicPolicy": self.block_public_policy,
            "RestrictPublicBuckets": self.restrict_public_buckets,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Bpa:
        return cls(
            block_public_acls=bool(d.get("BlockPublicAcls", False)),
            ignore_public_acls=bool(d.get("IgnorePublicAcls", False)),
            block_public_policy=bool(d.get("BlockPublicPolicy", False)),
            restrict_public_buckets=bool(d.get("RestrictPublicBuckets", False)),
        )

    @property
    def all_on(self) -> bool:
        return (
            self.block_public_acls
            and self.ignore_public_acls
            and self.block_public_policy
            and self.restrict_public_buckets
        )


OFF = Bpa()

# A field that may be absent (None) or unreadable (Unknown).
GrantsOrUnknown = tuple[Grant, ...] | Unknown
PolicyOrUnknown = str | None | Unknown
BpaOrUnknown = Bpa | None | Unknown


@dataclass(frozen=True)
class AccessPointState:
    """An S3 access point attached to the bucket."""

    name: str
    arn: str = ""
    account: str = ""
    network_origin: str = "Internet"  # "Internet" or "VPC"
    vpc_id: str = ""
    policy: PolicyOrUnknown = None  # the policy document as text, as the API returns it
    bpa: BpaOrUnknown = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "account": self.account,
            "network_origin": self.network_origin,
            "vpc_id": self.vpc_id,
            "policy": _dump(self.policy),
            "bpa": _dump(self.bpa),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AccessPointState:
        return cls(
            name=str(d["name"]),
            arn=str(d.get("arn", "")),
            account=str(d.get("account", "")),
            network_origin=str(d.get("network_origin", "Internet")),
            vpc_id=str(d.get("vpc_id", "")),
            policy=_load_policy(d.get("policy")),
            bpa=_load_bpa(d.get("bpa")),
        )


@dataclass(frozen=True)
class ObjectAcl:
    """The ACL of one sampled object."""

    key: str
    grants: GrantsOrUnknown

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "grants": _dump(self.grants)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ObjectAcl:
        return cls(key=str(d["key"]), grants=_load_grants(d.get("grants", [])))


@dataclass(frozen=True)
class S3BucketState:
    """Everything about one bucket that decides whether the world can reach it.

    ``ownership`` is the Object Ownership setting (``BucketOwnerEnforced``,
    ``BucketOwnerPreferred``, ``ObjectWriter``) or ``None`` when no ownership controls exist
    (ACLs are then in force). ``object_acls`` is a bounded sample; ``objects_sampled_all`` says
    whether the sample covered every object.
    """

    name: str
    account: str = ""
    region: str = ""
    owner_id: str = ""
    acl: GrantsOrUnknown = ()
    policy: PolicyOrUnknown = None
    bucket_bpa: BpaOrUnknown = None
    account_bpa: BpaOrUnknown = None
    ownership: str | Unknown | None = None
    website: bool | Unknown = False
    access_points: tuple[AccessPointState, ...] | Unknown = ()
    object_acls: tuple[ObjectAcl, ...] | Unknown = ()
    objects_sampled_all: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "account": self.account,
            "region": self.region,
            "owner_id": self.owner_id,
            "acl": _dump(self.acl),
            "policy": _dump(self.policy),
            "bucket_bpa": _dump(self.bucket_bpa),
            "account_bpa": _dump(self.account_bpa),
            "ownership": _dump(self.ownership),
            "website": _dump(self.website),
            "access_points": _dump(self.access_points),
            "object_acls": _dump(self.object_acls),
            "objects_sampled_all": self.objects_sampled_all,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> S3BucketState:
        aps = d.get("access_points", [])
        objs = d.get("object_acls", [])
        own = d.get("ownership")
        web = d.get("website", False)
        return cls(
            name=str(d["name"]),
            account=str(d.get("account", "")),
            region=str(d.get("region", "")),
            owner_id=str(d.get("owner_id", "")),
            acl=_load_grants(d.get("acl", [])),
            policy=_load_policy(d.get("policy")),
            bucket_bpa=_load_bpa(d.get("bucket_bpa")),
            account_bpa=_load_bpa(d.get("account_bpa")),
            ownership=Unknown(str(own["unknown"])) if own is not None and _is_unknown(own) else own,
            website=Unknown(web["unknown"]) if _is_unknown(web) else bool(web),
            access_points=(
                Unknown(aps["unknown"])
                if _is_unknown(aps)
                else tuple(AccessPointState.from_dict(a) for a in aps)
            ),
            object_acls=(
                Unknown(objs["unknown"])
                if _is_unknown(objs)
                else tuple(ObjectAcl.from_dict(o) for o in objs)
            ),
            objects_sampled_all=bool(d.get("objects_sampled_all", True)),
            extra=dict(d.get("extra", {})),
        )


def _dump(value: Any) -> Any:
    if isinstance(value, Unknown | Bpa | Grant | AccessPointState | ObjectAcl):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    return value


def _load_grants(d: Any) -> GrantsOrUnknown:
    if _is_unknown(d):
        return Unknown(d["unknown"])
    return tuple(Grant.from_dict(g) for g in d or ())


def _load_policy(d: Any) -> PolicyOrUnknown:
    if _is_unknown(d):
        return Unknown(d["unknown"])
    return None if d is None else str(d)


def _load_bpa(d: Any) -> BpaOrUnknown:
    if d is None:
        return None
    if _is_unknown(d):
        return Unknown(d["unknown"])
    return Bpa.from_dict(d)
