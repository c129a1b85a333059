"""Fixtures: every store test runs on SQLite (a tmp file) and on PostgreSQL (a fresh schema).

The PostgreSQL URL comes from ``ANDON_TEST_PG_URL`` (default: the local test server). When the
server cannot be reached the PostgreSQL variants are skipped, unless ``ANDON_REQUIRE_PG=1``
(CI), which makes them fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from store_helpers import Clock

from andon.store import Store, normalize_url

PG_URL = os.environ.get("ANDON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("ANDON_REQUIRE_PG") == "1"


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL server's URL, after checking it answers."""
    url = normalize_url(PG_URL)
    if "connect_timeout" not in url.query:
        url = url.update_query_dict({"connect_timeout": "5"})
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as e:
        detail = " ".join(str(getattr(e, "orig", None) or e).split())[:200]
        reason = f"PostgreSQL at {url.render_as_string()} unreachable: {detail}"
        if REQUIRE_PG:
            pytest.fail(f"{reason} (ANDON_REQUIRE_PG=1)")
        pytest.skip(f"{reason} (set ANDON_TEST_PG_URL, or ANDON_REQUIRE_PG=1 to fail)")
    finally:
        engine.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped afterwards."""
    schema = f"andon_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('store') / 'andon.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[Store]:
    with Store(db_url, clock=clock, batch_size=3) as s:
        yield s
