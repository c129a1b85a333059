"""Tables of Incidents: awareness times and investigation records (issue 7).

ORM classes on :class:`andon.store.schema.Base`.

Migration 0006 (``migrations/versions/0006_incident.py``) creates exactly these tables.

* ``andon_incident_awareness``: when the organization became aware of a finding's incident
  (the start of the APPI and GDPR deadlines), who recorded it and from what source. Appended,
  never updated: the report uses the earliest awareness time, and the history stays.
* ``andon_investigation``: saved results of ``andon investigate`` (counts, times, verdicts;
  never log content or personal data), which ``andon report incident`` reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from andon.store.schema import Base


class AwarenessRow(Base):
    __tablename__ = "andon_incident_awareness"

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    aware_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str]
    source: Mapped[str]
    note: Mapped[str]


class InvestigationRow(Base):
    __tablename__ = "andon_investigation"

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    finding_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime]
    result: Mapped[dict[str, Any]]


__all__ = ["AwarenessRow", "Base", "InvestigationRow"]
