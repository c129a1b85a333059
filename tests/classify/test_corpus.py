"""The labelled corpus: valid identifiers validate (checked with independent code where there is
some: python-stdnum, the demo's VIN check), near misses fail exactly their rule, credentials
can never be real, labels point at cells and lines that hold a value of their shape, and the
same seed gives the same bytes."""

from __future__ import annotations

import csv
import io
import json
import random
import re

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import ean as stdnum_ean
from stdnum import imei as stdnum_imei
from stdnum import luhn as stdnum_luhn
from stdnum.jp import in_ as stdnum_my_number

from andon.classify import validators as v
from andon.classify.corpus import (
    LOG_TYPES,
    STRUCTURED_TYPES,
    CorpusGenerator,
    CorpusObject,
    log_chunks,
    log_corpus,
    render_csv,
    render_ndjson,
    render_parquet,
    shape,
    structured_corpus,
    trip_csv_chunks,
)
from andon.classify.corpus import values as val
from andon.classify.model import DataType, Location
from andon.demo import telemetry as demo

D = DataType
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.fixture(scope="module")
def small() -> list[CorpusObject]:
    return structured_corpus(3, trips=120, customers=80, parts=40)


@pytest.fixture(scope="module")
def log() -> CorpusObject:
    return CorpusGenerator(3).log("app.log", 3_000, pii_share=0.2, decoy_share=0.2)


# -- values -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(seeds)
def test_identifiers_validate_with_independent_checks(seed: int) -> None:
    rng = random.Random(seed)
    vin = val.vin(rng)
    assert demo.vin_is_valid(vin) and v.is_valid_vin(vin)
    assert v.is_jp_chassis_number(val.chassis_number(rng))
    assert stdnum_imei.is_valid(val.imei(rng))
    iccid = val.iccid(rng)
    assert iccid.startswith("89") and len(iccid) in (19, 20) and stdnum_luhn.is_valid(iccid)
    card = val.payment_card(rng).replace(" ", "").replace("-", "")
    assert stdnum_luhn.is_valid(card) and v.card_brand(card) is not None
    assert stdnum_my_number.is_valid(val.my_number(rng))
    assert v.is_jp_drivers_license(val.drivers_license(rng))
    assert v.normalize_phone(val.phone(rng)) is not None
    assert v.is_jp_postal_code(val.postal_code(rng))
    assert v.is_public_ip(val.public_ipv4(rng)) and v.is_public_ip(val.public_ipv6(rng))
    lat, lon = val.japan_position(rng)
    assert 24 < lat < 46 and 122 < lon < 146


@settings(max_examples=60, deadline=None)
@given(seeds)
def test_near_misses_fail_exactly_their_rule(seed: int) -> None:
    rng = random.Random(seed)
    bad = val.vin_bad_check(rng)
    assert v.is_vin_structure(bad) and not demo.vin_is_valid(bad)
    assert not stdnum_my_number.is_valid(val.my_number_bad(rng))
    number = val.luhn_number(rng)
    assert stdnum_luhn.is_valid(number) and len(number) == 16
    jan = val.jan_code(rng)
    assert stdnum_ean.is_valid(jan) and jan[:2] in ("45", "49")
    version = val.ipv4_like_version(rng)
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", version)
    lat, lon = val.foreign_position(rng)
    assert not (24 < lat < 46 and 122 < lon < 146)


@settings(max_examples=100, deadline=None)
@given(seeds)
def test_credentials_can_never_be_real(seed: int) -> None:
    rng = random.Random(seed)
    key = val.aws_access_key_id(rng)
    # Real key ids are AKIA + base32 (A-Z, 2-7): two of 0 1 8 9 rule out every real one.
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key)
    assert sum(c in "0189" for c in key[4:]) >= 2
    assert v.is_aws_access_key_id(key)
    example = val.aws_example_key_id(rng)
    assert example.endswith("EXAMPLE") and len(example) == 20
    secret = val.aws_secret_key(rng)
    assert secret.startswith("andonFAKE") and v.is_aws_secret_key(secret)
    block = val.pem_private_key(rng)
    assert v.is_private_key_header(block[0]) and block[1].startswith("ANDONFAKE")
    assert block[-1].startswith("-----END")
    token = val.github_token(rng)
    assert v.is_api_token(token) and token.startswith("ghp_andonFAKE")
    assert token[-6] == token[-1] == "z"  # a CRC32 in base62 never starts (or ends) with z


def test_shape_masks_content_and_keeps_layout() -> None:
    assert shape("JT9AB-12 山田 タロウ x@y.jp") == "AA9AA-99 漢漢 カカカ a@a.aa"
    assert len(shape("〒100-0005")) == len("〒100-0005")


# -- determinism ------------------------------------------------------------------------------


def test_same_seed_same_bytes_and_labels() -> None:
    one = structured_corpus(11, trips=50, customers=20, parts=10)
    two = structured_corpus(11, trips=50, customers=20, parts=10)
    assert [(o.name, o.data, o.labels, o.decoys) for o in one] == [
        (o.name, o.data, o.labels, o.decoys) for o in two
    ]
    other = structured_corpus(12, trips=50, customers=20, parts=10)
    assert [o.data for o in one] != [o.data for o in other]
    assert log_corpus(5, lines=500)[0].data == log_corpus(5, lines=500)[0].data


def test_reprs_hold_no_content(small: list[CorpusObject]) -> None:
    for obj in small:
        text = repr(obj)
        assert obj.name in text and "data=" not in text and "labels=" not in text


# -- labels point at their values ---------------------------------------------------------------


def _csv_cells(obj: CorpusObject) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(obj.data.decode("utf-8"))))
    return rows[0], rows[1:]


def _cell(obj: CorpusObject, loc: Location) -> str:
    """The text at a label's location (a coordinate pair: both values, comma-joined)."""
    assert loc.record is not None
    if obj.kind == "csv":
        header, rows = _csv_cells(obj)
        row = rows[loc.record]
        assert loc.column is not None
        return ", ".join(row[header.index(name)] for name in loc.column.split(","))
    if obj.kind == "ndjson":
        record = json.loads(obj.data.decode("utf-8").splitlines()[loc.record])
        assert loc.path is not None
        node = record
        for part in loc.path[2:].split("."):
            node = node[part]
        if isinstance(node, dict):  # a coordinate pair's parent
            return f"{node['lat']}, {node['lon']}"
        return str(node)
    table = pq.read_table(io.BytesIO(obj.data)).to_pylist()
    assert loc.column is not None
    return ", ".join(str(table[loc.record][name]) for name in loc.column.split(","))


def test_structured_labels_sit_on_cells_of_their_shape(small: list[CorpusObject]) -> None:
    checked = 0
    for obj in small:
        for label in obj.labels[::7]:
            cell = _cell(obj, label.location)
            if (label.location.column or label.location.path) in ("備考", "note", "$.note"):
                assert label.shape in shape(cell)  # a value inside free text
            elif label.dtype is D.GEO_COORDINATES:
                assert re.fullmatch(r"-?\d+\.\d+, -?\d+\.\d+", cell)
            else:
                assert shape(cell) == label.shape, (obj.name, label.dtype)
            checked += 1
        for decoy in obj.decoys[::11]:
            assert decoy.shape in shape(_cell(obj, decoy.location))
    assert checked > 200


def test_geo_pairs_are_located_as_the_column_path_reports_them(
    small: list[CorpusObject],
) -> None:
    where = {
        o.name: {
            (lab.location.column, lab.location.path)
            for lab in o.labels
            if lab.dtype is D.GEO_COORDINATES
        }
        for o in small
    }
    assert where["trips.csv"] == {("lat,lon", None)}
    assert where["trips.ndjson"] == {(None, "$.pos")}
    assert where["trips.parquet"] == {("lat,lon", None)}
    assert where["telemetry_export.csv"] == {("gps_lat,gps_lon", None)}


def test_every_structured_type_and_format_is_present(small: list[CorpusObject]) -> None:
    expected = {D.VIN, D.JP_CHASSIS_NUMBER, D.GEO_COORDINATES, D.IMEI, D.ICCID, D.PHONE_NUMBER,
                D.EMAIL, D.PAYMENT_CARD, D.JP_MY_NUMBER, D.JP_DRIVERS_LICENSE, D.JP_POSTAL_CODE,
                D.ADDRESS, D.PERSON_NAME}  # fmt: skip
    assert expected == STRUCTURED_TYPES
    for kind in ("csv", "ndjson", "parquet"):
        found = {lab.dtype for o in small if o.kind == kind for lab in o.labels}
        assert found == expected, kind
    parts = [o for o in small if o.name.startswith("parts.")]
    assert parts and all(not o.labels and o.decoys for o in parts)


def test_log_labels_sit_on_lines_of_their_shape(log: CorpusObject) -> None:
    lines = log.data.decode("utf-8").split("\n")
    assert {lab.dtype for lab in log.labels} == LOG_TYPES
    for label in log.labels:
        assert label.location.line is not None
        assert label.shape in shape(lines[label.location.line - 1]), label.dtype
    for decoy in log.decoys:
        assert decoy.location.line is not None
        assert decoy.shape in shape(lines[decoy.location.line - 1]), decoy.kind
    assert {d.kind for d in log.decoys} >= {"message_id", "luhn_number", "vin_bad_check"}


def test_logs_are_sparse_by_default() -> None:
    obj = log_corpus(2, lines=5_000)[0]
    lines = obj.data.count(b"\n")
    with_pii = {lab.location.line for lab in obj.labels}
    assert lines >= 5_000 and len(with_pii) < lines * 0.04


# -- rendering and streaming --------------------------------------------------------------------


def test_formats_hold_the_same_records() -> None:
    table = CorpusGenerator(4).customers(30)
    as_csv, as_json = render_csv(table, "c.csv"), render_ndjson(table, "c.ndjson")
    as_parquet = render_parquet(table, "c.parquet")
    assert len(_csv_cells(as_csv)[1]) == 30
    assert len(as_json.data.decode().splitlines()) == 30
    assert pq.read_table(io.BytesIO(as_parquet.data)).num_rows == 30
    assert len(as_csv.labels) == len(as_json.labels) == len(as_parquet.labels)
    record = json.loads(as_json.data.decode().splitlines()[0])
    assert set(record["customer"]) >= {"name", "phone", "email", "address"}


def test_chunked_generation_is_bounded_and_unlabelled() -> None:
    gen = CorpusGenerator(1)
    chunks = list(trip_csv_chunks(gen, 300_000, step=500))
    data = b"".join(chunks)
    assert len(data) >= 300_000 and data.count(b"trip_id,vin") == 1
    assert all(len(c) < 150_000 for c in chunks)
    log_data = b"".join(log_chunks(gen, 200_000, step=500))
    assert len(log_data) >= 200_000 and log_data.endswith(b"\n")
