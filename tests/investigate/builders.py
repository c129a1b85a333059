"""Builders for the investigation tests: a store holding a finding's history, CloudTrail
records and log files, and S3 server access log lines, in AWS's documented formats.

CloudTrail record fields: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
Trail file names: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html
Server access log format: https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from andon.core.model import Access, Exposure, Finding, Level, Resource, Severity
from andon.store import ScanStatus, Store

ACCOUNT = "123456789012"
FOREIGN = "210987654321"
OWNER_CANONICAL = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
REGION = "us-east-1"
T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


@dataclass
class SetClock:
    """A store clock the test sets; each reading advances one second (distinct stamps)."""

    now: datetime = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def bucket_resource(name: str, account: str = ACCOUNT) -> Resource:
    return Resource(
        uid=f"arn:aws:s3:::{name}",
        cloud="aws",
        account=account,
        region=REGION,
        kind="storage.bucket",
        native_type="AWS::S3::Bucket",
        name=name,
    )


def public_finding(name: str, data: dict[str, Any] | None = None) -> Finding:
    evidence: dict[str, Any] = {"statement": "AllowAll"}
    if data is not None:
        evidence["data"] = data
    return Finding(
        rule_id="s3.bucket.public_read",
        title="Bucket readable by anyone",
        severity=Severity.CRITICAL,
        resource=bucket_resource(name).ref(),
        exposure=Exposure(
            Level.PUBLIC,
            frozenset({Access.READ}),
            reasons=(f"public: statement AllowAll grants s3:GetObject to * on {name}",),
        ),
        evidence=evidence,
    )


def classified(persons: int, *, complete: bool = True, cards: int = 0) -> dict[str, Any]:
    """A finding's ``data`` part as andon.classify.integrate writes it (counts only)."""
    types = {"email": persons, "vin": persons}
    if cards:
        types["payment_card"] = cards
    return {
        "classified": True,
        "sensitivity": "critical" if cards else "high",
        "types": types,
        "subjects": {"person": persons, "vehicle": persons},
        "gps_traces": 0,
        "where": {},
        "objects_listed": 10,
        "objects_inspected": 10 if complete else 2,
        "bytes_inspected": 1000,
        "inspected_fraction": 1.0 if complete else 0.2,
        "complete": complete,
        "listing_complete": True,
        "coverage": {},
    }


def run_scan(store: Store, clock: SetClock, at: datetime, findings: Iterable[Finding]) -> str:
    clock.now = at - timedelta(seconds=1)  # the first reading (the start) is `at`
    scope = f"aws:{ACCOUNT}:s3"
    scan_id = store.start_scan(scope)
    store.add_findings(scan_id, list(findings))
    store.finish_scan(scan_id, ScanStatus.COMPLETE)
    return scan_id


@dataclass
class History:
    """Scans: clean at ``clean``, finding open at ``detected`` (and ``seen``), resolved at
    ``fixed`` if given."""

    clean: datetime | None
    detected: datetime
    fixed: datetime | None = None
    seen: list[datetime] = field(default_factory=list)


def seed_history(store: Store, clock: SetClock, f: Finding, h: History) -> None:
    if h.clean is not None:
        run_scan(store, clock, h.clean, [])
    run_scan(store, clock, h.detected, [f])
    for when in h.seen:
        run_scan(store, clock, when, [f])
    if h.fixed is not None:
        run_scan(store, clock, h.fixed, [])


# -- CloudTrail -----------------------------------------------------------------------------


def identity(account: str = ACCOUNT, user: str = "alice") -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE",
        "arn": f"arn:aws:iam::{account}:user/{user}",
        "accountId": account,
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "userName": user,
    }


ANONYMOUS_IDENTITY = {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}


def trail_record(
    name: str,
    at: datetime,
    bucket: str,
    *,
    who: dict[str, Any] | None = None,
    ip: str = "198.51.100.7",
    request: dict[str, Any] | None = None,
    category: str = "Management",
    key: str | None = None,
    bytes_out: int | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """A CloudTrail record with the documented fields."""
    params: dict[str, Any] = {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com"}
    if key is not None:
        params["key"] = key
    params.update(request or {})
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": who if who is not None else identity(),
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": ip,
        "userAgent": "[aws-cli/2.15.0 Python/3.11]",
        "requestParameters": params,
        "responseElements": None,
        "requestID": uuid.uuid4().hex[:16].upper(),
        "eventID": str(uuid.uuid4()),
        "readOnly": name.startswith(("Get", "Head", "List")),
        "resources": [{"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}],
        "eventType": "AwsApiCall",
        "managementEvent": category == "Management",
        "recipientAccountId": ACCOUNT,
        "eventCategory": category,
    }
    if bytes_out is not None:
        record["additionalEventData"] = {"bytesTransferredIn": 0, "bytesTransferredOut": bytes_out}
    if error:
        record["errorCode"] = error
        record["errorMessage"] = "Access Denied"
    return record


PUBLIC_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowAll",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
        }
    ],
}


def trail_file(records: list[dict[str, Any]]) -> bytes:
    return gzip.compress(json.dumps({"Records": records}).encode())


def trail_key(at: datetime, prefix: str = "", account: str = ACCOUNT, region: str = REGION) -> str:
    stamp = at.strftime("%Y%m%dT%H%MZ")
    day = at.strftime("%Y/%m/%d")
    lead = f"{prefix.rstrip('/')}/" if prefix else ""
    return (
        f"{lead}AWSLogs/{account}/CloudTrail/{region}/{day}/"
        f"{account}_CloudTrail_{region}_{stamp}_{uuid.uuid4().hex[:16]}.json.gz"
    )


# -- S3 server access logs ------------------------------------------------------------------


def log_line(
    bucket: str,
    at: datetime,
    *,
    requester: str = "-",
    ip: str = "203.0.113.9",
    operation: str = "REST.GET.OBJECT",
    key: str = "trips/2026/03/trip-0001.csv",
    status: int = 200,
    sent: int = 4096,
    agent: str = "curl/8.5.0",
    owner: str = OWNER_CANONICAL,
) -> str:
    """One record in the documented order (the 25 fields of the current format)."""
    when = at.strftime("%d/%b/%Y:%H:%M:%S +0000")
    uri = f"GET /{bucket}/{key} HTTP/1.1" if key != "-" else f"GET /{bucket} HTTP/1.1"
    error = "-" if status < 400 else "AccessDenied"
    return (
        f'{owner} {bucket} [{when}] {ip} {requester} 3E57427F3EXAMPLE {operation} {key} "{uri}" '
        f'{status} {error} {sent if sent else "-"} {sent if sent else "-"} 7 - "-" "{agent}" - '
        "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 "
        f"ECDHE-RSA-AES128-GCM-SHA256 AuthHeader {bucket}.s3.{REGION}.amazonaws.com TLSv1.2 - -"
    )


def log_key(at: datetime, prefix: str = "logs/") -> str:
    return f"{prefix}{at.strftime('%Y-%m-%d-%H-%M-%S')}-{uuid.uuid4().hex[:16].upper()}"
