"""Fixtures for the alert tests: a webhook receiver on loopback, stores on SQLite and
PostgreSQL, a hand-moved clock, and real scans that produce transitions.

``receiver``
    A tiny ``http.server`` in a thread that records every POST (path, parsed body). A path
    set in ``receiver.fail`` answers 500; while ``receiver.stall`` is set, every request is
    held until the test ends and answered 503 (a receiver hanging, then failing). Channels use
    apprise's ``json://127.0.0.1:PORT/path`` (payload in ``message``) and ``form://`` (the
    Markdown body in ``message``).
``db_url``
    A fresh database: a SQLite file, and a fresh PostgreSQL schema (skipped when the server
    at ``ANDON_TEST_PG_URL`` / 127.0.0.1:5432 cannot be reached, unless ``ANDON_REQUIRE_PG=1``).
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from tests.alert.helpers import Hit, ManualClock, Receiver

from andon.store import Store, normalize_url

PG_URL = os.environ.get("ANDON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("ANDON_REQUIRE_PG") == "1"


def _handler(rec: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if rec.stall.is_set():
                rec.stalled.set()
                rec.release.wait(10)
                self.send_response(503)
                self.end_headers()
                return
            if "json" in (self.headers.get("Content-Type") or ""):
                body = json.loads(raw)
            else:
                body = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
            status = 500 if self.path.lstrip("/") in rec.fail else 200
            with rec.lock:
                rec.hits.append(Hit(self.path, body, status))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver(0)))
    rec = Receiver(server.server_address[1])
    server.RequestHandlerClass = _handler(rec)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        rec.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


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
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('alert') / 'andon.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def store(db_url: str, clock: ManualClock) -> Iterator[Store]:
    with Store(db_url, clock=clock) as s:
        yield s


@pytest.fixture
def sqlite_store(tmp_path: Any, clock: ManualClock) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'andon.db'}", clock=clock) as s:
        yield s
