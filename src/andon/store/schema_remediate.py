"""Tables of Remediation: change journal and exemptions.

ORM classes on :class:`andon.store.schema.Base`.

Migration 0004 (``migrations/versions/0004_remediate.py``) creates exactly these tables.
"""

from __future__ import annotations

from andon.store.schema import Base

__all__ = ["Base"]
