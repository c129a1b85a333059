"""``andon users``, ``andon tokens`` and ``andon serve`` (a real server process on loopback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tests.conftest import free_port
from typer.testing import CliRunner

from andon.cli.main import app
from andon.cli.serve import is_loopback

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'andon.db'}"


def test_users_add_list_remove(db: str) -> None:
    added = runner.invoke(
        app,
        ["users", "add", "ana", "--role", "operator", "--password-stdin", "--store", db],
        input="a long enough password\n",
    )
    assert added.exit_code == 0, added.output
    short = runner.invoke(
        app, ["users", "add", "bob", "--password-stdin", "--store", db], input="short\n"
    )
    assert short.exit_code == 3 and "12 characters" in short.output
    listed = runner.invoke(app, ["users", "list", "--format", "json", "--store", db])
    assert [(u["name"], u["role"]) for u in json.loads(listed.stdout)] == [("ana", "operator")]
    assert runner.invoke(app, ["users", "remove", "ana", "--store", db]).exit_code == 0
    gone = runner.invoke(app, ["users", "remove", "ana", "--store", db])
    assert gone.exit_code == 3 and "no user" in gone.output


def test_tokens_create_list_revoke(db: str) -> None:
    made = runner.invoke(
        app, ["tokens", "create", "siem", "--role", "viewer", "--expires-days", "30", "--store", db]
    )
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("andon_")
    listed = json.loads(runner.invoke(app, ["tokens", "list", "-f", "json", "--store", db]).stdout)
    assert [t["name"] for t in listed] == ["siem"] and listed[0]["expires_at"]
    assert token.split("_", 2)[2] not in json.dumps(listed)
    assert runner.invoke(app, ["tokens", "revoke", listed[0]["id"], "--store", db]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["tokens", "list", "-f", "json", "--store", db]).stdout)
    assert listed[0]["revoked_at"]
    bad_role = runner.invoke(app, ["tokens", "create", "x", "--role", "root", "--store", db])
    assert bad_role.exit_code == 3


def test_serve_binds_to_loopback_unless_told_otherwise(db: str) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")
    refused = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--store", db])
    assert refused.exit_code == 3 and "--allow-remote" in refused.output
    both = runner.invoke(app, ["serve", "--demo", "--store", db])
    assert both.exit_code == 3


def test_serve_answers_on_loopback(db: str, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "ANDON_DB": db}
    proc = subprocess.Popen(
        [sys.executable, "-m", "andon.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    assert r.status == 200
                    assert r.headers["X-Frame-Options"] == "DENY"
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("andon serve did not answer")
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/overview", timeout=5)
        assert denied.value.code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
