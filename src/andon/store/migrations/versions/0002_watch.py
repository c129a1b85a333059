"""Watch: processed events, consumers, the sweep schedule and resource leases (issue 5).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Written by hand with plain SQLAlchemy types (see 0001). Its tables are the ORM classes in
``andon.store.schema_watch``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "andon_watch_event",
        sa.Column("event_id", sa.String(128), nullable=False),
        _text("event_name"),
        _when("event_time", nullable=True),
        sa.Column("refs", sa.JSON(), nullable=False),
        _when("received_at"),
        _when("processed_at"),
        sa.Column("scan_id", sa.String(36), nullable=True),
        _text("consumer"),
        sa.PrimaryKeyConstraint("event_id", name="pk_andon_watch_event"),
    )
    op.create_index("ix_andon_watch_event_processed_at", "andon_watch_event", ["processed_at"])
    op.create_table(
        "andon_watch_consumer",
        sa.Column("id", sa.String(64), nullable=False),
        _text("host"),
        sa.Column("pid", sa.Integer(), nullable=False),
        _when("started_at"),
        _when("heartbeat_at"),
        _when("stopped_at", nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_andon_watch_consumer"),
    )
    op.create_table(
        "andon_watch_schedule",
        sa.Column("name", sa.String(64), nullable=False),
        _text("owner", nullable=True),
        _when("claimed_until", nullable=True),
        _when("last_started", nullable=True),
        _when("last_finished", nullable=True),
        sa.Column("last_status", sa.String(16), nullable=True),
        sa.Column("last_scan_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_andon_watch_schedule"),
    )
    op.create_table(
        "andon_watch_lease",
        _text("uid"),
        _text("owner"),
        _when("expires_at"),
        sa.PrimaryKeyConstraint("uid", name="pk_andon_watch_lease"),
    )


def downgrade() -> None:
    op.drop_table("andon_watch_lease")
    op.drop_table("andon_watch_schedule")
    op.drop_table("andon_watch_consumer")
    op.drop_index("ix_andon_watch_event_processed_at", table_name="andon_watch_event")
    op.drop_table("andon_watch_event")
