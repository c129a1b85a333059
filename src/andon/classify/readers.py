"""Streaming readers: one object's bytes in, :data:`Unit` s (text blocks, column batches) out.

:func:`read_object` never loads a whole object. It detects the format (magic bytes, then the
extension, then the content), peels compression layers and archives
(:mod:`andon.classify.archives`), and reads what is inside:

* plain text and logs → :class:`TextBlock` s of about ``chunk_bytes`` ending at a line break;
* CSV/TSV → :class:`ColumnBatch` (``kind="csv"``), every column as strings, header-aware, one
  block at a time through pyarrow's CSV parser (the ``csv`` module takes over a block pyarrow
  rejects, e.g. rows with a different number of fields);
* NDJSON → ``ColumnBatch(kind="json")`` per block (pyarrow, or ``json`` line by line when the
  block is irregular), columns named by key path (``$.driver.phone``, ``$.trips[*].lat``);
* a JSON document → streamed: arrays of objects or arrays become records batch by batch, the
  document's other members one record; a single value larger than ``4 * chunk_bytes`` ends
  the read with a limit note;
* Parquet → ``ColumnBatch(kind="parquet")`` per row batch (nested columns as ``a.b``,
  ``a[*]``); a non-seekable Parquet stream is spooled first, within the byte budget.

Columns of JSON paths without ``[*]`` (and every CSV/Parquet column) hold one value per record;
a path through an array (``$.trips[*].lat``) holds every element's value in order, so its length
may differ from ``rows`` — sibling paths under the same array stay aligned with each other.

Text in Shift_JIS (cp932), EUC-JP or UTF-16 is transcoded to UTF-8 (undecodable bytes become
U+FFFD); a UTF-8 BOM is dropped. Binary content is reported as not inspected with the reason.
Nothing raises out of a read for bad content: limits, skips and errors go on the
:class:`ReadReport`, and what was read before a failure is kept.
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any, BinaryIO

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.json as pa_json  # type: ignore[import-untyped]

from andon.classify.archives import (
    Budget,
    Decompressed,
    Guarded,
    Metered,
    Transcoded,
    inner_hint,
    is_seekable,
    iter_tar,
    iter_zip,
    line_blocks,
    peek,
    read_full,
    spool,
)
from andon.classify.formats import (
    COMPRESSIONS,
    HEAD_BYTES,
    CsvParser,
    Detected,
    ReadReport,
    describe,
    detect,
    looks_like_header,
    record_end,
    split_row,
    unique_names,
)
from andon.classify.model import ClassifyLimits, ColumnBatch, TextBlock, Unit

__all__ = ["ReadReport", "read_object"]

PARQUET_BATCH_ROWS = 65_536
JSON_BATCH_RECORDS = 10_000
JSON_DOC_MAX_PATHS = 1_000  # a document record is emitted once it has this many paths
JSON_MAX_NESTING = 16  # objects nested deeper than this are decoded whole
_WS = re.compile(r"[ \t\r\n]*")


def read_object(
    name: str,
    stream: BinaryIO,
    limits: ClassifyLimits,
    *,
    size: int | None = None,
    report: ReadReport | None = None,
) -> Iterator[Unit]:
    """Stream the units of one object named ``name`` (its key or path).

    Pass a :class:`ReadReport` to learn what the read did (format, bytes, records, limits hit,
    members skipped, errors); it is complete once the iterator is exhausted or closed.
    """
    report = ReadReport() if report is None else report
    report.size = size
    walk = _Walk(limits, report)
    top = Guarded(stream, name, report, walk.budget)
    try:
        for unit in walk.dispatch(name, name, top, 0, charged=False, chain=[], size=size):
            report.units += 1
            yield unit
    finally:
        walk.finish()


class _Walk:
    """The state of one object's read: limits, report, byte budget, record count."""

    def __init__(self, limits: ClassifyLimits, report: ReadReport) -> None:
        self.limits = limits
        self.report = report
        self.budget = Budget(limits.max_bytes_per_object, report)
        self.records_done = False
        self._reasons: Counter[str] = Counter()

    @property
    def stopped(self) -> bool:
        return self.budget.exhausted or self.records_done

    def skipped(self, display: str, reason: str) -> None:
        self._reasons[reason] += 1
        self.report.skip(f"{display}: {reason}")

    def take_records(self, n: int, where: str) -> int:
        """How many of ``n`` more records may be read (``max_records`` per object)."""
        room = self.limits.max_records - self.report.records
        if n > room:
            n = max(room, 0)
            if not self.records_done:
                self.records_done = True
                self.report.limit(
                    f"max_records {self.limits.max_records} reached in {where}; "
                    "the rest was not read"
                )
        self.report.records += n
        return n

    def finish(self) -> None:
        if not self.report.not_inspected and not self.report.units and self._reasons:
            parts = ", ".join(f"{n} {reason}" for reason, n in self._reasons.most_common())
            self.report.not_inspected = f"no readable content ({parts})"

    # -- routing ---------------------------------------------------------------------------

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
    ) -> Iterator[Unit]:
        """Units of ``stream`` (shown as ``display``; ``hint`` is the file name used for its
        extension). ``charged``: bytes read from it are already counted against the budget
        (tar members). ``chain`` collects the layers of the top-level object itself."""
        if self.stopped:
            return
        try:
            yield from self._route(display, hint, stream, depth, charged, chain, size)
        except Exception as exc:  # a reader bug or odd content ends this part, not the run
            if not self.budget.exhausted:
                self.report.error(f"reading {display} failed: {describe(exc)}")

    def _route(
        self,
        display: str,
        hint: str,
        stream: Any,
        depth: int,
        charged: bool,
        chain: list[str] | None,
        size: int | None,
    ) -> Iterator[Unit]:
        head, stream = peek(stream, HEAD_BYTES)
        found = detect(head, hint)
        fmt = found.format
        if chain is not None:
            chain.append(fmt)
            self.report.format = "+".join(chain)
        if fmt == "empty":
            return
        if fmt == "binary":
            if chain is not None:
                layers = " inside ".join(reversed(chain[:-1]))
                self.report.not_inspected = found.reason + (f" inside {layers}" if layers else "")
            else:
                self.skipped(display, found.reason)
            return
        if (fmt in COMPRESSIONS or fmt in ("zip", "tar")) and depth >= self.limits.max_depth:
            self.report.limit(f"max_depth {self.limits.max_depth} reached at {display} ({fmt})")
            self.skipped(display, "nested too deep")
            return
        if fmt in COMPRESSIONS:
            with Decompressed(fmt, stream, display, self) as layer:
                yield from self.dispatch(
                    display, inner_hint(hint), layer, depth + 1, charged=False, chain=chain
                )
            return
        if fmt == "zip":
            yield from iter_zip(self, display, stream, depth + 1, charged=charged, size=size)
            return
        if fmt == "parquet":
            yield from self._parquet(display, stream, charged, size)
            return
        metered = stream if charged else Metered(stream, self.budget, display)
        if fmt == "tar":
            yield from iter_tar(self, display, metered, depth + 1)
            return
        if found.bom:
            read_full(metered, found.bom)
        text = metered if found.encoding == "utf-8" else Transcoded(metered, found.encoding)
        if fmt in ("csv", "tsv"):
            yield from self._csv(display, text, found)
        elif fmt == "ndjson":
            yield from self._ndjson(display, text)
        elif fmt == "json":
            yield from self._json(display, text)
        else:
            yield from self._text(display, text)

    # -- text ------------------------------------------------------------------------------

    def _text(self, display: str, stream: Any) -> Iterator[Unit]:
        line = 1
        last = b""
        for block in line_blocks(stream, self.limits.chunk_bytes):
            yield TextBlock(display, block, line)
            breaks = block.count(b"\n")
            line += breaks
            self.report.lines += breaks
            last = block
        if last and not last.endswith(b"\n"):
            self.report.lines += 1

    # -- CSV / TSV -------------------------------------------------------------------------

    def _csv(self, display: str, stream: Any, found: Detected) -> Iterator[Unit]:
        quoted = found.format != "tsv"
        quote = b'"' if quoted else None
        chunk = self.limits.chunk_bytes
        blocks = line_blocks(stream, chunk, max_block=4 * chunk, quote=quote)
        first = next(blocks, None)
        if first is None:
            return
        end = record_end(first, quote)
        cells = split_row(first[:end], found.delimiter, quoted)
        if looks_like_header(cells):
            names = unique_names(cells)
            first = first[end + 1 :]
        else:
            names = unique_names([""] * len(cells))
        parser = CsvParser(names, found.delimiter, quoted)
        record = 0
        for block in itertools.chain([first], blocks):
            if self.stopped:
                break
            if not block or block.isspace():
                continue
            columns, rows = parser.parse(block)
            allowed = self.take_records(rows, display)
            if allowed < rows:
                columns = {k: v.slice(0, allowed) for k, v in columns.items()}
            if allowed:
                yield ColumnBatch(display, columns, allowed, record, "csv")
            record += allowed
        if parser.lenient:
            self.report.error(
                f"{parser.lenient} block(s) of {display} are not regular CSV "
                "(field counts or quoting); read leniently"
            )

    # -- NDJSON ----------------------------------------------------------------------------

    def _ndjson(self, display: str, stream: Any) -> Iterator[Unit]:
        chunk = self.limits.chunk_bytes
        record = 0
        invalid = 0
        for block in line_blocks(stream, chunk, max_block=4 * chunk):
            if self.stopped:
                break
            try:
                columns, rows = _arrow_ndjson(block)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                table = _Columns()
                for line in block.split(b"\n"):
                    if line.strip():
                        try:
                            table.add(json.loads(line), "$")
                        except ValueError:
                            invalid += 1
                columns, rows = table.arrays(), table.rows
            allowed = self.take_records(rows, display)
            if allowed < rows:
                columns = {k: v.slice(0, allowed) for k, v in columns.items()}
            if allowed:
                yield ColumnBatch(display, columns, allowed, record, "json")
            record += allowed
        if invalid:
            self.report.error(f"{invalid} line(s) of {display} are not JSON; skipped")

    # -- JSON documents --------------------------------------------------------------------

    def _json(self, display: str, stream: Any) -> Iterator[Unit]:
        text = _JsonText(stream, self.limits.chunk_bytes, 4 * self.limits.chunk_bytes)
        doc = _DocRecord(display)
        try:
            yield from self._json_value(display, text, "$", doc, 0)
        except _TooLarge:
            self.report.limit(
                f"a JSON value in {display} is larger than {text.max_value} bytes; "
                "the rest was not read"
            )
        except ValueError as exc:
            if not self.budget.exhausted:
                self.report.error(f"JSON in {display} is malformed: {describe(exc)}")
        yield from self._flush_doc(doc)

    def _json_value(
        self, display: str, text: _JsonText, path: str, doc: _DocRecord, depth: int
    ) -> Iterator[Unit]:
        first = text.peek()
        if first == "[":
            yield from self._json_array(display, text, path, doc, depth)
        elif first == "{" and depth < JSON_MAX_NESTING:
            yield from self._json_object(display, text, path, doc, depth)
        elif first:
            doc.put(path, text.value())
            if doc.full:
                yield from self._flush_doc(doc)

    def _json_object(
        self, display: str, text: _JsonText, path: str, doc: _DocRecord, depth: int
    ) -> Iterator[Unit]:
        text.take("{")
        if text.peek() == "}":
            text.take("}")
            return
        while not self.stopped:
            key = text.value()
            if not isinstance(key, str):
                raise ValueError("an object key is not a string")
            text.take(":")
            yield from self._json_value(display, text, _child(path, key), doc, depth + 1)
            if text.peek() == ",":
                text.take(",")
            else:
                text.take("}")
                return

    def _json_array(
        self, display: str, text: _JsonText, path: str, doc: _DocRecord, depth: int
    ) -> Iterator[Unit]:
        text.take("[")
        prefix = "$" if path == "$" else f"{path}[*]"
        batch = _Columns()
        record = 0
        try:
            while not self.stopped:
                if text.peek() == "]":
                    text.take("]")
                    break
                batch.add(text.value(), prefix)
                if batch.rows >= JSON_BATCH_RECORDS or text.consumed >= self.limits.chunk_bytes:
                    text.consumed = 0
                    yield from self._json_batch(display, batch, record)
                    record += batch.rows
                    batch = _Columns()
                if text.peek() == ",":
                    text.take(",")
        except (ValueError, _TooLarge):
            yield from self._json_batch(display, batch, record)  # keep what was read
            raise
        yield from self._json_batch(display, batch, record)

    def _json_batch(self, display: str, batch: _Columns, record: int) -> Iterator[Unit]:
        if not batch.rows:
            return
        allowed = self.take_records(batch.rows, display)
        columns = batch.arrays()
        if allowed < batch.rows:
            columns = {k: v.slice(0, allowed) for k, v in columns.items()}
        if allowed:
            yield ColumnBatch(display, columns, allowed, record, "json")

    def _flush_doc(self, doc: _DocRecord) -> Iterator[Unit]:
        if doc.empty or self.stopped:
            return
        batch = _Columns()
        batch.append(doc.aligned, doc.multi)
        index = doc.index
        doc.reset()
        yield from self._json_batch(doc.display, batch, index)

    # -- Parquet ---------------------------------------------------------------------------

    def _parquet(
        self, display: str, stream: Any, charged: bool, size: int | None
    ) -> Iterator[Unit]:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        spooled = None
        if is_seekable(stream):
            source = stream if charged else Metered(stream, self.budget, display)
        else:
            spooled = spool(self, display, stream, charged=charged, size=size, what="parquet")
            if spooled is None:
                return
            source = spooled
        try:
            with pq.ParquetFile(source) as parquet:
                record = 0
                batches = parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, use_threads=False)
                for batch in batches:
                    if self.stopped:
                        break
                    columns: dict[str, Any] = {}
                    for name, column in zip(batch.schema.names, batch.columns, strict=True):
                        _flatten_arrow(name, column, columns, _dotted)
                    allowed = self.take_records(batch.num_rows, display)
                    if allowed < batch.num_rows:
                        columns = {k: v.slice(0, allowed) for k, v in columns.items()}
                    if allowed:
                        yield ColumnBatch(display, columns, allowed, record, "parquet")
                    record += allowed
        finally:
            if spooled is not None:
                spooled.close()


# -- JSON helpers --------------------------------------------------------------------------


class _TooLarge(Exception):
    """A single JSON value does not fit in the window."""


class _JsonText:
    """A sliding window of decoded JSON text over a byte stream."""

    def __init__(self, stream: Any, chunk: int, max_value: int) -> None:
        self.max_value = max_value
        self.pos = 0
        self.consumed = 0  # characters decoded since the counter was last reset
        self._stream = stream
        self._chunk = chunk
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._json = json.JSONDecoder()
        self._buf = ""
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        data = read_full(self._stream, self._chunk)
        self._eof = len(data) < self._chunk
        self._buf = self._buf[self.pos :] + self._decoder.decode(data, final=self._eof)
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next non-blank character ("" at the end)."""
        while True:
            match = _WS.match(self._buf, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self._buf):
                return self._buf[self.pos]
            if not self._fill():
                return ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} in JSON")
        self.pos += 1

    def value(self) -> Any:
        """Decode the next whole value, reading more text as needed (up to ``max_value``)."""
        self.peek()
        while True:
            try:
                value, end = self._json.raw_decode(self._buf, self.pos)
                if end < len(self._buf) or self._eof:  # a number may go on in the next chunk
                    self.consumed += end - self.pos
                    self.pos = end
                    return value
            except json.JSONDecodeError:
                if self._eof:
                    raise
            if len(self._buf) - self.pos > self.max_value:
                raise _TooLarge
            self._fill()


def _child(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _dotted(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _flatten(
    value: Any,
    path: str,
    aligned: dict[str, str | None],
    multi: dict[str, list[str | None]],
    in_list: bool,
) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, _child(path, str(key)), aligned, multi, in_list)
    elif isinstance(value, list):
        for item in value:
            _flatten(item, f"{path}[*]", aligned, multi, True)
    elif in_list:
        multi.setdefault(path, []).append(_scalar(value))
    else:
        aligned[path] = _scalar(value)


class _Columns:
    """Python JSON records gathered into string columns (one value per record per path;
    paths through arrays gather every element)."""

    def __init__(self) -> None:
        self.rows = 0
        self._aligned: dict[str, list[str | None]] = {}
        self._multi: dict[str, list[str | None]] = {}

    def add(self, value: Any, prefix: str) -> None:
        aligned: dict[str, str | None] = {}
        multi: dict[str, list[str | None]] = {}
        _flatten(value, prefix, aligned, multi, False)
        self.append(aligned, multi)

    def append(self, aligned: dict[str, str | None], multi: dict[str, list[str | None]]) -> None:
        for path, item in aligned.items():
            column = self._aligned.setdefault(path, [])
            if len(column) < self.rows:
                column.extend([None] * (self.rows - len(column)))
            column.append(item)
        for path, items in multi.items():
            self._multi.setdefault(path, []).extend(items)
        self.rows += 1

    def arrays(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for path, column in self._aligned.items():
            column.extend([None] * (self.rows - len(column)))
            out[path] = pa.array(column, type=pa.string())
        for path, column in self._multi.items():
            out.setdefault(path, pa.array(column, type=pa.string()))
        return out


class _DocRecord:
    """The scalar members of a JSON document, gathered as one record."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.index = 0
        self.aligned: dict[str, str | None] = {}
        self.multi: dict[str, list[str | None]] = {}

    @property
    def empty(self) -> bool:
        return not self.aligned and not self.multi

    @property
    def full(self) -> bool:
        return len(self.aligned) + len(self.multi) >= JSON_DOC_MAX_PATHS

    def put(self, path: str, value: Any) -> None:
        _flatten(value, path, self.aligned, self.multi, False)

    def reset(self) -> None:
        self.index += 1
        self.aligned, self.multi = {}, {}


def _arrow_ndjson(block: bytes) -> tuple[dict[str, Any], int]:
    options = pa_json.ReadOptions(use_threads=False, block_size=len(block) + 1)
    table = pa_json.read_json(pa.BufferReader(block), read_options=options)
    columns: dict[str, Any] = {}
    for i, field in enumerate(table.schema):
        _flatten_arrow(_child("$", field.name), table.column(i).combine_chunks(), columns, _child)
    return columns, table.num_rows


def _flatten_arrow(name: str, array: Any, out: dict[str, Any], join: Any) -> None:
    """Nested Arrow columns as leaf columns: struct fields joined by ``join``, list values
    flattened under ``name[*]``; all-null columns dropped."""
    kind = array.type
    if pa.types.is_struct(kind):
        for field, child in zip(kind, array.flatten(), strict=True):
            _flatten_arrow(join(name, field.name), child, out, join)
    elif pa.types.is_map(kind):
        _flatten_arrow(f"{name}[*]", array.keys, out, join)
        _flatten_arrow(f"{name}[*]", array.items, out, join)
    elif (
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    ):
        _flatten_arrow(f"{name}[*]", array.flatten(), out, join)
    elif not pa.types.is_null(kind):
        out.setdefault(name, array)
