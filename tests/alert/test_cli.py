"""andon mute / mutes / unmute / alerts / alerts test, on a SQLite store."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import typer
from tests.alert.helpers import Receiver, bucket, scan
from typer.testing import CliRunner

from andon.alert import AlertDispatcher
from andon.alert.config import load_alert_config
from andon.cli.alert import register
from andon.core.model import finding_id
from andon.store import Store

FID = finding_id("s3.bucket.public_read", "arn:aws:s3:::open")


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """andon (test)"""

    register(app)
    return app


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "andon.db"
    with Store(f"sqlite:///{path}") as store:
        scan(store, [bucket("open")])
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> str:
    """A store holding one scan with one open finding (a copy of a module-wide template)."""
    copy = tmp_path / "andon.db"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_mute_list_unmute(app: typer.Typer, db: str) -> None:
    code, out, _ = run(
        app,
        "mute",
        FID,
        "--reason",
        "vendor <b>drop</b>",
        "--for",
        "2h",
        "--by",
        "alice",
        "--db",
        db,
    )
    assert code == 0 and "mute 1" in out and FID in out
    code, out, _ = run(app, "mutes", "--db", db, "--format", "json")
    (listed,) = json.loads(out)
    assert listed["active"] and listed["created_by"] == "alice"
    assert listed["reason"] == "vendor <b>drop</b>"
    assert "\\u003cb\\u003e" in out  # JSON output escapes HTML-significant characters
    code, out, _ = run(app, "mutes", "--db", db)
    assert code == 0 and "vendor" in out and "active" in out
    code, out, _ = run(app, "unmute", "1", "--by", "bob", "--db", db)
    assert code == 0 and "lifted" in out
    assert "No active mutes" in run(app, "mutes", "--db", db)[1]
    (lifted,) = json.loads(run(app, "mutes", "--all", "--db", db, "--format", "json")[1])
    assert lifted["lifted_by"] == "bob" and not lifted["active"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mute", FID, "--reason", "x", "--db"], "exactly one of"),
        (
            ["mute", FID, "--reason", "x", "--for", "2h", "--until", "2030-01-01", "--db"],
            "exactly one of",
        ),
        (["mute", FID, "--reason", "x", "--until", "yesterday", "--db"], "ISO 8601"),
        (["mute", FID, "--reason", "x", "--until", "2001-01-01T00:00:00Z", "--db"], "future"),
        (["mute", FID, "--reason", " ", "--for", "1h", "--db"], "reason"),
        (["mute", "nope", "--reason", "x", "--for", "1h", "--db"], "no finding"),
        (["unmute", "42", "--db"], "no mute 42"),
        (["alerts", "--status", "lost", "--db"], "--status"),
    ],
)
def test_usage_errors_exit_3(app: typer.Typer, db: str, args: list[str], message: str) -> None:
    code, out, err = run(app, *args, db)
    assert code == 3, out
    assert message in " ".join(err.split())


def test_alerts_journal(app: typer.Typer, db: str, receiver: Receiver) -> None:
    assert "No alerts recorded yet" in run(app, "alerts", "--db", db)[1]
    cfg = load_alert_config({"channels": {"ops": receiver.url("ops")}})
    with Store(db) as store:
        (rec,) = AlertDispatcher(store, cfg, out=io.StringIO()).deliver_pending()
    code, out, _ = run(app, "alerts", "--db", db, "--format", "json")
    (row,) = json.loads(out)
    assert code == 0 and row["id"] == rec.id and row["status"] == "sent"
    assert row["channel"] == "ops" and row["kind"] == "opened" and row["finding_id"] == FID
    code, out, _ = run(app, "alerts", "--db", db)
    assert code == 0 and "opened" in out and "sent" in out
    assert json.loads(run(app, "alerts", "--db", db, "--status", "failed", "-f", "json")[1]) == []


def test_alerts_test_sends_to_every_channel(
    app: typer.Typer, tmp_path: Path, receiver: Receiver
) -> None:
    config = tmp_path / "andon.toml"
    config.write_text(
        "[alerts.channels]\n"
        f'ok = "{receiver.url("ok")}"\n'
        f'broken = "{receiver.url("broken/s3cretT0ken")}"\n'
    )
    receiver.fail.add("broken/s3cretT0ken")
    code, out, err = run(app, "alerts", "test", "--config", str(config))
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["channel"], line["ok"]) for line in lines] == [("ok", True), ("broken", False)]
    assert receiver.ok("ok")[0].alert["kind"] == "test"
    assert "s3cretT0ken" not in out + err and "FAILED" in err
    code, _, _ = run(app, "alerts", "test", "--config", str(config), "--channel", "ok")
    assert code == 0
    code, _, err = run(app, "alerts", "test", "--config", str(config), "--channel", "nope")
    assert code == 3 and "nope" in err
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    code, _, err = run(app, "alerts", "test", "--config", str(empty))
    assert code == 3 and "[alerts.channels] names no channel" in " ".join(err.split())
