"""The vocabulary of events: :class:`ResourceRef`, :class:`MalformedEvent`, and :class:`Call`,
one CloudTrail record as the event table (:mod:`andon.watch.event_map`) reads it.

Kept apart from :mod:`andon.watch.events` so the event table and the targeted collector can
use them without import cycles. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from andon.core.errors import AndonError


class MalformedEvent(AndonError):
    """A message that is not a CloudTrail event Andon can read (not JSON, a wrong type, a
    missing or absurd field). The daemon drops (or dead-letters) it; a sweep still covers
    whatever change it may have announced."""


@dataclass(frozen=True, order=True)
class ResourceRef:
    """One resource an event may have changed.

    ``uid`` is exactly the :attr:`andon.core.model.Resource.uid` the collectors give that
    resource (an ARN for most kinds), so a targeted scan's transitions meet the full scan's.
    ``kind`` is the canonical kind (``storage.bucket``…) or, for references that stand for
    several resources, one of :data:`EXPANDING_KINDS` (a security group stands for every
    instance and database using it). ``region`` is ``global`` for account-wide S3 settings.
    """

    account: str
    region: str
    service: str
    kind: str
    uid: str

    def to_dict(self) -> dict[str, str]:
        return {
            "account": self.account,
            "region": self.region,
            "service": self.service,
            "kind": self.kind,
            "uid": self.uid,
        }


SECURITY_GROUP = "network.security_group"
ROUTE_TABLE = "network.route_table"
VPC = "network.vpc"
NETWORK_INTERFACE = "network.interface"
ACCESS_POINT = "storage.access_point"

EXPANDING_KINDS: frozenset[str] = frozenset(
    {SECURITY_GROUP, ROUTE_TABLE, VPC, NETWORK_INTERFACE, ACCESS_POINT}
)
"""Kinds of references that no collector emits as a resource: the targeted collector turns
each into the resources it affects (a security group → the instances, DB instances and
clusters and Redshift clusters that use it; a route table or VPC → those in the VPC; a network
interface → its instance; an S3 access point → its bucket)."""


MAX_IDENT = 2048
"""Longest identifier (name, id, ARN, URL) accepted from an event; AWS's longest are far
shorter (an SQS queue URL: under 200 characters)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f\s]")
_LAMBDA_SUFFIX = re.compile(r"^(?P<name>[A-Za-z]+?)(?P<version>\d{8}(?:v\d+)?)$")


def normalize_name(event_name: str) -> str:
    """``AddPermission20150331v2`` → ``AddPermission`` (Lambda's versioned names)."""
    m = _LAMBDA_SUFFIX.match(event_name)
    return m.group("name") if m else event_name


def partition_of(region: str) -> str:
    """The ARN partition of a region."""
    for prefix, partition in (
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
    ):
        if region.startswith(prefix):
            return partition
    return "aws"


@dataclass
class Mapped:
    """What one event touches."""

    refs: list[ResourceRef] = field(default_factory=list)
    account_wide: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    """One CloudTrail record, read defensively by the mappings."""

    name: str
    account: str
    region: str
    request: Mapping[str, Any]
    response: Mapping[str, Any]
    resources: tuple[Mapping[str, Any], ...] = ()

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    # -- reading fields --------------------------------------------------------------------

    def req(self, *keys: str) -> str | None:
        """The first of ``keys`` present in ``requestParameters``, as an identifier."""
        return first(self.request, keys)

    def resp(self, *keys: str) -> str | None:
        """The first of ``keys`` present in ``responseElements``, as an identifier."""
        return first(self.response, keys)

    def need(self, value: str | None, what: str) -> str:
        if value is None:
            raise MalformedEvent(f"{self.name}: the event does not say which {what}")
        return value

    def resource_arn(self, arn_type: str) -> str | None:
        """The ARN of the record's top-level ``resources`` entry of ``arn_type``."""
        for entry in self.resources:
            if str(entry.get("type") or "") == arn_type:
                return ident(entry.get("ARN"), "resources[].ARN")
        return None

    # -- building references ---------------------------------------------------------------

    def ref(
        self,
        service: str,
        kind: str,
        uid: str,
        *,
        account: str | None = None,
        region: str | None = None,
    ) -> ResourceRef:
        return ResourceRef(
            account=account or self.account,
            region=region or self.region,
            service=service,
            kind=kind,
            uid=uid,
        )

    def arn(self, namespace: str, resource: str, *, account: str | None = None) -> str:
        acct = self.account if account is None else account
        return f"arn:{self.partition}:{namespace}:{self.region}:{acct}:{resource}"

    def from_arn(self, service: str, kind: str, arn: str) -> ResourceRef:
        """A reference whose account and region come from the ARN itself."""
        parts = arn.split(":")
        return self.ref(
            service, kind, arn, account=parts[4] or self.account, region=parts[3] or self.region
        )


def ident(value: Any, what: str) -> str | None:
    """An identifier from an event: text, short, without control characters or spaces."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedEvent(f"{what} is a {type(value).__name__}, not text")
    if len(value) > MAX_IDENT:
        raise MalformedEvent(f"{what} is {len(value)} characters long")
    if _CONTROL.search(value):
        raise MalformedEvent(f"{what} holds control characters or spaces")
    return value


def is_arn(value: str) -> bool:
    return value.startswith("arn:") and len(value.split(":")) >= 6


def first(container: Mapping[str, Any], keys: Iterable[str]) -> str | None:
    for key in keys:
        value = ident(container.get(key), key)
        if value is not None:
            return value
    return None


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{what} is a {type(value).__name__}, not an object")
    return value


def items(value: Any, what: str) -> list[Any]:
    """A CloudTrail ``{"items": [...]}`` set (EC2) or a plain list."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        value = value.get("items")
        if value is None:
            return []
    if not isinstance(value, list):
        raise MalformedEvent(f"{what} is not a list")
    return value
