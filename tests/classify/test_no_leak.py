"""No raw value leaves Andon: not in any output format, not in the store, not in the logs.

A corpus with known raw values (VINs, chassis numbers, IMEIs, names, phones, e-mails, My
Numbers, card numbers, AWS keys, a PEM body, coordinates) - plus traps: JSON objects keyed by
VIN and by phone number, and a CSV whose first row is data - is classified from disk and from
S3, and scanned with ``andon scan --classify`` into a SQLite store, at DEBUG log level with a
log file and pytest's log capture. Every output (JSON, table, CSV, to stdout and to files),
the store's bytes, the log file and the captured records are then searched for every value,
in its raw form, its JSON-escaped form and (phones, cards) digits only; tables are also
searched with all white space and box drawing removed, so a value folded over two lines is
still found.

The emulator's own loggers (``moto``, ``werkzeug``) are left at WARNING: they are the cloud,
not Andon, and the seeding uploads the corpus through them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from typer.testing import CliRunner

from andon.cli.main import app

from .corpus import Corpus, write_corpus

runner = CliRunner()
WIDE = {"COLUMNS": "400"}  # rich folds cells at the terminal width; searched squashed too
_SQUASH = re.compile(r"[\s\u2500-\u257f]+")  # white space and box drawing


def write_traps(corpus: Corpus) -> None:
    """Files whose *names* of keys or columns are values."""
    root = corpus.root / "traps"
    root.mkdir()
    drivers = corpus.drivers
    by_vin = {
        d.vin: {"lat": 35.5 + i / 1000, "lon": 139.5 + i / 1000} for i, d in enumerate(drivers)
    }
    (root / "by_vin.json").write_text(json.dumps(by_vin))
    by_phone = {d.phone: {"email": d.email, "imei": d.imei} for d in drivers}
    (root / "by_phone.json").write_text(json.dumps(by_phone))
    rows = [f"{d.name},{d.my_number},{d.phone},{d.email}" for d in drivers[:5]]
    (root / "no_header.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    by_key = {d.my_number: d.card for d in drivers[:5]}
    (root / "by_my_number.json").write_text(json.dumps({"my_number_index": by_key}))


def forms(value: str) -> set[str]:
    out = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 10 and len(digits) * 2 > len(value):  # phones, cards: digits only
        out.add(digits)
    return out


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "andon.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    quiet = {name: logging.getLogger(name).level for name in ("moto", "werkzeug")}
    before = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(before)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


def public_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Statement": [
                {
                    "Sid": "World",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ]
        }
    )


def test_no_raw_value_in_outputs_store_or_logs(
    tmp_path: Path,
    moto_url: str,
    aws_env: dict[str, str],
    log_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    corpus = write_corpus(tmp_path / "data", drivers=30, trips=300)
    write_traps(corpus)
    s3 = boto3.client("s3", endpoint_url=moto_url, config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket="fleet-public")
    s3.put_bucket_policy(Bucket="fleet-public", Policy=public_policy("fleet-public"))
    for path in sorted(corpus.root.rglob("*")):
        if path.is_file():
            key = path.relative_to(corpus.root).as_posix()
            s3.put_object(Bucket="fleet-public", Key=key, Body=path.read_bytes())

    caplog.set_level(logging.DEBUG)
    key_file = str(tmp_path / "subjects.key")
    db = f"sqlite:///{tmp_path / 'andon.db'}"
    texts: dict[str, str] = {}

    def invoke(name: str, *args: str) -> None:
        result = runner.invoke(app, list(args), env=WIDE)
        assert result.exit_code in (0, 1, 2), (name, result.output)
        texts[f"{name} stdout"] = result.stdout
        texts[f"{name} stderr"] = result.stderr

    local = ["classify", str(corpus.root), "--key-file", key_file, "--workers", "1"]
    remote = ["classify", "s3://fleet-public/", "--endpoint-url", moto_url, "--key-file", key_file]
    scan = ["scan", "--classify", "--endpoint-url", moto_url, "--db", db, "--key-file", key_file]
    for fmt in ("json", "table"):  # scan's CSV is the same as the findings CSV below
        invoke(f"scan {fmt}", *scan, "-f", fmt)
    for fmt in ("json", "table", "csv"):
        invoke(f"classify {fmt}", *local, "-f", fmt)
        invoke(f"findings {fmt}", "findings", "--db", db, "-f", fmt)
    invoke("classify s3 json", *remote, "-f", "json", "--workers", "1")
    out = tmp_path / "out.json"
    invoke("classify -o json", *local, "-f", "json", "-o", str(out))
    texts["classify file json"] = out.read_text(encoding="utf-8")
    invoke("classify pool", *local[:-2], "--workers", "2", "--full", "-f", "json")

    # the classification did run and found the traps' data (a leak test that reads nothing
    # would pass vacuously)
    doc = json.loads(texts["classify json stdout"])
    found = {o["object"]: o["data_types"] for o in doc["objects"]}
    assert found["traps/by_vin.json"]["geo_coordinates"]["count"] == 30
    assert found["traps/by_phone.json"]["email"]["count"] == 30
    scanned = json.loads(texts["scan json stdout"])
    assert any("data" in f["evidence"] for f in scanned["findings"])
    assert "s3.bucket.public_read" in texts["findings csv stdout"]

    texts["log file"] = log_file.read_text(encoding="utf-8")
    texts["caplog"] = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    )
    assert "andon.classify.engine" in texts["caplog"]  # Andon's own records were captured
    assert "GetObject" in texts["log file"]  # and botocore's DEBUG records of the reads
    store = b"".join(p.read_bytes() for p in tmp_path.glob("andon.db*"))
    assert store
    squashed = {name: _SQUASH.sub("", text) for name, text in texts.items()}

    values = sorted(set(corpus.raw_values()))
    assert len(values) > 300
    leaks = []
    for value in values:
        for form in forms(value):
            leaks += [(name, form) for name, text in texts.items() if form in text]
            tight = _SQUASH.sub("", form)
            leaks += [(f"{n} (squashed)", form) for n, t in squashed.items() if tight in t]
            if form.encode("utf-8") in store:
                leaks.append(("store", form))
    assert not leaks, leaks[:20]
