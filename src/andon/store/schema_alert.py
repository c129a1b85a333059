"""Tables of Alerts: the delivery journal and mutes.

ORM classes on :class:`andon.store.schema.Base`.

Migration 0003 (``migrations/versions/0003_alert.py``) creates exactly these tables.

``andon_alert_delivery`` is both the outbox claim and the journal: one row per
(alert key, channel). The unique constraint on ``(key, channel)`` is what makes a delivery
happen once across processes: a dispatcher inserts the row (``ON CONFLICT DO NOTHING``) before it
sends, and only the process whose insert went in sends. ``status`` is ``claimed`` (being sent by
``worker`` until ``lease_until``), ``sent``, ``retry`` (failed; due again at ``next_attempt_at``),
``failed`` (gave up after the retry limit) or ``muted`` (suppressed by ``mute_id``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from andon.store.schema import Base


class AlertDeliveryRow(Base):
    """One alert to one channel: its claim, its attempts, and how it ended."""

    __tablename__ = "andon_alert_delivery"
    __table_args__ = (
        sa.UniqueConstraint("key", "channel"),
        sa.Index("ix_andon_alert_delivery_scan_id_finding_id", "scan_id", "finding_id"),
    )

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    key: Mapped[str]
    source: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(32))
    scope: Mapped[str]
    scan_id: Mapped[str | None] = mapped_column(sa.String(36))
    finding_id: Mapped[str] = mapped_column(sa.String(64))
    rule: Mapped[str]
    channel: Mapped[str]
    severity: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer)
    worker: Mapped[str]
    lease_until: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    change_time: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    error: Mapped[str]
    mute_id: Mapped[int | None] = mapped_column(sa.Integer)
    payload: Mapped[dict[str, Any]]


class MuteRow(Base):
    """A finding silenced until ``expires_at`` (or until lifted), with who and why."""

    __tablename__ = "andon_mute"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    reason: Mapped[str]
    created_by: Mapped[str]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None]
