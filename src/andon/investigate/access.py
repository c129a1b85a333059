"""Access evidence: who outside read the exposed resource during the exposure window.

Requests come from S3 server access logs (:mod:`andon.investigate.s3logs`) and CloudTrail
data events (:mod:`andon.investigate.cloudtrail`). Each request's principal is one of:

* ``anonymous``: Requester ``-`` in the server access log, ``ANONYMOUS_PRINCIPAL`` in
  CloudTrail;
* ``foreign``: an IAM/STS ARN of another account (not the resource's, not a trusted one), or a
  canonical user id other than the bucket owner's;
* ``unrecognized``: a requester string of no documented shape (counted as outside: unknown is
  never taken as own);
* ``own``/``trusted``/``service``: the owner account, a trusted account, an AWS service.

Aggregation is streaming: counters, and sets of distinct IPs and objects bounded by
:data:`MAX_DISTINCT` (beyond it the count is a lower bound, and says so). Object keys are
counted, never written out (a key may name a person); up to :data:`SAMPLE` requester IPs are
kept, since blocking and reporting an intruder needs them (the incident report masks them).

The verdict is one of ``accessed`` (a successful outside request in the window),
``no_outside_access`` (no outside request, and one complete source covers the whole window),
``undetermined`` (with the missing or incomplete log periods). Delivery of both log kinds is
best effort, which every verdict's statement carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from andon.investigate.cloudtrail import TrailEvent
from andon.investigate.s3logs import AccessRecord

MAX_DISTINCT = 100_000
SAMPLE = 20
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")
_CANONICAL = re.compile(r"^[0-9a-f]{64}$")
OBJECT_READS = frozenset({"REST.GET.OBJECT", "WEBSITE.GET.OBJECT", "REST.COPY.OBJECT_GET"})
WRITES = ("REST.PUT.", "REST.POST.", "REST.DELETE.", "REST.COPY.OBJECT")


class Verdict(StrEnum):
    ACCESSED = "accessed"
    NO_OUTSIDE_ACCESS = "no_outside_access"
    UNDETERMINED = "undetermined"


class Principal(StrEnum):
    ANONYMOUS = "anonymous"
    FOREIGN = "foreign"
    UNRECOGNIZED = "unrecognized"
    OWN = "own"
    TRUSTED = "trusted"
    SERVICE = "service"

    @property
    def outside(self) -> bool:
        return self in (Principal.ANONYMOUS, Principal.FOREIGN, Principal.UNRECOGNIZED)


def requester_kind(
    requester: str, bucket_owner: str, account: str, trusted: frozenset[str] = frozenset()
) -> Principal:
    """Whose request a server access log ``Requester`` field records."""
    if requester == "-":
        return Principal.ANONYMOUS
    m = _ARN_ACCOUNT.match(requester)
    if m is not None:
        return _account_kind(m.group(1), account, trusted)
    if _CANONICAL.match(requester):
        return Principal.OWN if requester == bucket_owner else Principal.FOREIGN
    if requester.startswith("svc:") or requester.endswith(".amazonaws.com"):
        return Principal.SERVICE
    return Principal.UNRECOGNIZED


def _account_kind(other: str, account: str, trusted: frozenset[str]) -> Principal:
    if other == account:
        return Principal.OWN
    return Principal.TRUSTED if other in trusted else Principal.FOREIGN


def event_kind(event: TrailEvent, account: str, trusted: frozenset[str] = frozenset()) -> Principal:
    """Whose request a CloudTrail data event records."""
    if event.anonymous:
        return Principal.ANONYMOUS
    if event.actor_type == "AWSService" or (
        not event.actor_account and "invoked by" in event.actor
    ):
        return Principal.SERVICE
    if re.fullmatch(r"\d{12}", event.actor_account):
        return _account_kind(event.actor_account, account, trusted)
    return Principal.UNRECOGNIZED


@dataclass
class OutsideAccess:
    """Streaming totals of outside requests inside the window."""

    start: datetime | None
    end: datetime | None
    requests: int = 0
    succeeded: int = 0
    denied: int = 0
    writes: int = 0
    object_reads: int = 0
    bytes_sent: int = 0
    by_principal: dict[str, int] = field(default_factory=dict)
    ips: set[str] = field(default_factory=set)
    objects: set[str] = field(default_factory=set)
    ips_capped: bool = False
    objects_capped: bool = False
    first: datetime | None = None
    last: datetime | None = None
    outside_window: int = 0
    inside_requests: int = 0  # own, trusted and service requests in the window
    max_distinct: int = MAX_DISTINCT

    def in_window(self, when: datetime) -> bool:
        return (self.start is None or when >= self.start) and (self.end is None or when <= self.end)

    def _add(
        self,
        kind: Principal,
        when: datetime,
        ip: str,
        ok: bool,
        key: str,
        read: bool,
        write: bool,
        sent: int,
    ) -> None:
        if not self.in_window(when):
            self.outside_window += 1
            return
        if not kind.outside:
            self.inside_requests += 1
            return
        self.requests += 1
        self.by_principal[kind.value] = self.by_principal.get(kind.value, 0) + 1
        if not ok:
            self.denied += 1
            return
        self.succeeded += 1
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)
        self.bytes_sent += sent
        if ip and ip != "-":
            if len(self.ips) < self.max_distinct:
                self.ips.add(ip)
            elif ip not in self.ips:
                self.ips_capped = True
        if write:
            self.writes += 1
        if read:
            self.object_reads += 1
            if key and key != "-":
                if len(self.objects) < self.max_distinct:
                    self.objects.add(key)
                elif key not in self.objects:
                    self.objects_capped = True

    def add_record(self, record: AccessRecord, kind: Principal) -> None:
        op = record.operation
        self._add(
            kind,
            record.time,
            record.remote_ip,
            record.succeeded,
            record.key,
            op in OBJECT_READS,
            op.startswith(WRITES),
            record.bytes_sent,
        )

    def add_event(self, event: TrailEvent, kind: Principal) -> None:
        read = event.name == "GetObject"
        write = event.name.startswith(("Put", "Delete", "Copy", "Create", "Complete"))
        self._add(
            kind,
            event.time,
            event.source_ip,
            event.succeeded,
            event.key,
            read,
            write,
            event.bytes_out,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "succeeded": self.succeeded,
            "denied_or_failed": self.denied,
            "by_principal": dict(sorted(self.by_principal.items())),
            "object_reads": self.object_reads,
            "writes": self.writes,
            "bytes_sent": self.bytes_sent,
            "distinct_ips": len(self.ips),
            "distinct_ips_at_least": self.ips_capped,
            "ips": sorted(self.ips)[:SAMPLE],
            "distinct_objects": len(self.objects),
            "distinct_objects_at_least": self.objects_capped,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "requests_outside_window": self.outside_window,
            "own_or_trusted_requests": self.inside_requests,
        }


@dataclass(frozen=True)
class Coverage:
    """One source of access evidence and the period it covers completely."""

    source: str
    start: datetime | None  # None: the source has nothing
    end: datetime | None
    complete: bool
    problems: tuple[str, ...] = ()

    def covers(self, start: datetime | None, end: datetime | None) -> bool:
        if not self.complete or self.start is None or self.end is None or start is None:
            return False
        return self.start <= start and (end is not None and self.end >= end)


def _fmt(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else "an unknown time"


def decide(
    outside: OutsideAccess, coverages: list[Coverage], missing_sources: list[str]
) -> tuple[Verdict, str, list[dict[str, Any]]]:
    """The verdict, its statement, and the missing or incomplete periods (source, from, to,
    why)."""
    start, end = outside.start, outside.end
    caveat = (
        " Log delivery is best effort (S3 server access logs and CloudTrail both say so): the "
        "verdict rests on the records that were delivered."
    )
    if outside.succeeded:
        who = ", ".join(f"{n} {k}" for k, n in sorted(outside.by_principal.items()))
        return (
            Verdict.ACCESSED,
            f"Accessed from outside: {outside.succeeded} successful request(s) by principals "
            f"outside the account ({who} request(s) in all) from {len(outside.ips)} distinct "
            f"source IP(s), {_fmt(outside.first)} to {_fmt(outside.last)}." + caveat,
            _missing(coverages, missing_sources, start, end),
        )
    missing = _missing(coverages, missing_sources, start, end)
    if any(c.covers(start, end) for c in coverages):
        return (
            Verdict.NO_OUTSIDE_ACCESS,
            f"No outside access in complete logs covering {_fmt(start)} to {_fmt(end)}." + caveat,
            [],
        )
    denied = f" {outside.denied} outside request(s) were refused." if outside.denied else ""
    return (
        Verdict.UNDETERMINED,
        "Cannot be determined: no source of access logs covers the whole exposure window "
        "completely (see the missing periods). The absence of records is not evidence of no "
        "access." + denied + caveat,
        missing,
    )


def _missing(
    coverages: list[Coverage],
    missing_sources: list[str],
    start: datetime | None,
    end: datetime | None,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"source": s, "from": _iso(start), "to": _iso(end), "why": "not available"}
        for s in missing_sources
    ]
    for c in coverages:
        if c.problems:
            out.append(
                {
                    "source": c.source,
                    "from": _iso(c.start),
                    "to": _iso(c.end),
                    "why": "incomplete: " + "; ".join(c.problems),
                }
            )
        if c.start is None:
            out.append(
                {"source": c.source, "from": _iso(start), "to": _iso(end), "why": "no records"}
            )
            continue
        if start is None:
            out.append(
                {
                    "source": c.source,
                    "from": None,
                    "to": _iso(c.start),
                    "why": "the exposure's start is unknown: the period before the first record "
                    "is not covered",
                }
            )
        elif c.start > start:
            out.append(
                {
                    "source": c.source,
                    "from": _iso(start),
                    "to": _iso(c.start),
                    "why": "before the first record",
                }
            )
        if c.end is not None and (end is None or c.end < end):
            out.append(
                {
                    "source": c.source,
                    "from": _iso(c.end),
                    "to": _iso(end),
                    "why": "after the last record (logs may not be delivered yet)"
                    if end is None
                    else "after the last record",
                }
            )
    return out


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
