"""Tables of Remediation: exemptions, fix plans and the change journal.

ORM classes on :class:`andon.store.schema.Base`.

Migration 0004 (``migrations/versions/0004_remediate.py``) creates exactly these tables.

* ``andon_exemption``: resources (or one rule on a resource) that are public on purpose, with
  a reason, an owner and an optional expiry; revoked rows are kept (history).
* ``andon_fix_plan``: plans saved by ``andon fix`` or the web, with their status
  (``proposed`` → ``approved`` → ``applied``) and the signed plan document.
* ``andon_fix_change``: the journal: one row per change applied, refused, failed or rolled
  back, with the prior and the new configuration, who and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from andon.store.schema import Base

__all__ = ["Base", "ExemptionRow", "FixChangeRow", "FixPlanRow"]


class ExemptionRow(Base):
    """One recorded exemption (``andon exempt``, the web)."""

    __tablename__ = "andon_exemption"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    resource_uid: Mapped[str] = mapped_column(index=True)
    rule_id: Mapped[str | None]
    reason: Mapped[str]
    owner: Mapped[str]
    expires_at: Mapped[datetime | None]
    created_by: Mapped[str]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None]


class FixPlanRow(Base):
    """A saved fix plan and where it stands."""

    __tablename__ = "andon_fix_plan"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    created_by: Mapped[str]
    created_at: Mapped[datetime]
    approved_by: Mapped[str | None]
    approved_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
    finding_ids: Mapped[list[Any]]
    document: Mapped[dict[str, Any]]


class FixChangeRow(Base):
    """One journaled change: what was there before, what was written, by whom, the result."""

    __tablename__ = "andon_fix_change"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    finding_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    resource_uid: Mapped[str]
    action: Mapped[str]
    mode: Mapped[str] = mapped_column(sa.String(16))
    target: Mapped[dict[str, Any]]
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    who: Mapped[str]
    at: Mapped[datetime]
    result: Mapped[str] = mapped_column(sa.String(16))
    message: Mapped[str]
    rollback_of: Mapped[int | None] = mapped_column(sa.Integer)
    verified: Mapped[str | None] = mapped_column(sa.String(16))
