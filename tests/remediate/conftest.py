"""Fixtures of the remediation tests: a store on SQLite (and PostgreSQL for the store API),
a plan key in a temporary directory, and a moto account with its clients."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from tests.remediate.helpers import clients as make_clients
from tests.remediate.helpers import context

from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.remediate.fingerprint import load_plan_key
from andon.store import Store, normalize_url

PG_URL = os.environ.get("ANDON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each backend (PostgreSQL: a schema dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'andon.db'}"
        return
    url = normalize_url(PG_URL).update_query_dict({"connect_timeout": "5"})
    admin = sa.create_engine(url, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        admin.dispose()
        if os.environ.get("ANDON_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL at {PG_URL} unreachable (ANDON_REQUIRE_PG=1)")
        pytest.skip(f"PostgreSQL at {PG_URL} unreachable")
    schema = f"andon_fix_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'fix.db'}") as s:
        yield s


@pytest.fixture
def plan_key(tmp_path: Path) -> bytes:
    return load_plan_key(tmp_path / "keys" / "plans.key")


@pytest.fixture
def ctx(moto_url: str, aws_env: dict[str, str]) -> Context:
    return context(moto_url)


@pytest.fixture
def aws(ctx: Context) -> Iterator[AwsClients]:
    c = make_clients(ctx)
    yield c
    c.close()
