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
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from tests.alert.helpers import Hit, ManualClock, Receiver

from andon.store import Store


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


@pytest.fixture
def store(db_url: str, clock: ManualClock) -> Iterator[Store]:
    with Store(db_url, clock=clock) as s:
        yield s


@pytest.fixture
def sqlite_store(tmp_path: Any, clock: ManualClock) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'andon.db'}", clock=clock) as s:
        yield s
