"""Web: users, API tokens, sessions, the install secret, finding refs, indexes (issue 8).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

Written by hand with plain SQLAlchemy types (see 0001). Its tables are the ORM classes in
``andon.store.schema_web``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_REF_TEXT = ("title", "uid", "name", "kind", "account", "region")
_REF_INDEXED = ("kind", "account", "region")


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "andon_web_user",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_andon_web_user"),
        sa.UniqueConstraint("name", name="uq_andon_web_user_name"),
    )
    op.create_table(
        "andon_web_token",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        _when("created_at"),
        _when("expires_at", nullable=True),
        _when("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_andon_web_token"),
    )
    op.create_table(
        "andon_web_session",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        _when("created_at"),
        _when("expires_at"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_andon_web_session"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["andon_web_user.id"],
            name="fk_andon_web_session_user_id_andon_web_user",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_andon_web_session_user_id", "andon_web_session", ["user_id"])
    op.create_table(
        "andon_web_secret",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_andon_web_secret"),
    )
    op.create_table(
        "andon_web_finding_ref",
        sa.Column("finding_id", sa.String(64), nullable=False),
        *(sa.Column(c, sa.Text(), nullable=False) for c in _REF_TEXT),
        sa.PrimaryKeyConstraint("finding_id", name="pk_andon_web_finding_ref"),
    )
    for col in _REF_INDEXED:
        op.create_index(f"ix_andon_web_finding_ref_{col}", "andon_web_finding_ref", [col])
    op.create_index(
        "ix_andon_finding_state_status_severity", "andon_finding_state", ["status", "severity"]
    )
    op.create_index(
        "ix_andon_finding_state_severity_finding_id_scope",
        "andon_finding_state",
        ["severity", "finding_id", "scope"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_andon_finding_state_severity_finding_id_scope", table_name="andon_finding_state"
    )
    op.drop_index("ix_andon_finding_state_status_severity", table_name="andon_finding_state")
    for col in _REF_INDEXED:
        op.drop_index(f"ix_andon_web_finding_ref_{col}", table_name="andon_web_finding_ref")
    op.drop_table("andon_web_finding_ref")
    op.drop_table("andon_web_secret")
    op.drop_index("ix_andon_web_session_user_id", table_name="andon_web_session")
    op.drop_table("andon_web_session")
    op.drop_table("andon_web_token")
    op.drop_table("andon_web_user")
