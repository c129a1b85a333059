"""The values the store gives back: frozen, typed, free of SQLAlchemy."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from andon.core.model import Exposure, Gap, Resource, Severity, Status

TARGETS_KEY = "targets"
"""The key of a scan's ``meta`` that lists a targeted scan's resource uids (reserved)."""


class ScanStatus(StrEnum):
    """Where a scan stands.

    ``running`` until :meth:`andon.store.Store.finish_scan`. ``complete``: every part of the
    scope was read (gaps on single resources are allowed, they make those verdicts UNKNOWN).
    ``incomplete``: the scan ended early or could not read part of the scope. ``failed``: the
    scan could not do its job. Only a ``complete`` scan may resolve findings.
    """

    RUNNING = "running"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


class TransitionKind(StrEnum):
    """How a finding's state changed at the end of one scan (see :mod:`andon.store`)."""

    OPENED = "opened"
    STILL_OPEN = "still_open"
    SEVERITY_CHANGED = "severity_changed"
    REOPENED = "reopened"
    EXEMPTED = "exempted"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class ScanRecord:
    """One scan, as stored."""

    id: str
    scope: str
    status: ScanStatus
    started_at: datetime
    finished_at: datetime | None
    error: str
    meta: Mapping[str, Any]
    gaps: tuple[Gap, ...]
    resource_count: int
    finding_count: int

    @property
    def finished(self) -> bool:
        return self.status is not ScanStatus.RUNNING

    @property
    def targets(self) -> tuple[str, ...] | None:
        """The resource uids a targeted scan covered (sorted); ``None`` for a full scan."""
        return targets_of(self.meta)

    @property
    def targeted(self) -> bool:
        return self.targets is not None


def targets_of(meta: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """A scan's targets from its ``meta`` (``None``: a full scan)."""
    raw = (meta or {}).get(TARGETS_KEY)
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(u, str) for u in raw):
        raise ValueError(f"meta[{TARGETS_KEY!r}] is not a list of resource uids")
    return tuple(raw)


def covered_by(meta: Any) -> tuple[str, ...] | None:
    """A finished scan's targets, leniently (``None``: a full scan; unreadable: none)."""
    try:
        return targets_of(meta if isinstance(meta, Mapping) else None)
    except ValueError:
        return ()


def with_targets(meta: Mapping[str, Any] | None, targets: Collection[str] | None) -> dict[str, Any]:
    """A new scan's ``meta`` with its ``targets`` (sorted, deduplicated) under the reserved
    key; ``ValueError`` for a caller's meta using that key or for a malformed target."""
    data = dict(meta or {})
    if TARGETS_KEY in data:
        raise ValueError(f"meta key {TARGETS_KEY!r} is reserved: pass targets=")
    if targets is not None:
        if isinstance(targets, str):
            raise ValueError("targets is a collection of resource uids, not one string")
        uids = set(targets)
        if not all(isinstance(u, str) and u for u in uids):
            raise ValueError("every target must be a non-empty resource uid")
        data[TARGETS_KEY] = sorted(uids)
    return data


@dataclass(frozen=True)
class Transition:
    """A change of one finding's state, caused by one scan.

    ``severity`` is the finding's severity after the scan; ``previous_severity`` is set for
    ``severity_changed`` (and for any transition of a finding the scope had seen before).
    ``at`` is when the scan finished.
    """

    scan_id: str
    scope: str
    finding_id: str
    rule_id: str
    kind: TransitionKind
    severity: Severity
    previous_severity: Severity | None
    at: datetime


@dataclass(frozen=True)
class FindingState:
    """What a scope currently knows about one finding.

    ``status`` is ``open``, ``exempt`` or ``resolved``. ``opened_in`` is the scan that last
    opened (or reopened) it, ``resolved_in`` the scan that resolved it (``None`` while open).
    ``first_seen`` and ``last_seen`` are start times of the scans that produced it.
    """

    scope: str
    finding_id: str
    rule_id: str
    status: Status
    severity: Severity
    first_seen: datetime
    last_seen: datetime
    opened_in: str
    resolved_in: str | None
    last_scan_id: str


@dataclass(frozen=True)
class ResourceSnapshot:
    """A resource and its exposure as one scan saw them (``raw`` documents are not stored)."""

    scan_id: str
    resource: Resource
    exposure: Exposure | None
