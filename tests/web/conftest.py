"""Fixtures of the web tests: a store on SQLite and PostgreSQL, an app, users and clients.

They are module-scoped (migrating and seeding a store is the slow part): tests of a module
share one seeded store per backend, so a test that changes it must not break the others.

The PostgreSQL variants follow ``tests/store/conftest.py``: ``ANDON_TEST_PG_URL`` (default the
local test server), skipped when it is unreachable unless ``ANDON_REQUIRE_PG=1``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from tests.web.seed import Clock, estate

from andon.store import Store, normalize_url
from andon.web import HashCost, WebSettings, create_app
from andon.web.auth import add_user, create_token, hasher

PG_URL = os.environ.get("ANDON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("ANDON_REQUIRE_PG") == "1"
CHEAP = HashCost(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = normalize_url(PG_URL)
    if "connect_timeout" not in url.query:
        url = url.update_query_dict({"connect_timeout": "5"})
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as e:
        reason = f"PostgreSQL at {url.render_as_string()} unreachable: {str(e)[:200]}"
        if REQUIRE_PG:
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def pg_schema_url(pg_url: str) -> Iterator[str]:
    schema = f"andon_web_{uuid.uuid4().hex[:12]}"
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


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('web') / 'andon.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def store(db_url: str, clock: Clock) -> Iterator[Store]:
    with Store(db_url, clock=clock) as s:
        yield s


@pytest.fixture(scope="module")
def seeded(store: Store) -> dict[str, str]:
    return estate(store)


@pytest.fixture(scope="module")
def settings() -> WebSettings:
    return WebSettings(hash_cost=CHEAP, login_attempts=3)


@pytest.fixture(scope="module")
def app(store: Store, seeded: dict[str, str], settings: WebSettings) -> Any:
    ph = hasher(settings.hash_cost)
    add_user(store, "olivia", PASSWORD, "operator", ph)
    add_user(store, "victor", PASSWORD, "viewer", ph)
    return create_app(store, settings)


@pytest.fixture(scope="module")
def tokens(store: Store, app: Any, settings: WebSettings) -> dict[str, str]:
    ph = hasher(settings.hash_cost)
    _, op = create_token(store, "ci-operator", "operator", ph, created_by="test")
    _, view = create_token(store, "ci-viewer", "viewer", ph, created_by="test")
    return {"operator": op, "viewer": view}
