"""The store side of an investigation: the finding and its history, awareness times, saved
investigations. Functions take the :class:`~andon.store.Store` first; they read Andon's core
tables and write only the incident tables (``andon.store.schema_incident``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from andon.core.errors import NotFound
from andon.core.model import Finding
from andon.investigate.timeline import AndonFacts
from andon.store import ScanStatus, Store
from andon.store.rows import finding as finding_from_row
from andon.store.schema import FindingRow, FindingStateRow, ScanRow
from andon.store.schema_incident import AwarenessRow, InvestigationRow


@dataclass(frozen=True)
class FindingRecord:
    finding: Finding
    scope: str
    scan_id: str
    facts: AndonFacts
    history: tuple[dict[str, Any], ...]  # Andon's own timeline entries


def load_finding(store: Store, finding_id: str) -> FindingRecord:
    """The latest recorded version of ``finding_id``, with what the store knows of its life.

    Raises :class:`NotFound` for an unknown id. Accepts a unique prefix of an id too.
    """
    with store.transaction("read finding") as s:
        query = (
            sa.select(FindingRow, ScanRow)
            .join(ScanRow, ScanRow.id == FindingRow.scan_id)
            .where(FindingRow.finding_id.startswith(finding_id, autoescape=True))
            .order_by(ScanRow.seq.desc())
        )
        rows = s.execute(query.limit(50)).all()
        ids = {r[0].finding_id for r in rows}
        if not rows:
            raise NotFound(f"no finding {finding_id!r}")
        if len(ids) > 1:
            raise NotFound(f"finding id prefix {finding_id!r} is ambiguous: {sorted(ids)[:5]}")
        row, scan = rows[0]
        fid, scope = row.finding_id, scan.scope
        state = s.scalar(
            sa.select(FindingStateRow).where(
                FindingStateRow.scope == scope, FindingStateRow.finding_id == fid
            )
        )
        seen = s.execute(
            sa.select(ScanRow.started_at, ScanRow.finished_at, ScanRow.id, ScanRow.status)
            .join(FindingRow, FindingRow.scan_id == ScanRow.id)
            .where(FindingRow.finding_id == fid, ScanRow.scope == scope)
            .order_by(ScanRow.seq)
        ).all()
        first_seen, last_seen = seen[0][0], seen[-1][0]
        clean = s.scalar(
            sa.select(ScanRow.started_at)
            .where(
                ScanRow.scope == scope,
                ScanRow.status == ScanStatus.COMPLETE.value,
                ScanRow.started_at < first_seen,
            )
            .order_by(ScanRow.seq.desc())
            .limit(1)
        )
        resolved_at = None
        if state is not None and state.status == "resolved" and state.resolved_in:
            resolved_at = s.scalar(
                sa.select(ScanRow.finished_at).where(ScanRow.id == state.resolved_in)
            )
        finding = finding_from_row(row)
    history = store.finding_history(fid, scope)
    entries = [
        {
            "at": t.at.isoformat(),
            "source": "andon",
            "what": f"scan {t.scan_id[:8]}: {t.kind.value}",
            "effect": {"opened": "detected", "reopened": "detected", "resolved": "fixed"}.get(
                t.kind.value, "seen"
            ),
            "detail": f"severity {t.severity.value}",
        }
        for t in history
        if t.kind.value != "still_open"
    ]
    facts = AndonFacts(
        first_seen=first_seen,
        last_seen=last_seen,
        status=state.status if state is not None else finding.status.value,
        resolved_at=resolved_at,
        clean_before=clean,
    )
    return FindingRecord(finding, scope, row.scan_id, facts, tuple(entries))


@dataclass(frozen=True)
class Awareness:
    aware_at: datetime
    recorded_at: datetime
    recorded_by: str
    source: str
    note: str

    def to_dict(self) -> dict[str, str]:
        return {
            "aware_at": self.aware_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "source": self.source,
            "note": self.note,
        }


def record_awareness(
    store: Store,
    finding_id: str,
    aware_at: datetime,
    *,
    by: str,
    source: str,
    note: str = "",
) -> Awareness:
    """Append an awareness time for ``finding_id`` (which must exist)."""
    if aware_at.tzinfo is None:
        raise ValueError("the awareness time needs a time zone (e.g. 2026-11-30T09:00+09:00)")
    fid = load_finding(store, finding_id).finding.id
    now = store.now()
    with store.transaction("record awareness") as s:
        s.add(
            AwarenessRow(
                finding_id=fid,
                aware_at=aware_at,
                recorded_at=now,
                recorded_by=by,
                source=source,
                note=note,
            )
        )
    return Awareness(aware_at, now, by, source, note)


def awareness(store: Store, finding_id: str) -> list[Awareness]:
    """Every awareness time recorded for ``finding_id``, earliest awareness first."""
    with store.transaction("read awareness") as s:
        rows = s.scalars(
            sa.select(AwarenessRow)
            .where(AwarenessRow.finding_id == finding_id)
            .order_by(AwarenessRow.aware_at, AwarenessRow.seq)
        ).all()
        return [Awareness(r.aware_at, r.recorded_at, r.recorded_by, r.source, r.note) for r in rows]


def save_investigation(store: Store, finding_id: str, result: Mapping[str, Any]) -> str:
    inv_id = str(uuid.uuid4())
    with store.transaction("save investigation") as s:
        s.add(
            InvestigationRow(
                id=inv_id, finding_id=finding_id, created_at=store.now(), result=dict(result)
            )
        )
    return inv_id


def latest_investigation(store: Store, finding_id: str) -> dict[str, Any] | None:
    with store.transaction("read investigation") as s:
        row = s.scalar(
            sa.select(InvestigationRow)
            .where(InvestigationRow.finding_id == finding_id)
            .order_by(InvestigationRow.seq.desc())
            .limit(1)
        )
        return None if row is None else dict(row.result)
