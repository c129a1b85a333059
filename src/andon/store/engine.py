"""Database URLs, engines, migrations and error translation.

Alembic is configured in code (no ``alembic.ini`` at runtime), so migrations run the same from a
source checkout and from an installed wheel. Developers who write a new revision can use
``migrations/alembic.ini``::

    alembic -c src/andon/store/migrations/alembic.ini -x url=sqlite:///dev.db \\
        revision --autogenerate -m "what changed"
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from andon.core.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "andon_alembic_version"
SQLITE_TIMEOUT = 30.0  # seconds a writer waits for another writer's lock
PG_CONNECT_TIMEOUT = 10  # seconds before an unreachable server is reported
_MIGRATION_LOCK = "andon.store.migrations"


def default_url() -> str:
    """The SQLite file in the user's data directory (created if missing)."""
    directory = Path(platformdirs.user_data_dir("andon"))
    directory.mkdir(parents=True, exist_ok=True)
    return URL.create("sqlite", database=str(directory / "andon.db")).render_as_string()


def normalize_url(url: str) -> URL:
    """Parse a database URL; a bare path means a SQLite file.

    ``postgresql://`` and ``postgres://`` are rewritten to ``postgresql+psycopg://`` (psycopg 3).
    """
    text = url.strip()
    if not text:
        raise StoreError("empty database URL")
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser()))
    try:
        parsed = make_url(text)
    except (exc.ArgumentError, ValueError) as e:
        raise StoreError(f"invalid database URL {_mask(text)!r}: {e}") from e
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _mask(text: str) -> str:
    try:
        return make_url(text).render_as_string(hide_password=True)
    except (exc.ArgumentError, ValueError):
        return "<unparseable>"


def describe(url: URL) -> str:
    """The URL with its password hidden, for messages."""
    return url.render_as_string(hide_password=True)


class NotJSON(StoreError):
    """A value bound for a JSON column is not JSON (a set, NaN, an object...)."""


def _json_dumps(value: Any) -> str:
    # Raised from inside the driver on PostgreSQL, from SQLAlchemy on SQLite: one class for both.
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise NotJSON(f"not JSON serializable: {e}") from e


def create_engine(url: URL) -> Engine:
    """An engine for ``url`` with the settings the store relies on."""
    backend = url.get_backend_name()
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps}
    if backend == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_TIMEOUT}
    elif backend == "postgresql":
        kwargs["pool_pre_ping"] = True
        if url.get_driver_name() == "psycopg" and "connect_timeout" not in url.query:
            kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT}
    try:
        engine = sa.create_engine(url, **kwargs)
    except (exc.ArgumentError, ImportError) as e:
        hint = " (install andon[postgres])" if url.get_driver_name() == "psycopg" else ""
        raise StoreError(f"no usable database driver for {describe(url)}{hint}: {e}") from e
    if backend == "sqlite":
        file_backed = bool(url.database) and url.database != ":memory:"
        event.listen(engine, "connect", _sqlite_pragmas(file_backed))
    return engine


def _sqlite_pragmas(file_backed: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if file_backed:
                # Readers (the web UI) keep reading while a scan writes.
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return on_connect


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def write_lock(conn: Connection, name: str) -> None:
    """Serialize writers on ``name`` until the transaction ends; call it first in a transaction.

    PostgreSQL: a transaction-level advisory lock on ``name``. SQLite: ``BEGIN IMMEDIATE``, which
    takes the database's write lock at once, so the reads that follow see no concurrent commit.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key(name))))
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(conn: Connection | None = None, url: str | None = None) -> Config:
    """Alembic configuration in code: our script directory and version table."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (``alembic upgrade head``)."""
    where = describe(engine.url)
    try:
        with engine.begin() as conn:
            write_lock(conn, _MIGRATION_LOCK)
            command.upgrade(alembic_config(conn), "head")
    except CommandError as e:
        raise StoreError(
            f"cannot migrate the database at {where}: {e} (was it written by a newer andon?)"
        ) from e
    except exc.OperationalError as e:
        hint = ""
        if engine.dialect.name == "sqlite" and "unable to open" in reason(e):
            hint = " (does its directory exist, and may andon write there?)"
        raise StoreError(f"cannot reach the database at {where}: {reason(e)}{hint}") from e
    except exc.SQLAlchemyError as e:
        raise StoreError(f"cannot migrate the database at {where}: {reason(e)}") from e


def reason(e: BaseException) -> str:
    """A short reason for a database error, without the statement and its parameters."""
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip()
    return text.splitlines()[0] if text else type(e).__name__


@contextmanager
def translated(action: str, where: str) -> Iterator[None]:
    """Turn every database error raised inside into a :class:`StoreError`."""
    try:
        yield
    except NotJSON as e:
        raise StoreError(f"{action}: {e}") from e
    except exc.OperationalError as e:
        raise StoreError(f"{action}: database at {where} failed: {reason(e)}") from e
    except exc.SQLAlchemyError as e:
        orig = getattr(e, "orig", None)
        if isinstance(orig, NotJSON):
            raise StoreError(f"{action}: {orig}") from e
        raise StoreError(f"{action}: {reason(e)}") from e
    except UnicodeError as e:
        raise StoreError(f"{action}: text the database cannot encode: {e}") from e
