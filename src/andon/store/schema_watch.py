"""Tables of Watch: processed events and consumer state.

ORM classes on :class:`andon.store.schema.Base`.

Migration 0002 (``migrations/versions/0002_watch.py``) creates exactly these tables.
"""

from __future__ import annotations

from andon.store.schema import Base

__all__ = ["Base"]
