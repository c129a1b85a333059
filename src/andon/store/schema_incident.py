"""Tables of Incidents: awareness times and investigation records.

ORM classes on :class:`andon.store.schema.Base`.

Migration 0006 (``migrations/versions/0006_incident.py``) creates exactly these tables.
"""

from __future__ import annotations

from andon.store.schema import Base

__all__ = ["Base"]
