"""Compression layers (gzip, bzip2, zstd, xz) and archives (zip, tar), nested and bounded.

Every layer hands its content back to the reader's dispatcher (:class:`Walker`), so layers
nest freely (``a.zip!b.tar.gz!c.zip!d.csv``) up to ``ClassifyLimits.max_depth``. Bounds are
enforced while streaming and recorded on the :class:`ReadReport`:

* ``max_ratio``: a decompression layer stops once its output exceeds ``max_ratio`` times the
  compressed bytes it consumed (after ``RATIO_FLOOR`` bytes, so tiny files of zeros pass); a zip
  member whose declared sizes exceed the ratio is not opened at all (``zipfile`` never inflates
  past the declared size, so the declared ratio bounds the real one).
* ``max_entries``: file members read per archive.
* ``max_bytes_per_object``: charged by the parsers (:class:`Metered`); a zip or Parquet file
  that cannot be read in place is spooled to a temporary file only if it fits what is left.

A truncated or corrupt layer ends with an error note; what was read before is kept.

The stream wrappers here are forward-only readers: a :class:`Budget` shared by every stream of
one top-level object caps the bytes inspected, :class:`Guarded` turns a failing read into a
recorded error and an end of stream, :class:`Transcoded` turns Shift_JIS, EUC-JP or UTF-16
into UTF-8, :func:`line_blocks` cuts a stream into blocks that end at a line break.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import gzip
import io
import lzma
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO, Any, Protocol, cast

import zstandard

from andon.classify.formats import ByteStream, ReadReport, describe
from andon.classify.model import ClassifyLimits, Unit

RATIO_FLOOR = 1 << 20  # output below this never trips max_ratio
RATIO_STEP = 1 << 20  # most bytes one decompression read may add before the ratio is checked
SPOOL_MEMORY = 8 << 20  # a spool stays in memory up to this size, then moves to a temp file
MAX_ZIP_DIRECTORY = 64 << 20  # central directories larger than this are not loaded
TAR_READ = 16 << 10  # tarfile drops a whole read when a member ends early: keep reads small

# -- the byte budget and stream wrappers ----------------------------------------------------


class Budget:
    """The decompressed bytes one top-level object may still consume (shared by its layers)."""

    def __init__(self, limit: int, report: ReadReport) -> None:
        self.limit = limit
        self.used = 0
        self.exhausted = False
        self._report = report

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def charge(self, n: int) -> None:
        self.used += n
        self._report.bytes_read = self.used

    def exhaust(self, where: str) -> None:
        if not self.exhausted:
            self.exhausted = True
            self._report.limit(
                f"max_bytes_per_object {self.limit} reached in {where}; the rest was not read"
            )


class Reader(io.RawIOBase):
    """Base of the forward-only wrappers: subclasses implement ``read(size)``."""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        raise NotImplementedError

    def readall(self) -> bytes:
        parts = []
        while data := self.read(1 << 20):
            parts.append(data)
        return b"".join(parts)

    def readinto(self, buffer: Any, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


def is_seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class _Passthrough(Reader):
    """A wrapper that seeks when its inner stream does."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner

    def seekable(self) -> bool:
        return is_seekable(self.inner)

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        return int(self.inner.seek(offset, whence))

    def tell(self) -> int:
        return int(self.inner.tell())


class Metered(_Passthrough):
    """Charges every byte read to the object's :class:`Budget`; ends the stream when it is spent.

    A stream that ends exactly at the budget is not a limit hit: one byte past it is probed.
    """

    def __init__(self, inner: Any, budget: Budget, where: str) -> None:
        super().__init__(inner)
        self.budget = budget
        self.where = where

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            return self.readall()
        room = self.budget.remaining
        if room <= 0:
            if not self.budget.exhausted and size and self.inner.read(1):
                self.budget.exhaust(self.where)
            return b""
        data: bytes = self.inner.read(min(size, room))
        self.budget.charge(len(data))
        return data


class Guarded(_Passthrough):
    """Turns an error while reading into a note on the report and an end of stream.

    A read that fails because an inner stream was cut short by the byte budget is not an
    error of its own: the limit is already recorded.
    """

    def __init__(
        self,
        inner: Any,
        where: str,
        report: ReadReport,
        budget: Budget,
        *,
        allow_seek: bool = True,
        max_read: int | None = None,
    ) -> None:
        super().__init__(inner)
        self.where = where
        self._max_read = max_read
        self._report = report
        self._budget = budget
        self._allow_seek = allow_seek
        # read1 (one raw read per call) where there is one: a buffered read that fails half
        # way would drop the bytes it had already gathered
        self._read = getattr(inner, "read1", inner.read)
        self.failed = False

    def seekable(self) -> bool:
        return self._allow_seek and super().seekable()

    def read(self, size: int | None = -1, /) -> bytes:
        if self.failed:
            return b""
        try:
            if size is None or size < 0:
                return self.readall()
            if self._max_read is not None:
                size = min(size, self._max_read)
            data: bytes = self._read(size)
        except Exception as exc:  # any failure of a read ends this stream, never the run
            self.failed = True
            if not self._budget.exhausted:
                self._report.error(f"reading {self.where} failed: {describe(exc)}")
            return b""
        return data


class Replay(Reader):
    """A non-seekable stream with an already-read head put back in front of it."""

    def __init__(self, head: bytes, inner: ByteStream) -> None:
        super().__init__()
        self._head = head
        self._inner = inner

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            return self.readall()
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._inner.read(size)


class Transcoded(Reader):
    """UTF-8 bytes from a stream in another encoding; undecodable bytes become U+FFFD."""

    def __init__(self, inner: ByteStream, encoding: str) -> None:
        super().__init__()
        self._inner = inner
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._done = False

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            return self.readall()
        while not self._done:
            raw = self._inner.read(max(size, 4))
            self._done = not raw
            text = self._decoder.decode(raw, final=self._done)
            if text:
                return text.encode("utf-8")
        return b""


class Counting(Reader):
    """Counts the bytes read through it (the compressed side of a decompression layer)."""

    def __init__(self, inner: ByteStream) -> None:
        super().__init__()
        self._inner = inner
        self.count = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = self._inner.read(-1 if size is None else size)
        self.count += len(data)
        return data


def read_full(stream: ByteStream, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream."""
    data = stream.read(size)
    if len(data) >= size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = stream.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def peek(stream: Any, size: int) -> tuple[bytes, Any]:
    """The first ``size`` bytes of ``stream`` and a stream that still starts with them."""
    if is_seekable(stream):
        try:
            pos = stream.tell()
            head = read_full(stream, size)
            stream.seek(pos)
            return head, stream
        except (OSError, ValueError):
            pass
    head = read_full(stream, size)
    return head, Replay(head, stream)


def _cut(buf: bytes, quote: bytes | None) -> int:
    """Index of the last line break of ``buf`` that is not inside a quoted field, or -1."""
    cut = buf.rfind(b"\n")
    if quote is None:
        return cut
    for _ in range(8):
        if cut < 0 or buf.count(quote, 0, cut) % 2 == 0:
            return cut
        cut = buf.rfind(b"\n", 0, cut)
    return cut  # quotes do not balance: cut at a line break anyway


def line_blocks(
    stream: ByteStream, chunk: int, *, max_block: int | None = None, quote: bytes | None = None
) -> Iterator[bytes]:
    """Blocks of at most ``chunk`` bytes that end at a line break (the rest is carried over).

    A line longer than ``max_block`` (default ``chunk``) is cut where the block ends. With
    ``quote``, a line break inside a quoted field (an odd number of quotes before it) is not a
    place to cut.
    """
    limit = max(max_block or chunk, chunk)
    carry = b""
    while True:
        want = max(chunk - len(carry), chunk // 4, 1)  # blocks stay within chunk when they can
        data = read_full(stream, want)
        buf = carry + data if carry else data
        if len(data) < want:  # end of stream
            if buf:
                yield buf
            return
        cut = _cut(buf, quote)
        if cut < 0:
            if len(buf) >= limit:
                yield buf
                carry = b""
            else:
                carry = buf
            continue
        yield buf[: cut + 1]
        carry = buf[cut + 1 :]


_COMPRESSED_EXT = {
    ".gz": "",
    ".gzip": "",
    ".tgz": ".tar",
    ".bz2": "",
    ".tbz": ".tar",
    ".tbz2": ".tar",
    ".zst": "",
    ".zstd": "",
    ".tzst": ".tar",
    ".xz": "",
    ".txz": ".tar",
}


class Walker(Protocol):
    """What the layers need from the reader that drives them."""

    limits: ClassifyLimits
    report: ReadReport
    budget: Budget

    @property
    def stopped(self) -> bool: ...

    def skipped(self, display: str, reason: str) -> None: ...

    def dispatch(
        self,
        display: str,
        hint: str,
        stream: Any,
        depth: int,
        *,
        charged: bool,
        chain: list[str] | None = None,
        size: int | None = None,
    ) -> Iterator[Unit]: ...


def inner_hint(hint: str) -> str:
    """The name of what a compressed file holds: ``a.csv.gz`` → ``a.csv``, ``a.tgz`` → ``a.tar``."""
    dot = hint.rfind(".")
    if dot > hint.rfind("/") + 1:
        replacement = _COMPRESSED_EXT.get(hint[dot:].lower())
        if replacement is not None:
            return hint[:dot] + replacement
    return hint


def _decompressor(fmt: str, source: Counting) -> Any:
    fileobj = cast(IO[bytes], source)
    if fmt == "gzip":
        return gzip.GzipFile(fileobj=fileobj, mode="rb")
    if fmt == "bzip2":
        return bz2.BZ2File(fileobj)
    if fmt == "xz":
        return lzma.LZMAFile(fileobj)
    return zstandard.ZstdDecompressor().stream_reader(
        fileobj, read_across_frames=True, closefd=False
    )


class Decompressed(Reader):
    """The output of one compression layer, with the ratio guard and error capture."""

    def __init__(self, fmt: str, inner: Any, where: str, walk: Walker) -> None:
        super().__init__()
        self.fmt = fmt
        self.where = where
        self.out = 0
        self._walk = walk
        self._source = Counting(inner)
        self._decompressor = _decompressor(fmt, self._source)
        self._read = getattr(self._decompressor, "read1", self._decompressor.read)
        self._done = False

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            return self.readall()
        if self._done or size == 0:
            return b""
        try:
            # read1: one input read at a time, so a truncated stream loses no decoded bytes
            data: bytes = self._read(min(size, RATIO_STEP))
        except Exception as exc:  # a corrupt layer ends this stream, never the run
            self._done = True
            if not self._walk.budget.exhausted:
                self._walk.report.error(
                    f"{self.fmt} data in {self.where} is truncated or corrupt after "
                    f"{self.out} bytes: {describe(exc)}"
                )
            return b""
        if not data:
            self._done = True
            return b""
        self.out += len(data)
        ratio = self._walk.limits.max_ratio
        compressed = max(self._source.count, 1)
        if self.out > RATIO_FLOOR and self.out > ratio * compressed:
            self._done = True
            self._walk.report.limit(
                f"max_ratio {ratio:g} exceeded in {self.where}: {self.out} bytes out of "
                f"{compressed} compressed; the rest was not read"
            )
        return data

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a broken decompressor must not fail the run
            self._decompressor.close()
        super().close()


def spool(
    walk: Walker, display: str, stream: Any, *, charged: bool, size: int | None, what: str
) -> IO[bytes] | None:
    """A seekable copy of ``stream`` (for zip and Parquet), or ``None`` when it does not fit
    in what is left of the byte budget (recorded). The copy counts against the budget."""
    left = walk.budget.remaining
    if size is not None and size > left:
        walk.report.limit(
            f"max_bytes_per_object {walk.budget.limit}: {what} {display} of {size} bytes must "
            f"be read whole and only {left} bytes are left; not read"
        )
        walk.skipped(display, f"{what} larger than the byte budget left")
        return None
    source = stream if charged else Metered(stream, walk.budget, display)
    tmp = cast(IO[bytes], tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY))  # noqa: SIM115
    try:
        while data := source.read(1 << 20):
            tmp.write(data)
    except BaseException:
        tmp.close()
        raise
    if walk.budget.exhausted:
        tmp.close()
        walk.skipped(display, f"{what} larger than the byte budget left")
        return None
    tmp.seek(0)
    return tmp


def _zip_directory_size(stream: Any) -> int:
    """Size of the zip's central directory from its end record (0 when it cannot be found)."""
    end = int(stream.seek(0, 2))
    tail = min(end, 22 + 65535)
    stream.seek(end - tail)
    data = stream.read(tail)
    stream.seek(0)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or len(data) - at < 22:
        return 0
    return int.from_bytes(data[at + 12 : at + 16], "little")


def iter_zip(
    walk: Walker, display: str, stream: Any, depth: int, *, charged: bool, size: int | None
) -> Iterator[Unit]:
    """Units of every readable member of a zip archive (members at nesting ``depth``)."""
    spooled: IO[bytes] | None = None
    if not is_seekable(stream):
        spooled = spool(walk, display, stream, charged=charged, size=size, what="zip")
        if spooled is None:
            return
        stream = spooled
    try:
        directory = _zip_directory_size(stream)
        if directory > MAX_ZIP_DIRECTORY:
            walk.report.limit(
                f"zip {display} has a central directory of {directory} bytes (more than "
                f"{MAX_ZIP_DIRECTORY}); not read"
            )
            walk.skipped(display, "zip directory too large")
            return
        try:
            archive = zipfile.ZipFile(cast(IO[bytes], stream))
        except Exception as exc:  # BadZipFile, OSError, EOFError, ValueError ...
            walk.report.error(f"zip {display} cannot be opened: {describe(exc)}")
            return
        with archive:
            yield from _zip_members(walk, display, archive, depth)
    finally:
        if spooled is not None:
            spooled.close()


def _zip_members(
    walk: Walker, display: str, archive: zipfile.ZipFile, depth: int
) -> Iterator[Unit]:
    limits = walk.limits
    files = [info for info in archive.infolist() if not info.is_dir()]
    for index, info in enumerate(files):
        if walk.stopped:
            return
        if index >= limits.max_entries:
            walk.report.limit(
                f"max_entries {limits.max_entries} reached in {display}; "
                f"{len(files) - index} more members not read"
            )
            return
        member = f"{display}!{info.filename}"
        if info.flag_bits & 0x1:
            walk.skipped(member, "encrypted")
            continue
        declared = info.file_size
        if declared > RATIO_FLOOR and declared > limits.max_ratio * max(info.compress_size, 1):
            walk.report.limit(
                f"max_ratio {limits.max_ratio:g} exceeded by {member}: {declared} bytes "
                f"declared from {info.compress_size} compressed; not read"
            )
            walk.skipped(member, "decompression ratio too high")
            continue
        try:
            handle = archive.open(info)
        except NotImplementedError:
            walk.skipped(member, f"unsupported zip compression method {info.compress_type}")
            continue
        except Exception as exc:  # BadZipFile on a broken local header, RuntimeError ...
            walk.report.error(f"zip member {member} cannot be opened: {describe(exc)}")
            continue
        with handle:
            walk.report.members += 1
            guarded = Guarded(handle, member, walk.report, walk.budget, allow_seek=False)
            yield from walk.dispatch(
                member, info.filename, guarded, depth, charged=False, size=declared
            )


def iter_tar(walk: Walker, display: str, stream: Any, depth: int) -> Iterator[Unit]:
    """Units of every readable member of a tar archive; ``stream`` is already metered.

    A seekable tar is read in random-access mode, so skipped members are seeked over rather
    than read; otherwise it is streamed.
    """
    seekable = is_seekable(stream)
    try:
        fileobj = cast(IO[bytes], stream)
        if seekable:
            archive = tarfile.open(fileobj=fileobj, mode="r:")  # noqa: SIM115
        else:
            archive = tarfile.open(fileobj=fileobj, mode="r|")  # noqa: SIM115
    except Exception as exc:  # ReadError, EOFError, OSError ...
        if not walk.budget.exhausted:
            walk.report.error(f"tar {display} cannot be opened: {describe(exc)}")
        return
    entries = 0
    with archive:
        while not walk.stopped:
            try:
                info = archive.next()
            except Exception as exc:  # truncated or corrupt headers
                if not walk.budget.exhausted:
                    walk.report.error(
                        f"tar {display} is truncated or corrupt after {entries} members: "
                        f"{describe(exc)}"
                    )
                return
            if info is None:
                return
            if not info.isfile():
                continue
            entries += 1
            if entries > walk.limits.max_entries:
                walk.report.limit(
                    f"max_entries {walk.limits.max_entries} reached in {display}; "
                    "the rest was not read"
                )
                return
            handle = archive.extractfile(info)
            if handle is None:
                continue
            member = f"{display}!{info.name}"
            walk.report.members += 1
            guarded = Guarded(
                handle, member, walk.report, walk.budget, allow_seek=seekable, max_read=TAR_READ
            )
            yield from walk.dispatch(
                member, info.name, guarded, depth, charged=True, size=info.size
            )
