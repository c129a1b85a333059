"""Alerts: delivery journal and mutes (issue 5).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Written by hand with plain SQLAlchemy types (see 0001). Its tables are the ORM classes in
``andon.store.schema_alert``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _short(name: str, length: int, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "andon_alert_delivery",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        _short("alert_id", 32),
        _text("key"),
        _short("source", 16),
        _short("kind", 32),
        _text("scope"),
        _short("scan_id", 36, nullable=True),
        _short("finding_id", 64),
        _text("rule"),
        _text("channel"),
        _short("severity", 16),
        _short("status", 16),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _text("worker"),
        _when("lease_until", nullable=True),
        _when("next_attempt_at", nullable=True),
        _when("created_at"),
        _when("change_time", nullable=True),
        _when("received_at", nullable=True),
        _when("sent_at", nullable=True),
        _text("error"),
        sa.Column("mute_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_andon_alert_delivery"),
        sa.UniqueConstraint("alert_id", name="uq_andon_alert_delivery_alert_id"),
        sa.UniqueConstraint("key", "channel", name="uq_andon_alert_delivery_key_channel"),
    )
    op.create_index(
        "ix_andon_alert_delivery_scan_id_finding_id",
        "andon_alert_delivery",
        ["scan_id", "finding_id"],
    )
    op.create_index("ix_andon_alert_delivery_status", "andon_alert_delivery", ["status"])

    op.create_table(
        "andon_mute",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _short("finding_id", 64),
        _text("reason"),
        _text("created_by"),
        _when("created_at"),
        _when("expires_at"),
        _when("lifted_at", nullable=True),
        _text("lifted_by", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_andon_mute"),
    )
    op.create_index("ix_andon_mute_finding_id", "andon_mute", ["finding_id"])


def downgrade() -> None:
    op.drop_table("andon_mute")
    op.drop_table("andon_alert_delivery")
