"""Mutes: a finding silenced until a set time, with a reason and who asked, kept in the store.

A mute suppresses the finding's transition alerts and reminders while it is active
(``created_at <= t < expires_at`` and not lifted). Suppressed alerts are still journaled, with
status ``muted``, so a mute never hides that something happened. Mutes are never deleted:
lifting one records who lifted it and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from andon.core.errors import ConfigError, NotFound
from andon.store import Store
from andon.store.schema import FindingRow, FindingStateRow
from andon.store.schema_alert import MuteRow

MAX_REASON = 2000


class InvalidMute(ConfigError, ValueError):
    """A mute that cannot be recorded: empty reason, expiry not in the future, bad input.

    Both a :class:`ConfigError` (an Andon usage error) and a :class:`ValueError`.
    """


@dataclass(frozen=True)
class Mute:
    """One mute of one finding."""

    id: int
    finding_id: str
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None

    def active(self, at: datetime) -> bool:
        """True when the mute silences the finding at ``at``."""
        if self.lifted_at is not None and self.lifted_at <= at:
            return False
        return self.created_at <= at < self.expires_at

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "finding_id": self.finding_id,
            "reason": self.reason,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "lifted_at": None if self.lifted_at is None else self.lifted_at.isoformat(),
            "lifted_by": self.lifted_by,
        }


def _mute(row: MuteRow) -> Mute:
    return Mute(
        id=row.id,
        finding_id=row.finding_id,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        lifted_at=row.lifted_at,
        lifted_by=row.lifted_by,
    )


def add_mute(
    store: Store, finding_id: str, *, reason: str, expires_at: datetime, created_by: str
) -> Mute:
    """Silence ``finding_id`` until ``expires_at``.

    :class:`InvalidMute` for an empty or overlong reason, an empty ``created_by``, a naive
    or past ``expires_at``; :class:`NotFound` when the store never recorded the finding.
    """
    reason = reason.strip()
    if not reason:
        raise InvalidMute("a mute needs a reason (why is this finding silenced?)")
    if len(reason) > MAX_REASON:
        raise InvalidMute(f"the reason is longer than {MAX_REASON} characters")
    if not created_by.strip():
        raise InvalidMute("a mute needs to say who created it")
    if expires_at.tzinfo is None:
        raise InvalidMute("the expiry needs a time zone (e.g. 2026-12-01T00:00:00Z)")
    now = store.now()
    if expires_at <= now:
        raise InvalidMute(
            f"the expiry {expires_at.isoformat()} is not in the future (now {now.isoformat()})"
        )
    with store.transaction("add a mute") as s:
        known = s.scalar(
            sa.select(FindingStateRow.finding_id)
            .where(FindingStateRow.finding_id == finding_id)
            .limit(1)
        ) or s.scalar(
            sa.select(FindingRow.finding_id).where(FindingRow.finding_id == finding_id).limit(1)
        )
        if known is None:
            raise NotFound(f"no finding {finding_id!r}")
        row = MuteRow(
            finding_id=finding_id,
            reason=reason,
            created_by=created_by.strip(),
            created_at=now,
            expires_at=expires_at,
            lifted_at=None,
            lifted_by=None,
        )
        s.add(row)
        s.flush()
        return _mute(row)


def lift_mute(store: Store, mute_id: int, *, by: str) -> Mute:
    """End mute ``mute_id`` now; :class:`NotFound` if there is none. Lifting a mute that was
    already lifted or has expired changes nothing and returns it as it is."""
    if not by.strip():
        raise InvalidMute("say who lifts the mute")
    with store.transaction("lift a mute") as s:
        row = s.scalars(sa.select(MuteRow).where(MuteRow.id == mute_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no mute {mute_id}")
        now = store.now()
        if row.lifted_at is None and row.expires_at > now:
            row.lifted_at = now
            row.lifted_by = by.strip()
        return _mute(row)


def list_mutes(
    store: Store, *, finding_id: str | None = None, active_at: datetime | None = None
) -> list[Mute]:
    """Mutes (of one finding; only those active at ``active_at`` if given), oldest first."""
    query = sa.select(MuteRow) if active_at is None else _active_query(active_at)
    if finding_id is not None:
        query = query.where(MuteRow.finding_id == finding_id)
    with store.transaction("list mutes") as s:
        return [_mute(r) for r in s.scalars(query.order_by(MuteRow.id))]


def _active_query(at: datetime) -> sa.Select[Any]:
    return sa.select(MuteRow).where(
        MuteRow.created_at <= at,
        MuteRow.expires_at > at,
        sa.or_(MuteRow.lifted_at.is_(None), MuteRow.lifted_at > at),
    )


def active_mute_in(s: Session, finding_id: str, at: datetime) -> Mute | None:
    """:func:`active_mute` inside an open transaction (the dispatcher's claim)."""
    query = _active_query(at).where(MuteRow.finding_id == finding_id)
    rows = s.scalars(query.order_by(MuteRow.expires_at.desc(), MuteRow.id.desc()).limit(1))
    row: MuteRow | None = rows.first()
    return None if row is None else _mute(row)


def active_mutes_in(s: Session, finding_ids: list[str], at: datetime) -> dict[str, Mute]:
    """The mute silencing each of ``finding_ids`` at ``at`` (those muted only)."""
    out: dict[str, Mute] = {}
    for i in range(0, len(finding_ids), 400):
        query = _active_query(at).where(MuteRow.finding_id.in_(finding_ids[i : i + 400]))
        for row in s.scalars(query.order_by(MuteRow.expires_at, MuteRow.id)):
            out[row.finding_id] = _mute(row)  # the last one lasts longest
    return out


def active_mute(store: Store, finding_id: str, at: datetime) -> Mute | None:
    """The mute silencing ``finding_id`` at ``at`` (the one lasting longest), or None."""
    with store.transaction("read the active mute") as s:
        return active_mute_in(s, finding_id, at)
