"""Awareness times and saved investigations in the store (SQLite and PostgreSQL), and the
commands end to end: ``andon investigate``, ``andon aware``, ``andon report incident`` - with
a grep of every report format for the raw values seeded into the logs and the finding."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from tests.investigate.builders import (
    T0,
    History,
    SetClock,
    classified,
    public_finding,
    seed_history,
)
from tests.investigate.conftest import BUCKET, Cloud, enable_logging, enable_trail
from tests.investigate.test_investigate import DETECTED, FIXED, SECRET_KEY, seed_logs, seed_trail
from typer.testing import CliRunner

from andon.cli.main import app
from andon.core.errors import NotFound
from andon.investigate.records import (
    awareness,
    latest_investigation,
    load_finding,
    record_awareness,
    save_investigation,
)
from andon.store import Store, normalize_url

PG_URL = os.environ.get("ANDON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite, and PostgreSQL in a fresh schema (skipped when the server is unreachable,
    unless ANDON_REQUIRE_PG=1) - the pattern of tests/store/conftest.py."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'andon.db'}"
        return
    url = normalize_url(PG_URL).update_query_dict({"connect_timeout": "5"})
    admin = sa.create_engine(url, poolclass=NullPool)
    schema = f"andon_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.SQLAlchemyError as exc:
        admin.dispose()
        if os.environ.get("ANDON_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {url.render_as_string()} unreachable")
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_awareness_and_investigations_round_trip(db_url: str) -> None:
    clock = SetClock()
    with Store(db_url, clock=clock) as store:
        f = public_finding("b", classified(10))
        seed_history(store, clock, f, History(clean=T0, detected=T0 + timedelta(days=1)))
        with pytest.raises(NotFound):
            record_awareness(store, "nope", T0, by="x", source="y")
        with pytest.raises(ValueError, match="time zone"):
            record_awareness(store, f.id, datetime(2026, 1, 1), by="x", source="y")
        jst = datetime.fromisoformat("2026-03-05T09:00:00+09:00")
        record_awareness(store, f.id[:6], jst + timedelta(hours=1), by="ops", source="mail")
        record_awareness(store, f.id, jst, by="sec", source="andon alert", note="n\x00")
        found = awareness(store, f.id)
        assert [a.recorded_by for a in found] == ["sec", "ops"]  # earliest awareness first
        assert found[0].aware_at == jst and found[0].aware_at.tzinfo is not None
        assert found[0].note == "n\x00"
        assert latest_investigation(store, f.id) is None
        save_investigation(store, f.id, {"n": 1})
        save_investigation(store, f.id, {"n": 2, "s": "<\u202e>"})
        assert latest_investigation(store, f.id) == {"n": 2, "s": "<\u202e>"}
        rec = load_finding(store, f.id)
        assert rec.facts.clean_before == T0 and rec.facts.first_seen == T0 + timedelta(days=1)


def _invoke(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result


def test_commands_end_to_end_and_no_raw_value_in_any_report(cloud: Cloud, tmp_path: Path) -> None:
    enable_trail(cloud)
    enable_logging(cloud)
    seed_trail(cloud)
    seed_logs(cloud, outside=True)
    f = public_finding(BUCKET, {**classified(1200), "where": {"email": [SECRET_KEY]}})
    seed_history(cloud.store, cloud.clock, f, History(clean=T0, detected=DETECTED, fixed=FIXED))
    db = cloud.store._url.render_as_string(hide_password=False)
    cloud.store.close()
    base = ["--db", db]
    out = _invoke(
        "investigate", f.id[:10], "--endpoint-url", cloud.url, "--no-lookup", "-f", "json", *base
    )
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["access"]["verdict"] == "accessed"
    table = _invoke(
        "investigate", f.id, "--endpoint-url", cloud.url, "--no-lookup", "--no-save", *base
    )
    assert table.exit_code == 0 and "accessed" in table.output
    bad = _invoke("aware", f.id, "--at", "2026-03-03T09:00", *base)
    assert bad.exit_code == 3 and "time zone" in bad.output
    ok = _invoke("aware", f.id, "--at", "2026-03-03T09:00+09:00", "--by", "sec", *base)
    assert ok.exit_code == 0 and "2026-03-03 00:00 UTC" in ok.output
    raw = [
        SECRET_KEY,
        "taro.yamada@example.com",
        "JTDKB20U793512345",
        "203.0.113.9",
        "203.0.113.10",
        "192.0.2.44",
        "a" * 1500,
    ]
    texts = {}
    for fmt in ("md", "html", "json"):
        path = tmp_path / f"report.{fmt}"
        rep = _invoke(
            "report", "incident", f.id, "-f", fmt, "-o", str(path), "--unlawful-purpose", *base
        )
        assert rep.exit_code == 0, rep.output
        texts[fmt] = path.read_text(encoding="utf-8")
        for value in raw:
            assert value not in texts[fmt], (fmt, value)
    report = json.loads(texts["json"])
    assert report["awareness"]["at"] == "2026-03-03T00:00:00+00:00"
    assert report["appi"]["report_required"] == "required"
    final = report["appi"]["deadlines"][-1]
    assert final["due_jst"] == "2026-05-01 23:59:59 JST"  # 60 days, day 1 = March 3 (JST)
    assert "<svg" in texts["html"] and "確報" in texts["md"]
    missing = _invoke("report", "incident", "0000nope", *base)
    assert missing.exit_code == 3 and "no finding" in missing.output


def test_report_without_investigation_states_missing_evidence(tmp_path: Path) -> None:
    clock = SetClock()
    db = f"sqlite:///{tmp_path / 'a.db'}"
    with Store(db, clock=clock) as store:
        f = public_finding("b")
        seed_history(store, clock, f, History(clean=None, detected=T0))
    out = _invoke(
        "report", "incident", f.id, "-f", "json", "--aware-at", "2026-03-01T10:00Z", "--db", db
    )
    assert out.exit_code == 0, out.output
    rep = json.loads(out.output)
    assert rep["access"]["verdict"] == "undetermined"
    assert {m["source"] for m in rep["access"]["missing"]} >= {
        "cloudtrail",
        "s3_server_access_logs",
    }
    assert rep["appi"]["report_required"] == "to_decide"
    assert rep["awareness"]["at"] == datetime(2026, 3, 1, 10, tzinfo=UTC).isoformat()
