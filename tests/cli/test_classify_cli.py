"""``andon classify``: JSON contract, table and CSV, exit codes, S3 targets, usage errors."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from tests.classify.corpus import Corpus, write_corpus
from typer.testing import CliRunner

from andon.classify.model import DataType
from andon.cli.classify import parse_size
from andon.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return write_corpus(tmp_path_factory.mktemp("cli") / "data", drivers=12, trips=60)


@pytest.fixture
def key(tmp_path: Path) -> str:
    return str(tmp_path / "subjects.key")


def classify(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["classify", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_contract(corpus: Corpus, key: str) -> None:
    code, out, _ = classify(
        str(corpus.root), "--format", "json", "--key-file", key, "--workers", "1"
    )
    assert code == 1  # data found
    doc = json.loads(out)
    assert doc["schema"] == "andon.classify/v1"
    assert doc["target"] == str(corpus.root.resolve())
    assert doc["exit_code"] == 1
    assert doc["settings"] == {
        "full": False,
        "byte_budget": 256 * 1024 * 1024,
        "object_budget": 1000,
        "max_bytes_per_object": 64 * 1024 * 1024,
        "seed": 0,
    }
    summary = doc["summary"]
    assert summary["objects_listed"] == 8
    assert summary["listing_complete"] is True
    # persons: 12 drivers' names plus the 5 Latin names of the notes (the largest type)
    assert summary["subjects"] == {"vehicle": 12, "device": 12, "person": 17}
    assert set(summary["data_types"]) <= {t.value for t in DataType}
    assert summary["data_types"]["jp_my_number"]["count"] == 24  # ndjson + zip
    by_key = {o["object"]: o for o in doc["objects"]}
    assert set(by_key) == {
        "trips.csv", "archive/trips-2023.csv.gz", "customers.ndjson", "telemetry.parquet",
        "export.zip", "logs/app.log", "logs/notes.tar.gz", "photo.png",
    }  # fmt: skip
    assert by_key["photo.png"]["inspected"] is False
    assert by_key["photo.png"]["not_inspected"] == "PNG image"
    assert by_key["trips.csv"]["data_types"]["vin"]["count"] == 60
    assert by_key["trips.csv"]["data_types"]["vin"]["samples"] == ["JTD**************"]


def test_table_and_csv(corpus: Corpus, key: str, tmp_path: Path) -> None:
    code, out, _ = classify(str(corpus.root), "--key-file", key, "--workers", "1")
    assert code == 1
    assert "Objects inspected (8)" in out and "jp_my_number" in out
    assert "could not be inspected: PNG image (1)" in " ".join(out.split())
    target = tmp_path / "out.csv"
    code, _, err = classify(str(corpus.root), "-f", "csv", "-o", str(target), "--key-file", key)
    assert code == 1 and "wrote" in err
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    png = [r for r in rows if r["object"] == "photo.png"]
    assert png == [dict(png[0], data_type="", count="0", not_inspected="PNG image")]
    totals = {r["data_type"]: int(r["count"]) for r in rows if r["object"] == "*"}
    assert totals["vin"] == 60 * 2 + 12 * 3


def test_exit_codes_for_nothing_found(tmp_path: Path, key: str) -> None:
    (tmp_path / "d").mkdir()
    for i in range(6):
        (tmp_path / "d" / f"n{i}.txt").write_text("nothing personal\n" * 10)
    assert classify(str(tmp_path / "d"), "--key-file", key)[0] == 0  # complete: nothing found
    code, out, _ = classify(str(tmp_path / "d"), "--key-file", key, "--object-budget", "2")
    assert code == 2  # a sample: nothing found is not nothing there
    assert "does not show that the uninspected data contains nothing" in " ".join(out.split())


def test_a_local_pool_gives_the_same_json(corpus: Corpus, key: str) -> None:
    args = [str(corpus.root), "-f", "json", "--key-file", key, "--full"]
    serial = json.loads(classify(*args, "--workers", "1")[1])
    pooled = json.loads(classify(*args, "--workers", "2")[1])
    assert pooled == serial


def test_an_s3_target(corpus: Corpus, key: str, moto_url: str, aws_env: dict[str, str]) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_url, config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket="cars")
    for path in corpus.root.rglob("*"):
        if path.is_file():
            s3.put_object(
                Bucket="cars",
                Key=f"in/{path.relative_to(corpus.root).as_posix()}",
                Body=path.read_bytes(),
            )
    args = ["-f", "json", "--key-file", key, "--endpoint-url", moto_url, "--workers", "1"]
    code, out, _ = classify("s3://cars/in/logs/", *args)
    assert code == 1
    doc = json.loads(out)
    assert doc["target"] == "s3://cars/in/logs/"
    assert [o["object"] for o in doc["objects"]] == ["in/logs/app.log", "in/logs/notes.tar.gz"]
    code, _, err = classify("s3://absent-bucket", *args)
    assert code == 2 and "cannot read s3://absent-bucket/" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/path"], "no such file or directory"),
        (["s3://"], "needs a bucket"),
        ([".", "--byte-budget", "lots"], "not a size"),
        ([".", "--max-object-bytes", "0"], "at least one byte"),
    ],
)
def test_usage_errors_exit_3(args: list[str], message: str, key: str) -> None:
    code, _, err = classify(*args, "--key-file", key)
    assert code == 3
    assert message in " ".join(err.split())


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)
    code, _, err = classify(str(tmp_path), "--key-file", str(key))
    assert code == 3 and "accessible by other users" in " ".join(err.split())


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1000", 1000),
        ("256MB", 256 * 10**6),
        ("256MiB", 256 << 20),
        ("1.5GiB", 3 << 29),
        ("64k", 64_000),
        ("2 g", 2 * 10**9),
        ("10b", 10),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_docs_list_every_data_type() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "classify.md").read_text(encoding="utf-8")
    missing = [t.value for t in DataType if f"| `{t.value}` |" not in docs]
    assert not missing
