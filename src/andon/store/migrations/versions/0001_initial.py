"""Initial schema: scans, resource snapshots, findings, finding state, transitions.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Written by hand with plain SQLAlchemy types, so that it never changes when the model classes do.
``andon.store.schema.SafeText`` is ``text`` and ``UTCDateTime`` is a timezone-aware
``DateTime`` in the database; JSON is ``json`` (not ``jsonb``) on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=False)


def _json(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.JSON(), nullable=nullable)


def _scan_ref(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["andon_scan.id"],
            name=f"fk_{table}_scan_id_andon_scan",
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "andon_scan",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        _text("scope"),
        sa.Column("status", sa.String(16), nullable=False),
        _when("started_at"),
        _when("finished_at", nullable=True),
        _text("error"),
        _json("meta"),
        _json("gaps"),
        sa.PrimaryKeyConstraint("seq", name="pk_andon_scan"),
        sa.UniqueConstraint("id", name="uq_andon_scan_id"),
    )
    op.create_index("ix_andon_scan_scope", "andon_scan", ["scope"])

    op.create_table(
        "andon_resource",
        *_scan_ref("andon_resource"),
        *(_text(c) for c in ("uid", "cloud", "kind", "native_type", "account", "region")),
        *(_text(c) for c in ("name", "origin")),
        _json("attributes"),
        _json("tags"),
        _json("exposure", nullable=True),
        _json("gaps"),
        sa.UniqueConstraint("scan_id", "uid", name="uq_andon_resource_scan_id_uid"),
    )

    op.create_table(
        "andon_finding",
        *_scan_ref("andon_finding"),
        sa.Column("finding_id", sa.String(64), nullable=False),
        _text("rule"),
        _text("title"),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _json("resource"),
        _json("exposure"),
        _json("evidence"),
        _text("remediation"),
        _text("exemption"),
        sa.UniqueConstraint("scan_id", "finding_id", name="uq_andon_finding_scan_id_finding_id"),
    )
    op.create_index("ix_andon_finding_finding_id", "andon_finding", ["finding_id"])
    op.create_index("ix_andon_finding_rule", "andon_finding", ["rule"])

    op.create_table(
        "andon_finding_state",
        _text("scope"),
        sa.Column("finding_id", sa.String(64), nullable=False),
        _text("rule"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        _when("first_seen"),
        _when("last_seen"),
        sa.Column("opened_in", sa.String(36), nullable=False),
        sa.Column("resolved_in", sa.String(36), nullable=True),
        sa.Column("last_scan_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("scope", "finding_id", name="pk_andon_finding_state"),
    )

    op.create_table(
        "andon_transition",
        *_scan_ref("andon_transition"),
        _text("scope"),
        sa.Column("finding_id", sa.String(64), nullable=False),
        _text("rule"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("previous_severity", sa.String(16), nullable=True),
        _when("at"),
    )
    op.create_index("ix_andon_transition_scan_id", "andon_transition", ["scan_id"])
    op.create_index("ix_andon_transition_finding_id", "andon_transition", ["finding_id"])


def downgrade() -> None:
    op.drop_table("andon_transition")
    op.drop_table("andon_finding_state")
    op.drop_table("andon_finding")
    op.drop_table("andon_resource")
    op.drop_table("andon_scan")
