"""S3 server access logs: the documented record format, parsed line by line, streamed.

Format: Amazon S3 User Guide, "Amazon S3 server access log format"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html). A record is one line
of space-separated fields; ``Time`` is in brackets (``[06/Feb/2019:00:00:38 +0000]``);
``Request-URI``, ``Referer`` and ``User-Agent`` are in double quotes; any field may be ``-``
(unknown, unavailable or not applicable); ``Requester`` is ``-`` for an unauthenticated
(anonymous) request. AWS may append fields at the end, so fields beyond the ones read here are
ignored. The fields read, in order:

====  =================  ====  ==================
 1    Bucket Owner        10   HTTP status
 2    Bucket              11   Error Code
 3    Time                12   Bytes Sent
 4    Remote IP           13   Object Size
 5    Requester           14   Total Time
 6    Request ID          15   Turn-Around Time
 7    Operation           16   Referer
 8    Key (URL-encoded)   17   User-Agent
 9    Request-URI
====  =================  ====  ==================

A line that does not have these 17 fields, whose time or status cannot be read, or that is
longer than :data:`andon.investigate.s3io.MAX_LINE` is *malformed*: it is counted (with its
line number, never its content) and the file goes on. A log bucket may hold the logs of
several source buckets; records of other buckets are counted and left out. Delivery is best
effort (the guide: "most records are delivered within a few hours"; completeness is not
guaranteed), which the access verdict says.

Log object keys are ``<prefix>YYYY-mm-DD-HH-MM-SS-<unique>`` (simple) or
``<prefix><account>/<region>/<bucket>/YYYY/MM/DD/YYYY-MM-DD-HH-MM-SS-<unique>`` (partitioned);
the time in the key is when the file was delivered, after the requests it holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple

from andon.collect.aws.transport import AwsClients
from andon.core.errors import CollectError
from andon.investigate.s3io import S3Location, iter_lines, list_objects, open_object

DOC_URL = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html"
FIELDS = 17
KEEP_PROBLEMS = 20  # file names / line numbers kept per kind of problem

_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|\[([^\]]*)\]|(\S+)')
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}
_TIME = re.compile(r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})")
_KEY_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[^/]*$")


class MalformedLine(ValueError):
    """A line that is not a server access log record (the message says why, not the line)."""


class AccessRecord(NamedTuple):
    """One request, as the server access log records it (the fields Andon uses). A tuple:
    millions are built when a log is large."""

    bucket_owner: str
    bucket: str
    time: datetime
    remote_ip: str
    requester: str
    request_id: str
    operation: str
    key: str
    request_uri: str
    status: int | None
    error_code: str
    bytes_sent: int
    object_size: int
    user_agent: str

    @property
    def anonymous(self) -> bool:
        return self.requester == "-"

    @property
    def succeeded(self) -> bool:
        return self.status is not None and (200 <= self.status < 300 or self.status == 304)


def parse_time(text: str) -> datetime:
    """``06/Feb/2019:00:00:38 +0000`` → an aware UTC datetime (MalformedLine otherwise)."""
    m = _TIME.fullmatch(text)
    if m is None or m.group(2) not in _MONTHS:
        raise MalformedLine("unreadable time")
    day, _, year, hh, mi, ss, sign, oh, om = m.groups()
    if oh == "00" and om == "00":  # S3 writes +0000
        try:
            return datetime(
                int(year), _MONTHS[m.group(2)], int(day), int(hh), int(mi), int(ss), tzinfo=UTC
            )
        except ValueError as exc:
            raise MalformedLine("impossible date") from exc
    offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
    try:
        local = datetime(
            int(year), _MONTHS[m.group(2)], int(day), int(hh), int(mi), int(ss),
            tzinfo=timezone(offset),
        )  # fmt: skip
    except ValueError as exc:
        raise MalformedLine("impossible date") from exc
    return local.astimezone(UTC)


def _int(text: str) -> int:
    if text == "-":
        return 0
    if not text.isdigit():
        raise MalformedLine("a numeric field is not a number")
    return int(text)


_Q = r'"((?:[^"\\]|\\.)*)"'
_RECORD = re.compile(
    r"(\S+) (\S+) \[([^\]]*)\] (\S+) (\S+) (\S+) (\S+) (\S+) " + _Q
    + r" (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) " + _Q + " " + _Q + r"(?: |$)"
)  # fmt: skip


def _why(line: str) -> str:
    """Why ``line`` is not a record (the slow path, for malformed lines only)."""
    tokens: list[str] = []
    kinds: list[str] = []
    for quoted, bracketed, bare in _TOKEN.findall(line):
        kinds.append("[" if bracketed else (" " if bare else '"'))
        tokens.append(bracketed or bare or quoted)
        if len(tokens) == FIELDS:
            break
    if len(tokens) < FIELDS:
        return f"{len(tokens)} fields, at least {FIELDS} expected"
    if kinds[2] != "[" or kinds[8] != '"' or kinds[16] != '"':
        return "time, Request-URI or User-Agent not delimited as documented"
    return "fields not as documented"


def parse_line(line: str) -> AccessRecord:
    """One log line → :class:`AccessRecord`; raises :class:`MalformedLine`."""
    m = _RECORD.match(line)
    if m is None:
        raise MalformedLine(_why(line))
    t = m.groups()
    status = t[9]
    if status != "-" and not (status.isdigit() and len(status) == 3):
        raise MalformedLine("HTTP status is not a status code")
    return AccessRecord(
        bucket_owner=t[0],
        bucket=t[1],
        time=parse_time(t[2]),
        remote_ip=t[3],
        requester=t[4],
        request_id=t[5],
        operation=t[6],
        key=t[7],
        request_uri=t[8],
        status=None if status == "-" else int(status),
        error_code=t[10],
        bytes_sent=_int(t[11]),
        object_size=_int(t[12]),
        user_agent=t[16],
    )


def key_time(key: str) -> datetime | None:
    """The delivery time encoded in a log object's key (simple or partitioned), if any."""
    m = _KEY_TIME.search(key)
    if m is None:
        return None
    try:
        y, mo, d, h, mi, sec = (int(g) for g in m.groups())
        return datetime(y, mo, d, h, mi, sec, tzinfo=UTC)
    except ValueError:
        return None


@dataclass
class LogReadReport:
    """What reading one log location gave: counts and problems (never log content)."""

    location: str
    bucket: str
    files_listed: int = 0
    files_read: int = 0
    files_skipped: int = 0  # delivered before the window: cannot hold requests of it
    files_failed: list[str] = field(default_factory=list)  # "key: reason"
    files_failed_count: int = 0
    lines: int = 0
    records: int = 0
    malformed: int = 0
    malformed_at: list[str] = field(default_factory=list)  # "key:line: reason"
    other_buckets: int = 0
    first: datetime | None = None
    last: datetime | None = None
    listing_error: str = ""

    @property
    def complete(self) -> bool:
        """Every listed file read, every line understood, the listing itself finished."""
        return not (self.listing_error or self.files_failed_count or self.malformed)

    def problems(self) -> list[str]:
        out = []
        if self.listing_error:
            out.append(f"the log location could not be listed: {self.listing_error}")
        if self.files_failed_count:
            out.append(
                f"{self.files_failed_count} log file(s) could not be read: "
                + "; ".join(self.files_failed)
            )
        if self.malformed:
            out.append(
                f"{self.malformed} malformed line(s) skipped (e.g. "
                + ", ".join(self.malformed_at[:5])
                + ")"
            )
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "source": "s3_server_access_logs",
            "location": self.location,
            "bucket": self.bucket,
            "files_listed": self.files_listed,
            "files_read": self.files_read,
            "files_skipped_before_window": self.files_skipped,
            "files_failed": self.files_failed_count,
            "lines": self.lines,
            "records": self.records,
            "malformed_lines": self.malformed,
            "other_bucket_records": self.other_buckets,
            "first_record": self.first.isoformat() if self.first else None,
            "last_record": self.last.isoformat() if self.last else None,
            "complete": self.complete,
            "problems": self.problems(),
        }


def read_lines(
    lines: Iterator[bytes | None],
    bucket: str,
    report: LogReadReport,
    on_record: Callable[[AccessRecord], None],
    name: str = "",
) -> None:
    """Parse ``lines`` of one file, passing records of ``bucket`` to ``on_record``."""
    for number, raw in enumerate(lines, 1):
        report.lines += 1
        if raw is None:
            _malformed(report, name, number, "line too long")
            continue
        if not raw.strip():
            report.lines -= 1
            continue
        try:
            record = parse_line(raw.decode("utf-8", errors="replace"))
        except MalformedLine as exc:
            _malformed(report, name, number, str(exc))
            continue
        if record.bucket != bucket:
            report.other_buckets += 1
            continue
        report.records += 1
        if report.first is None or record.time < report.first:
            report.first = record.time
        if report.last is None or record.time > report.last:
            report.last = record.time
        on_record(record)


def _malformed(report: LogReadReport, name: str, number: int, why: str) -> None:
    report.malformed += 1
    if len(report.malformed_at) < KEEP_PROBLEMS:
        report.malformed_at.append(f"{name}:{number}: {why}")


def read_access_logs(
    clients: AwsClients,
    where: S3Location,
    bucket: str,
    on_record: Callable[[AccessRecord], None],
    *,
    since: datetime | None = None,
) -> LogReadReport:
    """Stream every log file under ``where``, passing ``bucket``'s records to ``on_record``.

    Files whose key says they were delivered before ``since`` are skipped (they cannot hold
    later requests). A listing or file that cannot be read is recorded on the report, never
    raised: the verdict then says the logs are incomplete.
    """
    report = LogReadReport(str(where), bucket)
    try:
        for obj in list_objects(clients, where):
            report.files_listed += 1
            delivered = key_time(obj.key)
            if since is not None and delivered is not None and delivered < since:
                report.files_skipped += 1
                continue
            try:
                body = open_object(clients, where.bucket, obj.key)
                try:
                    read_lines(iter_lines(body), bucket, report, on_record, obj.key)
                finally:
                    body.close()
                report.files_read += 1
            except CollectError as exc:
                report.files_failed_count += 1
                if len(report.files_failed) < KEEP_PROBLEMS:
                    report.files_failed.append(f"{obj.key}: {exc}")
    except CollectError as exc:
        report.listing_error = str(exc)
    return report
