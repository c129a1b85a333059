"""Opening a store: URLs, migrations, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from andon.core.errors import StoreError
from andon.store import Store, default_url, normalize_url
from andon.store.engine import VERSION_TABLE, alembic_config
from andon.store.schema import Base

CORE_TABLES = {
    "andon_scan",
    "andon_resource",
    "andon_finding",
    "andon_finding_state",
    "andon_transition",
}
TABLES = CORE_TABLES | set(Base.metadata.tables) | {VERSION_TABLE}


def test_every_table_is_prefixed_and_the_core_ones_are_present() -> None:
    assert set(Base.metadata.tables) >= CORE_TABLES
    assert all(name.startswith("andon_") for name in Base.metadata.tables)


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(normalize_url(url), poolclass=NullPool)


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def test_open_migrates_an_empty_database_to_head(db_url: str) -> None:
    with Store(db_url):
        pass
    engine = _engine(db_url)
    try:
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) == TABLES
            assert MigrationContext.configure(
                conn, opts={"version_table": VERSION_TABLE}
            ).get_current_heads() == (_head(),)
    finally:
        engine.dispose()


def test_migrations_match_the_model(db_url: str) -> None:
    with Store(db_url):
        pass
    engine = _engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
            assert compare_metadata(ctx, Base.metadata) == []
    finally:
        engine.dispose()


def test_reopening_keeps_data_and_downgrade_upgrade_round_trips(db_url: str) -> None:
    with Store(db_url) as store:
        scan_id = store.start_scan("s")
    with Store(db_url) as store:
        assert store.scan(scan_id).scope == "s"
    engine = _engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {VERSION_TABLE}
    finally:
        engine.dispose()
    with Store(db_url) as store:
        assert store.scans() == []


def test_a_database_from_a_newer_andon_is_refused(db_url: str) -> None:
    with Store(db_url):
        pass
    engine = _engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = 'from_the_future'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="newer andon"):
        Store(db_url)


def test_url_normalization() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    bare = normalize_url("/tmp/x/andon.db")
    assert (bare.drivername, bare.database) == ("sqlite", "/tmp/x/andon.db")
    assert normalize_url("sqlite:///a.db").database == "a.db"


def test_default_url_is_a_sqlite_file_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = normalize_url(default_url())
    assert url.drivername == "sqlite"
    path = Path(str(url.database))
    assert path.parent == tmp_path / "data" / "andon"
    assert path.parent.is_dir()
    with Store() as store:
        store.start_scan("s")
    assert path.is_file()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty database URL"),
        ("nosuchdb+driver://x/y", "no usable database driver"),
        ("postgresql+psycopg://:@[::1", "invalid database URL"),
        ("sqlite:////nonexistent-dir/sub/andon.db", "cannot reach the database"),
        (
            "postgresql://nobody:secret@127.0.0.1:1/nothing?connect_timeout=2",
            "cannot reach the database",
        ),
    ],
)
def test_bad_urls_raise_store_error(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as info:
        Store(url)
    assert "secret" not in str(info.value)


def test_a_closed_store_refuses_work(db_url: str) -> None:
    store = Store(db_url)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.scans()
