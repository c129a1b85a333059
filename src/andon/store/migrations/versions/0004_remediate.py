"""Remediation: exemptions, fix plans and the change journal (issue 6).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Written by hand with plain SQLAlchemy types (see 0001). Its tables are the ORM classes in
``andon.store.schema_remediate``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.JSON(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "andon_exemption",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _text("resource_uid"),
        _text("rule_id", nullable=True),
        _text("reason"),
        _text("owner"),
        _when("expires_at", nullable=True),
        _text("created_by"),
        _when("created_at"),
        _when("revoked_at", nullable=True),
        _text("revoked_by", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_andon_exemption"),
    )
    op.create_index("ix_andon_exemption_resource_uid", "andon_exemption", ["resource_uid"])

    op.create_table(
        "andon_fix_plan",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _text("created_by"),
        _when("created_at"),
        _text("approved_by", nullable=True),
        _when("approved_at", nullable=True),
        _when("applied_at", nullable=True),
        _json("finding_ids"),
        _json("document"),
        sa.PrimaryKeyConstraint("id", name="pk_andon_fix_plan"),
    )

    op.create_table(
        "andon_fix_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.String(36), nullable=True),
        sa.Column("finding_id", sa.String(64), nullable=False),
        _text("resource_uid"),
        _text("action"),
        sa.Column("mode", sa.String(16), nullable=False),
        _json("target"),
        _json("before", nullable=True),
        _json("after", nullable=True),
        _text("who"),
        _when("at"),
        sa.Column("result", sa.String(16), nullable=False),
        _text("message"),
        sa.Column("rollback_of", sa.Integer(), nullable=True),
        sa.Column("verified", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_andon_fix_change"),
    )
    op.create_index("ix_andon_fix_change_plan_id", "andon_fix_change", ["plan_id"])
    op.create_index("ix_andon_fix_change_finding_id", "andon_fix_change", ["finding_id"])


def downgrade() -> None:
    op.drop_table("andon_fix_change")
    op.drop_table("andon_fix_plan")
    op.drop_table("andon_exemption")
