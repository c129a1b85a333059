"""``andon scan`` over every service: scope flags, the config file, coverage in each output."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from andon.cli.main import app

runner = CliRunner()
OUTSIDE = "999988887777"


def queue(url: str, name: str, principal: object) -> None:
    boto3.client("sqs", endpoint_url=url, region_name="us-east-1").create_queue(
        QueueName=name,
        Attributes={
            "Policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Sid": "Grant",
                            "Effect": "Allow",
                            "Principal": principal,
                            "Action": "sqs:SendMessage",
                            "Resource": f"arn:aws:sqs:us-east-1:123456789012:{name}",
                        }
                    ]
                }
            )
        },
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'andon.db'}"


def test_json_lists_every_cell_and_the_gaps(
    moto_url: str, aws_env: dict[str, str], db: str
) -> None:
    queue(moto_url, "open", "*")
    args = ["scan", "--endpoint-url", moto_url, "--db", db, "-f", "json"]
    args += ["-r", "us-east-1", "-r", "ap-east-1", "-s", "sqs", "-s", "s3"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    cells = {(c["region"], c["service"]): c for c in doc["coverage"]}
    assert set(cells) == {("us-east-1", "sqs"), ("global", "s3"), ("ap-east-1", "*")}
    assert cells[("us-east-1", "sqs")] == {
        "account": "123456789012",
        "region": "us-east-1",
        "service": "sqs",
        "status": "complete",
        "reason": "",
        "resources": 1,
    }
    assert cells[("ap-east-1", "*")]["status"] == "failed"
    assert doc["summary"]["coverage"] == {"complete": 2, "partial": 0, "failed": 1}
    assert any("ap-east-1" in g["reason"] for g in doc["gaps"])
    assert doc["scan"]["status"] == "incomplete"
    assert {f["rule"] for f in doc["findings"]} >= {"sqs.queue.public_policy"}
    assert doc["scan"]["scope"] == "aws:123456789012:s3,sqs:ap-east-1,us-east-1@127.0.0.1"


def test_nothing_found_with_gaps_says_what_it_could_not_see(
    moto_url: str, aws_env: dict[str, str], db: str
) -> None:
    args = ["scan", "--endpoint-url", moto_url, "--db", db, "-s", "sqs"]
    args += ["-r", "us-east-1", "-r", "ap-east-1"]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "No findings in what Andon could read" in result.stdout
    assert "Coverage" in result.stdout and "not enabled in this account" in result.stdout
    assert "1 complete, 0 partial, 1 failed" in result.stderr


def test_the_config_file_trusts_accounts(
    moto_url: str, aws_env: dict[str, str], db: str, tmp_path: Path
) -> None:
    queue(moto_url, "partner", {"AWS": f"arn:aws:iam::{OUTSIDE}:root"})
    base = ["scan", "--endpoint-url", moto_url, "--db", db, "-f", "json", "-s", "sqs"]
    base += ["-r", "us-east-1"]
    untrusted = json.loads(runner.invoke(app, base).stdout)
    assert [f["rule"] for f in untrusted["findings"]] == ["sqs.queue.cross_account"]
    config = tmp_path / "andon.toml"
    config.write_text(f'[trust]\naccounts = ["{OUTSIDE}"]\n', encoding="utf-8")
    trusted = runner.invoke(app, [*base, "--config", str(config)])
    assert trusted.exit_code == 0, trusted.output
    assert json.loads(trusted.stdout)["findings"] == []


def test_rule_selection_prunes_services(moto_url: str, aws_env: dict[str, str], db: str) -> None:
    args = ["scan", "--endpoint-url", moto_url, "--db", db, "-f", "json", "-r", "us-east-1"]
    doc = json.loads(runner.invoke(app, [*args, "--rule", "sqs.*"]).stdout)
    assert {c["service"] for c in doc["coverage"]} == {"sqs"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--service", "sqs2"], "did you mean sqs"),
        (["--role-name", "bad name"], "valid IAM role name"),
        (["--external-id", "x"], "external id"),
        (["--config", "/nonexistent/andon.toml"], "cannot read the config file"),
        (["--service", "sqs", "--rule", "s3.*"], "nothing to scan"),
    ],
)
def test_usage_errors_exit_3(
    extra: list[str], message: str, aws_env: dict[str, str], db: str
) -> None:
    result = runner.invoke(app, ["scan", "--db", db, "--no-store", *extra])
    assert result.exit_code == 3, result.output
    assert message in result.output
