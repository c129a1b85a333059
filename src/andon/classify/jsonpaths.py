"""JSON as columns: key paths, value-like keys folded, records gathered into string columns.

A JSON value is flattened into leaf paths: ``$.driver.phone`` for object members,
``$.trips[*].lat`` for array elements (every element's value, in order), ``$["b key"]`` for
keys that are not identifiers. A key that is a value rather than a field name - a VIN, a phone
number, an e-mail address, anything with five digits or more
(:func:`~andon.classify.formats.value_like_key`) - is *folded*: ``{"JTD…": {"lat": …}}``
gives ``$.{key}.lat``, never ``$.JTD….lat``. So no value reaches a column name or a location,
and an object keyed by ten thousand VINs makes one column, not ten thousand. Like a path through
an array, a path through a folded key holds every value under such keys, in order
(:func:`is_multi`): sibling paths stay aligned with each other, not with records.

:class:`JsonText` is the sliding window over a byte stream that the document reader decodes
values from, :class:`Columns` gathers records into string columns, :class:`DocRecord` the
scalar members of a document. None of these keep a value beyond the batch being built, and
none puts one into an exception or a repr.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.json as pa_json  # type: ignore[import-untyped]

from andon.classify.archives import read_full
from andon.classify.formats import value_like_key

FOLDED_KEY = "{key}"
JSON_DOC_MAX_PATHS = 1_000  # a document record is emitted once it has this many paths
JSON_DOC_MAX_VALUES = 65_536  # ... or this many values under folded keys
MAX_CACHED_PATHS = 4_096  # child paths of ordinary keys remembered per read
_WS = re.compile(r"[ \t\r\n]*")

Leaves = dict[str, str | None]
MultiLeaves = dict[str, list[str | None]]


def is_multi(path: str) -> bool:
    """Whether a column path holds values of array elements or folded keys (not one value
    per record): ``$.trips[*].lat``, ``$.{key}.email``."""
    return "[*]" in path or FOLDED_KEY in path


def child(path: str, key: str) -> str:
    """The path of member ``key`` of the object at ``path`` (no folding)."""
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def dotted(path: str, key: str) -> str:
    """Parquet's nested column names: ``pos.lat``."""
    return f"{path}.{key}" if path else key


def scalar(value: Any) -> str | None:
    """A JSON scalar as column text (numbers and booleans as JSON writes them)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


class KeyPaths:
    """Child paths for one read, value-like keys folded (see the module doc). Paths of
    ordinary keys are cached (at most ``MAX_CACHED_PATHS``); folded keys never are."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], str] = {}

    def __repr__(self) -> str:
        return f"KeyPaths({len(self._cache)} cached)"

    def child(self, path: str, key: str) -> tuple[str, bool]:
        """``(child path, folded)``."""
        got = self._cache.get((path, key))
        if got is not None:
            return got, False
        if value_like_key(key):
            return f"{path}.{FOLDED_KEY}", True
        got = child(path, key)
        if len(self._cache) < MAX_CACHED_PATHS:
            self._cache[(path, key)] = got
        return got, False

    def flatten(
        self, value: Any, path: str, aligned: Leaves, multi: MultiLeaves, in_list: bool
    ) -> int:
        """Leaves of ``value`` at ``path`` into ``aligned`` (one per record) or ``multi``
        (under arrays and folded keys); returns how many leaves were added."""
        if isinstance(value, dict):
            n = 0
            for key, item in value.items():
                sub, folded = self.child(path, str(key))
                n += self.flatten(item, sub, aligned, multi, in_list or folded)
            return n
        if isinstance(value, list):
            return sum(self.flatten(item, f"{path}[*]", aligned, multi, True) for item in value)
        if in_list:
            multi.setdefault(path, []).append(scalar(value))
        else:
            aligned[path] = scalar(value)
        return 1


class Columns:
    """Python JSON records gathered into string columns (one value per record per path;
    paths through arrays and folded keys gather every value)."""

    def __init__(self, paths: KeyPaths) -> None:
        self.rows = 0
        self._paths = paths
        self._aligned: dict[str, list[str | None]] = {}
        self._multi: MultiLeaves = {}

    def add(self, value: Any, prefix: str) -> None:
        aligned: Leaves = {}
        multi: MultiLeaves = {}
        self._paths.flatten(value, prefix, aligned, multi, False)
        self.append(aligned, multi)

    def append(self, aligned: Leaves, multi: MultiLeaves) -> None:
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


class DocRecord:
    """The scalar members of a JSON document, gathered as one record."""

    def __init__(self, display: str, paths: KeyPaths) -> None:
        self.display = display
        self.index = 0
        self.aligned: Leaves = {}
        self.multi: MultiLeaves = {}
        # Records of arrays under folded keys, gathered per path prefix across keys, with
        # the number of records of that prefix already emitted.
        self.arrays: dict[str, tuple[Columns, int]] = {}
        self._paths = paths
        self._values = 0

    def __repr__(self) -> str:
        return f"DocRecord({self.index}, {len(self.aligned) + len(self.multi)} paths)"

    @property
    def empty(self) -> bool:
        return not self.aligned and not self.multi

    @property
    def full(self) -> bool:
        paths = len(self.aligned) + len(self.multi)
        return paths >= JSON_DOC_MAX_PATHS or self._values >= JSON_DOC_MAX_VALUES

    def put(self, path: str, value: Any, multi: bool = False) -> None:
        self._values += self._paths.flatten(value, path, self.aligned, self.multi, multi)

    def reset(self) -> None:
        self.index += 1
        self.aligned, self.multi = {}, {}
        self._values = 0


class TooLarge(Exception):
    """A single JSON value does not fit in the window."""


class JsonText:
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

    def __repr__(self) -> str:
        return f"JsonText(pos={self.pos}, buffered={len(self._buf)})"

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
                raise TooLarge
            self._fill()


def _has_value_keys(kind: Any) -> bool:
    """Whether a (nested) Arrow type has a struct field named by a value."""
    if pa.types.is_struct(kind):
        return any(value_like_key(f.name) or _has_value_keys(f.type) for f in kind)
    if pa.types.is_map(kind):
        return _has_value_keys(kind.key_type) or _has_value_keys(kind.item_type)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _has_value_keys(kind.value_type)
    return False


def arrow_ndjson(block: bytes) -> tuple[dict[str, Any], int] | None:
    """A block of NDJSON lines as leaf columns through pyarrow; ``None`` when a key is a
    value (the caller folds it on the Python path). pyarrow errors propagate."""
    options = pa_json.ReadOptions(use_threads=False, block_size=len(block) + 1)
    table = pa_json.read_json(pa.BufferReader(block), read_options=options)
    if any(value_like_key(f.name) or _has_value_keys(f.type) for f in table.schema):
        return None
    columns: dict[str, Any] = {}
    for i, field in enumerate(table.schema):
        flatten_arrow(child("$", field.name), table.column(i).combine_chunks(), columns, child)
    return columns, table.num_rows


def flatten_arrow(
    name: str, array: Any, out: dict[str, Any], join: Callable[[str, str], str]
) -> None:
    """Nested Arrow columns as leaf columns: struct fields joined by ``join``, list values
    flattened under ``name[*]``; all-null columns dropped."""
    kind = array.type
    if pa.types.is_struct(kind):
        for field, sub in zip(kind, array.flatten(), strict=True):
            flatten_arrow(join(name, field.name), sub, out, join)
    elif pa.types.is_map(kind):
        flatten_arrow(f"{name}[*]", array.keys, out, join)
        flatten_arrow(f"{name}[*]", array.items, out, join)
    elif (
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    ):
        flatten_arrow(f"{name}[*]", array.flatten(), out, join)
    elif not pa.types.is_null(kind):
        out.setdefault(name, array)
