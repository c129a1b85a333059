"""Builders shared by the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from andon.core.model import Access, Exposure, Finding, Level, Resource, Severity, Status


class Clock:
    """A clock that moves one second per reading, so every timestamp is distinct."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def bucket(name: str, account: str = "123456789012") -> Resource:
    return Resource(
        uid=f"arn:aws:s3:::{name}",
        cloud="aws",
        account=account,
        region="eu-west-1",
        kind="storage.bucket",
        native_type="AWS::S3::Bucket",
        name=name,
        attributes={"versioning": True},
        tags={"team": "data"},
    )


def finding(
    name: str,
    rule: str = "s3.public_read",
    severity: Severity = Severity.HIGH,
    status: Status = Status.OPEN,
) -> Finding:
    return Finding(
        rule_id=rule,
        title=f"{name} is public",
        severity=severity,
        resource=bucket(name).ref(),
        exposure=Exposure(Level.PUBLIC, frozenset({Access.READ}), reasons=("AllUsers READ",)),
        status=status,
        evidence={"grantee": "AllUsers"},
        remediation="Turn on Block Public Access.",
        exemption="tagged andon:public" if status is Status.EXEMPT else "",
    )
