"""``andon investigate``: the exposure timeline, access evidence and data impact of a finding.

:func:`investigate` gathers, for one finding of the store:

1. Andon's own history (first and last scan that saw it, transitions, the complete scan before
   it that did not);
2. CloudTrail: LookupEvents (90 days) and the archived log files of the trails (discovered with
   DescribeTrails, or ``--trail-bucket``) - the change events of the resource;
3. AWS Config configuration history where a recorder runs;
4. from those, the exposure window (:mod:`andon.investigate.timeline`);
5. access evidence in the window from S3 server access logs (GetBucketLogging, or
   ``--access-logs``) and CloudTrail data events (:mod:`andon.investigate.access`);
6. the data impact stored on the finding (:mod:`andon.investigate.impact`).

Every source that could not be read is recorded with the reason; the result is a plain JSON
document (see ``docs/investigate.md``) holding counts, times, principals and IP addresses of
requesters, never object content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from andon import __version__
from andon.collect.aws.transport import AwsClients
from andon.core.errors import CollectError
from andon.investigate.access import (
    Coverage,
    OutsideAccess,
    decide,
    event_kind,
    requester_kind,
)
from andon.investigate.cloudtrail import (
    S3_CHANGE_EVENTS,
    S3_READ_EVENTS,
    TrailEvent,
    TrailReadReport,
    concerns,
    effect,
    iter_sorted,
    lookup_events,
    read_trail_archive,
)
from andon.investigate.config_history import ConfigHistory, config_history
from andon.investigate.impact import impact_of
from andon.investigate.records import FindingRecord, load_finding
from andon.investigate.s3io import S3Location
from andon.investigate.s3logs import AccessRecord, LogReadReport, read_access_logs
from andon.investigate.timeline import Change, Window, change_entry, exposure_window
from andon.store import Store


@dataclass(frozen=True)
class Options:
    """What to read. ``None`` locations are discovered from the account."""

    since: datetime | None = None  # read no evidence older than this
    trail: S3Location | None = None
    access_logs: S3Location | None = None
    lookup: bool = True
    config: bool = True
    trusted_accounts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Trail:
    name: str
    home_region: str
    where: S3Location
    reads_logged: bool | None  # S3 data events (GetObject) of the bucket logged; None unknown


@dataclass
class _Gathered:
    changes: list[TrailEvent] = field(default_factory=list)
    outside_data_events: int = 0
    sources: list[dict[str, Any]] = field(default_factory=list)
    trail_reports: list[tuple[Trail | None, TrailReadReport]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _selectors_log_reads(answer: Mapping[str, Any], bucket_arn: str) -> bool:
    for sel in answer.get("EventSelectors") or ():
        if sel.get("ReadWriteType", "All") not in ("All", "ReadOnly"):
            continue
        for res in sel.get("DataResources") or ():
            if res.get("Type") != "AWS::S3::Object":
                continue
            for value in res.get("Values") or ():
                if value in ("arn:aws:s3", "arn:aws:s3:::") or (bucket_arn + "/").startswith(value):
                    return True
    for adv in answer.get("AdvancedEventSelectors") or ():
        fields = {f.get("Field"): f for f in adv.get("FieldSelectors") or ()}
        if "Data" not in (fields.get("eventCategory") or {}).get("Equals", ()):
            continue
        if "AWS::S3::Object" not in (fields.get("resources.type") or {}).get("Equals", ()):
            continue
        arn = fields.get("resources.ARN")
        if arn is None or any(
            (bucket_arn + "/").startswith(p) or p.startswith(bucket_arn + "/")
            for p in arn.get("StartsWith", ())
        ):
            return True
    return False


def discover_trails(clients: AwsClients, region: str, bucket_arn: str) -> list[Trail]:
    """The trails that deliver to S3 (DescribeTrails, shadow trails included)."""
    ct = clients.client("cloudtrail", region)
    answer = clients.call(ct, "DescribeTrails", includeShadowTrails=True)
    trails = []
    seen: set[tuple[str, str]] = set()
    for t in answer.get("trailList") or ():
        bucket = t.get("S3BucketName")
        if not bucket:
            continue
        prefix = t.get("S3KeyPrefix") or ""
        key = (bucket, prefix)
        if key in seen:
            continue
        seen.add(key)
        reads: bool | None
        try:
            home = t.get("HomeRegion") or region
            sel = clients.call(
                clients.client("cloudtrail", home),
                "GetEventSelectors",
                TrailName=t.get("TrailARN") or t.get("Name"),
            )
            reads = _selectors_log_reads(sel, bucket_arn)
        except CollectError:
            reads = None
        trails.append(
            Trail(
                str(t.get("Name") or ""),
                str(t.get("HomeRegion") or region),
                S3Location(bucket, prefix.rstrip("/") + "/" if prefix else ""),
                reads,
            )
        )
    return trails


def access_log_location(clients: AwsClients, bucket: str) -> tuple[S3Location | None, str]:
    """Where the bucket's server access logs go (GetBucketLogging), or why none."""
    try:
        answer = clients.call(clients.client("s3"), "GetBucketLogging", Bucket=bucket)
    except CollectError as exc:
        return None, f"the bucket's logging configuration could not be read: {exc}"
    enabled = answer.get("LoggingEnabled")
    if not enabled or not enabled.get("TargetBucket"):
        return None, "S3 server access logging is off for this bucket (GetBucketLogging)"
    return S3Location(enabled["TargetBucket"], enabled.get("TargetPrefix") or ""), ""


def _coverage(
    source: str,
    first: datetime | None,
    last: datetime | None,
    skipped: int,
    since: datetime | None,
    complete: bool,
    problems: list[str],
) -> Coverage:
    start = since if skipped and since is not None else first
    return Coverage(source, start, last, complete, tuple(problems))


def investigate(
    store: Store,
    finding_id: str,
    clients: AwsClients | None,
    options: Options | None = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Investigate one finding (see the module docstring); returns the JSON document."""
    opts = options or Options()
    now = now or store.now()
    rec = load_finding(store, finding_id)
    res = rec.finding.resource
    bucket, account = res.get("name", ""), res.get("account", "")
    region = res.get("region") or (clients.home_region if clients else "us-east-1")
    is_bucket = res.get("kind") == "storage.bucket"
    g = _Gathered()
    config = ConfigHistory(recorder="not read")
    trails: list[Trail] = []

    regions = _regions(region)

    def on_change(event: TrailEvent) -> None:
        if not concerns(event, bucket, account):
            return
        if event.name in S3_CHANGE_EVENTS:
            g.changes.append(event)
        elif event.name in S3_READ_EVENTS and event_kind(event, account).outside:
            g.outside_data_events += 1

    if clients is None:
        g.missing += ["cloudtrail", "s3_server_access_logs"]
        config.error = "not read: the investigation ran without cloud access"
    elif not is_bucket:
        g.missing.append(f"access logs for {res.get('kind')} resources (not supported yet)")
    if clients is not None:
        if opts.lookup:
            report = lookup_events(clients, region, bucket, on_change, now=now, since=opts.since)
            g.trail_reports.append((None, report))
        if opts.trail is not None:
            trails = [Trail("(given)", region, opts.trail, None)]
        else:
            try:
                trails = discover_trails(clients, region, res.get("uid", ""))
            except CollectError as exc:
                g.sources.append(
                    {"source": "cloudtrail_trails", "complete": False, "problems": [str(exc)]}
                )
        for trail in trails:
            report = read_trail_archive(
                clients, trail.where, on_change, account=account or None, regions=regions,
                since=opts.since,
            )  # fmt: skip
            g.trail_reports.append((trail, report))
        if not trails:
            g.sources.append(
                {
                    "source": "cloudtrail_archive",
                    "complete": False,
                    "problems": ["no trail delivering to S3 was found or given"],
                }
            )
        if opts.config:
            config = config_history(clients, region, res.get("kind", ""), bucket)

    changes = [Change(e, *effect(e)) for e in iter_sorted(g.changes)]
    evidence_from = min(
        (r.first for _, r in g.trail_reports if r.first is not None and r.complete),
        default=None,
    )
    window = exposure_window(rec.facts, changes, evidence_from)
    access = _access(clients, rec, window, trails, g, opts, now) if is_bucket else {}
    timeline = sorted(
        [*rec.history, *(change_entry(c) for c in changes), *_config_entries(config)],
        key=lambda e: str(e["at"]),
    )
    return {
        "andon_version": __version__,
        "generated_at": now.isoformat(),
        "finding": {
            "id": rec.finding.id,
            "rule": rec.finding.rule_id,
            "title": rec.finding.title,
            "severity": rec.finding.severity.value,
            "status": rec.facts.status,
            "resource": dict(res),
            "exposure": rec.finding.exposure.to_dict(),
            "scope": rec.scope,
            "first_seen": rec.facts.first_seen.isoformat(),
            "last_seen": rec.facts.last_seen.isoformat(),
        },
        "window": window.to_dict(),
        "timeline": timeline,
        "change_sources": [
            {**r.to_dict(), **({"trail": t.name} if t else {})} for t, r in g.trail_reports
        ]
        + g.sources
        + [config.to_dict()],
        "access": access,
        "impact": impact_of(rec.finding.evidence).to_dict(),
    }


def _regions(region: str) -> list[str]:
    """Where a bucket's events are logged: its region, and us-east-1 (where some account-wide
    and global calls land)."""
    return list(dict.fromkeys(r for r in (region, "us-east-1") if r))


def _config_entries(config: ConfigHistory) -> list[dict[str, Any]]:
    return [
        {
            "at": i.captured.isoformat(),
            "source": "aws_config",
            "what": f"configuration recorded ({i.status})",
            "effect": "recorded",
            "detail": ", ".join(i.supplementary),
        }
        for i in config.items
    ]


def _access(
    clients: AwsClients | None,
    rec: FindingRecord,
    window: Window,
    trails: list[Trail],
    g: _Gathered,
    opts: Options,
    now: datetime,
) -> dict[str, Any]:
    res = rec.finding.resource
    bucket, account = res.get("name", ""), res.get("account", "")
    start, end = window.access_start(), window.end or now
    outside = OutsideAccess(start, end)
    trusted = opts.trusted_accounts
    since = start if opts.since is None or (start and start > opts.since) else opts.since
    coverages: list[Coverage] = []
    missing = list(g.missing)
    sources: list[dict[str, Any]] = []
    if clients is not None:
        where, why = (
            (opts.access_logs, "") if opts.access_logs else access_log_location(clients, bucket)
        )
        if where is None:
            missing.append(f"s3_server_access_logs ({why})")
        else:

            def on_record(record: AccessRecord) -> None:
                outside.add_record(
                    record, requester_kind(record.requester, record.bucket_owner, account, trusted)
                )

            log: LogReadReport = read_access_logs(clients, where, bucket, on_record, since=since)
            sources.append(log.to_dict())
            coverages.append(
                _coverage(
                    "s3_server_access_logs",
                    log.first,
                    log.last,
                    log.files_skipped,
                    since,
                    log.complete,
                    log.problems(),
                )
            )
        for trail, report in g.trail_reports:
            if trail is None:
                continue

            def on_data(event: TrailEvent) -> None:
                if (
                    event.bucket == bucket
                    and event.category == "Data"
                    and event.name in (S3_READ_EVENTS | {"PutObject", "DeleteObject", "CopyObject"})
                ):
                    outside.add_event(event, event_kind(event, account, trusted))

            if g.outside_data_events:
                again = read_trail_archive(
                    clients, trail.where, on_data, account=account or None,
                    regions=_regions(res.get("region", "")), since=since,
                )  # fmt: skip
                report = again
            label = f"cloudtrail_data_events ({trail.name})"
            if trail.reads_logged:
                coverages.append(
                    _coverage(
                        label,
                        report.first,
                        report.last,
                        report.files_skipped,
                        since,
                        report.complete,
                        report.problems(),
                    )
                )
            else:
                missing.append(
                    f"{label}: S3 data events of the bucket are "
                    + ("not logged by this trail" if trail.reads_logged is False else "not known")
                )
    verdict, statement, gaps = decide(outside, coverages, missing)
    return {
        "verdict": verdict.value,
        "statement": statement,
        "window": {"from": start.isoformat() if start else None, "to": end.isoformat()},
        "outside": outside.to_dict(),
        "sources": sources,
        "coverage": [
            {
                "source": c.source,
                "from": c.start.isoformat() if c.start else None,
                "to": c.end.isoformat() if c.end else None,
                "complete": c.complete,
                "problems": list(c.problems),
            }
            for c in coverages
        ],
        "missing": gaps,
    }
