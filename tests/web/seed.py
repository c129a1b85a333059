"""Builders for the web tests and the benchmark: a store with scans, resources and findings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from andon.core.model import Access, Exposure, Finding, Level, Resource, Severity, Status
from andon.store import ScanStatus, Store

RULES = [
    ("s3.bucket.public_read", Severity.CRITICAL, "storage.bucket", "AWS::S3::Bucket"),
    ("s3.bucket.public_list", Severity.HIGH, "storage.bucket", "AWS::S3::Bucket"),
    ("sqs.queue.cross_account", Severity.MEDIUM, "messaging.queue", "AWS::SQS::Queue"),
    ("s3.bucket.public_acl_read", Severity.LOW, "storage.bucket", "AWS::S3::Bucket"),
]
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
REGIONS = ["eu-west-1", "us-east-1"]

HOSTILE_NAME = '<script>alert(1)</script>"><img src=x onerror=alert(2)>\x1b[31m\x00\u202e'
HOSTILE_TAG_KEY = "<script>k</script>"
HOSTILE_TAG_VALUE = '"><img src=x onerror=alert(3)>\x07'


class Clock:
    """A settable clock: one second per reading, so every timestamp differs."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def resource(i: int, *, name: str | None = None, tags: dict[str, str] | None = None) -> Resource:
    _, _, kind, native = RULES[i % len(RULES)]
    bucket = name if name is not None else f"bucket-{i:06d}"
    return Resource(
        uid=f"arn:aws:s3:::{bucket}" if kind == "storage.bucket" else f"arn:aws:sqs:q-{i}",
        cloud="aws",
        account=ACCOUNTS[i % len(ACCOUNTS)],
        region=REGIONS[i % len(REGIONS)],
        kind=kind,
        native_type=native,
        name=bucket,
        attributes={"name": bucket} if kind == "storage.bucket" else {},
        tags=tags or {"team": "data"},
    )


def finding(r: Resource, i: int, status: Status = Status.OPEN) -> Finding:
    rule, severity, _, _ = RULES[i % len(RULES)]
    return Finding(
        rule_id=rule,
        title=f"{r.name} is reachable from outside",
        severity=severity,
        resource=r.ref(),
        exposure=Exposure(
            Level.PUBLIC, frozenset({Access.READ}), reasons=(f"AllUsers may read {r.name}",)
        ),
        status=status,
        evidence={"grantee": "AllUsers", "data": {"classified": True, "types": {"email": 3}}},
        remediation="Turn on Block Public Access.",
        exemption="tagged andon:public" if status is Status.EXEMPT else "",
    )


def items(n: int, offset: int = 0) -> Iterator[tuple[Resource, Finding]]:
    for i in range(offset, offset + n):
        r = resource(i)
        yield r, finding(r, i, Status.EXEMPT if i % 10 == 9 else Status.OPEN)


def scan(
    store: Store,
    scope: str,
    pairs: list[tuple[Resource, Finding]],
    status: ScanStatus = ScanStatus.COMPLETE,
) -> str:
    """One finished scan of ``scope`` that saw ``pairs``."""
    scan_id = store.start_scan(scope, {"source": "test"})
    store.add_resources(scan_id, [(r, f.exposure) for r, f in pairs])
    store.add_findings(scan_id, [f for _, f in pairs])
    store.finish_scan(
        scan_id,
        status,
        meta={"resources": len(pairs), "findings": len(pairs), "coverage": {"complete": 1}},
    )
    return scan_id


def estate(store: Store, n: int = 40) -> dict[str, str]:
    """Two scans of one scope (the second resolves a few findings) and one hostile resource."""
    first = list(items(n))
    scan(store, "aws:111111111111:all", first)
    hostile = resource(n, name=HOSTILE_NAME, tags={HOSTILE_TAG_KEY: HOSTILE_TAG_VALUE, "team": "x"})
    second = [*first[3:], (hostile, finding(hostile, n))]
    last = scan(store, "aws:111111111111:all", second)
    return {"scan": last, "hostile": second[-1][1].id, "first": first[3][1].id}
