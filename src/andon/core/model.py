"""The core model: resources, exposures, gaps and findings.

Everything here is frozen and free of I/O. Collectors and IaC readers produce
:class:`Resource`; the exposure engine turns a resource into an :class:`Exposure`; rules turn
both into :class:`Finding`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is. Ordered: ``Severity.CRITICAL.rank`` is the highest."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Level(StrEnum):
    """Who can reach a resource.

    ``UNKNOWN`` means Andon could not read enough to decide; it is never a synonym of private.
    """

    PUBLIC = "PUBLIC"
    CROSS_ACCOUNT = "CROSS_ACCOUNT"
    UNKNOWN = "UNKNOWN"
    PRIVATE = "PRIVATE"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.PUBLIC: 3, Level.CROSS_ACCOUNT: 2, Level.UNKNOWN: 1, Level.PRIVATE: 0}


class Access(StrEnum):
    """The kinds of access an exposure can give."""

    READ = "read"
    LIST = "list"
    WRITE = "write"
    READ_ACL = "read-acl"
    WRITE_ACL = "write-acl"


ACCESS_ORDER: tuple[Access, ...] = tuple(Access)


def sorted_access(access: frozenset[Access] | set[Access]) -> list[Access]:
    """Access kinds in their canonical order (read, list, write, read-acl, write-acl)."""
    return [a for a in ACCESS_ORDER if a in access]


@dataclass(frozen=True)
class Gap:
    """Something Andon could not read, and why. A gap makes the affected verdict UNKNOWN."""

    service: str
    operation: str
    reason: str
    code: str = ""
    resource_uid: str = ""
    region: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "service": self.service,
            "operation": self.operation,
            "code": self.code,
            "reason": self.reason,
            "resource": self.resource_uid,
            "region": self.region,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Gap:
        return cls(
            service=str(d.get("service", "")),
            operation=str(d.get("operation", "")),
            reason=str(d.get("reason", "")),
            code=str(d.get("code", "")),
            resource_uid=str(d.get("resource", "")),
            region=str(d.get("region", "")),
        )


@dataclass(frozen=True)
class Exposure:
    """Who can reach a resource, with which access, and why.

    ``access`` is what the world can do *now*. ``latent_access`` is what it could do if one
    Block Public Access setting were switched off: a public grant that is stored and held back
    only by BPA. ``reasons`` are sentences a person can check against the configuration.
    """

    level: Level
    access: frozenset[Access] = frozenset()
    latent_access: frozenset[Access] = frozenset()
    reasons: tuple[str, ...] = ()
    unknown_access: frozenset[Access] = frozenset()

    @property
    def latent(self) -> bool:
        return bool(self.latent_access - self.access)

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "access": [a.value for a in sorted_access(self.access)],
            "latent": self.latent,
            "latent_access": [a.value for a in sorted_access(self.latent_access)],
            "unknown_access": [a.value for a in sorted_access(self.unknown_access)],
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Exposure:
        return cls(
            level=Level(d["level"]),
            access=frozenset(Access(a) for a in d.get("access", ())),
            latent_access=frozenset(Access(a) for a in d.get("latent_access", ())),
            unknown_access=frozenset(Access(a) for a in d.get("unknown_access", ())),
            reasons=tuple(d.get("reasons", ())),
        )


PRIVATE = Exposure(Level.PRIVATE)


@dataclass(frozen=True)
class Resource:
    """One cloud resource, normalized.

    ``kind`` is canonical across clouds (``storage.bucket``, ``storage.access_point``,
    ``account.settings``); ``native_type`` is the provider's name (``AWS::S3::Bucket``).
    ``attributes`` is the normalized, JSON-serializable configuration that exposure code reads;
    ``raw`` keeps the provider's documents as collected (configuration only, never data).
    """

    uid: str
    cloud: str
    account: str
    region: str
    kind: str
    native_type: str
    name: str
    origin: str = "api"
    attributes: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)
    gaps: tuple[Gap, ...] = ()

    def ref(self) -> dict[str, str]:
        """The part of a resource a finding refers to."""
        return {
            "uid": self.uid,
            "type": self.native_type,
            "kind": self.kind,
            "account": self.account,
            "region": self.region,
            "name": self.name,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.ref(),
            "cloud": self.cloud,
            "origin": self.origin,
            "attributes": dict(self.attributes),
            "tags": dict(self.tags),
            "gaps": [g.to_dict() for g in self.gaps],
        }


class Status(StrEnum):
    """A finding's status within one scan."""

    OPEN = "open"
    EXEMPT = "exempt"
    RESOLVED = "resolved"


def finding_id(rule_id: str, resource_uid: str) -> str:
    """Stable identity of a finding: the same rule on the same resource is the same finding."""
    digest = hashlib.sha256(f"{rule_id}\x00{resource_uid}".encode()).hexdigest()
    return digest[:20]


@dataclass(frozen=True)
class Finding:
    """A rule that matched a resource, with the evidence and the way to fix it."""

    rule_id: str
    title: str
    severity: Severity
    resource: Mapping[str, str]
    exposure: Exposure
    status: Status = Status.OPEN
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: str = ""
    exemption: str = ""

    @property
    def id(self) -> str:
        return finding_id(self.rule_id, self.resource["uid"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule_id,
            "title": self.title,
            "severity": self.severity.value,
            "status": self.status.value,
            "resource": dict(self.resource),
            "exposure": self.exposure.to_dict(),
            "evidence": dict(self.evidence),
            "remediation": self.remediation,
            "exemption": self.exemption,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        return cls(
            rule_id=d["rule"],
            title=d.get("title", ""),
            severity=Severity(d["severity"]),
            resource=dict(d["resource"]),
            exposure=Exposure.from_dict(d["exposure"]),
            status=Status(d.get("status", "open")),
            evidence=dict(d.get("evidence", {})),
            remediation=d.get("remediation", ""),
            exemption=d.get("exemption", ""),
        )
