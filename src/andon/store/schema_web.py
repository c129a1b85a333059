"""Tables of Web: users, API tokens, sessions, the per-install secret, finding references.

ORM classes on :class:`andon.store.schema.Base`. Migration 0005
(``migrations/versions/0005_web.py``) creates exactly these tables, and the indexes on core
tables that the dashboard's queries need (declared here as :class:`sqlalchemy.Index` objects
on the core tables, so the model and the migrations still compare equal).

Nothing secret is stored in clear: passwords and API token secrets are argon2 hashes, session
ids are stored as their SHA-256 (a session id is 256 random bits, so a fast hash is enough).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from andon.store.schema import Base, FindingStateRow


class WebUserRow(Base):
    """A person who may log in to the dashboard, with a role: ``viewer`` or ``operator``."""

    __tablename__ = "andon_web_user"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str]
    role: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime]


class WebTokenRow(Base):
    """An API token. The public ``id`` is part of the token; only the secret's hash is kept."""

    __tablename__ = "andon_web_token"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str]
    role: Mapped[str] = mapped_column(sa.String(16))
    secret_hash: Mapped[str]
    created_by: Mapped[str]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSessionRow(Base):
    """A logged-in browser. ``id_hash`` is the SHA-256 of the session id in the cookie."""

    __tablename__ = "andon_web_session"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("andon_web_user.id", ondelete="CASCADE"), index=True
    )
    csrf: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class WebSecretRow(Base):
    """Per-install values: the key that signs session cookies (created on first use) and the
    mark of the finding-reference sync (:mod:`andon.web.refs`)."""

    __tablename__ = "andon_web_secret"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    value: Mapped[str]


class WebFindingRefRow(Base):
    """What a finding id refers to, as plain columns the dashboard can filter and index.

    A finding id is a hash of (rule, resource uid), so its resource never changes; the scans
    keep the resource as JSON inside each finding row, which cannot be indexed portably (and
    PostgreSQL's JSON operators fail on a hostile name holding NUL). The dashboard fills this
    table from the finding rows for every new finding id (:mod:`andon.web.refs`).
    """

    __tablename__ = "andon_web_finding_ref"

    finding_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    title: Mapped[str]
    uid: Mapped[str]
    name: Mapped[str]
    kind: Mapped[str] = mapped_column(index=True)
    account: Mapped[str] = mapped_column(index=True)
    region: Mapped[str] = mapped_column(index=True)


# Indexes on core tables for the dashboard's queries (created by migration 0005).
STATE_STATUS_SEVERITY = sa.Index(
    "ix_andon_finding_state_status_severity",
    FindingStateRow.__table__.c.status,
    FindingStateRow.__table__.c.severity,
)

STATE_SEVERITY_ORDER = sa.Index(
    "ix_andon_finding_state_severity_finding_id_scope",
    FindingStateRow.__table__.c.severity,
    FindingStateRow.__table__.c.finding_id,
    FindingStateRow.__table__.c.scope,
)

__all__ = [
    "STATE_SEVERITY_ORDER",
    "STATE_STATUS_SEVERITY",
    "WebFindingRefRow",
    "WebSecretRow",
    "WebSessionRow",
    "WebTokenRow",
    "WebUserRow",
]
