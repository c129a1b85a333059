"""``andon scan --classify``: which buckets are read, the severity table, and the store."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from andon.classify.integrate import (
    CLASSIFY_OPERATIONS,
    LARGE_VOLUME,
    BucketData,
    Sensitivity,
    exposed_buckets,
    rate,
    sensitivity,
)
from andon.classify.model import DataType, Location
from andon.classify.results import ClassifyReport, ObjectResult
from andon.collect.aws.s3 import S3_OPERATIONS
from andon.core.context import AwsTarget, ClassifySettings, Context, Limits
from andon.core.model import Access, Exposure, Finding, Level, Severity, Status
from andon.rules import default_registry
from andon.scan import scan_aws
from andon.store import Store

from .corpus import vin

KEY = bytes(range(32))
D = DataType
C, H, M = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM
NONE, LOW, HIGH, CRIT = Sensitivity.NONE, Sensitivity.LOW, Sensitivity.HIGH, Sensitivity.CRITICAL
READ_NOW = Exposure(Level.PUBLIC, access=frozenset({Access.READ}))
LATENT = Exposure(Level.PRIVATE, latent_access=frozenset({Access.READ}))


def finding(
    rule: str, severity: Severity, exposure: Exposure = READ_NOW, name: str = "b", **kw: Any
) -> Finding:
    resource = {"uid": f"arn:aws:s3:::{name}", "kind": "storage.bucket", "name": name}
    resource["region"] = "us-east-1"
    return Finding(rule, rule, severity, resource, exposure, **kw)


def data(level: Sensitivity, subjects: int = 0, complete: bool = False) -> BucketData:
    return BucketData({}, level, subjects, complete)


# -- the severity table ------------------------------------------------------------------------

TABLE = [
    # rule, base, exposure, sensitivity, subjects, complete -> rated
    ("s3.bucket.public_read", C, READ_NOW, CRIT, 0, False, C),
    ("s3.bucket.public_read", C, READ_NOW, NONE, 0, True, H),  # one step down
    ("s3.bucket.public_read", C, READ_NOW, NONE, 0, False, C),  # a sample proves nothing
    ("s3.bucket.public_read", C, READ_NOW, LOW, 0, True, C),
    ("s3.bucket.public_website", H, READ_NOW, CRIT, 3, False, C),
    ("s3.bucket.public_website", H, READ_NOW, HIGH, LARGE_VOLUME + 1, False, C),
    ("s3.bucket.public_website", H, READ_NOW, HIGH, LARGE_VOLUME, False, H),
    ("s3.bucket.public_website", M, READ_NOW, HIGH, 5, False, H),  # at least high
    ("s3.bucket.public_website", H, READ_NOW, NONE, 0, True, M),
    ("s3.bucket.public_website", M, READ_NOW, NONE, 0, True, M),  # never below medium
    ("s3.bucket.latent_exposure", H, LATENT, CRIT, LARGE_VOLUME + 1, False, C),
    ("s3.bucket.latent_exposure", H, LATENT, CRIT, 10, False, H),
    ("s3.bucket.latent_exposure", H, LATENT, HIGH, 10**6, False, H),
    ("s3.bucket.latent_exposure", H, LATENT, NONE, 0, True, M),
    ("s3.bucket.public_write", C, READ_NOW, NONE, 0, True, C),  # never changed
    ("s3.bucket.public_acl_change", C, READ_NOW, NONE, 0, True, C),
    ("s3.bucket.public_acl_read", Severity.LOW, READ_NOW, CRIT, 10**6, True, Severity.LOW),
    ("s3.bucket.public_list", H, READ_NOW, CRIT, 10**6, True, H),
]


@pytest.mark.parametrize(
    ("rule", "base", "exposure", "level", "subjects", "complete", "want"), TABLE
)
def test_severity_table(
    rule: str,
    base: Severity,
    exposure: Exposure,
    level: Sensitivity,
    subjects: int,
    complete: bool,
    want: Severity,
) -> None:
    severity, reason = rate(finding(rule, base, exposure), data(level, subjects, complete))
    assert severity is want
    assert reason


def test_a_latent_write_is_not_rated_by_content() -> None:
    latent_write = Exposure(Level.PRIVATE, latent_access=frozenset({Access.WRITE}))
    got, _ = rate(finding("s3.bucket.latent_exposure", H, latent_write), data(CRIT, 10**6))
    assert got is H


def test_an_unclassified_bucket_keeps_the_rule_severity() -> None:
    got, reason = rate(finding("s3.bucket.public_website", H), BucketData.skipped("budget"))
    assert got is H and "not classified" in reason


def report_with(types: dict[DataType, int], subjects: int = 0) -> ClassifyReport:
    result = ObjectResult.new("o.csv", KEY)
    for dtype, n in types.items():
        result.add_counts(dtype, n, locations=[Location("o.csv", record=0, column="c")])
    if subjects:
        result.subjects.add_many(D.EMAIL, [f"p{i}@example.com" for i in range(subjects)])
    report = ClassifyReport()
    report.add(result)
    return report


@pytest.mark.parametrize(
    ("types", "want"),
    [
        ({}, NONE),
        ({D.IP_ADDRESS: 3, D.JP_POSTAL_CODE: 1}, LOW),
        ({D.GEO_COORDINATES: 3}, LOW),
        ({D.GEO_COORDINATES: 30}, HIGH),  # a GPS trace
        ({D.EMAIL: 1}, HIGH),
        ({D.AWS_ACCESS_KEY: 1}, HIGH),
        ({D.AWS_SECRET_KEY: 1}, CRIT),
        ({D.JP_MY_NUMBER: 1}, CRIT),
        ({D.PAYMENT_CARD: 1}, CRIT),
        ({D.API_TOKEN: 1}, CRIT),
        ({D.GEO_COORDINATES: 2, D.VIN: 2}, CRIT),  # locations tied to vehicles
        ({D.GEO_COORDINATES: 2, D.PHONE_NUMBER: 2}, CRIT),
    ],
)
def test_sensitivity(types: dict[DataType, int], want: Sensitivity) -> None:
    assert sensitivity(report_with(types)) is want


def test_bucket_data_carries_counts_and_coverage_never_values() -> None:
    found = BucketData.from_report(report_with({D.EMAIL: 1200}, subjects=1200))
    ev = found.evidence
    assert ev["types"] == {"email": 1200}
    assert abs(ev["subjects"]["person"] - 1200) < 50
    assert ev["where"] == {"email": ["o.csv"]}
    assert ev["complete"] is True and ev["inspected_fraction"] == 1.0
    assert found.sensitivity is HIGH and found.subjects > LARGE_VOLUME
    assert "example.com" not in json.dumps(ev)


def test_exposed_buckets_come_readable_first_then_exempt_then_latent() -> None:
    findings = [
        finding("s3.bucket.latent_exposure", H, LATENT, name="a-latent"),
        finding("s3.bucket.public_read", C, name="z-open"),
        finding("s3.bucket.public_list", H, name="z-open"),
        finding("s3.bucket.public_read", C, name="m-exempt", status=Status.EXEMPT),
        finding("s3.bucket.public_read", C, name="b-open"),
        finding(
            "s3.bucket.public_list",
            H,
            Exposure(Level.PUBLIC, access=frozenset({Access.LIST})),
            name="list-only",
        ),
    ]
    order = [(b.priority, b.name) for b in exposed_buckets(findings)]
    assert order == [(0, "b-open"), (0, "z-open"), (1, "m-exempt"), (2, "a-latent")]


def test_content_reads_are_listed_apart_from_the_collector_operations() -> None:
    reads = {op.iam_action for op in CLASSIFY_OPERATIONS}
    assert "s3:GetObject" in reads
    assert "s3:GetObject" not in {op.iam_action for op in S3_OPERATIONS}


# -- end to end over moto ----------------------------------------------------------------------


def public_policy(bucket: str) -> str:
    statement = {"Sid": "World", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    statement["Resource"] = f"arn:aws:s3:::{bucket}/*"
    return json.dumps({"Statement": [statement]})


def fleet_csv(vehicles: int) -> bytes:
    rng = random.Random(9)
    rows = [f"{vin(rng)},{35 + rng.random():.6f},{139 + rng.random():.6f}" for _ in range(vehicles)]
    return ("vin,lat,lon\n" + "\n".join(rows) + "\n").encode()


def seed(url: str) -> dict[str, int]:
    """Four buckets: a public website with > 1,000 vehicles' locations, the same data held back
    only by Block Public Access, a public bucket of harmless text, and a private bucket."""
    s3 = boto3.client("s3", endpoint_url=url, config=Config(s3={"addressing_style": "path"}))
    fleet = fleet_csv(LARGE_VOLUME + 100)
    docs = b"release notes: nothing personal here\n" * 50
    for name in ("fleet-site", "fleet-latent", "docs-public", "private-data"):
        s3.create_bucket(Bucket=name)
        if name != "private-data":
            s3.put_bucket_policy(Bucket=name, Policy=public_policy(name))
    s3.put_bucket_website(
        Bucket="fleet-site", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}
    )
    s3.put_public_access_block(
        Bucket="fleet-latent",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    for name in ("fleet-site", "fleet-latent", "private-data"):
        s3.put_object(Bucket=name, Key="exports/trips.csv", Body=fleet)
    s3.put_object(Bucket="docs-public", Key="notes.txt", Body=docs)
    return {"fleet": len(fleet), "docs": len(docs)}


def scan(url: str, tmp_path: Path, settings: ClassifySettings | None) -> tuple[Any, Store]:
    store = Store(f"sqlite:///{tmp_path / 'andon.db'}")
    ctx = Context(aws=AwsTarget(endpoint_url=url), limits=Limits(max_attempts=1), classify=settings)
    outcome = scan_aws(ctx, rules=default_registry(), store=store)
    return outcome, store


def by_rule_and_bucket(findings: list[Finding]) -> dict[tuple[str, str], Finding]:
    return {(f.rule_id, f.resource["name"]): f for f in findings}


def test_scan_classify_rates_exposed_buckets_and_the_store_keeps_it(
    moto_url: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    seed(moto_url)
    plain, store = scan(moto_url, tmp_path, None)
    store.close()
    base = by_rule_and_bucket(plain.findings)
    assert base["s3.bucket.public_website", "fleet-site"].severity is H
    assert base["s3.bucket.latent_exposure", "fleet-latent"].severity is H
    assert all("data" not in f.evidence for f in plain.findings)

    settings = ClassifySettings(key_file=str(tmp_path / "subjects.key"))
    outcome, store = scan(moto_url, tmp_path, settings)
    got = by_rule_and_bucket(outcome.findings)
    site = got["s3.bucket.public_website", "fleet-site"]
    assert site.severity is C  # raised: > 1,000 vehicles' locations, publicly readable
    part = site.evidence["data"]
    assert part["sensitivity"] == "critical"
    assert part["types"] == {"vin": LARGE_VOLUME + 100, "geo_coordinates": LARGE_VOLUME + 100}
    assert part["subjects"]["vehicle"] > LARGE_VOLUME
    assert part["complete"] is True and part["where"]["vin"] == ["exports/trips.csv"]
    assert part["severity"] == {
        "base": "high",
        "rated": "critical",
        "reason": part["severity"]["reason"],
    }
    assert got["s3.bucket.public_read", "fleet-site"].evidence["data"]["types"] == part["types"]
    assert got["s3.bucket.latent_exposure", "fleet-latent"].severity is C
    docs = got["s3.bucket.public_read", "docs-public"]
    assert docs.severity is H  # nothing recognizable in a complete inspection: one step down
    assert docs.evidence["data"]["sensitivity"] == "none"
    assert not any(f.resource["name"] == "private-data" for f in outcome.findings)

    stored = {(f.rule_id, f.resource["name"]): f for f in store.findings(outcome.scan_id)}
    assert stored["s3.bucket.public_website", "fleet-site"].severity is C
    assert stored["s3.bucket.public_website", "fleet-site"].evidence["data"] == part
    assert stored["s3.bucket.public_read", "docs-public"].severity is H
    changed = {(t.rule_id, t.kind.value) for t in outcome.transitions}
    assert ("s3.bucket.public_website", "severity_changed") in changed
    store.close()


def test_the_total_budget_goes_to_readable_buckets_first(
    moto_url: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    sizes = seed(moto_url)
    settings = ClassifySettings(
        total_bytes=sizes["fleet"] + sizes["docs"], key_file=str(tmp_path / "k")
    )
    outcome, store = scan(moto_url, tmp_path, settings)
    store.close()
    got = by_rule_and_bucket(outcome.findings)
    assert got["s3.bucket.public_read", "fleet-site"].evidence["data"]["classified"] is True
    assert got["s3.bucket.public_read", "docs-public"].evidence["data"]["classified"] is True
    latent = got["s3.bucket.latent_exposure", "fleet-latent"]
    assert latent.evidence["data"]["classified"] is False
    assert "budget" in latent.evidence["data"]["reason"]
    assert latent.severity is H


def test_denied_content_reads_are_recorded_and_the_scan_completes(
    moto_url: str,
    aws_env: dict[str, str],
    tmp_path: Path,
    moto_iam_user: Callable[[dict[str, object]], tuple[str, str]],
) -> None:
    seed(moto_url)
    key_id, secret = moto_iam_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
            ],
        }
    )
    target = AwsTarget(endpoint_url=moto_url, access_key_id=key_id, secret_access_key=secret)
    settings = ClassifySettings(key_file=str(tmp_path / "k"))
    ctx = Context(aws=target, limits=Limits(max_attempts=1), classify=settings)
    outcome = scan_aws(ctx, rules=default_registry())
    assert outcome.status.value == "complete"
    got = by_rule_and_bucket(outcome.findings)
    site = got["s3.bucket.public_website", "fleet-site"]
    part = site.evidence["data"]
    assert part["objects_inspected"] == 0
    assert "could not be inspected" in part["coverage"]
    assert site.severity is H  # nothing could be read: the rule's severity stands


def test_a_classification_bug_leaves_the_scan_and_its_findings_intact(
    moto_url: str, aws_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(moto_url)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug quoting JTD12345678901234")

    monkeypatch.setattr("andon.classify.integrate.classify_source", broken)
    outcome, store = scan(moto_url, tmp_path, ClassifySettings(key_file=str(tmp_path / "k")))
    store.close()
    assert outcome.status.value == "complete"
    site = by_rule_and_bucket(outcome.findings)["s3.bucket.public_website", "fleet-site"]
    part = site.evidence["data"]
    assert part["classified"] is False
    assert part["reason"] == "classification failed: RuntimeError"  # the type, not the message
    assert part["severity"]["rated"] == "high"
    assert site.severity is H
