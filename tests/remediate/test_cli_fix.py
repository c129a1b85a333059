"""``andon fix``, ``andon exempt`` and ``andon exemptions`` end to end on moto's server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.remediate.helpers import scan, seeder
from typer.testing import CliRunner

from andon.cli.main import app
from andon.core.context import Context
from andon.core.model import Status
from andon.store import Store

runner = CliRunner()


def _queue_policy(moto_url: str) -> dict[str, object]:
    sqs = seeder(moto_url).client("sqs")
    url = sqs.get_queue_url(QueueName="fix-queue-00000")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
    policy: dict[str, object] = json.loads(attrs["Policy"])
    return policy


def _setup(ctx: Context, moto_url: str, tmp_path: Path) -> tuple[str, str]:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    seeder(moto_url).sqs(0, True)
    with Store(db) as store:
        out = scan(ctx, store, ["sqs"])
    [finding] = [f for f in out.findings if f.status is Status.OPEN]
    return db, finding.id


def _fix(db: str, url: str, key: Path, *args: str) -> object:
    return runner.invoke(
        app,
        [
            "fix",
            *args,
            "--db",
            db,
            "--endpoint-url",
            url,
            "-r",
            "us-east-1",
            "--key-file",
            str(key),
        ],
    )


def test_plan_file_apply_rollback(ctx: Context, moto_url: str, tmp_path: Path) -> None:
    db, fid = _setup(ctx, moto_url, tmp_path)
    key = tmp_path / "k" / "plans.key"
    original = _queue_policy(moto_url)
    plan = tmp_path / "plan.json"
    shown = _fix(db, moto_url, key, fid, "--output", str(plan))
    assert shown.exit_code == 0, shown.output  # type: ignore[attr-defined]
    assert "narrow" in shown.output and "Principal" in shown.output  # type: ignore[attr-defined]
    assert "Nothing was changed" not in shown.output  # type: ignore[attr-defined]
    assert _queue_policy(moto_url) == original  # planning never changes anything
    applied = _fix(db, moto_url, key, "--apply", str(plan), "--format", "json")
    assert applied.exit_code == 0, applied.output  # type: ignore[attr-defined]
    report = json.loads(applied.stdout)  # type: ignore[attr-defined]
    [change] = report["changes"]
    assert change["result"] == "applied" and report["verified"] == {fid: "resolved"}
    assert "testing" not in change["who"] or "(" in change["who"]
    assert _queue_policy(moto_url) != original
    back = _fix(db, moto_url, key, "--rollback", str(change["id"]))
    assert back.exit_code == 0, back.output  # type: ignore[attr-defined]
    assert _queue_policy(moto_url) == original
    again = _fix(db, moto_url, key, "--rollback", str(change["id"]))
    assert again.exit_code == 3 and "already rolled back" in again.output  # type: ignore[attr-defined]


def test_bad_input_changes_nothing(ctx: Context, moto_url: str, tmp_path: Path) -> None:
    db, fid = _setup(ctx, moto_url, tmp_path)
    key = tmp_path / "k" / "plans.key"
    original = _queue_policy(moto_url)
    unknown = _fix(db, moto_url, key, "0123456789abcdef0123")
    assert unknown.exit_code == 3 and "unknown finding id" in unknown.output  # type: ignore[attr-defined]
    nothing = _fix(db, moto_url, key)
    assert nothing.exit_code == 3
    plan = tmp_path / "plan.json"
    assert _fix(db, moto_url, key, "--all", "-o", str(plan)).exit_code == 0  # type: ignore[attr-defined]
    doc = json.loads(plan.read_text())
    doc["entries"][0]["after"]["policy"] = None
    plan.write_text(json.dumps(doc))
    tampered = _fix(db, moto_url, key, "--apply", str(plan))
    assert tampered.exit_code == 3 and "integrity" in tampered.output  # type: ignore[attr-defined]
    declined = runner.invoke(
        app,
        [
            "fix",
            fid,
            "--approve",
            "--db",
            db,
            "--endpoint-url",
            moto_url,
            "-r",
            "us-east-1",
            "--key-file",
            str(key),
        ],
        input="n\n",
    )
    assert declined.exit_code == 1 and "Nothing changed" in declined.output
    assert _fix(db, moto_url, key, "--apply", "no-such-plan").exit_code == 3  # type: ignore[attr-defined]
    assert _queue_policy(moto_url) == original


def test_saved_plan_applied_by_id_and_exemption_commands(
    ctx: Context, moto_url: str, tmp_path: Path
) -> None:
    db, _fid = _setup(ctx, moto_url, tmp_path)
    key = tmp_path / "k" / "plans.key"
    saved = _fix(db, moto_url, key, "--rule", "sqs.*", "--offline", "--save")
    assert saved.exit_code == 0, saved.output  # type: ignore[attr-defined]
    with Store(db) as store:
        from andon.remediate.plan import list_plans

        [stored] = list_plans(store)
    done = _fix(db, moto_url, key, "--apply", stored.id, "--no-verify")
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    twice = _fix(db, moto_url, key, "--apply", stored.id, "--no-verify")
    assert twice.exit_code == 3 and "already applied" in twice.output  # type: ignore[attr-defined]
    uid = "arn:aws:sqs:us-east-1:123456789012:fix-queue-00000"
    made = runner.invoke(
        app,
        [
            "exempt",
            uid,
            "--reason",
            "partner feed",
            "--owner",
            "ops",
            "--expires",
            "2099-01-01",
            "--db",
            db,
        ],
    )
    assert made.exit_code == 0 and "exemption #1" in made.output
    listed = runner.invoke(app, ["exemptions", "--format", "json", "--db", db])
    assert [e["owner"] for e in json.loads(listed.stdout)] == ["ops"]
    missing = runner.invoke(app, ["exempt", uid, "--reason", "r", "--owner", "", "--db", db])
    assert missing.exit_code == 3
    revoked = runner.invoke(app, ["exemptions", "revoke", "1", "--db", db])
    assert revoked.exit_code == 0
    listed = runner.invoke(app, ["exemptions", "--format", "json", "--db", db])
    assert json.loads(listed.stdout) == []


def test_scan_applies_config_exemptions(
    moto_url: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    seeder(moto_url).sqs(0, True)
    config = tmp_path / "andon.toml"
    config.write_text(
        '[[exemptions]]\nresource = "arn:aws:sqs:*:*:fix-queue-*"\nreason = "partner feed"\n'
        'owner = "ops"\nexpires = "2099-12-31"\n'
    )
    args = [
        "scan",
        "--endpoint-url",
        moto_url,
        "-r",
        "us-east-1",
        "-s",
        "sqs",
        "--no-store",
        "--config",
        str(config),
        "--format",
        "json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["status"] == "exempt" and "owner ops" in finding["exemption"]
    config.write_text('[[exemptions]]\nresource = "x"\nreason = "r"\n')
    bad = runner.invoke(app, args)
    assert bad.exit_code == 3 and "owner is required" in bad.output
