"""The command line, end to end over moto's server: scan, JSON contract, exit codes, escaping."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from andon.cli.main import app

runner = CliRunner()

# Only characters S3 tags can carry (XML 1.0): C1 CSI (\x9b, an 8-bit terminal escape),
# a bidi override, a newline, HTML and a spreadsheet formula.
HOSTILE = '=cmd|<script>alert(1)</script>"><img src=x onerror=alert(1)>\x9b31mRED\u202e\nx'


def s3(url: str) -> object:
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1")


def seed(url: str) -> None:
    c = s3(url)
    c.create_bucket(Bucket="open-data")  # type: ignore[attr-defined]
    c.put_bucket_policy(  # type: ignore[attr-defined]
        Bucket="open-data",
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Sid": "Everyone",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::open-data/*",
                    }
                ]
            }
        ),
    )
    c.put_bucket_tagging(  # type: ignore[attr-defined]
        Bucket="open-data", Tagging={"TagSet": [{"Key": "owner", "Value": HOSTILE}]}
    )
    c.create_bucket(Bucket="closed")  # type: ignore[attr-defined]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'andon.db'}"


def test_scan_json_contract_and_exit_code(moto_url: str, aws_env: dict[str, str], db: str) -> None:
    seed(moto_url)
    result = runner.invoke(
        app, ["scan", "--endpoint-url", moto_url, "--db", db, "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "andon.scan/v1"
    assert doc["scan"]["status"] == "complete"
    by_rule = {f["rule"]: f for f in doc["findings"]}
    read = by_rule["s3.bucket.public_read"]
    assert set(read) >= {"id", "rule", "severity", "resource", "exposure", "status"}
    assert read["resource"] == {
        "uid": "arn:aws:s3:::open-data",
        "type": "AWS::S3::Bucket",
        "kind": "storage.bucket",
        "account": "123456789012",
        "region": "us-east-1",
        "name": "open-data",
    }
    assert read["exposure"]["level"] == "PUBLIC"
    assert read["exposure"]["access"] == ["read"]
    assert read["exposure"]["latent"] is False
    assert any("`Everyone`" in r for r in read["exposure"]["reasons"])
    assert read["status"] == "open"
    assert doc["gaps"] == []
    assert doc["summary"]["exit_code"] == 1
    assert "s3.account.bpa_off" in by_rule
    assert not any(f["resource"]["name"] == "closed" for f in doc["findings"])

    # The store remembers it: `andon scans` and `andon findings` read it back.
    listed = runner.invoke(app, ["scans", "--db", db, "--format", "json"])
    assert listed.exit_code == 0
    assert json.loads(listed.stdout)[0]["id"] == doc["scan"]["id"]
    again = runner.invoke(app, ["findings", "--db", db, "--format", "json"])
    assert {f["id"] for f in json.loads(again.stdout)["findings"]} == {
        f["id"] for f in doc["findings"]
    }


def test_nothing_public_exits_zero(moto_url: str, aws_env: dict[str, str], db: str) -> None:
    c = s3(moto_url)
    c.create_bucket(Bucket="closed")  # type: ignore[attr-defined]
    s3control = boto3.client("s3control", endpoint_url=moto_url, region_name="us-east-1")
    s3control.meta.events.register("before-send.s3-control.*", _strip_account_prefix)
    s3control.put_public_access_block(
        AccountId="123456789012",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    result = runner.invoke(app, ["scan", "--endpoint-url", moto_url, "--db", db, "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == []


def _strip_account_prefix(request: object, **_: object) -> None:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(request.url)  # type: ignore[attr-defined]
    host = parts.netloc.split(".", 1)[1] if parts.netloc[:12].isdigit() else parts.netloc
    request.url = urlunsplit(parts._replace(netloc=host))  # type: ignore[attr-defined]


def test_unreachable_endpoint_exits_two_with_clear_error(aws_env: dict[str, str], db: str) -> None:
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["scan", "--endpoint-url", url, "--db", db, "-f", "json"])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["scan"]["status"] == "failed"
    assert doc["gaps"] and "127.0.0.1" in doc["gaps"][0]["reason"]


def test_hostile_names_and_tags_are_inert_in_every_format(
    moto_url: str, aws_env: dict[str, str], db: str, tmp_path: Path
) -> None:
    seed(moto_url)
    c = s3(moto_url)
    # A hostile exemption reason travels into every output through the finding.
    c.put_bucket_tagging(  # type: ignore[attr-defined]
        Bucket="open-data", Tagging={"TagSet": [{"Key": "andon:public", "Value": HOSTILE}]}
    )
    out_json = runner.invoke(app, ["scan", "--endpoint-url", moto_url, "--db", db, "-f", "json"])
    assert "<script>" not in out_json.stdout and "\x9b" not in out_json.stdout
    doc = json.loads(out_json.stdout)
    exempt = [f for f in doc["findings"] if f["status"] == "exempt"]
    assert exempt and exempt[0]["exemption"] == HOSTILE  # same value once parsed

    out_csv = runner.invoke(app, ["findings", "--db", db, "-f", "csv"])
    assert "\x9b" not in out_csv.stdout and "\u202e" not in out_csv.stdout
    rows = list(csv.DictReader(io.StringIO(out_csv.stdout)))
    assert any(r["exemption"].startswith("'=cmd") for r in rows)
    assert any("\\x9b31mRED\\u202e\\x0ax" in r["exemption"] for r in rows)

    out_table = runner.invoke(app, ["findings", "--db", db], env={"COLUMNS": "300"})
    assert "\x9b" not in out_table.stdout and "\u202e" not in out_table.stdout
    assert "\\x9b" in out_table.stdout


def test_csv_cells_cannot_become_formulas() -> None:
    from andon.report.safe import csv_cell

    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("plain") == "plain"


def test_rules_and_explain() -> None:
    listed = runner.invoke(app, ["rules"])
    assert listed.exit_code == 0
    for rid in ("s3.bucket.public_read", "s3.bucket.latent_exposure", "s3.account.bpa_off"):
        assert rid in listed.stdout
    shown = runner.invoke(app, ["explain", "s3.bucket.latent_exposure"])
    assert shown.exit_code == 0
    assert "Block Public Access" in shown.stdout
    missing = runner.invoke(app, ["explain", "s3.bucket.public_reed"])
    assert missing.exit_code == 3
    assert "s3.bucket.public_read" in missing.output  # did-you-mean


def test_unknown_rule_pattern_is_a_usage_error(aws_env: dict[str, str], db: str) -> None:
    result = runner.invoke(app, ["scan", "--rule", "nope.*", "--db", db, "--no-store"])
    assert result.exit_code == 3
