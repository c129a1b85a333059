"""Tables of the store, as SQLAlchemy typed ORM classes.

The migrations in ``migrations/versions`` create exactly these tables (a test compares them).
Two column types keep the data faithful on every backend:

* :class:`SafeText` stores any Python string, including NUL, which PostgreSQL ``text`` refuses.
  Ordinary strings are stored verbatim; a string that holds NUL (or happens to start with the
  escape marker) is stored as the marker followed by its JSON encoding. Equality filters work
  because SQLAlchemy encodes the compared value the same way.
* :class:`UTCDateTime` accepts only timezone-aware datetimes, stores them in UTC and always gives
  back aware UTC datetimes (SQLite keeps no offset; PostgreSQL ``timestamptz`` returns the
  session's zone).

JSON columns are ``json`` on PostgreSQL, not ``jsonb``: ``jsonb`` rejects ``\\u0000`` and
reorders keys, and Andon must give back hostile strings exactly as collected.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

_ESCAPE = "\x1bandon:json:"


class SafeText(sa.types.TypeDecorator[str]):
    """Text that round-trips every Python string, NUL included, on SQLite and PostgreSQL."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if "\x00" in value or value.startswith(_ESCAPE):
            return _ESCAPE + json.dumps(value)
        return value

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is not None and value.startswith(_ESCAPE):
            decoded: str = json.loads(value[len(_ESCAPE) :])
            return decoded
        return value


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime, stored and returned in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONValue = sa.JSON(none_as_null=True)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, sa.types.TypeEngine[Any]]] = {
        str: SafeText(),
        datetime: UTCDateTime(),
        dict[str, Any]: JSONValue,
        list[Any]: JSONValue,
    }


class ScanRow(Base):
    """One run over one scope. ``seq`` orders scans; ``id`` is what the world sees."""

    __tablename__ = "andon_scan"

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    scope: Mapped[str] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(default="")
    meta: Mapped[dict[str, Any]]
    gaps: Mapped[list[Any]]


def _scan_fk() -> sa.ForeignKey:
    return sa.ForeignKey("andon_scan.id", ondelete="CASCADE")


class ResourceRow(Base):
    """A resource as one scan saw it."""

    __tablename__ = "andon_resource"
    __table_args__ = (sa.UniqueConstraint("scan_id", "uid"),)

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(sa.String(36), _scan_fk())
    uid: Mapped[str]
    cloud: Mapped[str]
    kind: Mapped[str]
    native_type: Mapped[str]
    account: Mapped[str]
    region: Mapped[str]
    name: Mapped[str]
    origin: Mapped[str]
    attributes: Mapped[dict[str, Any]]
    tags: Mapped[dict[str, Any]]
    exposure: Mapped[dict[str, Any] | None]
    gaps: Mapped[list[Any]]


class FindingRow(Base):
    """A finding as one scan produced it."""

    __tablename__ = "andon_finding"
    __table_args__ = (sa.UniqueConstraint("scan_id", "finding_id"),)

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(sa.String(36), _scan_fk())
    finding_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    rule: Mapped[str] = mapped_column(index=True)
    title: Mapped[str]
    severity: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    resource: Mapped[dict[str, Any]]
    exposure: Mapped[dict[str, Any]]
    evidence: Mapped[dict[str, Any]]
    remediation: Mapped[str]
    exemption: Mapped[str]


class FindingStateRow(Base):
    """What a scope currently knows about one finding: open, exempt or resolved."""

    __tablename__ = "andon_finding_state"

    scope: Mapped[str] = mapped_column(primary_key=True)
    finding_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    rule: Mapped[str]
    status: Mapped[str] = mapped_column(sa.String(16))
    severity: Mapped[str] = mapped_column(sa.String(16))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    opened_in: Mapped[str] = mapped_column(sa.String(36))
    resolved_in: Mapped[str | None] = mapped_column(sa.String(36))
    last_scan_id: Mapped[str] = mapped_column(sa.String(36))


class TransitionRow(Base):
    """A change of a finding's state, caused by one scan."""

    __tablename__ = "andon_transition"

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(sa.String(36), _scan_fk(), index=True)
    scope: Mapped[str]
    finding_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    rule: Mapped[str]
    kind: Mapped[str] = mapped_column(sa.String(32))
    severity: Mapped[str] = mapped_column(sa.String(16))
    previous_severity: Mapped[str | None] = mapped_column(sa.String(16))
    at: Mapped[datetime]
