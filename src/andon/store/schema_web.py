"""Tables of Web: users and API tokens.

ORM classes on :class:`andon.store.schema.Base`.

Migration 0005 (``migrations/versions/0005_web.py``) creates exactly these tables.
"""

from __future__ import annotations

from andon.store.schema import Base

__all__ = ["Base"]
