"""Reading log files from S3: ``s3://`` locations, listing, streaming lines.

Log files (S3 server access logs, CloudTrail archives) are read as streams through
:class:`andon.collect.aws.transport.AwsClients`, so a failure arrives as a
:class:`andon.core.errors.CollectError` (``AccessDenied`` included) and never as a botocore
exception. Nothing here keeps a whole file in memory: :func:`iter_lines` yields one line at a
time from fixed-size chunks and cuts lines longer than ``max_line`` (reported as ``None``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from andon.collect.aws.transport import AwsClients, map_error
from andon.core.errors import ConfigError

CHUNK = 256 * 1024
MAX_LINE = 256 * 1024  # a server access log line is a few KB even with a 1,024-byte key


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix (``s3://bucket/prefix``)."""

    bucket: str
    prefix: str = ""

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_location(url: str) -> S3Location:
    """``s3://bucket/prefix`` → :class:`S3Location`; a bare bucket name is accepted too."""
    text = url.strip()
    if text.startswith("s3://"):
        text = text[5:]
    elif "://" in text:
        raise ConfigError(f"not an S3 location: {url!r} (expected s3://bucket/prefix)")
    bucket, _, prefix = text.partition("/")
    if not bucket:
        raise ConfigError(f"an S3 location needs a bucket: {url!r}")
    return S3Location(bucket, prefix)


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime | None


def list_objects(clients: AwsClients, where: S3Location) -> Iterator[StoredObject]:
    """Every object under ``where`` in key order (ListObjectsV2 pages); raises CollectError."""
    s3 = clients.client("s3")
    args: dict[str, Any] = {"Bucket": where.bucket}
    if where.prefix:
        args["Prefix"] = where.prefix
    for page in clients.pages(
        s3, "ListObjectsV2", "ContinuationToken", "NextContinuationToken", **args
    ):
        for item in page.get("Contents") or ():
            yield StoredObject(
                str(item.get("Key", "")), int(item.get("Size") or 0), item.get("LastModified")
            )


class Body:
    """The streamed body of one object; read errors become CollectError."""

    def __init__(self, raw: Any, bucket: str, key: str) -> None:
        self._raw = raw
        self.name = f"s3://{bucket}/{key}"

    def read(self, size: int = -1, /) -> bytes:
        try:
            data: bytes = self._raw.read(size if size >= 0 else None)
        except (BotoCoreError, ClientError, OSError, ValueError) as exc:
            raise map_error(exc, service="s3", operation="GetObject") from exc
        return data

    def close(self) -> None:
        with contextlib.suppress(BotoCoreError, OSError):  # a dead connection: no matter
            self._raw.close()


def open_object(clients: AwsClients, bucket: str, key: str) -> Body:
    """GetObject ``key`` as a stream (close it); raises CollectError."""
    answer = clients.call(clients.client("s3"), "GetObject", Bucket=bucket, Key=key)
    return Body(answer["Body"], bucket, key)


def iter_lines(
    stream: Readable, *, chunk: int = CHUNK, max_line: int = MAX_LINE
) -> Iterator[bytes | None]:
    """Lines of ``stream`` without their end of line; ``None`` stands for a line longer than
    ``max_line`` (its bytes are dropped). Memory: one chunk plus one line at most."""
    pending = bytearray()
    overlong = False
    while True:
        data = stream.read(chunk)
        if not data:
            break
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                if not overlong:
                    pending += data[start:]
                    if len(pending) > max_line:
                        overlong = True
                        pending.clear()
                break
            if overlong:
                yield None
            else:
                pending += data[start:end]
                yield None if len(pending) > max_line else bytes(pending).rstrip(b"\r")
            pending.clear()
            overlong = False
            start = end + 1
    if overlong:
        yield None
    elif pending:
        yield None if len(pending) > max_line else bytes(pending).rstrip(b"\r")
