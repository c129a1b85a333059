"""The delivery journal: claiming deliveries, recording how they ended, reading them back.

Every function takes an open session (from :meth:`andon.store.Store.transaction`); the caller
owns the transaction. A claim is an ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on the
unique ``(key, channel)``: the rows that come back belong to this worker, the others were
claimed by someone else first. A claim expires at ``lease_until``; an expired claim (its worker
died between claim and result) and a failed delivery whose retry time has come are taken over
with a conditional ``UPDATE`` that only one worker can win.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from andon.store.schema_alert import AlertDeliveryRow

CLAIMED = "claimed"
SENT = "sent"
RETRY = "retry"
FAILED = "failed"
MUTED = "muted"
STATUSES = (CLAIMED, SENT, RETRY, FAILED, MUTED)
MAX_BACKOFF = timedelta(hours=1)


def alert_id(key: str, channel: str) -> str:
    """The stable id of the alert ``key`` on ``channel`` (receivers dedupe on it)."""
    return hashlib.sha256(f"{key}\x00{channel}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class AlertRecord:
    """One alert to one channel, as the journal holds it.

    ``key`` names what is alerted (``transition:<scan>:<finding>``,
    ``reminder:<scope>:<finding>:<opened in>:<n>``, ``change:<caller's key>``). ``ok`` is True
    once sent (and for a ``muted`` alert, which was suppressed on purpose); ``error`` says why
    the last attempt failed, secrets masked. ``status`` is one of ``claimed``, ``sent``,
    ``retry``, ``failed``, ``muted``.
    """

    id: str
    finding_id: str
    key: str
    kind: str
    channel: str
    severity: str
    change_time: datetime | None
    received_at: datetime | None
    sent_at: datetime | None
    ok: bool
    error: str
    status: str = SENT
    attempts: int = 0
    scope: str = ""
    rule_id: str = ""
    source: str = ""
    created_at: datetime | None = None
    mute_id: int | None = None
    payload: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "id": self.id,
            "key": self.key,
            "kind": self.kind,
            "source": self.source,
            "status": self.status,
            "ok": self.ok,
            "channel": self.channel,
            "finding_id": self.finding_id,
            "rule": self.rule_id,
            "scope": self.scope,
            "severity": self.severity,
            "attempts": self.attempts,
            "created_at": iso(self.created_at),
            "change_time": iso(self.change_time),
            "received_at": iso(self.received_at),
            "sent_at": iso(self.sent_at),
            "mute_id": self.mute_id,
            "error": self.error,
        }


def record(row: AlertDeliveryRow, *, with_payload: bool = False) -> AlertRecord:
    return AlertRecord(
        id=row.alert_id,
        finding_id=row.finding_id,
        key=row.key,
        kind=row.kind,
        channel=row.channel,
        severity=row.severity,
        change_time=row.change_time,
        received_at=row.received_at,
        sent_at=row.sent_at,
        ok=row.status in (SENT, MUTED),
        error=row.error,
        status=row.status,
        attempts=row.attempts,
        scope=row.scope,
        rule_id=row.rule,
        source=row.source,
        created_at=row.created_at,
        mute_id=row.mute_id,
        payload=row.payload if with_payload else None,
    )


def _insert(session: Session) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(AlertDeliveryRow)
    return sqlite.insert(AlertDeliveryRow)


def claim_new(session: Session, rows: Sequence[dict[str, Any]]) -> list[AlertDeliveryRow]:
    """Insert the rows nobody has yet; return those this call inserted (its claims), as
    detached row objects holding the inserted values."""
    if not rows:
        return []
    ordered = sorted(rows, key=lambda r: (r["key"], r["channel"]))  # one lock order for all
    t = AlertDeliveryRow
    stmt = _insert(session).on_conflict_do_nothing().returning(t.seq, t.key, t.channel)
    inserted = {(key, channel): seq for seq, key, channel in session.execute(stmt, ordered)}
    claimed = []
    for values in ordered:
        seq = inserted.get((values["key"], values["channel"]))
        if seq is not None:
            row = AlertDeliveryRow(**values)
            row.seq = seq
            claimed.append(row)
    return claimed


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the journal already holds (on any channel)."""
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = list(keys[i : i + 500])
        found.update(
            session.scalars(
                sa.select(AlertDeliveryRow.key).where(AlertDeliveryRow.key.in_(chunk)).distinct()
            )
        )
    return found


def due_seqs(session: Session, now: datetime, limit: int) -> list[int]:
    """Deliveries whose retry time has come, or whose claim's lease ran out."""
    t = AlertDeliveryRow
    query = (
        sa.select(t.seq)
        .where(
            sa.or_(
                sa.and_(t.status == RETRY, t.next_attempt_at <= now),
                sa.and_(t.status == CLAIMED, t.lease_until < now),
            )
        )
        .order_by(t.seq)
        .limit(limit)
    )
    return list(session.scalars(query))


def take_over(
    session: Session, seq: int, *, worker: str, now: datetime, lease: timedelta, limit: int
) -> AlertDeliveryRow | None:
    """Claim delivery ``seq`` if it is still due (only one worker wins); a delivery whose
    attempts are used up is recorded ``failed`` instead and returned as such."""
    t = AlertDeliveryRow
    due = sa.or_(
        sa.and_(t.status == RETRY, t.next_attempt_at <= now),
        sa.and_(t.status == CLAIMED, t.lease_until < now),
    )
    row = session.scalars(sa.select(t).where(t.seq == seq, due)).first()
    if row is None:
        return None
    if row.status == CLAIMED:
        note = f"the claim of {row.worker} expired before it recorded a result"
        error = f"{row.error}; {note}" if row.error else note
    else:
        error = row.error
    if row.attempts >= limit:
        result = session.execute(
            sa.update(t)
            .where(t.seq == seq, due)
            .values(status=FAILED, lease_until=None, next_attempt_at=None, error=error)
        )
    else:
        result = session.execute(
            sa.update(t)
            .where(t.seq == seq, due)
            .values(
                status=CLAIMED,
                worker=worker,
                lease_until=now + lease,
                attempts=t.attempts + 1,
                error=error,
            )
        )
    if getattr(result, "rowcount", 0) != 1:
        return None
    session.refresh(row)
    return row


def settle(
    session: Session,
    row: AlertDeliveryRow,
    *,
    worker: str,
    now: datetime,
    error: str,
    limit: int,
    backoff: timedelta,
) -> bool:
    """Record the result of an attempt on ``row`` (claimed by ``worker``; updated in place):
    ``sent``, else ``retry`` with an exponential backoff, else ``failed`` once ``limit``
    attempts were made. False, and nothing recorded, when the claim's lease ran out and another
    worker took the delivery over (its result is the journal's)."""
    t = AlertDeliveryRow
    values: dict[str, Any] = {"lease_until": None, "error": error, "next_attempt_at": None}
    if not error:
        values.update(status=SENT, sent_at=now)
    elif row.attempts >= limit:
        values.update(status=FAILED)
    else:
        delay = min(backoff * (2 ** max(row.attempts - 1, 0)), MAX_BACKOFF)
        values.update(status=RETRY, next_attempt_at=now + delay)
    result = session.execute(
        sa.update(t)
        .where(t.seq == row.seq, t.worker == worker, t.status == CLAIMED)
        .values(**values)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    for name, value in values.items():
        setattr(row, name, value)
    return True


def renew(session: Session, row: AlertDeliveryRow, *, worker: str, until: datetime) -> bool:
    """Extend ``worker``'s claim on ``row`` to ``until``; False if it is no longer its claim."""
    t = AlertDeliveryRow
    result = session.execute(
        sa.update(t)
        .where(t.seq == row.seq, t.worker == worker, t.status == CLAIMED)
        .values(lease_until=until)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    row.lease_until = until
    return True


def current_worker(session: Session, seq: int) -> str:
    """Who holds delivery ``seq`` now (for messages)."""
    return (
        session.scalar(sa.select(AlertDeliveryRow.worker).where(AlertDeliveryRow.seq == seq)) or ""
    )


def journal(
    session: Session,
    *,
    limit: int = 100,
    finding_id: str | None = None,
    status: str | None = None,
    channel: str | None = None,
) -> list[AlertRecord]:
    """Deliveries, newest first."""
    t = AlertDeliveryRow
    query = sa.select(t)
    if finding_id is not None:
        query = query.where(t.finding_id == finding_id)
    if status is not None:
        query = query.where(t.status == status)
    if channel is not None:
        query = query.where(t.channel == channel)
    return [record(r) for r in session.scalars(query.order_by(t.seq.desc()).limit(limit))]
