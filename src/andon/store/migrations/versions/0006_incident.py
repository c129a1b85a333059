"""Incidents: awareness times and investigation records (issue 7).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Written by hand with plain SQLAlchemy types (see 0001). Its tables are the ORM classes in
``andon.store.schema_incident``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "andon_incident_awareness",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("finding_id", sa.String(64), nullable=False),
        _when("aware_at"),
        _when("recorded_at"),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_andon_incident_awareness"),
    )
    op.create_index(
        "ix_andon_incident_awareness_finding_id", "andon_incident_awareness", ["finding_id"]
    )
    op.create_table(
        "andon_investigation",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("finding_id", sa.String(64), nullable=False),
        _when("created_at"),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_andon_investigation"),
        sa.UniqueConstraint("id", name="uq_andon_investigation_id"),
    )
    op.create_index("ix_andon_investigation_finding_id", "andon_investigation", ["finding_id"])


def downgrade() -> None:
    op.drop_table("andon_investigation")
    op.drop_table("andon_incident_awareness")
