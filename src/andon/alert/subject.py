"""What an alert is about, read from the store: the finding, its resource snapshot (whose tags
route the alert) and, for a scan the watch daemon ran on an event, when the change happened.

The daemon writes, in the meta of a scan it runs because of CloudTrail events::

    meta["watch"]["changes"][resource_uid] = {"event_time": "...Z", "received_at": "...Z", ...}

``event_time`` is CloudTrail's ``eventTime`` (when the API call was made), ``received_at`` when
the event reached Andon. Both are optional; sweeps have neither.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from andon.core.model import Finding
from andon.store.rows import finding as finding_record
from andon.store.schema import FindingRow, ResourceRow, ScanRow


@dataclass(frozen=True)
class Subject:
    """The finding an alert is about, as the store knows it (``finding`` None if the store
    holds no version of it, e.g. a finding id from another tool)."""

    finding_id: str
    scope: str
    scan_id: str | None
    finding: Finding | None
    tags: Mapping[str, Any] = field(default_factory=dict)
    change_time: datetime | None = None
    received_at: datetime | None = None

    @property
    def resource_uid(self) -> str:
        return "" if self.finding is None else str(self.finding.resource.get("uid", ""))


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string (``Z`` allowed), epoch seconds or a
    datetime; None for anything else."""
    if isinstance(value, datetime):
        out = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value:
        try:
            out = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if out.tzinfo is None:
        out = out.replace(tzinfo=UTC)
    return out.astimezone(UTC)


def change_times(meta: Mapping[str, Any], uid: str) -> tuple[datetime | None, datetime | None]:
    """(event_time, received_at) the watch daemon recorded for ``uid`` in a scan's meta."""
    watch = meta.get("watch") if isinstance(meta, Mapping) else None
    changes = watch.get("changes") if isinstance(watch, Mapping) else None
    change = changes.get(uid) if isinstance(changes, Mapping) else None
    if not isinstance(change, Mapping):
        return None, None
    return parse_time(change.get("event_time")), parse_time(change.get("received_at"))


Wanted = tuple[str, str, str | None]
"""(finding id, scope, scan id) of one subject to load."""


def _latest(s: Session, finding_id: str, scope: str) -> FindingRow | None:
    latest = (
        sa.select(FindingRow)
        .join(ScanRow, ScanRow.id == FindingRow.scan_id)
        .where(FindingRow.finding_id == finding_id)
        .order_by(FindingRow.seq.desc())
        .limit(1)
    )
    row: FindingRow | None = (
        s.scalars(latest.where(ScanRow.scope == scope)).first() or s.scalars(latest).first()
    )
    return row


def load_subjects(s: Session, wanted: Sequence[Wanted]) -> list[Subject]:
    """For each (finding id, scope, scan id): the finding as that scan produced it, else its
    latest version in the scope, else its latest version anywhere; the resource's tags from
    the same scans; the change times from the scan's meta. A few queries for the whole batch
    (one more per finding the scan did not produce, e.g. a resolved one)."""
    scan_ids = sorted({sid for _, _, sid in wanted if sid})
    fids = sorted({fid for fid, _, _ in wanted})
    rows: dict[tuple[str, str], FindingRow] = {}
    metas: dict[str, Any] = {}
    for chunk in _chunks(scan_ids):
        query = sa.select(FindingRow).where(
            FindingRow.scan_id.in_(chunk), FindingRow.finding_id.in_(fids)
        )
        rows.update({(r.scan_id, r.finding_id): r for r in s.scalars(query)})
        meta_query = sa.select(ScanRow.id, ScanRow.meta).where(ScanRow.id.in_(chunk))
        metas.update({sid: meta for sid, meta in s.execute(meta_query)})
    found: list[tuple[Wanted, FindingRow | None]] = []
    for fid, scope, sid in wanted:
        row = rows.get((sid, fid)) if sid else None
        found.append(((fid, scope, sid), row or _latest(s, fid, scope)))
    # tags: from the scan of the transition first, else from the scan of the finding's version
    uids = {str(r.resource.get("uid", "")) for _, r in found if r is not None}
    where_scans = {x for (_, _, sid), r in found if r is not None for x in (sid, r.scan_id) if x}
    tags: dict[tuple[str, str], Any] = {}
    for chunk in _chunks(sorted(where_scans)):
        tag_query = sa.select(ResourceRow.scan_id, ResourceRow.uid, ResourceRow.tags).where(
            ResourceRow.scan_id.in_(chunk), ResourceRow.uid.in_(sorted(uids))
        )
        for snap_scan, snap_uid, snap_tags in s.execute(tag_query):
            tags[(snap_scan, snap_uid)] = snap_tags
    out = []
    for (fid, scope, sid), row in found:
        if row is None:
            out.append(Subject(finding_id=fid, scope=scope, scan_id=sid, finding=None))
            continue
        finding = finding_record(row)
        uid = str(finding.resource.get("uid", ""))
        snap: Any = next((tags[(x, uid)] for x in (sid, row.scan_id) if x and (x, uid) in tags), {})
        change_time, received_at = change_times(metas.get(sid or "") or {}, uid)
        out.append(
            Subject(
                finding_id=fid,
                scope=scope,
                scan_id=sid,
                finding=finding,
                tags=snap if isinstance(snap, Mapping) else {},
                change_time=change_time,
                received_at=received_at,
            )
        )
    return out


def _chunks(items: Sequence[str], size: int = 400) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def load_subject(s: Session, finding_id: str, scope: str, scan_id: str | None) -> Subject:
    """One subject (see :func:`load_subjects`)."""
    return load_subjects(s, [(finding_id, scope, scan_id)])[0]
