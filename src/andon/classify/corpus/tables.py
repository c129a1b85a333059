"""Labels, generated objects and tables, and their rendering as CSV, NDJSON and Parquet.

A :class:`Table` holds generated records as columns plus per-cell labels and decoys keyed by
the table's own column keys; rendering it names the columns as the format does (a
:class:`Field` has a CSV header, a JSON path and a Parquet column) and turns the labels into
:class:`~andon.classify.model.Location` s: CSV and Parquet cells as ``(record, column)``, JSON
as ``(record, path)``; a coordinate pair as one value at ``"lat,lon"`` (both column names) or,
in JSON, at the pair's parent path (``$.pos``).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from andon.classify.model import DataType, Location

D = DataType


@dataclass(frozen=True)
class Label:
    """One generated value of ``dtype`` and where it was written (``shape``: its layout)."""

    dtype: DataType
    location: Location
    shape: str = ""


@dataclass(frozen=True)
class Decoy:
    """A near miss: a value of kind ``kind`` shaped like ``imitates`` that is none."""

    kind: str
    imitates: DataType | None
    location: Location
    shape: str = ""


@dataclass(frozen=True)
class CorpusObject:
    """One generated file: name, format (``csv``, ``ndjson``, ``parquet``, ``log``), bytes,
    and its labels and decoys."""

    name: str
    kind: str
    data: bytes = field(repr=False)
    labels: tuple[Label, ...] = field(default=(), repr=False)
    decoys: tuple[Decoy, ...] = field(default=(), repr=False)

    def counts(self) -> Counter[DataType]:
        return Counter(label.dtype for label in self.labels)


@dataclass(frozen=True)
class Field:
    """A column of a :class:`Table` as each format names it; ``arrow`` is its Parquet type
    (``string``, ``float64``, ``int32``, ``timestamp``)."""

    key: str
    csv: str
    json: str
    parquet: str
    arrow: str = "string"


@dataclass
class Table:
    """Generated records as columns, with per-cell labels ``(row, key, type, shape)`` and
    decoys ``(row, key, kind, imitates, shape)``; ``pair`` names the latitude and longitude
    keys of a coordinate pair (its label sits on the latitude key)."""

    fields: tuple[Field, ...]
    columns: dict[str, list[Any]]
    labels: list[tuple[int, str, DataType, str]] = field(default_factory=list)
    decoys: list[tuple[int, str, str, DataType | None, str]] = field(default_factory=list)
    pair: tuple[str, str] | None = None

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values()), []))


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _pair_place(table: Table, kind: str) -> str:
    assert table.pair is not None
    by_key = {f.key: f for f in table.fields}
    lat, lon = by_key[table.pair[0]], by_key[table.pair[1]]
    if kind == "ndjson":
        parent_lat, _, _ = lat.json.rpartition(".")
        parent_lon, _, _ = lon.json.rpartition(".")
        if parent_lat == parent_lon and len(parent_lat) > 1:
            return parent_lat
        return f"{lat.json},{lon.json}"
    name = lat.csv if kind == "csv" else lat.parquet
    partner = lon.csv if kind == "csv" else lon.parquet
    return f"{name},{partner}"


def _locate(table: Table, obj: str, kind: str) -> Callable[[int, str, DataType | None], Location]:
    by_key = {f.key: f for f in table.fields}
    pair = _pair_place(table, kind) if table.pair else ""

    def where(row: int, key: str, dtype: DataType | None) -> Location:
        if dtype is D.GEO_COORDINATES and table.pair and key == table.pair[0]:
            name = pair
        else:
            f = by_key[key]
            name = f.json if kind == "ndjson" else f.csv if kind == "csv" else f.parquet
        if kind == "ndjson":
            return Location(obj, record=row, path=name)
        return Location(obj, record=row, column=name)

    return where


def _finish(table: Table, name: str, kind: str, data: bytes) -> CorpusObject:
    where = _locate(table, name, kind)
    labels = tuple(Label(t, where(r, k, t), s) for r, k, t, s in table.labels)
    decoys = tuple(Decoy(c, t, where(r, k, None), s) for r, k, c, t, s in table.decoys)
    return CorpusObject(name, kind, data, labels, decoys)


def csv_bytes(table: Table, *, header: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if header:
        writer.writerow([f.csv for f in table.fields])
    cols = [table.columns[f.key] for f in table.fields]
    writer.writerows([_csv_text(v) for v in row] for row in zip(*cols, strict=True))
    return buf.getvalue().encode("utf-8")


def render_csv(table: Table, name: str) -> CorpusObject:
    return _finish(table, name, "csv", csv_bytes(table))


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def ndjson_bytes(table: Table) -> bytes:
    paths = [(f.key, f.json[2:].split(".")) for f in table.fields]
    lines = []
    for row in range(table.rows):
        record: dict[str, Any] = {}
        for key, parts in paths:
            value = table.columns[key][row]
            if value is None:
                continue
            node = record
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = _json_value(value)
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_ndjson(table: Table, name: str) -> CorpusObject:
    return _finish(table, name, "ndjson", ndjson_bytes(table))


def arrow_table(table: Table) -> Any:
    """The table as a ``pyarrow.Table`` with Parquet column names and types."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    types = {
        "string": pa.string(),
        "float64": pa.float64(),
        "int32": pa.int32(),
        "timestamp": pa.timestamp("ms", tz="Asia/Tokyo"),
    }
    arrays = [pa.array(table.columns[f.key], type=types[f.arrow]) for f in table.fields]
    return pa.table(arrays, names=[f.parquet for f in table.fields])


def parquet_bytes(table: Table) -> bytes:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    sink = pa.BufferOutputStream()
    pq.write_table(arrow_table(table), sink, compression="zstd", row_group_size=65_536)
    return bytes(sink.getvalue().to_pybytes())


def render_parquet(table: Table, name: str) -> CorpusObject:
    return _finish(table, name, "parquet", parquet_bytes(table))
