"""Readers: format detection, text blocks, CSV/TSV, JSON/NDJSON, Parquet, encodings, limits.

Archives and compression layers are in ``test_archives.py``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import psutil
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from andon.classify import jsonpaths
from andon.classify.formats import (
    describe,
    detect,
    looks_like_header,
    sniff_delimiter,
    unique_names,
    value_like_key,
    value_shape,
)
from andon.classify.model import ClassifyLimits, ColumnBatch, TextBlock, Unit
from andon.classify.readers import ReadReport, read_object

LIMITS = ClassifyLimits()


def read(
    name: str, data: bytes, limits: ClassifyLimits = LIMITS, *, stream: Any = None
) -> tuple[list[Unit], ReadReport]:
    report = ReadReport()
    units = list(read_object(name, stream or io.BytesIO(data), limits, report=report))
    return units, report


def batches(units: list[Unit]) -> list[ColumnBatch]:
    assert all(isinstance(u, ColumnBatch) for u in units)
    return [u for u in units if isinstance(u, ColumnBatch)]


def column(units: list[Unit], name: str) -> list[Any]:
    """Every value of one column across the batches, in record order."""
    out: list[Any] = []
    for batch in batches(units):
        if name in batch.columns:
            out.extend(batch.columns[name].to_pylist())
    return out


def notes(report: ReadReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False)


class Unseekable(io.RawIOBase):
    """A forward-only stream (like a network body)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# -- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "hint", "expected"),
    [
        (b"\x1f\x8b\x08\x00", "x", "gzip"),
        (b"BZh91AY&SY", "x", "bzip2"),
        (b"\x28\xb5\x2f\xfd\x00", "x", "zstd"),
        (b"\xfd7zXZ\x00\x00", "x", "xz"),
        (b"PK\x03\x04rest", "x.csv", "zip"),
        (b"PAR1\x15\x04", "x", "parquet"),
        (b"x" * 257 + b"ustar\x0000", "x", "tar"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "a.csv", "binary"),
        (b"\x7fELF\x02\x01", "x", "binary"),
        (b"a,b\n1,2\n", "x.csv", "csv"),
        (b"a\tb\n1\t2\n", "x.tsv", "tsv"),
        (b'{"a": 1}\n{"a": 2}\n', "x.json", "ndjson"),
        (b'{"a": 1}\n{"a": 2}\n', "x.log", "ndjson"),
        (b'{\n  "a": [1, 2]\n}\n', "x.json", "json"),
        (b'[\n {"a": 1}\n]', "export", "json"),
        (b"[2024-01-01 12:00:00] INFO started\n", "app", "text"),
        (b"2024-01-01 12:00:00,123 INFO x\n2024-01-01 12:00:01,456 INFO y\n", "app.log", "text"),
        (b"id,name,mail\n1,a,b\n2,c,d\n", "export", "csv"),
        (b"id\tname\tmail\n1\ta\tb\n2\tc\td\n", "dump", "tsv"),
        (b"just some words\nand more\n", "notes", "text"),
        (b"", "x.csv", "empty"),
    ],
)
def test_detect_by_magic_then_extension_then_content(head: bytes, hint: str, expected: str) -> None:
    assert detect(head, hint).format == expected


def test_detect_encodings() -> None:
    assert detect("氏名,電話\n".encode("cp932"), "a.csv").encoding == "cp932"
    assert detect("氏名,電話\n".encode("euc_jp"), "a.csv").encoding in ("euc_jp", "cp932")
    assert detect(b"\xef\xbb\xbfa,b\n", "a.csv").bom == 3
    utf16 = detect("a,b\n".encode("utf-16"), "a.csv")
    assert utf16.encoding.startswith("utf-16") and utf16.format == "csv"


def test_header_heuristic() -> None:
    assert looks_like_header(["氏名", "電話番号", "住所"])
    assert looks_like_header(["vin", "lat", "lon", ""])
    assert looks_like_header(["sensor_01", "ip_v4", "住所1", "ver:2"])
    assert not looks_like_header(["JTDKN3DU0A1234567", "35.681236", "139.767125"])
    assert not looks_like_header(["taro@example.com", "Taro"])
    assert not looks_like_header(["a", "a"])
    for value in ("JTDKBRFU9H3012345", "東京都港区芝公園", "1.2.3.4", "2001:db8::1",
                  "AKIAABCDEFGHIJKLMNOP"):  # fmt: skip
        assert value_shape(value)
        assert not looks_like_header(["id", value, "note"]), value
    assert value_like_key("090-1234-5678") and value_like_key("C1234567")
    assert not value_like_key("sensor_01") and not value_like_key("vehicle")
    assert unique_names(["a", "", "a", "a"]) == ["a", "column_2", "a#2", "a#3"]
    assert sniff_delimiter("a;b;c\n1;2;3\n", minimum=2) == ";"
    assert sniff_delimiter("one, two\nthree\n", minimum=2) is None


def test_error_descriptions_never_quote_content() -> None:
    with pytest.raises(pa.ArrowInvalid) as arrow:
        pa_csv.read_csv(pa.BufferReader(b"a,b\nJTDKN3DU0A1234567,1,2\n"))
    assert "JTDKN3DU0A1234567" in str(arrow.value)  # pyarrow quotes the row ...
    assert describe(arrow.value) == "ArrowInvalid"  # ... the description does not
    with pytest.raises(UnicodeDecodeError) as decode:
        b"\xff\xfe".decode("utf-8")
    assert describe(decode.value) == "UnicodeDecodeError"
    assert describe(EOFError("Compressed file ended")) == "EOFError: Compressed file ended"


# -- text ------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.text(alphabet="ab😀\r ", max_size=40), max_size=30),
    chunk=st.integers(min_value=8, max_value=64),
)
def test_text_blocks_keep_every_byte_and_count_lines(lines: list[str], chunk: int) -> None:
    data = "\n".join(lines).encode()
    units, report = read("app.log", data, ClassifyLimits(chunk_bytes=chunk))
    blocks = [u for u in units if isinstance(u, TextBlock)]
    assert b"".join(b.data for b in blocks) == data
    assert report.lines == data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    seen = 0
    for block in blocks:
        assert block.first_line == 1 + data[:seen].count(b"\n")
        assert block.object == "app.log"
        seen += len(block.data)
    for block in blocks[:-1]:  # a block ends at a line break unless a line outgrew the chunk
        assert block.data.endswith(b"\n") or len(block.data) >= chunk


def test_text_blocks_are_chunk_sized_and_end_at_line_breaks() -> None:
    data = b"".join(b"line %05d with some padding\n" % i for i in range(2000))
    units, report = read("big.log", data, ClassifyLimits(chunk_bytes=4096))
    assert len(units) > 10
    assert all(isinstance(u, TextBlock) and u.data.endswith(b"\n") for u in units)
    assert all(len(u.data) <= 4096 for u in units if isinstance(u, TextBlock))
    assert report.lines == 2000 and report.format == "text"
    assert report.bytes_read == len(data)


def test_a_huge_line_is_cut_at_the_chunk_and_nothing_is_lost() -> None:
    data = b"start\n" + b"x" * 50_000 + b"\nend\n"
    units, _ = read("one.log", data, ClassifyLimits(chunk_bytes=1024))
    blocks = [u for u in units if isinstance(u, TextBlock)]
    assert b"".join(b.data for b in blocks) == data
    assert max(len(b.data) for b in blocks) <= 2048
    assert blocks[-1].first_line == 2  # the huge line is line 2 until its end


def test_utf8_bom_is_dropped() -> None:
    units, _ = read("a.txt", b"\xef\xbb\xbfhello\n")
    assert isinstance(units[0], TextBlock) and units[0].data == b"hello\n"


def test_shift_jis_text_is_transcoded_and_bad_bytes_replaced() -> None:
    good = "運転者 山田太郎 電話 090-1234-5678\n".encode("cp932")
    data = good * 50 + b"\x82\xff broken\n" + good
    units, report = read("driver.log", data)
    text = b"".join(u.data for u in units if isinstance(u, TextBlock)).decode("utf-8")
    assert "山田太郎" in text and "\ufffd" in text and "broken" in text
    assert report.errors == [] and report.inspected


def test_utf16_text_is_transcoded() -> None:
    units, _ = read("notes.txt", "連絡先: 東京都\n".encode("utf-16"))
    assert b"".join(u.data for u in units if isinstance(u, TextBlock)).decode() == (
        "連絡先: 東京都\n"
    )


# -- binary ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "ELF executable"),
        (bytes(range(256)) * 40, "binary data"),
        (b"SQLite format 3\x00" + b"\x01" * 100, "SQLite database"),
    ],
)
def test_binary_is_not_inspected_with_a_reason(data: bytes, reason: str) -> None:
    units, report = read("blob.csv", data)
    assert units == []
    assert not report.inspected and reason in report.not_inspected
    assert report.format == "binary" and report.errors == []


def test_empty_object_is_inspected_and_yields_nothing() -> None:
    units, report = read("empty.csv", b"")
    assert units == [] and report.format == "empty" and report.inspected


# -- CSV / TSV -------------------------------------------------------------------------------


def test_csv_with_japanese_headers_reads_columns_as_strings() -> None:
    data = (
        "氏名,電話番号,郵便番号\n山田太郎,090-1234-5678,100-0001\n佐藤花子,03-1234-5678,0600000\n"
    )
    units, report = read("customers.csv", data.encode())
    (batch,) = batches(units)
    assert list(batch.columns) == ["氏名", "電話番号", "郵便番号"]
    assert batch.kind == "csv" and batch.rows == 2 and batch.first_record == 0
    assert batch.columns["郵便番号"].type == pa.string()
    assert batch.columns["郵便番号"].to_pylist() == ["100-0001", "0600000"]  # leading 0 kept
    assert report.records == 2 and report.format == "csv"


def test_csv_in_shift_jis_with_bom_less_header() -> None:
    data = "氏名,住所\n山田,東京都千代田区\n".encode("cp932")
    units, _ = read("sjis.csv", data)
    assert column(units, "住所") == ["東京都千代田区"]


def test_csv_with_utf8_bom_has_a_clean_first_header() -> None:
    units, _ = read("bom.csv", b"\xef\xbb\xbfvin,lat\nJTD,35.6\n")
    assert list(batches(units)[0].columns) == ["vin", "lat"]


def test_tsv_has_no_quoting() -> None:
    data = b'model\tnote\nPrius\t5" screen\nAqua\t"quoted"\n'
    units, report = read("cars.tsv", data)
    assert column(units, "note") == ['5" screen', '"quoted"']
    assert report.format == "tsv" and report.errors == []


def test_csv_without_header_gets_positional_names() -> None:
    data = b"JTDKN3DU0A1234567,35.681236,139.767125\nJTDKN3DU0A7654321,34.1,135.2\n"
    units, _ = read("trace.csv", data)
    (batch,) = batches(units)
    assert list(batch.columns) == ["column_1", "column_2", "column_3"]
    assert batch.rows == 2


def test_csv_quoted_newlines_survive_block_cuts() -> None:
    row = b'1,"line one\nline two",x\n'
    data = b"id,comment,flag\n" + row * 500
    units, report = read("c.csv", data, ClassifyLimits(chunk_bytes=256))
    assert len(batches(units)) > 5
    comments = column(units, "comment")
    assert len(comments) == 500 and set(comments) == {"line one\nline two"}
    assert report.errors == []


def test_csv_record_numbers_run_across_blocks() -> None:
    data = b"n,v\n" + b"".join(b"%d,x\n" % i for i in range(3000))
    units, report = read("n.csv", data, ClassifyLimits(chunk_bytes=1024))
    expected_first = 0
    for batch in batches(units):
        assert batch.first_record == expected_first
        assert batch.columns["n"].to_pylist()[0] == str(expected_first)
        expected_first += batch.rows
    assert expected_first == report.records == 3000


def test_irregular_csv_rows_are_read_leniently_without_leaking_values() -> None:
    secret = "AKIAIOSFODNN7EXAMPLE"
    data = f"name,mail\nTaro,taro@example.com\nJiro,jiro@example.com,{secret}\nHana\n".encode()
    units, report = read("odd.csv", data)
    assert column(units, "name") == ["Taro", "Jiro", "Hana"]
    assert column(units, "mail")[1] == f"jiro@example.com,{secret}"  # extra field kept
    assert column(units, "mail")[2] is None
    assert report.errors and secret not in notes(report)
    assert "taro@example.com" not in notes(report)


def test_invalid_utf8_in_a_csv_is_replaced() -> None:
    data = b"name,city\nTaro,T\xffkyo\n"
    units, report = read("bad.csv", data)
    assert column(units, "city") == ["T\ufffdkyo"]
    assert report.errors == []


def test_max_records_stops_a_csv_and_is_recorded() -> None:
    data = b"n\n" + b"".join(b"%d\n" % i for i in range(1000))
    units, report = read("n.csv", data, ClassifyLimits(max_records=250, chunk_bytes=512))
    assert len(column(units, "n")) == 250 == report.records
    assert any("max_records 250" in note for note in report.limits_hit)


def test_max_bytes_per_object_cuts_the_read_and_is_recorded() -> None:
    data = b"".join(b"log line %06d\n" % i for i in range(10_000))
    limits = ClassifyLimits(max_bytes_per_object=10_000, chunk_bytes=4096)
    units, report = read("app.log", data, limits)
    assert sum(len(u.data) for u in units if isinstance(u, TextBlock)) == 10_000
    assert report.bytes_read == 10_000
    assert report.limits_hit == [
        "max_bytes_per_object 10000 reached in app.log; the rest was not read"
    ]


def test_an_object_of_exactly_the_byte_budget_is_not_a_limit_hit() -> None:
    data = b"x" * 99 + b"\n"
    _, report = read("a.log", data, ClassifyLimits(max_bytes_per_object=100))
    assert report.bytes_read == 100 and report.limits_hit == []


# -- NDJSON and JSON -------------------------------------------------------------------------


def test_ndjson_columns_are_key_paths() -> None:
    records = [
        {"vin": "JTD1", "driver": {"name": "山田", "phone": "090"}, "trips": [{"lat": 35.6}]},
        {"vin": "JTD2", "driver": {"name": "佐藤"}, "trips": [{"lat": 34.1}, {"lat": 34.2}]},
    ]
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode() + b"\n"
    units, report = read("t.ndjson", data)
    assert column(units, "$.vin") == ["JTD1", "JTD2"]
    assert column(units, "$.driver.name") == ["山田", "佐藤"]
    assert column(units, "$.driver.phone") == ["090", None]
    assert column(units, "$.trips[*].lat") == [35.6, 34.1, 34.2]
    assert all(b.kind == "json" for b in batches(units))
    assert report.records == 2


def test_ndjson_with_mixed_types_and_garbage_lines_falls_back_per_block() -> None:
    data = b'{"a": 1, "b key": [1, "x"]}\n{"a": "text"}\nnot json at all\n[1, 2]\n'
    units, report = read("mixed.jsonl", data)
    assert column(units, "$.a") == ["1", "text", None]
    assert column(units, '$["b key"][*]') == ["1", "x"]
    assert column(units, "$[*]") == ["1", "2"]
    assert report.records == 3
    assert report.errors == ["1 line(s) of mixed.jsonl are not JSON; skipped"]


def test_json_array_of_records_streams_in_batches() -> None:
    records = [{"id": i, "loc": {"lat": 35.0 + i / 1000, "lon": 139.0}} for i in range(400)]
    units, report = read(
        "a.json", json.dumps(records, indent=1).encode(), ClassifyLimits(chunk_bytes=1024)
    )
    assert len(batches(units)) > 3
    assert column(units, "$.id") == [str(i) for i in range(400)]
    firsts = [b.first_record for b in batches(units)]
    assert firsts == sorted(firsts) and firsts[0] == 0
    assert report.records == 400 and report.format == "json"


def test_json_document_streams_nested_arrays_and_keeps_scalars_as_a_record() -> None:
    doc = {
        "type": "FeatureCollection",
        "owner": {"name": "山田太郎", "tel": "+81-90-1234-5678"},
        "features": [
            {"properties": {"vin": "JTD1"}, "geometry": {"coordinates": [139.7, 35.6]}},
            {"properties": {"vin": "JTD2"}, "geometry": {"coordinates": [135.5, 34.7]}},
        ],
        "tags": ["a", "b"],
    }
    units, report = read("fc.geojson", json.dumps(doc, ensure_ascii=False).encode())
    assert column(units, "$.features[*].properties.vin") == ["JTD1", "JTD2"]
    assert column(units, "$.features[*].geometry.coordinates[*]") == [
        "139.7",
        "35.6",
        "135.5",
        "34.7",
    ]
    assert column(units, "$.owner.name") == ["山田太郎"]
    assert column(units, "$.type") == ["FeatureCollection"]
    assert column(units, "$.tags[*]") == ["a", "b"]
    assert report.errors == []


def test_malformed_json_keeps_what_was_read_and_records_an_error() -> None:
    good = ",".join(json.dumps({"mail": f"u{i}@example.com"}) for i in range(50))
    data = ("[" + good + ', {"mail": "x@example.com", oops}]').encode()
    units, report = read("broken.json", data)
    assert column(units, "$.mail") == [f"u{i}@example.com" for i in range(50)]
    assert len(report.errors) == 1 and "malformed" in report.errors[0]
    assert "x@example.com" not in notes(report)


def test_a_json_value_larger_than_the_window_is_a_recorded_limit() -> None:
    data = json.dumps({"blob": "x" * 20_000, "after": 1}).encode()
    units, report = read("big.json", data, ClassifyLimits(chunk_bytes=1024))
    assert units == []
    assert any("larger than 4096 bytes" in note for note in report.limits_hit)


# -- keys and header cells that are values ------------------------------------------------------

VINS = ["JTDKB20U993000001", "WVWZZZ1JZXW000001", "JTDKBRFU9H3012345"]


def all_names(units: list[Unit]) -> set[str]:
    return {name for b in batches(units) for name in b.columns}


def test_json_object_keyed_by_values_folds_the_keys() -> None:
    by_vin = {vin: {"lat": 35.5 + i, "lon": 139.5 + i} for i, vin in enumerate(VINS)}
    by_phone = {"090-1234-5678": {"email": "a@example.com"}, "+81 3 1234 5678": {"email": None}}
    doc = {"fleet": "F1", "by_vin": by_vin, "by_phone": by_phone, "a@example.com": 1}
    units, report = read("keyed.json", json.dumps(doc).encode())
    assert all_names(units) == {
        "$.fleet", "$.by_vin.{key}.lat", "$.by_vin.{key}.lon", "$.by_phone.{key}.email", "$.{key}"
    }  # fmt: skip
    assert column(units, "$.by_vin.{key}.lat") == ["35.5", "36.5", "37.5"]
    assert column(units, "$.by_vin.{key}.lon") == ["139.5", "140.5", "141.5"]
    assert column(units, "$.by_phone.{key}.email") == ["a@example.com", None]
    assert column(units, "$.fleet") == ["F1"]
    assert report.errors == []


def test_records_keyed_by_values_fold_in_arrays_and_ndjson() -> None:
    records = [{"id": i, "seen": {VINS[i]: {"speed": i}}} for i in range(3)]
    units, _ = read("a.json", json.dumps(records).encode())
    assert all_names(units) == {"$.id", "$.seen.{key}.speed"}
    assert column(units, "$.seen.{key}.speed") == ["0", "1", "2"]
    lines = [json.dumps(r) for r in records] + [json.dumps({"id": 9, "sensor_01": 1})]
    units, report = read("a.ndjson", "\n".join(lines).encode() + b"\n")
    assert all_names(units) == {"$.id", "$.seen.{key}.speed", "$.sensor_01"}
    assert column(units, "$.id") == ["0", "1", "2", "9"] and report.records == 4
    plain, _ = read("b.ndjson", b'{"id": 1, "pos": {"lat": 35.6}}\n{"id": 2}\n')
    assert column(plain, "$.pos.lat") == [35.6, None]  # no value keys: pyarrow's typed columns


def test_a_big_document_keyed_by_values_is_cut_between_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jsonpaths, "JSON_DOC_MAX_VALUES", 50)
    doc = {f"JTD{i:014d}": {"lat": 35 + i / 1000, "lon": 139.0, "trip": [1, 2]} for i in range(200)}
    units, _ = read("big.json", json.dumps(doc).encode())
    scalars = [b for b in batches(units) if "$.{key}.lat" in b.columns]
    assert len(scalars) > 3
    for b in scalars:  # siblings under the folded key stay aligned in every batch
        assert len(b.columns["$.{key}.lat"]) == len(b.columns["$.{key}.lon"])
    assert len(column(units, "$.{key}.lat")) == 200
    arrays = [b for b in batches(units) if "$.{key}.trip[*]" in b.columns]
    assert len(arrays) == 1  # the arrays of all keys in shared batches, not one each
    assert arrays[0].rows == 400 and len(column(units, "$.{key}.trip[*]")) == 400


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.one_of(st.from_regex(r"\A[0-9+() -]*[0-9]{5}[0-9 -]*\Z"), st.emails()),
        st.dictionaries(st.sampled_from(["lat", "email", "note"]), st.integers() | st.text()),
        min_size=1,
        max_size=8,
    )
)
def test_no_key_that_is_a_value_reaches_a_column_name(doc: dict[str, Any]) -> None:
    for name, data in (
        ("d.json", json.dumps(doc).encode()),
        ("d.ndjson", json.dumps(doc).encode() + b"\n" + json.dumps(doc).encode() + b"\n"),
    ):
        units, _ = read(name, data)
        names = " ".join(all_names(units))
        assert not any(key.strip() and key in names for key in doc), names


def test_a_csv_whose_first_row_is_data_gets_positional_names() -> None:
    rows = [
        "JTDKBRFU9H3012345,東京都千代田区丸の内,taro",  # a VIN with eight digits, an address
        "JTDKB20U993000001,大阪府大阪市北区梅田,hanako",
    ]
    units, report = read("nohead.csv", ("\n".join(rows) + "\n").encode())
    (batch,) = batches(units)
    assert list(batch.columns) == ["column_1", "column_2", "column_3"]
    assert batch.rows == 2 == report.records
    assert column(units, "column_1")[0] == "JTDKBRFU9H3012345"


# -- Parquet ---------------------------------------------------------------------------------


def parquet_bytes(rows: int = 1000) -> bytes:
    table = pa.table(
        {
            "vin": [f"JTD{i:014d}" for i in range(rows)],
            "pos": pa.array(
                [{"lat": 35.0 + i / 1e4, "lon": 139.0} for i in range(rows)],
                type=pa.struct([("lat", pa.float64()), ("lon", pa.float64())]),
            ),
            "tags": [["a", "b"] for _ in range(rows)],
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=300)
    return sink.getvalue()


def test_parquet_is_read_column_aware_with_nested_columns() -> None:
    units, report = read("t.parquet", parquet_bytes())
    assert {b.kind for b in batches(units)} == {"parquet"}
    assert list(batches(units)[0].columns) == ["vin", "pos.lat", "pos.lon", "tags[*]"]
    assert len(column(units, "vin")) == 1000 == report.records
    assert column(units, "pos.lat")[:2] == [35.0, 35.0001]
    assert report.format == "parquet"


def test_parquet_from_a_forward_only_stream_is_spooled() -> None:
    data = parquet_bytes(100)
    units, report = read("t.parquet", data, stream=Unseekable(data))
    assert len(column(units, "vin")) == 100
    assert report.bytes_read == len(data)


def test_parquet_too_large_to_spool_is_a_recorded_limit() -> None:
    data = parquet_bytes(1000)
    limits = ClassifyLimits(max_bytes_per_object=len(data) // 2)
    report = ReadReport()
    units = list(read_object("t.parquet", Unseekable(data), limits, size=len(data), report=report))
    assert units == []
    assert any("must be read whole" in note for note in report.limits_hit)
    assert "larger than the byte budget" in report.not_inspected


def test_corrupt_parquet_is_an_error_not_an_exception() -> None:
    data = parquet_bytes(100)
    broken = data[:4] + b"\x00" * 200 + data[204:]
    _, report = read("t.parquet", broken)
    assert report.errors and "t.parquet" in report.errors[0]


# -- memory ----------------------------------------------------------------------------------


class GeneratedCsv(io.RawIOBase):
    """``total`` bytes of connected-car CSV produced on the fly (never held in memory)."""

    ROW = b"JTDKN3DU0A1234567,35.681236,139.767125,090-1234-5678,taro@example.com\n"
    HEADER = b"vin,lat,lon,phone,email\n"

    def __init__(self, rows: int) -> None:
        self._block = self.ROW * 8192
        self._left = rows * len(self.ROW)
        self._pos = 0
        self._header = self.HEADER

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._header:
            n = len(self._header)
            buffer[:n], self._header = self._header, b""
            return n
        n = min(len(buffer), len(self._block) - self._pos, self._left)
        buffer[:n] = self._block[self._pos : self._pos + n]
        self._pos = (self._pos + n) % len(self._block)
        self._left -= n
        return n


def test_memory_stays_flat_on_a_200_mb_stream() -> None:
    rows = 200 * 1024 * 1024 // len(GeneratedCsv.ROW)
    stream = io.BufferedReader(GeneratedCsv(rows))
    limits = ClassifyLimits(max_bytes_per_object=1 << 30)
    report = ReadReport()
    process = psutil.Process()
    baseline = peak = 0
    seen = 0
    units: Iterator[Unit] = read_object("big.csv", stream, limits, report=report)
    for i, unit in enumerate(units):
        assert isinstance(unit, ColumnBatch)
        seen += unit.rows
        rss = process.memory_info().rss
        if i == 2:
            baseline = rss
        peak = max(peak, rss)
    assert seen == rows == report.records
    assert report.bytes_read > 200_000_000 and report.errors == []
    assert peak - baseline < 64 * 1024 * 1024
