"""What the seeded estate is, and what a correct scan must conclude about each part of it.

:class:`EstateManifest` is returned by :func:`andon.demo.estate.seed_estate`. It is plain,
frozen data: the demo prints it next to the scan's findings, and the tests compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from andon.core.model import Access, sorted_access
from andon.demo.server import DUMMY_CREDENTIALS, Credentials


class Verdict(StrEnum):
    """What a correct scan concludes about a bucket or access point."""

    PUBLIC_ACL = "public-acl"
    PUBLIC_POLICY = "public-policy"
    LATENT = "latent"
    EXEMPT_WEBSITE = "exempt-website"
    PRIVATE = "private"
    GAP = "gap"


def _access_list(access: frozenset[Access]) -> list[str]:
    return [a.value for a in sorted_access(access)]


@dataclass(frozen=True)
class BucketManifest:
    """One seeded bucket and what a scan must say about it.

    ``access`` is what the world can do now; ``latent_access`` what it could do if Block
    Public Access were switched off; ``hidden_access`` (gap bucket only) what the part the
    scanner may not read really grants. ``data`` names the kinds of data the objects hold;
    ``vehicles``/``customers`` count the distinct subjects in them.
    """

    name: str
    region: str
    verdict: Verdict
    purpose: str
    access: frozenset[Access] = frozenset()
    latent_access: frozenset[Access] = frozenset()
    hidden_access: frozenset[Access] = frozenset()
    exemption: str = ""
    denied_actions: tuple[str, ...] = ()
    objects: int = 0
    data: tuple[str, ...] = ()
    vehicles: int = 0
    customers: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "region": self.region,
            "verdict": self.verdict.value,
            "purpose": self.purpose,
            "access": _access_list(self.access),
            "latent_access": _access_list(self.latent_access),
            "hidden_access": _access_list(self.hidden_access),
            "exemption": self.exemption,
            "denied_actions": list(self.denied_actions),
            "objects": self.objects,
            "data": list(self.data),
            "vehicles": self.vehicles,
            "customers": self.customers,
        }


@dataclass(frozen=True)
class AccessPointManifest:
    name: str
    bucket: str
    network_origin: str  # Internet or VPC
    verdict: Verdict
    access: frozenset[Access] = frozenset()
    latent_access: frozenset[Access] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "bucket": self.bucket,
            "network_origin": self.network_origin,
            "verdict": self.verdict.value,
            "access": _access_list(self.access),
            "latent_access": _access_list(self.latent_access),
        }


@dataclass(frozen=True)
class DataCounts:
    vehicles: int
    customers: int
    trips: int  # trip files' trips, all buckets together
    trip_points: int
    objects: int

    def to_dict(self) -> dict[str, int]:
        return {
            "vehicles": self.vehicles,
            "customers": self.customers,
            "trips": self.trips,
            "trip_points": self.trip_points,
            "objects": self.objects,
        }


@dataclass(frozen=True)
class EstateManifest:
    """What :func:`seed_estate` built. Equal for equal seeds and sizes.

    The credentials are left out of equality (moto draws access keys at random).
    """

    seed: int
    region: str
    account_id: str
    buckets: tuple[BucketManifest, ...]
    access_points: tuple[AccessPointManifest, ...]
    counts: DataCounts
    content_digest: str  # sha256 over every object's key and bytes
    coverage_gap: bool
    iam_enforced: bool
    account_bpa: str = "off (never configured)"
    gap_note: str = ""
    scanner: Credentials = field(default=DUMMY_CREDENTIALS, compare=False)
    admin: Credentials = field(default=DUMMY_CREDENTIALS, compare=False)

    def bucket(self, name: str) -> BucketManifest:
        for b in self.buckets:
            if b.name == name:
                return b
        raise KeyError(name)

    def with_verdict(self, verdict: Verdict | str) -> tuple[BucketManifest, ...]:
        return tuple(b for b in self.buckets if b.verdict == Verdict(verdict))

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({b.region for b in self.buckets}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "region": self.region,
            "regions": list(self.regions),
            "account_id": self.account_id,
            "account_bpa": self.account_bpa,
            "coverage_gap": self.coverage_gap,
            "iam_enforced": self.iam_enforced,
            "gap_note": self.gap_note,
            "buckets": [b.to_dict() for b in self.buckets],
            "access_points": [a.to_dict() for a in self.access_points],
            "counts": self.counts.to_dict(),
            "content_digest": self.content_digest,
            "scanner": self.scanner.to_dict(),
            "admin": self.admin.to_dict(),
        }
