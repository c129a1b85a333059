"""Where objects come from: a local file tree or an S3 bucket, listed and opened as streams.

A :class:`Source` lists :class:`ObjectInfo` s and opens one object as a binary stream (a
context manager). :class:`S3Source` lists with ListObjectsV2 pages and reads with GetObject
through :class:`andon.collect.aws.transport.AwsClients`, so every failure arrives as an
:class:`andon.core.errors.CollectError` (``AccessDenied`` on one object included). Its streams
are seekable: a seek issues a new ranged GetObject, so a zip's central directory or a Parquet
footer is fetched without downloading the whole object; ``max_bytes`` asks for a prefix only.

:func:`read_units` opens and reads one object and records an object that cannot be opened on
its :class:`ReadReport` instead of raising.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from botocore.exceptions import BotoCoreError, ClientError

from andon.classify.formats import ReadReport, describe, extension
from andon.classify.model import ClassifyLimits, Unit
from andon.classify.readers import read_object
from andon.collect.aws.transport import AwsClients, map_error
from andon.core.errors import AndonError, ConfigError, MalformedResponse

READ_BUFFER = 256 * 1024  # buffer of an S3 stream (small reads such as footers stay local)
PREFIX_SLACK = 1 << 20  # bytes requested beyond max_bytes in the first range
HEAD_CACHE = 64 * 1024  # the start of an S3 object is kept: format detection reads it twice
TAIL_CACHE = 128 * 1024  # the end of an object read at random (zip directory, Parquet footer)
RANDOM_ACCESS_EXT = frozenset({".zip", ".jar", ".xlsx", ".docx", ".pptx", ".parquet", ".pq"})


@dataclass(frozen=True)
class ObjectInfo:
    """One listed object: its key (relative path for local trees), size and metadata."""

    key: str
    size: int
    last_modified: datetime | None = None
    etag: str | None = None
    storage_class: str | None = None


class Source(Protocol):
    """Lists objects and opens one as a binary stream (close it, or use ``with``)."""

    def list(self) -> Iterator[ObjectInfo]: ...

    def open(self, info: ObjectInfo, *, max_bytes: int | None = None) -> BinaryIO: ...


def read_units(
    source: Source, info: ObjectInfo, limits: ClassifyLimits, report: ReadReport
) -> Iterator[Unit]:
    """The units of one object; an object that cannot be opened (AccessDenied, a vanished
    file ...) is recorded on ``report`` as not inspected, never raised."""
    report.size = info.size
    # Zip and Parquet are read from their end first: fetch only the head before that seek.
    random_access = extension(info.key) in RANDOM_ACCESS_EXT
    first = HEAD_CACHE if random_access else limits.max_bytes_per_object + PREFIX_SLACK
    try:
        stream = source.open(info, max_bytes=first)
    except (AndonError, OSError) as exc:
        report.not_inspected = f"cannot be opened: {describe(exc)}"
        report.error(f"opening {info.key} failed: {describe(exc)}")
        return
    with stream:
        yield from read_object(info.key, stream, limits, size=info.size, report=report)


# -- local files ----------------------------------------------------------------------------


class LocalSource:
    """A file, or every regular file under a directory (keys relative, ``/``-separated).

    Symbolic links are followed only while they stay inside the tree: a link to a file
    outside it is not listed and cannot be opened, and linked directories are not entered.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        given = Path(path)
        if not given.exists():
            raise ConfigError(f"no such file or directory: {given}")
        self.path = given.resolve()
        self._single = self.path.is_file()
        self._root = self.path.parent if self._single else self.path

    def list(self) -> Iterator[ObjectInfo]:
        if self._single:
            info = self._info(self.path)
            if info is not None:
                yield info
            return
        for folder, dirs, files in os.walk(self._root, followlinks=False):
            dirs.sort()
            for name in sorted(files):
                info = self._info(Path(folder, name))
                if info is not None:
                    yield info

    def _info(self, path: Path) -> ObjectInfo | None:
        target = self._inside(path)
        if target is None:
            return None
        try:
            st = target.stat()
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):  # FIFOs, sockets and devices would block or never end
            return None
        key = path.relative_to(self._root).as_posix()
        modified = datetime.fromtimestamp(st.st_mtime, tz=UTC)
        return ObjectInfo(key=key, size=st.st_size, last_modified=modified)

    def _inside(self, path: Path) -> Path | None:
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):  # broken link, loop
            return None
        if target == self._root or self._root in target.parents:
            return target
        return None

    def open(self, info: ObjectInfo, *, max_bytes: int | None = None) -> BinaryIO:
        target = self._inside(self._root / info.key)
        if target is None:
            raise ConfigError(f"{info.key} is not a file inside {self._root}")
        return target.open("rb")


# -- S3 -------------------------------------------------------------------------------------


class S3Source:
    """The objects of one bucket under ``prefix``, through the transport's error mapping."""

    def __init__(
        self,
        clients: AwsClients,
        bucket: str,
        prefix: str = "",
        region: str | None = None,
        *,
        page_size: int = 1000,
    ) -> None:
        self.clients = clients
        self.bucket = bucket
        self.prefix = prefix
        self.page_size = page_size
        self._client = clients.client("s3", region)

    def list(self) -> Iterator[ObjectInfo]:
        pages = self.clients.pages(
            self._client,
            "ListObjectsV2",
            "ContinuationToken",
            "NextContinuationToken",
            Bucket=self.bucket,
            Prefix=self.prefix,
            MaxKeys=self.page_size,
        )
        for page in pages:
            for item in page.get("Contents") or ():
                key = item.get("Key")
                size = item.get("Size")
                if not isinstance(key, str) or not isinstance(size, int):
                    raise MalformedResponse(
                        "MalformedResponse on ListObjectsV2: an entry without Key or Size",
                        service="s3",
                        operation="ListObjectsV2",
                        code="MalformedResponse",
                    )
                if key.endswith("/") and size == 0:  # a "folder" marker
                    continue
                modified = item.get("LastModified")
                etag = item.get("ETag")
                yield ObjectInfo(
                    key=key,
                    size=size,
                    last_modified=modified if isinstance(modified, datetime) else None,
                    etag=etag.strip('"') if isinstance(etag, str) else None,
                    storage_class=item.get("StorageClass"),
                )

    def open(self, info: ObjectInfo, *, max_bytes: int | None = None) -> BinaryIO:
        """A seekable stream over the object. The first GetObject is made here (so a denied
        object fails at once) and asks only for the first ``max_bytes`` when given; reading
        further or seeking issues further ranged requests."""
        raw = S3Object(self.clients, self._client, self.bucket, info, first_window=max_bytes)
        raw.start()
        return cast(BinaryIO, io.BufferedReader(raw, buffer_size=READ_BUFFER))


class S3Object(io.RawIOBase):
    """One S3 object as a seekable raw stream of ranged GetObject requests.

    ``requested`` keeps the ``Range`` headers sent (``None`` for a whole-object request). With
    an ETag, every request carries ``IfMatch`` so an object replaced mid-read fails with
    ``PreconditionFailed`` instead of mixing two versions.
    """

    def __init__(
        self,
        clients: AwsClients,
        client: Any,
        bucket: str,
        info: ObjectInfo,
        *,
        first_window: int | None = None,
    ) -> None:
        super().__init__()
        self.clients = clients
        self.bucket = bucket
        self.info = info
        self.requested: list[str | None] = []
        self._client = client
        self._pos = 0
        self._body: Any = None
        self._body_pos = 0  # where the open body is
        self._body_end = 0  # end (exclusive) of the range the open body serves
        self._head = b""  # the first HEAD_CACHE bytes, once read
        self._tail: bytes | None = None  # the last TAIL_CACHE bytes, once asked for
        self._window = first_window

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self.info.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if target < 0:
            raise ValueError("negative seek position")
        self._pos = target  # the open body is kept: reading on from where it is costs nothing
        return self._pos

    def start(self) -> None:
        """Make the first request now, so errors (AccessDenied ...) surface at open."""
        self._request()

    def readinto(self, buffer: Any, /) -> int:
        view = memoryview(buffer).cast("B")
        if self._pos >= self.info.size or not len(view):
            return 0
        tail_start = max(self.info.size - TAIL_CACHE, 0)
        if self._pos < len(self._head):  # sniffing the format seeks back to the start
            data = self._head[self._pos : self._pos + len(view)]
        elif self._pos >= tail_start and (self._body is None or self._pos != self._body_pos):
            if self._tail is None:  # zip directories and Parquet footers live at the end
                self._tail = self._fetch(tail_start, self.info.size)
            at = self._pos - tail_start
            data = self._tail[at : at + len(view)]
        else:
            if self._body is None or self._pos != self._body_pos or self._pos >= self._body_end:
                self._drop()
                self._request()
            data = self._read_body(min(len(view), self._body_end - self._pos))
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def _read_body(self, want: int) -> bytes:
        try:
            data: bytes = self._body.read(want)
        except (BotoCoreError, ClientError, OSError) as exc:
            self._drop()
            raise map_error(exc, service="s3", operation="GetObject") from exc
        if not data:  # the object ended early (it changed, or the connection closed)
            self._drop()
            raise MalformedResponse(
                f"MalformedResponse on GetObject: {self.info.key} ended at byte {self._pos} "
                f"of {self.info.size}",
                service="s3",
                operation="GetObject",
                code="IncompleteBody",
            )
        if self._body_pos == len(self._head) < HEAD_CACHE:
            self._head += data[: HEAD_CACHE - len(self._head)]
        self._body_pos += len(data)
        return data

    def _fetch(self, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` (exclusive) in one ranged request, read whole."""
        args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.info.key,
            "Range": f"bytes={start}-{end - 1}",
        }
        if self.info.etag:
            args["IfMatch"] = f'"{self.info.etag}"'
        answer = self.clients.call(self._client, "GetObject", **args)
        self.requested.append(args["Range"])
        body = answer.get("Body")
        try:
            data: bytes = body.read() if body is not None else b""
        except (BotoCoreError, ClientError, OSError) as exc:
            raise map_error(exc, service="s3", operation="GetObject") from exc
        if len(data) != end - start:
            raise MalformedResponse(
                f"MalformedResponse on GetObject: {end - start} bytes asked, {len(data)} sent",
                service="s3",
                operation="GetObject",
                code="IncompleteBody",
            )
        return data

    def _request(self) -> None:
        size = self.info.size
        end = size
        if self._window is not None:
            end = min(size, self._pos + self._window)
            self._window = None  # only the first request is a bounded prefix
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self.info.key}
        ranged = self._pos > 0 or end < size
        if ranged:
            args["Range"] = f"bytes={self._pos}-{end - 1}"
        if self.info.etag:
            args["IfMatch"] = f'"{self.info.etag}"'
        answer = self.clients.call(self._client, "GetObject", **args)
        self.requested.append(args.get("Range"))
        self._body = answer.get("Body")
        if self._body is None:
            raise MalformedResponse(
                "MalformedResponse on GetObject: no body",
                service="s3",
                operation="GetObject",
                code="MalformedResponse",
            )
        self._body_end = end if ranged else size
        self._body_pos = self._pos

    def _drop(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):  # a broken connection is closed anyway
                self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop()
        super().close()
