"""CloudTrail: the record format, archived log files, LookupEvents, and what a change did.

Record format: AWS CloudTrail User Guide, "CloudTrail record contents for management, data,
and network activity events"
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)
and "CloudTrail userIdentity element"
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
A log file is a gzip'd JSON document ``{"Records": [...]}`` delivered under
``<prefix>/AWSLogs/[<org id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<unique>.json.gz``
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html).
S3 logs an anonymous data-event request with ``userIdentity.accountId`` =
``ANONYMOUS_PRINCIPAL`` (Amazon S3 User Guide, "Logging Amazon S3 API calls using AWS
CloudTrail").

``LookupEvents`` (CloudTrail API reference) covers the last 90 days of management events in
one region; each event's ``CloudTrailEvent`` is the record as a JSON string. moto's server has
no LookupEvents, so tests feed :func:`parse_lookup_page` documented response shapes.

A file that is truncated, not gzip, not JSON, or larger than :data:`MAX_FILE` once
decompressed is recorded as a problem of the source, never skipped silently.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from andon.collect.aws.transport import AwsClients
from andon.core.errors import CollectError
from andon.investigate.s3io import Readable, S3Location, list_objects, open_object
from andon.watch.events import EVENT_NAMES

RECORD_DOC = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
    "cloudtrail-event-reference-record-contents.html"
)
LOOKUP_DAYS = 90
MAX_FILE = 512 * 1024 * 1024  # decompressed bytes of one log file
KEEP_PROBLEMS = 20
ANONYMOUS = "ANONYMOUS_PRINCIPAL"

LOGGING_EVENTS = frozenset({"PutBucketLogging", "PutEventSelectors", "StartLogging", "StopLogging"})
"""Changes to the evidence itself (server access logging, trail logging, data events)."""
S3_CHANGE_EVENTS = EVENT_NAMES | LOGGING_EVENTS
"""The change events of the timeline: the watch module's list of event names that may change
exposure (:data:`andon.watch.events.EVENT_NAMES`), plus the logging changes, which bear on how
complete the access evidence is. Only events of the resource itself (its bucket name, or the
account's Block Public Access) are kept."""
S3_READ_EVENTS = frozenset({"GetObject", "HeadObject", "ListObjects", "ListObjectsV2"})
_PUBLIC_GRANTEES = ("acs.amazonaws.com/groups/global/AllUsers", "AuthenticatedUsers")
_PUBLIC_CANNED = frozenset({"public-read", "public-read-write", "authenticated-read"})
_ARCHIVE_KEY = re.compile(
    r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?(\d{12})/CloudTrail/([a-z0-9-]+)/"
    r"(\d{4})/(\d{2})/(\d{2})/[^/]*_(\d{8}T\d{4}Z)_[^/]*\.json\.gz$"
)


class TrailFileError(ValueError):
    """A log file that cannot be read as CloudTrail records (the reason, no content)."""


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class TrailEvent:
    """One CloudTrail record, reduced to what an investigation needs."""

    time: datetime
    name: str
    source: str
    region: str
    actor: str  # userIdentity arn, or its type and account when there is no arn
    actor_type: str
    actor_account: str
    source_ip: str
    user_agent: str
    error_code: str
    bucket: str
    key: str
    category: str  # Management or Data
    bytes_out: int
    event_id: str
    request: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def succeeded(self) -> bool:
        return not self.error_code

    @property
    def anonymous(self) -> bool:
        return self.actor_account == ANONYMOUS


def from_record(record: Mapping[str, Any]) -> TrailEvent | None:
    """A CloudTrail record (dict) → :class:`TrailEvent`; ``None`` without a name or time."""
    when = _time(record.get("eventTime"))
    name = _str(record.get("eventName"))
    if when is None or not name:
        return None
    who = record.get("userIdentity")
    who = who if isinstance(who, Mapping) else {}
    request = record.get("requestParameters")
    request = request if isinstance(request, Mapping) else {}
    extra = record.get("additionalEventData")
    extra = extra if isinstance(extra, Mapping) else {}
    account = _str(who.get("accountId"))
    actor_type = _str(who.get("type"))
    actor = _str(who.get("arn")) or (
        f"{actor_type} {account}".strip() if actor_type or account else "unknown"
    )
    if invoked := _str(who.get("invokedBy")):
        actor += f" (invoked by {invoked})"
    bucket = _str(request.get("bucketName"))
    if not bucket:
        resources = record.get("resources")
        for res in resources if isinstance(resources, list) else ():
            if isinstance(res, Mapping) and res.get("type") == "AWS::S3::Bucket":
                bucket = _str(res.get("ARN")).rpartition(":")[2]
    try:
        bytes_out = int(extra.get("bytesTransferredOut") or 0)
    except (TypeError, ValueError):
        bytes_out = 0
    return TrailEvent(
        time=when,
        name=name,
        source=_str(record.get("eventSource")),
        region=_str(record.get("awsRegion")),
        actor=actor,
        actor_type=actor_type,
        actor_account=account,
        source_ip=_str(record.get("sourceIPAddress")),
        user_agent=_str(record.get("userAgent")),
        error_code=_str(record.get("errorCode")),
        bucket=bucket,
        key=_str(request.get("key")),
        category=_str(record.get("eventCategory")) or "Management",
        bytes_out=bytes_out,
        event_id=_str(record.get("eventID")),
        request=request,
    )


def read_trail_file(stream: Readable, *, max_bytes: int = MAX_FILE) -> list[Mapping[str, Any]]:
    """The records of one gzip'd log file; raises :class:`TrailFileError`.

    One file is decompressed at a time (CloudTrail delivers a file about every 5 minutes per
    region, so files are small); ``max_bytes`` bounds it.
    """
    try:
        with gzip.GzipFile(fileobj=cast(Any, stream), mode="rb") as gz:
            data = gz.read(max_bytes + 1)
    except (EOFError, OSError, zlib.error) as exc:
        raise TrailFileError(f"truncated or not gzip ({type(exc).__name__})") from exc
    if len(data) > max_bytes:
        raise TrailFileError(f"larger than {max_bytes} bytes once decompressed")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TrailFileError("not JSON (malformed or cut)") from exc
    records = document.get("Records") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise TrailFileError('no "Records" list')
    return [r for r in records if isinstance(r, Mapping)]


def archive_key_time(key: str) -> tuple[str, str, datetime] | None:
    """``(account, region, delivery time)`` of a CloudTrail log file key, else ``None``
    (digest files and anything else)."""
    m = _ARCHIVE_KEY.search(key)
    if m is None:
        return None
    try:
        when = datetime.strptime(m.group(6), "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return m.group(1), m.group(2), when


@dataclass
class TrailReadReport:
    """What reading a source of CloudTrail records gave (counts, coverage, problems)."""

    source: str  # cloudtrail_archive or cloudtrail_lookup
    location: str
    files_listed: int = 0
    files_read: int = 0
    files_skipped: int = 0
    files_failed: list[str] = field(default_factory=list)
    files_failed_count: int = 0
    records: int = 0
    matched: int = 0
    first: datetime | None = None  # coverage: earliest file / requested start
    last: datetime | None = None
    error: str = ""
    note: str = ""

    @property
    def complete(self) -> bool:
        return not (self.error or self.files_failed_count)

    def problems(self) -> list[str]:
        out = [self.error] if self.error else []
        if self.files_failed_count:
            out.append(
                f"{self.files_failed_count} trail file(s) could not be read: "
                + "; ".join(self.files_failed)
            )
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "location": self.location,
            "files_listed": self.files_listed,
            "files_read": self.files_read,
            "files_failed": self.files_failed_count,
            "records": self.records,
            "matched": self.matched,
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
            "complete": self.complete,
            "problems": self.problems(),
            "note": self.note,
        }


def archive_locations(
    clients: AwsClients, where: S3Location, account: str, regions: Sequence[str]
) -> list[S3Location]:
    """The key prefixes holding ``account``'s log files of ``regions`` under a trail's
    location: ``AWSLogs/<account>/CloudTrail/<region>/`` and, for organization trails,
    ``AWSLogs/<o-id>/<account>/CloudTrail/<region>/`` (the organization folders are listed with
    a delimiter). A location already inside ``AWSLogs/`` is used as given. Narrowing keeps an
    organization's archive (every account, every region, years) from being listed whole."""
    if "AWSLogs/" in where.prefix:
        return [where]
    lead = where.prefix if not where.prefix or where.prefix.endswith("/") else where.prefix + "/"
    base = lead + "AWSLogs/"
    roots = [base]
    try:
        page = clients.call(
            clients.client("s3"), "ListObjectsV2", Bucket=where.bucket, Prefix=base, Delimiter="/"
        )
        for common in page.get("CommonPrefixes") or ():
            folder = str(common.get("Prefix") or "")
            if re.fullmatch(re.escape(base) + r"o-[a-z0-9]+/", folder):
                roots.append(folder)
    except CollectError:
        return [where]  # the full listing will fail the same way, and be recorded
    return [
        S3Location(where.bucket, f"{root}{account}/CloudTrail/{region}/")
        for root in roots
        for region in dict.fromkeys(regions)
    ]


def read_trail_archive(
    clients: AwsClients,
    where: S3Location,
    on_event: Callable[[TrailEvent], None],
    *,
    account: str | None = None,
    regions: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> TrailReadReport:
    """Stream the archived trail files under ``where`` (of ``account`` and ``regions`` if
    given), delivered in ``[since, until + 1 day]``, passing every record to ``on_event``.
    Failures are recorded."""
    report = TrailReadReport("cloudtrail_archive", str(where))
    places = archive_locations(clients, where, account, regions) if account and regions else [where]
    try:
        for place in places:
            _read_place(clients, place, on_event, report, account, since, until)
    except CollectError as exc:
        report.error = f"the trail bucket could not be listed: {exc}"
    return report


def _read_place(
    clients: AwsClients,
    where: S3Location,
    on_event: Callable[[TrailEvent], None],
    report: TrailReadReport,
    account: str | None,
    since: datetime | None,
    until: datetime | None,
) -> None:
    for obj in list_objects(clients, where):
        parsed = archive_key_time(obj.key)
        if parsed is None:
            continue
        owner, _, delivered = parsed
        if account is not None and owner != account:
            continue
        report.files_listed += 1
        if (since is not None and delivered < since) or (
            until is not None and delivered > until + timedelta(days=1)
        ):
            report.files_skipped += 1
            continue
        try:
            body = open_object(clients, where.bucket, obj.key)
            try:
                records = read_trail_file(body)
            finally:
                body.close()
        except (CollectError, TrailFileError) as exc:
            report.files_failed_count += 1
            if len(report.files_failed) < KEEP_PROBLEMS:
                report.files_failed.append(f"{obj.key}: {exc}")
            continue
        report.files_read += 1
        report.first = delivered if report.first is None else min(report.first, delivered)
        report.last = delivered if report.last is None else max(report.last, delivered)
        for record in records:
            event = from_record(record)
            if event is not None:
                report.records += 1
                on_event(event)


def parse_lookup_page(page: Mapping[str, Any]) -> list[TrailEvent]:
    """The events of one LookupEvents answer (their ``CloudTrailEvent`` JSON strings)."""
    out = []
    for item in page.get("Events") or ():
        if not isinstance(item, Mapping):
            continue
        try:
            record = json.loads(item.get("CloudTrailEvent") or "{}")
        except ValueError:
            record = {}
        if not isinstance(record, dict):
            record = {}
        record.setdefault("eventName", item.get("EventName"))
        if "eventTime" not in record and isinstance(item.get("EventTime"), datetime):
            record["eventTime"] = item["EventTime"].isoformat()
        record.setdefault("eventSource", item.get("EventSource"))
        event = from_record(record)
        if event is not None:
            out.append(event)
    return out


def lookup_events(
    clients: AwsClients,
    region: str,
    resource_name: str,
    on_event: Callable[[TrailEvent], None],
    *,
    now: datetime,
    since: datetime | None = None,
) -> TrailReadReport:
    """LookupEvents on ``resource_name`` in ``region`` over the last 90 days (or from
    ``since``), every page. A refused or failed call is recorded on the report."""
    start = now - timedelta(days=LOOKUP_DAYS)
    if since is not None and since > start:
        start = since
    report = TrailReadReport("cloudtrail_lookup", f"LookupEvents {region}", first=start, last=now)
    args = {
        "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": resource_name}],
        "StartTime": start,
        "EndTime": now,
    }
    try:
        client = clients.client("cloudtrail", region)
        for page in clients.pages(client, "LookupEvents", "NextToken", "NextToken", **args):
            for event in parse_lookup_page(page):
                report.records += 1
                on_event(event)
    except CollectError as exc:
        report.error = f"LookupEvents failed: {exc}"
        report.first = report.last = None
    return report


def _grants_public(value: Any) -> bool:
    text = json.dumps(value, default=str)
    return any(g in text for g in _PUBLIC_GRANTEES)


def _policy_public(policy: Any) -> tuple[bool, bool]:
    """(a statement allows everyone, it has conditions) for a policy in requestParameters."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False, False
    statements = policy.get("Statement") if isinstance(policy, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    public = conditional = False
    for st in statements if isinstance(statements, list) else ():
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, Mapping) else principal
        values = aws if isinstance(aws, list) else [aws]
        if any(v == "*" for v in values):
            if st.get("Condition"):
                conditional = True
            else:
                public = True
    return public, conditional


def effect(event: TrailEvent) -> tuple[str, str]:
    """What a change event did to exposure: ``opens``, ``closes``, ``changes``, ``created``,
    ``logging`` (the evidence changed), ``failed`` or ``other``, and why, in words. Heuristic
    on the request parameters; the exact verdict is the next scan's."""
    if event.error_code:
        return "failed", f"the call failed ({event.error_code}): no change"
    req = event.request
    name = event.name
    if name == "CreateBucket":
        return "created", "the bucket was created: the exposure cannot predate it"
    if name == "DeleteBucket":
        return "closes", "the bucket was deleted"
    if name in ("PutBucketAcl", "PutObjectAcl"):
        canned = req.get("x-amz-acl") or req.get("acl")  # CloudTrail lists header values
        values = canned if isinstance(canned, list) else [canned]
        if any(isinstance(v, str) and v in _PUBLIC_CANNED for v in values) or _grants_public(req):
            return "opens", "the new ACL grants access to everyone (AllUsers/AuthenticatedUsers)"
        return "changes", "the new ACL grants no public group"
    if name in ("PutBucketPolicy", "PutAccessPointPolicy"):
        public, conditional = _policy_public(req.get("bucketPolicy") or req.get("policy"))
        if public:
            return "opens", 'the new policy allows Principal "*" without conditions'
        if conditional:
            return "changes", 'the new policy allows Principal "*" under conditions'
        return "changes", "the new policy names no wildcard principal"
    if name in ("DeleteBucketPolicy", "DeleteAccessPointPolicy"):
        return "closes", "the policy was deleted"
    if name in ("PutBucketPublicAccessBlock", "PutAccountPublicAccessBlock"):
        conf = req.get("PublicAccessBlockConfiguration")
        conf = conf if isinstance(conf, Mapping) else {}
        keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        if conf and all(conf.get(k) in (True, "true") for k in keys):
            return "closes", "Block Public Access: all four settings on"
        if conf.get("IgnorePublicAcls") in (False, "false") or conf.get(
            "RestrictPublicBuckets"
        ) in (False, "false"):
            return "opens", "Block Public Access weakened: stored public grants take effect"
        return "changes", "Block Public Access changed"
    if name in ("DeleteBucketPublicAccessBlock", "DeleteAccountPublicAccessBlock"):
        return "opens", "Block Public Access removed: stored public grants take effect"
    if name in LOGGING_EVENTS:
        return "logging", "logging changed: bears on how complete the access evidence is"
    if name in S3_CHANGE_EVENTS:
        return "changes", "a setting that bears on exposure changed"
    return "other", ""


def concerns(event: TrailEvent, bucket: str, account: str) -> bool:
    """Whether ``event`` is about ``bucket`` (or the account-wide Block Public Access)."""
    if event.bucket == bucket:
        return True
    return event.name in (
        "PutAccountPublicAccessBlock",
        "DeleteAccountPublicAccessBlock",
    ) and (not account or event.actor_account in ("", account))


def iter_sorted(events: list[TrailEvent]) -> Iterator[TrailEvent]:
    """Events by time, duplicates (same event id, from LookupEvents and archive) once."""
    seen: set[str] = set()
    for event in sorted(events, key=lambda e: (e.time, e.event_id)):
        if event.event_id and event.event_id in seen:
            continue
        seen.add(event.event_id)
        yield event
