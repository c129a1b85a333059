"""Store functions of the watch tables (:mod:`andon.store.schema_watch`).

Everything here is safe with several ``andon watch`` processes on one store: inserts that
may race use ``ON CONFLICT DO NOTHING`` and claims are conditional updates whose row count
says who won.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from andon.core.errors import StoreError
from andon.store import Store
from andon.store.schema_watch import (
    WatchConsumerRow,
    WatchEventRow,
    WatchLeaseRow,
    WatchScheduleRow,
)

SWEEP = "sweep"


def _insert_ignore(s: Session, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT rows, skipping those whose primary key exists (another consumer was first)."""
    if not rows:
        return
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        s.execute(pg_insert(table).on_conflict_do_nothing(), list(rows))
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        s.execute(sqlite_insert(table).on_conflict_do_nothing(), list(rows))


# -- processed events ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessedEvent:
    event_id: str
    event_name: str
    event_time: datetime | None
    received_at: datetime
    refs: list[dict[str, Any]]
    scan_id: str | None = None
    """The targeted scan that re-read the event's resources (None: nothing to re-read)."""


def processed(store: Store, event_ids: Iterable[str]) -> set[str]:
    """The ids among ``event_ids`` whose result is already committed."""
    ids = sorted(set(event_ids))
    if not ids:
        return set()
    with store.transaction("read processed events") as s:
        return set(
            s.scalars(sa.select(WatchEventRow.event_id).where(WatchEventRow.event_id.in_(ids)))
        )


def mark_processed(
    store: Store, events: Sequence[ProcessedEvent], scan_id: str | None, consumer: str
) -> None:
    """Record ``events`` as processed by ``scan_id`` (ids already recorded are kept)."""
    now = store.now()
    rows = [
        {
            "event_id": e.event_id,
            "event_name": e.event_name,
            "event_time": e.event_time,
            "refs": e.refs,
            "received_at": e.received_at,
            "processed_at": now,
            "scan_id": e.scan_id or scan_id,
            "consumer": consumer,
        }
        for e in events
    ]
    with store.transaction("record processed events") as s:
        _insert_ignore(s, WatchEventRow, rows)


def refs_processed_since(store: Store, since: datetime) -> list[dict[str, Any]]:
    """The resource references of events processed at or after ``since`` (deduplicated)."""
    with store.transaction("read recent events") as s:
        rows = s.scalars(sa.select(WatchEventRow.refs).where(WatchEventRow.processed_at >= since))
        seen: dict[str, dict[str, Any]] = {}
        for refs in rows:
            for ref in refs or []:
                if isinstance(ref, dict):
                    seen[repr(sorted(ref.items()))] = ref
    return list(seen.values())


def prune_events(store: Store, older_than: timedelta) -> int:
    """Forget processed events older than ``older_than``; returns how many."""
    cutoff = store.now() - older_than
    with store.transaction("prune processed events") as s:
        result = s.execute(sa.delete(WatchEventRow).where(WatchEventRow.processed_at < cutoff))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- consumers -------------------------------------------------------------------------------


def register_consumer(store: Store, consumer: str, host: str, pid: int) -> None:
    now = store.now()
    with store.transaction("register the consumer") as s:
        s.merge(
            WatchConsumerRow(
                id=consumer,
                host=host,
                pid=pid,
                started_at=now,
                heartbeat_at=now,
                stopped_at=None,
                state="running",
                events=0,
                batches=0,
            )
        )


def heartbeat(
    store: Store, consumer: str, *, events: int, batches: int, state: str = "running"
) -> None:
    now = store.now()
    values: dict[str, Any] = {
        "heartbeat_at": now,
        "events": events,
        "batches": batches,
        "state": state,
    }
    if state == "stopped":
        values["stopped_at"] = now
    with store.transaction("consumer heartbeat") as s:
        s.execute(sa.update(WatchConsumerRow).where(WatchConsumerRow.id == consumer).values(values))


@dataclass(frozen=True)
class ConsumerState:
    id: str
    host: str
    pid: int
    state: str
    started_at: datetime
    heartbeat_at: datetime
    events: int
    batches: int


def consumers(store: Store) -> list[ConsumerState]:
    with store.transaction("list consumers") as s:
        rows = s.scalars(sa.select(WatchConsumerRow).order_by(WatchConsumerRow.started_at))
        return [
            ConsumerState(
                r.id, r.host, r.pid, r.state, r.started_at, r.heartbeat_at, r.events, r.batches
            )
            for r in rows
        ]


# -- the sweep schedule ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleState:
    name: str
    owner: str | None
    claimed_until: datetime | None
    last_started: datetime | None
    last_finished: datetime | None
    last_status: str | None
    last_scan_id: str | None


def schedule(store: Store, name: str = SWEEP) -> ScheduleState | None:
    with store.transaction("read the schedule") as s:
        row = s.get(WatchScheduleRow, name)
        if row is None:
            return None
        return ScheduleState(
            row.name,
            row.owner,
            row.claimed_until,
            row.last_started,
            row.last_finished,
            row.last_status,
            row.last_scan_id,
        )


def claim(store: Store, owner: str, *, interval: float, hold: float, name: str = SWEEP) -> bool:
    """Claim the job ``name`` if it is due (never started, or started ``interval`` seconds
    ago or longer) and nobody holds it; the claim lasts ``hold`` seconds (renew it with
    :func:`renew`). Exactly one of several racing consumers gets ``True``."""
    now = store.now()
    t = WatchScheduleRow
    with store.transaction("claim the sweep") as s:
        _insert_ignore(
            s,
            t,
            [
                {
                    "name": name,
                    "owner": None,
                    "claimed_until": None,
                    "last_started": None,
                    "last_finished": None,
                    "last_status": None,
                    "last_scan_id": None,
                }
            ],
        )
        due = sa.or_(t.last_started.is_(None), t.last_started <= now - timedelta(seconds=interval))
        free = sa.or_(t.claimed_until.is_(None), t.claimed_until < now)
        result = s.execute(
            sa.update(t)
            .where(t.name == name, due, free)
            .values(owner=owner, claimed_until=now + timedelta(seconds=hold), last_started=now)
        )
        return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


def renew(store: Store, owner: str, hold: float, name: str = SWEEP) -> bool:
    """Extend ``owner``'s claim by ``hold`` seconds from now; False if it lost the claim."""
    now = store.now()
    t = WatchScheduleRow
    with store.transaction("renew the sweep claim") as s:
        result = s.execute(
            sa.update(t)
            .where(t.name == name, t.owner == owner)
            .values(claimed_until=now + timedelta(seconds=hold))
        )
        return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


def finish(store: Store, owner: str, status: str, scan_id: str | None, name: str = SWEEP) -> None:
    """Record the end of ``owner``'s run of ``name`` and release the claim."""
    t = WatchScheduleRow
    with store.transaction("record the end of the sweep") as s:
        s.execute(
            sa.update(t)
            .where(t.name == name, t.owner == owner)
            .values(
                claimed_until=None,
                last_finished=store.now(),
                last_status=status,
                last_scan_id=scan_id,
            )
        )


# -- resource leases -------------------------------------------------------------------------


def lease(store: Store, uids: Iterable[str], owner: str, seconds: float) -> set[str]:
    """Take the leases on ``uids`` that are free, expired or already ``owner``'s; returns the
    uids ``owner`` now holds. Another consumer's live lease is left alone."""
    wanted = sorted(set(uids))
    if not wanted:
        return set()
    now = store.now()
    until = now + timedelta(seconds=seconds)
    t = WatchLeaseRow
    with store.transaction("lease resources") as s:
        _insert_ignore(s, t, [{"uid": u, "owner": owner, "expires_at": until} for u in wanted])
        s.execute(
            sa.update(t)
            .where(t.uid.in_(wanted), sa.or_(t.owner == owner, t.expires_at < now))
            .values(owner=owner, expires_at=until)
        )
        return set(s.scalars(sa.select(t.uid).where(t.uid.in_(wanted), t.owner == owner)))


def release(store: Store, uids: Iterable[str], owner: str) -> None:
    """Give up ``owner``'s leases on ``uids``."""
    wanted = sorted(set(uids))
    if not wanted:
        return
    t = WatchLeaseRow
    with store.transaction("release resource leases") as s:
        s.execute(sa.delete(t).where(t.uid.in_(wanted), t.owner == owner))


# -- reading for metrics and recovery --------------------------------------------------------


def open_by_severity(store: Store) -> dict[str, int]:
    """Open findings in the store (every scope), by severity."""
    from andon.store.schema import FindingStateRow as F

    with store.transaction("count open findings") as s:
        rows = s.execute(
            sa.select(F.severity, sa.func.count()).where(F.status == "open").group_by(F.severity)
        )
        return {str(sev): int(n) for sev, n in rows}


def live_consumers(store: Store, stale_after: float) -> set[str]:
    """Consumers that showed life within ``stale_after`` seconds and have not stopped."""
    cutoff = store.now() - timedelta(seconds=stale_after)
    t = WatchConsumerRow
    with store.transaction("list live consumers") as s:
        return set(s.scalars(sa.select(t.id).where(t.heartbeat_at >= cutoff, t.state != "stopped")))


def recover_abandoned(store: Store, live: set[str], *, limit: int = 200) -> list[str]:
    """Mark ``running`` scans started by a watch consumer that is no longer alive as
    ``incomplete`` (their process died mid-batch); returns their ids. Scans of other commands
    and of live consumers are left alone."""
    from andon.store import ScanStatus

    recovered = []
    for record in store.scans(limit=limit):
        if record.status is not ScanStatus.RUNNING:
            continue
        watch = record.meta.get("watch") if isinstance(record.meta, Mapping) else None
        owner = watch.get("consumer") if isinstance(watch, Mapping) else None
        if not owner or owner in live:
            continue
        try:
            store.finish_scan(
                record.id,
                ScanStatus.INCOMPLETE,
                error=f"abandoned: watch consumer {owner} stopped before it finished (recovered)",
            )
        except StoreError:  # finished meanwhile by someone else: nothing to recover
            continue
        recovered.append(record.id)
    return recovered


def release_dead(store: Store, live: set[str]) -> int:
    """Drop the leases of consumers that are no longer alive (they died holding them)."""
    t = WatchLeaseRow
    with store.transaction("release dead consumers' leases") as s:
        result = s.execute(sa.delete(t).where(t.owner.not_in(sorted(live))))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def make_due(store: Store, name: str = SWEEP) -> None:
    """Make the job ``name`` due now (an account-wide change asks for a sweep)."""
    t = WatchScheduleRow
    with store.transaction("make the sweep due") as s:
        s.execute(sa.update(t).where(t.name == name).values(last_started=None))
