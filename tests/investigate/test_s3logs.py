"""The S3 server access log parser, on AWS's documented examples and awkward lines.

Examples from the Amazon S3 User Guide, "Amazon S3 server access log format":
https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html
"""

from __future__ import annotations

import contextlib
import io
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.investigate.builders import log_line

from andon.investigate.s3io import iter_lines
from andon.investigate.s3logs import (
    AccessRecord,
    LogReadReport,
    MalformedLine,
    key_time,
    parse_line,
    read_lines,
)

# Documented examples (LogFormat.html, "example log consisting of five log records": the first
# two, verbatim).
DOC_1 = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 "
    "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE "
    'REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - '
    '"-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/'
    "VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader "
    "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 "
    "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1"
)
DOC_2 = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 "
    "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 891CE47D2EXAMPLE "
    'REST.GET.LOGGING_STATUS - "GET /amzn-s3-demo-bucket1?logging HTTP/1.1" 200 - 242 - 11 - '
    '"-" "S3Console/0.4" - 9vKBE6vMhrNiWHZmb2L0mXOcqPGzQOI5XLnCtZNPxev+Hf+7tpT6sxDwDty4LHBUOZJG96'
    "N1234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader "
    "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 - - us-east-1"
)
WHEN = datetime(2026, 3, 2, 12, 30, 5, tzinfo=UTC)


def test_documented_examples_parse_field_by_field() -> None:
    r = parse_line(DOC_1)
    assert r.bucket_owner == "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    assert r.bucket == "amzn-s3-demo-bucket1"
    assert r.time == datetime(2019, 2, 6, 0, 0, 38, tzinfo=UTC)
    assert r.remote_ip == "192.0.2.3"
    assert r.requester == r.bucket_owner and not r.anonymous
    assert r.request_id == "3E57427F3EXAMPLE"
    assert r.operation == "REST.GET.VERSIONING"
    assert r.key == "-"
    assert r.request_uri == "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1"
    assert (r.status, r.error_code, r.bytes_sent, r.object_size) == (200, "-", 113, 0)
    assert r.user_agent == "S3Console/0.4" and r.succeeded
    r2 = parse_line(DOC_2)
    assert (r2.operation, r2.bytes_sent, r2.request_id) == (
        "REST.GET.LOGGING_STATUS",
        242,
        "891CE47D2EXAMPLE",
    )


def test_anonymous_requester_dashes_ipv6_and_a_long_key() -> None:
    key = "a%20b/" + "x" * 3000
    line = log_line("b", WHEN, ip="2001:db8::8a2e:370:7334", key=key, sent=0, status=304)
    r = parse_line(line)
    assert r.anonymous and r.remote_ip == "2001:db8::8a2e:370:7334"
    assert r.key == key and r.bytes_sent == 0 and r.succeeded and r.status == 304


def test_quoted_fields_with_spaces_and_escaped_quotes() -> None:
    agent = 'Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\" [brackets]'
    r = parse_line(log_line("b", WHEN, agent=agent))
    assert r.user_agent == agent
    assert r.request_uri.startswith("GET /b/trips/")


def test_time_zones_are_converted_to_utc() -> None:
    line = log_line("b", WHEN).replace("+0000]", "+0900]")
    assert parse_line(line).time == WHEN - timedelta(hours=9)


@pytest.mark.parametrize(
    "line, why",
    [
        ("", "0 fields"),
        ("garbage", "fields"),
        (DOC_1.split('"')[0], "fields"),  # cut before the Request-URI
        (DOC_1.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Foo/2019:00:00:38 +0000]"), "time"),
        (DOC_1.replace("[06/Feb/2019:00:00:38 +0000]", "[31/Feb/2019:00:00:38 +0000]"), "date"),
        (DOC_1.replace("[06/Feb/2019:00:00:38 +0000]", "06/Feb/2019:00:00:38"), "delimited"),
        (DOC_1.replace(" 200 - 113 ", " OK - 113 "), "status"),
        (DOC_1.replace(" 200 - 113 ", " 200 - lots "), "number"),
    ],
)
def test_malformed_lines_raise_with_a_reason(line: str, why: str) -> None:
    with pytest.raises(MalformedLine, match=why):
        parse_line(line)


def test_a_file_with_malformed_lines_and_other_buckets_goes_on_and_counts() -> None:
    lines = [
        log_line("mine", WHEN),
        "not a log line",
        log_line("other", WHEN),
        "",
        log_line("mine", WHEN + timedelta(hours=1), requester="arn:aws:iam::210987654321:user/x"),
        DOC_1[:80],
    ]
    got: list[AccessRecord] = []
    report = LogReadReport("s3://logs/", "mine")
    stream = io.BytesIO("\r\n".join(lines).encode())
    read_lines(iter_lines(stream, chunk=7), "mine", report, got.append, "f1")
    assert [r.time for r in got] == [WHEN, WHEN + timedelta(hours=1)]
    assert (report.records, report.other_buckets, report.malformed, report.lines) == (2, 1, 2, 5)
    assert report.malformed_at[0].startswith("f1:2:")
    assert "not a log line" not in " ".join(report.problems())  # never the content
    assert not report.complete


def test_an_overlong_line_is_malformed_not_a_crash() -> None:
    stream = io.BytesIO(b"x" * 5000 + b"\n" + log_line("b", WHEN).encode() + b"\n")
    lines = list(iter_lines(stream, chunk=100, max_line=1000))
    assert lines[0] is None and lines[1] is not None and len(lines) == 2


@given(
    st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=20),
    st.integers(min_value=1, max_value=64),
)
def test_lines_are_the_same_whatever_the_chunk_size(parts: list[bytes], chunk: int) -> None:
    data = b"\n".join(parts)
    got = list(iter_lines(io.BytesIO(data), chunk=chunk, max_line=1 << 20))
    pieces = data.split(b"\n")
    if pieces[-1] == b"":
        pieces.pop()  # nothing after the last end of line
    expected = [p.rstrip(b"\r") for p in pieces]
    assert got == expected


@given(
    requester=st.one_of(
        st.just("-"), st.from_regex(r"arn:aws:iam::\d{12}:user/[a-z]{1,8}", fullmatch=True)
    ),
    key=st.from_regex(r"[A-Za-z0-9%/._-]{1,200}", fullmatch=True),
    status=st.sampled_from([200, 206, 304, 403, 404, 500]),
    sent=st.integers(min_value=0, max_value=10**12),
    seconds=st.integers(min_value=0, max_value=10**9),
    ip=st.one_of(st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str)),
)
def test_round_trip_of_generated_records(
    requester: str, key: str, status: int, sent: int, seconds: int, ip: str
) -> None:
    when = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    r = parse_line(
        log_line("bkt", when, requester=requester, key=key, status=status, sent=sent, ip=ip)
    )
    assert (r.requester, r.key, r.status, r.bytes_sent, r.time, r.remote_ip) == (
        requester,
        key,
        status,
        sent,
        when,
        ip,
    )


def test_key_times_simple_and_partitioned() -> None:
    assert key_time("logs/2026-03-02-12-30-05-0A1B2C3D4E5F6A7B") == WHEN
    assert key_time("p/123456789012/us-east-1/b/2026/03/02/2026-03-02-12-30-05-XYZ") == WHEN
    assert key_time("logs/readme.txt") is None


class Generated(io.RawIOBase):
    """A large log generated on the fly (never held whole in memory)."""

    def __init__(self, lines: int) -> None:
        self._lines: Iterator[bytes] = (
            (log_line("big", WHEN + timedelta(seconds=i), key=f"k/{i}") + "\n").encode()
            for i in range(lines)
        )
        self._buf = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        while len(self._buf) < size:
            nxt = next(self._lines, None)
            if nxt is None:
                break
            self._buf += nxt
        out, self._buf = self._buf[:size], self._buf[size:]
        return out


def test_a_huge_log_streams_in_flat_memory() -> None:
    """10,000 records (~3.8 MB of log) through the parser: peak traced memory stays under a
    quarter of that (tracemalloc slows Python down, hence not more; bench/investigate_logs.py
    streams a far larger log and measures RSS)."""
    count = 0

    def sink(_: AccessRecord) -> None:
        nonlocal count
        count += 1

    report = LogReadReport("gen", "big")
    tracemalloc.start()
    try:
        read_lines(iter_lines(Generated(10_000), chunk=64 * 1024), "big", report, sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == report.records == 10_000
    assert peak < 1024 * 1024, peak


@given(st.text(max_size=300))
def test_any_text_is_a_record_or_a_malformed_line(text: str) -> None:
    with contextlib.suppress(MalformedLine):
        parse_line(text)


@given(st.lists(st.sampled_from([DOC_1, DOC_2, "-", '"', "[", "]", " ", "x y z"]), max_size=30))
def test_spliced_documented_lines_never_crash(parts: list[str]) -> None:
    with contextlib.suppress(MalformedLine):
        parse_line("".join(parts))
