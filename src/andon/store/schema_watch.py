"""Tables of Watch: processed events, consumers, the sweep schedule and resource leases.

ORM classes on :class:`andon.store.schema.Base`.

Migration 0002 (``migrations/versions/0002_watch.py``) creates exactly these tables.

* ``andon_watch_event``: one row per CloudTrail event whose result is committed to the store.
  A redelivered or duplicated event (same id) is recognized and skipped, which makes
  processing idempotent across restarts and across several consumers of one queue.
* ``andon_watch_consumer``: one row per ``andon watch`` process: heartbeat and counters.
* ``andon_watch_schedule``: when the reconciliation sweep last ran and who holds it now, so
  that several consumers of one store sweep once per interval between them, and a restart
  does not sweep again before the interval is over.
* ``andon_watch_lease``: a short lease per resource uid held while one consumer re-collects
  it, so two consumers never commit an older state of one resource over a newer one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from andon.store.schema import Base


class WatchEventRow(Base):
    """A CloudTrail event whose re-evaluation is committed (the idempotence key)."""

    __tablename__ = "andon_watch_event"

    event_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    event_name: Mapped[str]
    event_time: Mapped[datetime | None]
    refs: Mapped[list[Any]]
    """The resources the event touched (account, region, service, kind, uid): a sweep that
    overlapped their re-collection re-collects them once more when it ends."""
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime] = mapped_column(index=True)
    scan_id: Mapped[str | None] = mapped_column(sa.String(36))
    consumer: Mapped[str]


class WatchConsumerRow(Base):
    """One ``andon watch`` process: when it started, when it last showed life, what it did."""

    __tablename__ = "andon_watch_consumer"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    host: Mapped[str]
    pid: Mapped[int] = mapped_column(sa.Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(sa.String(16))
    events: Mapped[int] = mapped_column(sa.Integer)
    batches: Mapped[int] = mapped_column(sa.Integer)


class WatchScheduleRow(Base):
    """A periodic job shared by every consumer of the store (the reconciliation sweep)."""

    __tablename__ = "andon_watch_schedule"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    owner: Mapped[str | None]
    claimed_until: Mapped[datetime | None]
    last_started: Mapped[datetime | None]
    last_finished: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(sa.String(16))
    last_scan_id: Mapped[str | None] = mapped_column(sa.String(36))


class WatchLeaseRow(Base):
    """A resource one consumer is re-collecting until ``expires_at``."""

    __tablename__ = "andon_watch_lease"

    uid: Mapped[str] = mapped_column(primary_key=True)
    owner: Mapped[str]
    expires_at: Mapped[datetime]


__all__ = ["WatchConsumerRow", "WatchEventRow", "WatchLeaseRow", "WatchScheduleRow"]
