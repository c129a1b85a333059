"""Conversions between table rows and the records the store gives back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from andon.core.model import Exposure, Finding, Gap, Resource, Severity, Status
from andon.store.records import (
    FindingState,
    ResourceSnapshot,
    ScanRecord,
    ScanStatus,
    Transition,
    TransitionKind,
)
from andon.store.schema import FindingRow, FindingStateRow, ResourceRow, ScanRow, TransitionRow


def by_keys(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Group dicts by their key set (a bulk UPDATE needs one shape per statement)."""
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(frozenset(r), []).append(r)
    yield from groups.values()


def resource_values(scan_id: str, r: Resource, e: Exposure | None) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "uid": r.uid,
        "cloud": r.cloud,
        "kind": r.kind,
        "native_type": r.native_type,
        "account": r.account,
        "region": r.region,
        "name": r.name,
        "origin": r.origin,
        "attributes": dict(r.attributes),
        "tags": dict(r.tags),
        "exposure": None if e is None else e.to_dict(),
        "gaps": [g.to_dict() for g in r.gaps],
    }


def snapshot(row: ResourceRow) -> ResourceSnapshot:
    resource = Resource(
        uid=row.uid,
        cloud=row.cloud,
        account=row.account,
        region=row.region,
        kind=row.kind,
        native_type=row.native_type,
        name=row.name,
        origin=row.origin,
        attributes=row.attributes,
        tags=row.tags,
        gaps=tuple(Gap.from_dict(g) for g in row.gaps),
    )
    exposure = None if row.exposure is None else Exposure.from_dict(row.exposure)
    return ResourceSnapshot(scan_id=row.scan_id, resource=resource, exposure=exposure)


def finding_values(scan_id: str, f: Finding) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "finding_id": f.id,
        "rule": f.rule_id,
        "title": f.title,
        "severity": f.severity.value,
        "status": f.status.value,
        "resource": dict(f.resource),
        "exposure": f.exposure.to_dict(),
        "evidence": dict(f.evidence),
        "remediation": f.remediation,
        "exemption": f.exemption,
    }


def finding(row: FindingRow) -> Finding:
    return Finding(
        rule_id=row.rule,
        title=row.title,
        severity=Severity(row.severity),
        resource=row.resource,
        exposure=Exposure.from_dict(row.exposure),
        status=Status(row.status),
        evidence=row.evidence,
        remediation=row.remediation,
        exemption=row.exemption,
    )


def scan_record(row: ScanRow, resource_count: int, finding_count: int) -> ScanRecord:
    return ScanRecord(
        id=row.id,
        scope=row.scope,
        status=ScanStatus(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        meta=row.meta,
        gaps=tuple(Gap.from_dict(g) for g in row.gaps),
        resource_count=resource_count,
        finding_count=finding_count,
    )


def transition_values(t: Transition) -> dict[str, Any]:
    return {
        "scan_id": t.scan_id,
        "scope": t.scope,
        "finding_id": t.finding_id,
        "rule": t.rule_id,
        "kind": t.kind.value,
        "severity": t.severity.value,
        "previous_severity": None if t.previous_severity is None else t.previous_severity.value,
        "at": t.at,
    }


def transition(row: TransitionRow) -> Transition:
    return Transition(
        scan_id=row.scan_id,
        scope=row.scope,
        finding_id=row.finding_id,
        rule_id=row.rule,
        kind=TransitionKind(row.kind),
        severity=Severity(row.severity),
        previous_severity=None
        if row.previous_severity is None
        else Severity(row.previous_severity),
        at=row.at,
    )


def finding_state(row: FindingStateRow) -> FindingState:
    return FindingState(
        scope=row.scope,
        finding_id=row.finding_id,
        rule_id=row.rule,
        status=Status(row.status),
        severity=Severity(row.severity),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        opened_in=row.opened_in,
        resolved_in=row.resolved_in,
        last_scan_id=row.last_scan_id,
    )
