"""Streaming readers: one object's bytes in, :data:`Unit` s (text blocks, column batches) out.

:func:`read_object` never loads a whole object. It detects the format (magic bytes, then the
extension, then the content), peels compression layers and archives
(:mod:`andon.classify.archives`), and reads what is inside:

* plain text and logs → :class:`TextBlock` s of about ``chunk_bytes`` ending at a line break;
* CSV/TSV → :class:`ColumnBatch` (``kind="csv"``), every column as strings, header-aware, one
  block at a time through pyarrow's CSV parser (the ``csv`` module takes over a block pyarrow
  rejects, e.g. rows with a different number of fields); a first row whose cells look like
  values (numbers, mostly digits, an ``@``, a VIN, an IP address, an address …) is data, and
  the columns are named ``column_1`` …;
* NDJSON → ``ColumnBatch(kind="json")`` per block (pyarrow, or ``json`` line by line when the
  block is irregular or has keys to fold), columns named by key path (``$.driver.phone``,
  ``$.trips[*].lat``; keys that are values fold to ``$.{key}.lat``: :mod:`.jsonpaths`);
* a JSON document → streamed: arrays of objects or arrays become records batch by batch, the
  document's other members one record; a single value larger than ``4 * chunk_bytes`` ends
  the read with a limit note;
* Parquet → ``ColumnBatch(kind="parquet")`` per row batch (nested columns as ``a.b``,
  ``a[*]``); a non-seekable Parquet stream is spooled first, within the byte budget.

Columns of JSON paths without ``[*]`` or ``{key}`` (and every CSV/Parquet column) hold one
value per record; a path through an array (``$.trips[*].lat``) or a folded key (``$.{key}.lat``)
holds every such value in order, so its length may differ from ``rows`` — sibling paths under
the same array or folded key stay aligned with each other.

Text in Shift_JIS (cp932), EUC-JP or UTF-16 is transcoded to UTF-8 (undecodable bytes become
U+FFFD); a UTF-8 BOM is dropped. Binary content is reported as not inspected with the reason.
Nothing raises out of a read for bad content: limits, skips and errors go on the
:class:`ReadReport`, and what was read before a failure is kept.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any, BinaryIO

import pyarrow as pa  # type: ignore[import-untyped]

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
from andon.classify.jsonpaths import (
    Columns,
    DocRecord,
    JsonText,
    KeyPaths,
    TooLarge,
    arrow_ndjson,
    dotted,
    flatten_arrow,
)
from andon.classify.model import ClassifyLimits, ColumnBatch, TextBlock, Unit

__all__ = ["ReadReport", "read_object"]

PARQUET_BATCH_ROWS = 65_536
JSON_BATCH_RECORDS = 10_000
JSON_MAX_NESTING = 16  # objects nested deeper than this are decoded whole


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
        self.paths = KeyPaths()  # JSON key paths, value-like keys folded
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
                got = arrow_ndjson(block)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                got = None
            if got is None:  # irregular lines, or keys to fold: line by line
                table = Columns(self.paths)
                for line in block.split(b"\n"):
                    if line.strip():
                        try:
                            table.add(json.loads(line), "$")
                        except ValueError:
                            invalid += 1
                got = table.arrays(), table.rows
            columns, rows = got
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
        text = JsonText(stream, self.limits.chunk_bytes, 4 * self.limits.chunk_bytes)
        doc = DocRecord(display, self.paths)
        try:
            yield from self._json_value(display, text, "$", doc, 0, False)
        except TooLarge:
            self.report.limit(
                f"a JSON value in {display} is larger than {text.max_value} bytes; "
                "the rest was not read"
            )
        except ValueError as exc:
            if not self.budget.exhausted:
                self.report.error(f"JSON in {display} is malformed: {describe(exc)}")
        for prefix in list(doc.arrays):
            yield from self._json_batch(display, *doc.arrays.pop(prefix))
        yield from self._flush_doc(doc)

    def _json_value(
        self, display: str, text: JsonText, path: str, doc: DocRecord, depth: int, multi: bool
    ) -> Iterator[Unit]:
        """The value at ``path``; ``multi``: under a folded key, where the document record
        gathers every value and is only flushed between values of the outermost such key."""
        first = text.peek()
        if first == "[":
            yield from self._json_array(display, text, path, doc, multi)
        elif first == "{" and depth < JSON_MAX_NESTING:
            yield from self._json_object(display, text, path, doc, depth, multi)
        elif first:
            doc.put(path, text.value(), multi)
            if doc.full and not multi:
                yield from self._flush_doc(doc)

    def _json_object(
        self, display: str, text: JsonText, path: str, doc: DocRecord, depth: int, multi: bool
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
            sub, folded = self.paths.child(path, key)
            yield from self._json_value(display, text, sub, doc, depth + 1, multi or folded)
            if folded and not multi and doc.full:
                yield from self._flush_doc(doc)
            if text.peek() == ",":
                text.take(",")
            else:
                text.take("}")
                return

    def _json_array(
        self, display: str, text: JsonText, path: str, doc: DocRecord, multi: bool
    ) -> Iterator[Unit]:
        """The elements of an array as records. Under a folded key (``multi``) the arrays
        of all such keys are gathered into shared batches, not one small batch each."""
        text.take("[")
        prefix = "$" if path == "$" else f"{path}[*]"
        pending = doc.arrays.pop(prefix, None)
        batch, record = pending if pending is not None else (Columns(self.paths), 0)
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
                    batch = Columns(self.paths)
                if text.peek() == ",":
                    text.take(",")
        except (ValueError, TooLarge):
            yield from self._json_batch(display, batch, record)  # keep what was read
            raise
        if multi and not self.stopped:
            doc.arrays[prefix] = (batch, record)  # the next folded key's array goes on
        else:
            yield from self._json_batch(display, batch, record)

    def _json_batch(self, display: str, batch: Columns, record: int) -> Iterator[Unit]:
        if not batch.rows:
            return
        allowed = self.take_records(batch.rows, display)
        columns = batch.arrays()
        if allowed < batch.rows:
            columns = {k: v.slice(0, allowed) for k, v in columns.items()}
        if allowed:
            yield ColumnBatch(display, columns, allowed, record, "json")

    def _flush_doc(self, doc: DocRecord) -> Iterator[Unit]:
        if doc.empty or self.stopped:
            return
        batch = Columns(self.paths)
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
                        flatten_arrow(name, column, columns, dotted)
                    allowed = self.take_records(batch.num_rows, display)
                    if allowed < batch.num_rows:
                        columns = {k: v.slice(0, allowed) for k, v in columns.items()}
                    if allowed:
                        yield ColumnBatch(display, columns, allowed, record, "parquet")
                    record += allowed
        finally:
            if spooled is not None:
                spooled.close()
