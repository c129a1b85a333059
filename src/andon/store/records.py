"""The values the store gives back: frozen, typed, free of SQLAlchemy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from andon.core.model import Exposure, Gap, Resource, Severity, Status


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
