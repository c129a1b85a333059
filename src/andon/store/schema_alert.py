"""Tables of Alerts: delivery journal and mutes.

ORM classes on :class:`andon.store.schema.Base`.

Migration 0003 (``migrations/versions/0003_alert.py``) creates exactly these tables.
"""

from __future__ import annotations

from andon.store.schema import Base

__all__ = ["Base"]
