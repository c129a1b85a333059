"""The column path: one decision per column and object, exact column-wise counts, evidence
without raw values, and agreement with the detectors the text path uses."""

from __future__ import annotations

import io
import json
import os
import random
import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.jp import in_ as my_number

from andon.classify import validators as v
from andon.classify.columnar import ColumnClassifier, canonical, geo_role, tokens
from andon.classify.detectors import DetectorSet
from andon.classify.model import ClassifyLimits, ColumnBatch, DataType
from andon.classify.results import ClassifyReport, ObjectResult
from andon.classify.text import TextScanner

D = DataType
KEY = bytes(range(32))
DETECTORS = DetectorSet()

# -- generators of valid and almost-valid values ---------------------------------------------

_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def vin(rng: random.Random, wmi: str = "JTD", check: bool = True) -> str:
    body = wmi + "".join(rng.choice(_VIN_CHARS) for _ in range(5)) + "0"
    body += rng.choice("ABCDEFGHJKLMNPRSTVWXY123456789") + rng.choice(_VIN_CHARS)
    body += f"{rng.randrange(10**6):06d}"
    digit = v.vin_check_digit(body)
    assert digit is not None
    if not check:
        digit = next(d for d in "0123456789X" if d != digit)
    return body[:8] + digit + body[9:]


def luhn(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + v.luhn_check_digit(body)


def imei(rng: random.Random) -> str:
    return luhn("35", 15, rng)


def bad_imei(rng: random.Random) -> str:
    s = imei(rng)
    return s[:-1] + str((int(s[-1]) + 1) % 10)  # Luhn broken


def iccid(rng: random.Random) -> str:
    return luhn("8981", 19, rng)


def card(rng: random.Random) -> str:
    return luhn("4", 16, rng)


def my_no(rng: random.Random) -> str:
    body = f"{rng.randrange(1, 10**11):011d}"
    return body + my_number.calc_check_digit(body)


def chassis(rng: random.Random) -> str:
    return f"{rng.choice(['ZVW30', 'NHP10', 'GK3', 'MH55S'])}-{rng.randrange(10**6, 10**7)}"


def phone(rng: random.Random) -> str:
    return f"090-{rng.randrange(10**4):04d}-{rng.randrange(10**4):04d}"


def batch(
    columns: dict[str, Any], obj: str = "o.csv", first: int = 0, kind: str = "csv"
) -> ColumnBatch:
    arrays = {n: c if isinstance(c, pa.Array) else pa.array(c) for n, c in columns.items()}
    rows = max(len(a) for a in arrays.values())
    return ColumnBatch(obj, arrays, rows, first, kind)


def scan(
    columns: dict[str, Any], *, kind: str = "csv", clf: ColumnClassifier | None = None
) -> tuple[ColumnClassifier, ObjectResult]:
    clf = clf or ColumnClassifier(detectors=DETECTORS)
    result = ObjectResult.new("o.csv", KEY)
    clf.scan(batch(columns, kind=kind), result)
    return clf, result


BOOSTS = (0.0, 0.2, 0.3, 0.4, 0.5)  # context boosts of the detectors


def reported(scored: tuple[str, float] | None, named: bool, boost: float) -> bool:
    """What the text path reports: a valid value whose confidence with context reaches the
    threshold (in a named column, every valid value)."""
    if scored is None:
        return False
    return named or min(scored[1] + boost, 1.0) >= DETECTORS.threshold


# -- decisions --------------------------------------------------------------------------------

R = random.Random(7)
N = 60
Gen = Callable[[random.Random], str]


def col(gen: Gen, n: int = N) -> list[str]:
    rng = random.Random(11)
    return [gen(rng) for _ in range(n)]


DECISIONS: list[tuple[str, list[Any], str, DataType | None]] = [
    ("vin", col(vin), "type", D.VIN),
    ("VIN", col(lambda r: vin(r, check=False)), "type", D.VIN),  # named: check digit optional
    ("vehicleIdentificationNumber", col(vin), "type", D.VIN),
    ("車台番号", col(chassis), "type", D.JP_CHASSIS_NUMBER),
    ("chassis_no", col(chassis), "type", D.JP_CHASSIS_NUMBER),
    ("frame", col(vin), "type", D.VIN),  # unnamed for VIN: decided by check digits
    ("imei", col(imei), "type", D.IMEI),
    ("端末ID", col(imei), "type", D.IMEI),
    ("dcm", col(imei), "type", D.IMEI),  # a context keyword in the name: bare IMEIs count
    ("tcuSerial", col(imei), "type", D.IMEI),
    ("col9", col(imei), "skip", None),  # bare IMEIs alone need context (0.45)
    ("dcm", col(bad_imei), "skip", None),  # context does not make invalid IMEIs valid
    ("deviceImei", [int(x) for x in col(imei)], "type", D.IMEI),  # an int64 column
    ("iccid", col(iccid), "type", D.ICCID),
    ("sim_id", col(iccid), "type", D.ICCID),
    ("phone", col(phone), "type", D.PHONE_NUMBER),
    (
        "電話番号",
        col(lambda r: f"03-{r.randrange(10**4):04d}-{r.randrange(10**4):04d}"),
        "type",
        D.PHONE_NUMBER,
    ),
    (
        "phone",
        col(lambda r: f"2024-05-{r.randrange(1, 29):02d} 10:{r.randrange(60):02d}:00"),
        "skip",
        None,
    ),  # a misleading name: timestamps are not phone numbers
    ("phone", [str(1714000000 + i) for i in range(N)], "skip", None),  # epoch seconds
    ("contact", col(lambda r: f"user{r.randrange(10**6)}@example.co.jp"), "type", D.EMAIL),
    ("serial", col(card), "skip", None),  # Luhn-valid, but the name says serial number
    ("device_serial", col(card), "skip", None),
    ("col7", col(card), "skip", None),  # bare card numbers need a keyword (as Macie's)
    ("paid_with", col(card), "type", D.PAYMENT_CARD),  # ... which the name may hold
    ("payment_serial", col(card), "skip", None),  # a card keyword, but a serial number
    ("card_number", col(card), "type", D.PAYMENT_CARD),
    ("my_number", col(my_no), "type", D.JP_MY_NUMBER),
    ("customer_no", col(my_no), "skip", None),  # a valid My Number alone is 1 in 11
    (
        "license_number",
        [f"30{n:08d}" + v.jp_license_check_digit(f"30{n:08d}") + "0" for n in range(N)],
        "type",
        D.JP_DRIVERS_LICENSE,
    ),
    ("postal_code", [f"{100 + i}-0005" for i in range(N)], "type", D.JP_POSTAL_CODE),
    ("郵便番号", [f"{100 + i}0005" for i in range(N)], "type", D.JP_POSTAL_CODE),
    ("code", [f"{100 + i}-0005" for i in range(N)], "skip", None),  # bare NNN-NNNN needs context
    ("住所", [f"東京都千代田区丸の内{i}-1" for i in range(N)], "type", D.ADDRESS),
    ("address", [f"{i} Main Street, Springfield" for i in range(N)], "type", D.ADDRESS),
    ("note", [f"大阪府大阪市北区梅田{i}-2" for i in range(N)], "type", D.ADDRESS),  # by value
    ("ip_address", [f"203.0.{i}.7" for i in range(N)], "type", D.IP_ADDRESS),
    ("client_ip", [f"10.0.0.{i}" for i in range(N)], "skip", None),  # private: not reported
    ("version", [f"1.{i}.0.{i}" for i in range(N)], "skip", None),
    ("氏名", ["山田 太郎", "佐藤花子", "鈴木 一郎"] * 20, "type", D.PERSON_NAME),
    ("フリガナ", ["ヤマダ タロウ", "サトウ ハナコ"] * 30, "type", D.PERSON_NAME),
    ("driver_name", ["John Smith", "Anna Müller", "O'Brien"] * 20, "type", D.PERSON_NAME),
    ("lastName", ["Smith", "Tanaka", "Müller"] * 20, "type", D.PERSON_NAME),
    ("name", ["John Smith", "Mary Jones", "山田太郎"] * 20, "type", D.PERSON_NAME),
    ("name", ["Prius", "Corolla", "Yaris"] * 20, "skip", None),  # one word: not a person
    ("file_name", ["John Smith", "Mary Jones"] * 30, "skip", None),
    ("driver", ["John Smith", "Mary Jones"] * 30, "skip", None),  # no name keyword
    (
        "access_key_id",
        ["AKIAIOSFODNN7ABCDEFG", "ASIAJQWERTYUXYZ12345"] * 30,  # fake; *EXAMPLE* is ignored
        "type",
        D.AWS_ACCESS_KEY,
    ),
    (
        "aws_secret_access_key",
        ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzKEYqAB"] * N,  # fake; *EXAMPLE* is ignored
        "type",
        D.AWS_SECRET_KEY,
    ),
    ("blob", ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"] * N, "skip", None),
    (
        "pem",
        ["-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----"] * N,
        "type",
        D.PRIVATE_KEY,
    ),
    (
        "location",
        [f"35.{i:06d},139.{i:06d}" for i in range(1, N + 1)],
        "geo_inline",
        D.GEO_COORDINATES,
    ),
    (
        "position",
        [f"POINT(139.7{i:04d} 35.6{i:04d})" for i in range(N)],
        "geo_inline",
        D.GEO_COORDINATES,
    ),
    ("comment", [f"please call me at 090-1234-{i:04d} tomorrow" for i in range(N)], "text", None),
    ("memo", [f"the car was parked near the station, number {i}" for i in range(N)], "text", None),
    ("trip_id", [f"T{i:05d}" for i in range(N)], "skip", None),
    ("speed", pa.array(np.arange(N, dtype=np.int64)), "skip", None),
    ("ts", pa.array(np.arange(N, dtype=np.float64)), "skip", None),
]


@pytest.mark.parametrize(
    ("name", "values", "mode", "dtype"),
    DECISIONS,
    ids=[f"{d[0]}-{i}" for i, d in enumerate(DECISIONS)],
)
def test_column_decisions(name: str, values: list[Any], mode: str, dtype: DataType | None) -> None:
    clf, result = scan({name: values})
    decision = clf.decisions("o.csv")[name]
    assert (decision.mode, decision.dtype) == (mode, dtype), decision.reason
    if mode == "type":
        assert dtype is not None
        assert result.tallies[dtype].count == len(values)


@pytest.mark.parametrize(
    ("lat", "lon", "kind"),
    [
        ("lat", "lon", "csv"),
        ("latitude", "longitude", "csv"),
        ("緯度", "経度", "csv"),
        ("gpsLat", "gpsLng", "csv"),
        ("$.pos.lat", "$.pos.lon", "json"),
        ("$.trips[*].lat", "$.trips[*].lng", "json"),
    ],
)
def test_latitude_and_longitude_columns_pair_by_name(lat: str, lon: str, kind: str) -> None:
    rng = random.Random(3)
    lats = [f"{35 + rng.random():.6f}" for _ in range(100)]
    lons = [f"{139 + rng.random():.6f}" for _ in range(100)]
    lats[0], lons[0] = None, "139.5"  # type: ignore[call-overload]  # no pair
    lats[1], lons[1] = "0.0", "0.0"  # null island
    lats[2], lons[2] = "95.123", "139.1"  # out of range
    clf, result = scan({lat: lats, lon: lons, "speed": [str(i) for i in range(100)]}, kind=kind)
    decisions = clf.decisions("o.csv")
    assert decisions[lat].mode == "geo" and decisions[lat].partner == lon
    assert decisions[lon].mode == "partner"
    tally = result.tallies[D.GEO_COORDINATES]
    assert tally.count == 97
    first = tally.locations[0]
    if kind == "json":
        parent = lat.rsplit(".", 1)[0]
        assert first.path == parent and first.column is None
        assert first.record == (None if "[*]" in lat else 3)
    else:
        assert (first.record, first.column) == (3, f"{lat},{lon}")
    assert all(s.count("****") == 2 for s in tally.samples)
    assert result.to_dict()["gps_trace"] is True


def test_two_pairs_of_coordinates_pair_by_stem() -> None:
    cols = {
        "start_lat": ["35.1", "35.2"] * 10,
        "end_lon": ["139.3", "139.4"] * 10,
        "end_lat": ["34.1", "34.2"] * 10,
        "start_lon": ["135.3", "135.4"] * 10,
    }
    clf, result = scan(cols)
    d = clf.decisions("o.csv")
    assert d["start_lat"].partner == "start_lon" and d["end_lat"].partner == "end_lon"
    assert result.tallies[D.GEO_COORDINATES].count == 40


def test_a_latency_column_named_lat_is_not_a_coordinate() -> None:
    clf, result = scan({"lat": [str(x) for x in range(10, 70)], "lon": ["139.5"] * 60})
    assert clf.decisions("o.csv")["lat"].mode != "geo"
    assert D.GEO_COORDINATES not in result.tallies


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("lat", "lat"),
        ("$.pos.lng", "lon"),
        ("現在地緯度", "lat"),
        ("longitude", "lon"),
        ("latency", None),
        ("plate", None),
        ("along", None),
    ],
)
def test_geo_roles(name: str, role: str | None) -> None:
    found = geo_role(name)
    assert (found[0] if found else None) == role


def test_tokens_split_snake_camel_and_json_paths() -> None:
    assert tokens("driverName") == ["driver", "name"]
    assert tokens("$.vehicle.gps.lat") == ["gps", "lat"]
    assert tokens("$.trips[*].driver_phone") == ["trips", "driver", "phone"]


# -- counting ---------------------------------------------------------------------------------


def test_counts_are_exact_and_invalid_values_are_not_counted() -> None:
    rng = random.Random(5)
    fleet = [vin(rng) for _ in range(40)]
    values: list[str | None] = [fleet[i % 40] for i in range(700)]
    values += ["JTDKB20U99300000" + "1X"[i % 2] + "2" for i in range(100)]  # 18 chars
    values += ["NOT-A-VIN"] * 100 + [None] * 100
    rng.shuffle(values)
    imeis: list[str | None] = [imei(rng) for _ in range(950)]
    for i in range(0, 950, 19):
        s = imeis[i]
        assert s is not None
        imeis[i] = s[:-1] + str((int(s[-1]) + 1) % 10)  # Luhn broken: 50 invalid
    imeis += [None] * 50
    _, result = scan({"vin": values, "imei": imeis})
    assert result.tallies[D.VIN].count == 700
    assert result.subjects.estimate(D.VIN) == 40
    assert result.tallies[D.IMEI].count == 900
    assert abs(result.subjects.estimate(D.IMEI) - 900) <= 900 * 0.04  # HLL above ~385
    assert result.records == 1000


def test_spellings_of_one_identifier_count_as_one_subject() -> None:
    values = ["JTDKB20U993000001", " jtdkb20u993000001", "JTDKB20U993000001 "] * 10
    _, result = scan({"vin": values})
    assert result.tallies[D.VIN].count == 30
    assert result.subjects.estimate(D.VIN) == 1
    phones = ["090-1234-5678", "09012345678", "+81 90 1234 5678", "+81-90-1234-5678"]
    _, result = scan({"phone": phones})
    assert result.tallies[D.PHONE_NUMBER].count == 4
    assert result.subjects.estimate(D.PHONE_NUMBER) == 1


def test_full_width_digits_are_normalized() -> None:
    _, result = scan({"電話": ["０９０－１２３４－５６７８", "090-1234-5678"] * 5})
    assert result.tallies[D.PHONE_NUMBER].count == 10
    assert result.subjects.estimate(D.PHONE_NUMBER) == 1


def test_locations_are_records_of_the_batch_and_at_most_fifteen() -> None:
    clf = ColumnClassifier(detectors=DETECTORS)
    result = ObjectResult.new("o.csv", KEY)
    rng = random.Random(1)
    rows = [None, "x", *[imei(rng) for _ in range(28)]]
    clf.scan(batch({"imei": rows}, first=1000), result)
    clf.scan(batch({"imei": rows}, first=1030), result)
    locations = result.tallies[D.IMEI].locations
    assert [loc.record for loc in locations] == list(range(1002, 1017))
    assert {loc.column for loc in locations} == {"imei"}
    assert result.tallies[D.IMEI].count == 56
    assert result.records == 1060


def test_json_columns_locate_by_path() -> None:
    _, result = scan({"$.driver.phone": ["090-1111-2222"] * 3}, kind="json")
    loc = result.tallies[D.PHONE_NUMBER].locations[0]
    assert (loc.path, loc.record, loc.column) == ("$.driver.phone", 0, None)
    _, result = scan({"$.trips[*].vin": [vin(R) for _ in range(7)]}, kind="json")
    assert [(x.path, x.record) for x in result.tallies[D.VIN].locations] == [
        ("$.trips[*].vin", None)
    ]


def test_samples_are_redacted_and_raw_values_never_reach_the_json() -> None:
    rng = random.Random(9)
    cols: dict[str, list[str]] = {
        "vin": [vin(rng) for _ in range(50)],
        "chassis_no": [chassis(rng) for _ in range(50)],
        "imei": [imei(rng) for _ in range(50)],
        "iccid": [iccid(rng) for _ in range(50)],
        "phone": [phone(rng) for _ in range(50)],
        "email": [f"taro{i}@example.jp" for i in range(50)],
        "card": [card(rng) for _ in range(50)],
        "my_number": [my_no(rng) for _ in range(50)],
        "氏名": ["山田 太郎", "佐藤 花子"] * 25,
        "lat": [f"{35 + rng.random():.6f}" for _ in range(50)],
        "lon": [f"{139 + rng.random():.6f}" for _ in range(50)],
    }
    _, result = scan(cols)
    out = result.to_dict()
    text = json.dumps(out, ensure_ascii=False)
    for name, values in cols.items():
        for value in values:
            assert value not in text, name
    for dtype in (D.VIN, D.IMEI, D.PHONE_NUMBER, D.GEO_COORDINATES, D.PERSON_NAME):
        samples = out["data_types"][dtype.value]["samples"]
        assert 1 <= len(samples) <= 5 and all("*" in s for s in samples)
    assert out["data_types"]["vin"]["samples"][0].startswith("JTD*")
    assert out["subjects"]["vehicle"] == 50 and out["subjects"]["device"] == 50


# -- caching, merging, several objects ----------------------------------------------------------


def test_each_column_is_decided_once_per_object(monkeypatch: pytest.MonkeyPatch) -> None:
    clf = ColumnClassifier(detectors=DETECTORS)
    calls: list[str] = []
    real = clf.decide

    def spy(name: str, arr: Any) -> Any:
        calls.append(name)
        return real(name, arr)

    monkeypatch.setattr(clf, "decide", spy)
    rng = random.Random(2)
    result = ObjectResult.new("a.csv", KEY)
    for i in range(5):
        clf.scan(batch({"vin": [vin(rng) for _ in range(20)]}, "a.csv", i * 20), result)
    assert calls == ["vin"]
    assert result.tallies[D.VIN].count == 100
    clf.scan(batch({"vin": [vin(rng) for _ in range(20)]}, "b.csv"), ObjectResult.new("b", KEY))
    assert calls == ["vin", "vin"]
    clf.forget("a.csv")
    assert clf.decisions("a.csv") == {}


def test_cached_objects_are_bounded() -> None:
    clf = ColumnClassifier(detectors=DETECTORS, max_objects=3)
    for i in range(5):
        clf.scan(batch({"vin": [vin(R)] * 12}, f"o{i}"), ObjectResult.new(f"o{i}", KEY))
    assert [clf.decisions(f"o{i}") != {} for i in range(5)] == [False, False, True, True, True]


def test_too_few_values_wait_for_the_next_batch_and_meanwhile_go_to_text() -> None:
    clf = ColumnClassifier(detectors=DETECTORS)  # no text scanner
    result = ObjectResult.new("o.csv", KEY)
    clf.scan(batch({"misc": ["x1", None]}), result)
    assert "misc" not in clf.decisions("o.csv")
    assert result.limits_hit == ["text_columns: free-text columns not scanned (no text scanner)"]
    clf.scan(batch({"misc": [f"x{i}" for i in range(30)]}, first=2), result)
    assert clf.decisions("o.csv")["misc"].mode == "skip"


def test_a_sparse_column_goes_to_the_text_path_for_good() -> None:
    clf = ColumnClassifier(detectors=DETECTORS, text_scanner=TextScanner(DETECTORS))
    result = ObjectResult.new("o.json", KEY)
    for k in range(4):
        values = [None] * 50
        values[10] = f"mail me: a{k}@example.com"
        clf.scan(batch({"$.extra": values}, "o.json", first=k * 50, kind="json"), result)
    assert clf.decisions("o.json")["$.extra"].mode == "text"
    tally = result.tallies[D.EMAIL]
    assert tally.count == 4
    assert [loc.record for loc in tally.locations] == [10, 60, 110, 160]
    assert {loc.path for loc in tally.locations} == {"$.extra"}


def test_batches_and_objects_merge_into_exact_totals() -> None:
    rng = random.Random(4)
    fleet = [vin(rng) for _ in range(60)]
    clf = ColumnClassifier(detectors=DETECTORS)
    report = ClassifyReport()
    for obj, part in (("a.csv", fleet[:40]), ("b.csv", fleet[20:])):  # 20 shared vehicles
        halves = []
        for k in range(2):
            r = ObjectResult.new(obj, KEY)
            clf.scan(batch({"vin": part * 5}, obj, first=k * 200), r)
            halves.append(r)
        halves[0].merge(halves[1])
        assert halves[0].tallies[D.VIN].count == 400
        assert halves[0].subjects.estimate(D.VIN) == 40
        report.add(halves[0])
    out = report.to_dict()
    assert out["data_types"]["vin"]["count"] == 800
    assert out["subjects"] == {"vehicle": 60}


def test_a_new_result_for_the_same_object_counts_its_subjects_again() -> None:
    clf = ColumnClassifier(detectors=DETECTORS)
    values = [vin(R) for _ in range(12)]
    first = ObjectResult.new("o.csv", KEY)
    clf.scan(batch({"vin": values}), first)
    clf.scan(batch({"vin": values}, first=12), first)
    assert first.subjects.estimate(D.VIN) == 12 and first.tallies[D.VIN].count == 24
    again = ObjectResult.new("o.csv", KEY)
    clf.scan(batch({"vin": values}), again)
    assert again.subjects.estimate(D.VIN) == 12


def test_parquet_dictionary_columns_and_structs() -> None:
    values = [vin(R) for _ in range(15)] * 4
    dictionary = pa.array(values).dictionary_encode()
    struct = pa.StructArray.from_arrays(
        [pa.array(["090-1234-5678"] * 60), pa.array(["x"] * 60)], names=["phone", "note"]
    )
    clf, result = scan({"vin": dictionary, "driver": struct}, kind="parquet")
    assert result.tallies[D.VIN].count == 60
    assert result.subjects.estimate(D.VIN) == 15
    assert clf.decisions("o.csv")["driver.phone"].dtype is D.PHONE_NUMBER
    assert result.tallies[D.PHONE_NUMBER].count == 60


def test_a_pickled_classifier_leaves_its_cache_behind() -> None:
    import pickle

    clf, _ = scan({"vin": [vin(R) for _ in range(12)]})
    clone = pickle.loads(pickle.dumps(ColumnClassifier(detectors=DETECTORS)))
    assert clone.decisions("o.csv") == {}
    assert b"JTD" not in pickle.dumps(clf)


# -- the text path inside columns ---------------------------------------------------------------


def test_free_text_columns_go_through_the_text_scanner_with_record_locations() -> None:
    clf = ColumnClassifier(detectors=DETECTORS, text_scanner=TextScanner(DETECTORS))
    result = ObjectResult.new("o.csv", KEY)
    notes = [f"customer asked for a call back\nat 090-1234-{i:04d} after 6pm" for i in range(40)]
    notes[5] = None  # type: ignore[call-overload]
    notes[7] = "write to hanako.sato@example.com or call +81 90 2222 3333 please"
    clf.scan(batch({"notes": notes}, first=500), result)
    assert clf.decisions("o.csv")["notes"].mode == "text"
    phones = result.tallies[D.PHONE_NUMBER]
    assert phones.count == 39  # 38 numbers in the template rows + one in row 7
    assert phones.locations[0].record == 500 and phones.locations[0].column == "notes"
    assert 507 in [loc.record for loc in phones.locations]
    email = result.tallies[D.EMAIL]
    assert email.count == 1 and email.locations[0].record == 507
    assert "hanako" not in json.dumps(result.to_dict())


# -- agreement with the detectors (the text path's rules) ---------------------------------------

_digits = st.text("0123456789", min_size=12, max_size=20)


@settings(max_examples=int(os.environ.get("ANDON_HYPOTHESIS_EXAMPLES", "60")), deadline=None)
@given(
    st.lists(
        st.one_of(
            _digits,
            _digits.map(lambda s: s[:-1] + v.luhn_check_digit(s[:-1])),
            st.sampled_from(["35", "89", "4", "5", "37", "62"]).flatmap(
                lambda p: st.integers(13, 20).map(lambda n: luhn(p, n, random.Random(n)))
            ),
            st.text("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=17, max_size=17),
            st.builds(lambda s: vin(random.Random(s)), st.integers(0, 10**6)),
            st.builds(lambda s: vin(random.Random(s), check=False), st.integers(0, 10**6)),
        ),
        min_size=1,
        max_size=30,
    ),
    st.booleans(),
    st.sampled_from(BOOSTS),
)
def test_column_checks_agree_with_the_detectors(
    values: list[str], named: bool, boost: float
) -> None:
    """Vectorized masks, thresholds and normalization give what the detectors' ``score``
    gives value by value (plus the context ``boost`` a column name gives). Values on which the
    validators' own mask and scalar check disagree are theirs to settle (e.g. 13-digit numbers
    with a Diners prefix) and skipped."""
    clf = ColumnClassifier(detectors=DETECTORS)
    pairs: list[tuple[DataType, Callable[[Any], Any], Callable[[str], bool]]] = [
        (D.VIN, lambda a: v.vin_mask(a, require_check_digit=False), v.is_vin_structure),
        (D.IMEI, v.imei_mask, v.is_imei),
        (D.ICCID, v.iccid_mask, v.is_iccid),
        (D.PAYMENT_CARD, v.card_mask, v.is_payment_card),
        (D.JP_MY_NUMBER, v.my_number_mask, v.is_my_number),
    ]
    for dtype, mask, scalar in pairs:
        detector = DETECTORS.get(dtype)
        assert detector is not None
        own = mask(pa.array(values)).to_pylist()
        kept = [x for x, m in zip(values, own, strict=True) if bool(m) == scalar(x)]
        ok, normal = clf.check(dtype, pa.array(kept, pa.string()), named=named, boost=boost)
        scores = [detector.score(x) for x in kept]
        expected = [reported(s, named, boost) for s in scores]
        if dtype is D.IMEI and not named:  # IMEISVs (no check digit): in IMEI columns only
            expected = [e and v.is_imei(x) for e, x in zip(expected, kept, strict=True)]
        assert ok.tolist() == expected, dtype
        wanted = [s[0] for s, e in zip(scores, expected, strict=True) if e and s is not None]
        assert sorted(normal) == sorted(wanted), dtype


# -- a dense connected-car CSV, end to end (timing for the report, not asserted) ----------------

COLUMNS = ["trip_id", "vin", "chassis_no", "imei", "ts", "lat", "lon", "speed", "driver_name"]
COLUMNS += ["phone"]


def connected_car_csv(rows: int, vehicles: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    fleet = [
        (vin(rng), chassis(rng), imei(rng), rng.choice(["山田 太郎", "John Smith"]), phone(rng))
        for _ in range(vehicles)
    ]
    lines = [",".join(COLUMNS)]
    for i in range(rows):
        f = fleet[(i // 50) % vehicles]
        lines.append(
            f"T{i // 50},{f[0]},{f[1]},{f[2]},2024-05-01T10:{i % 60:02d}:{i % 60:02d}Z,"
            f"{35 + rng.random():.6f},{139 + rng.random():.6f},{rng.randrange(120)},{f[3]},{f[4]}"
        )
    return ("\n".join(lines) + "\n").encode()


def test_dense_connected_car_csv_end_to_end() -> None:
    rows = int(os.environ.get("ANDON_BENCH_ROWS", "60000"))
    data = connected_car_csv(rows, vehicles=500)
    options = pacsv.ReadOptions(block_size=4 << 20, use_threads=False)
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(COLUMNS, pa.string()))
    ds = DetectorSet()
    clf = ColumnClassifier(ClassifyLimits(), detectors=ds, text_scanner=TextScanner(ds))
    result = ObjectResult.new("trips.csv", KEY)
    started = time.perf_counter()
    reader = pacsv.open_csv(io.BytesIO(data), read_options=options, convert_options=convert)
    first = 0
    scanning = 0.0
    for record_batch in reader:
        cols = dict(zip(record_batch.schema.names, record_batch.columns, strict=True))
        t = time.perf_counter()
        clf.scan(ColumnBatch("trips.csv", cols, record_batch.num_rows, first, "csv"), result)
        scanning += time.perf_counter() - t
        first += record_batch.num_rows
    total = time.perf_counter() - started
    mb = len(data) / 1e6
    print(
        f"\n{mb:.1f} MB, {rows} rows: CSV parse + column scan {mb / total:.0f} MB/s, "
        f"column scan alone {mb / scanning:.0f} MB/s (one core, not asserted)"
    )
    for dtype in (
        D.VIN,
        D.JP_CHASSIS_NUMBER,
        D.IMEI,
        D.GEO_COORDINATES,
        D.PERSON_NAME,
        D.PHONE_NUMBER,
    ):
        assert result.tallies[dtype].count == rows, dtype
    vehicles = min(500, -(-rows // 50))
    for dtype in (D.VIN, D.JP_CHASSIS_NUMBER, D.IMEI, D.PHONE_NUMBER):
        assert abs(result.subjects.estimate(dtype) - vehicles) <= 0.03 * vehicles
    assert set(result.tallies) == {
        D.VIN,
        D.JP_CHASSIS_NUMBER,
        D.IMEI,
        D.GEO_COORDINATES,
        D.PERSON_NAME,
        D.PHONE_NUMBER,
    }
    assert result.to_dict()["gps_trace"] is True


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string(), pa.string_view()])
def test_every_string_type_counts_the_same(kind: Any) -> None:
    values = [vin(random.Random(i % 7)) for i in range(40)]
    clf = ColumnClassifier(detectors=DETECTORS)
    result = ObjectResult.new("o.csv", KEY)
    for first in (0, 40):
        clf.scan(batch({"vin": pa.array(values, type=kind)}, first=first), result)
    assert result.tallies[D.VIN].count == 80
    assert result.subjects.estimate(D.VIN) == 7


def test_sparse_coordinates_wait_for_rows_with_both_values() -> None:
    clf = ColumnClassifier(detectors=DETECTORS)
    result = ObjectResult.new("o.json", KEY)
    empty: list[str | None] = [None] * 30
    clf.scan(batch({"$.gps.lat": empty, "$.gps.lon": empty}, "o.json", kind="json"), result)
    assert clf.decisions("o.json") == {}
    lat: list[str | None] = [None] * 30
    lon: list[str | None] = [None] * 30
    lat[3], lon[3] = "35.681236", "139.767125"
    lat[4], lon[5] = "35.1", "139.1"  # never both on one row
    clf.scan(batch({"$.gps.lat": lat, "$.gps.lon": lon}, "o.json", 30, "json"), result)
    assert clf.decisions("o.json")["$.gps.lat"].mode == "geo"
    assert result.tallies[D.GEO_COORDINATES].count == 1
    assert result.tallies[D.GEO_COORDINATES].locations[0].record == 33


_shapes = st.one_of(
    st.from_regex(r"\A0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}\Z"),
    st.from_regex(r"\A\+[1-9][0-9 \-]{7,16}[0-9]\Z"),
    st.from_regex(r"\A0[0-9]{9,10}\Z"),
    st.from_regex(r"\A[a-z0-9._%+\-]{1,12}@[a-z0-9\-]{1,8}(\.[a-z]{2,4}){1,2}\Z"),
    st.from_regex(r"\A〒?[0-9]{3}-?[0-9]{4}\Z"),
    st.from_regex(r"\A[A-Z]{1,4}[0-9]{0,3}[A-Z]{0,2}-[0-9]{6,8}\Z"),
    st.from_regex(r"\A([0-9]{1,3}\.){3}[0-9]{1,3}\Z"),
    st.from_regex(r"\A(AKIA|ASIA)[A-Z0-9]{16}\Z"),
    st.from_regex(r"\A[0-9]{12}\Z"),
    st.text(max_size=20),
)


@settings(max_examples=int(os.environ.get("ANDON_HYPOTHESIS_EXAMPLES", "80")), deadline=None)
@given(st.lists(_shapes, min_size=1, max_size=25), st.booleans(), st.sampled_from(BOOSTS))
def test_scalar_checks_agree_with_the_detectors(
    values: list[str], named: bool, boost: float
) -> None:
    """The column path counts a cell when it has the detector's ``value_regex`` shape and
    its ``score`` plus the name's context ``boost`` reaches the threshold (or the column is
    named) - as the text path would with a keyword near the value."""
    clf = ColumnClassifier(detectors=DETECTORS)
    arr = canonical(pa.array(values))  # the column path validates canonical values
    values = arr.to_pylist()
    for dtype in (D.PHONE_NUMBER, D.EMAIL, D.JP_POSTAL_CODE, D.JP_CHASSIS_NUMBER, D.IP_ADDRESS,
                  D.AWS_ACCESS_KEY, D.JP_DRIVERS_LICENSE):  # fmt: skip
        detector = DETECTORS.get(dtype)
        assert detector is not None
        ok, _ = clf.check(dtype, arr, named=named, boost=boost)
        shape = re.compile(detector.value_regex)  # a cell must have the detector's shape
        for value, got in zip(values, ok.tolist(), strict=True):
            scored = detector.score(value) if shape.search(value) else None
            assert got == reported(scored, named, boost), (dtype, value)


def test_dictionary_values_of_other_rows_are_not_counted() -> None:
    fleet = pa.array([vin(random.Random(i)) for i in range(10)])
    codes = pa.array([0, 1, None, 3] * 3, pa.int32())  # 12 rows use 3 of the 10 values
    _, result = scan({"vin": pa.DictionaryArray.from_arrays(codes, fleet)}, kind="parquet")
    assert result.tallies[D.VIN].count == 9
    assert result.subjects.estimate(D.VIN) == 3
    assert [loc.record for loc in result.tallies[D.VIN].locations] == [0, 1, 3, 4, 5, 7, 8, 9, 11]


# -- columns that name several types; names as context; folded keys ----------------------------


def dealer_chassis_column(rng: random.Random, rows: int) -> tuple[list[str | None], set[str]]:
    """Frame numbers of domestic cars, VINs of imported ones on every tenth row (a fifth of
    them without a valid check digit), some blanks and junk; and the VINs used."""
    vins = [vin(rng, "WVW", check=k % 5 != 0) for k in range(12)]
    frames = [chassis(rng) for _ in range(50)]
    values: list[str | None] = []
    for i in range(rows):
        if i % 10 == 3:
            values.append(vins[(i // 10) % len(vins)])
        elif i % 25 == 7:
            values.append(None if i % 2 else "N/A")
        else:
            values.append(frames[i % len(frames)])
    return values, set(vins)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("車台番号", "csv"), ("chassis_no", "parquet"), ("$.vehicle.chassis_no", "json")],
)
def test_a_column_named_for_two_types_counts_both(name: str, kind: str) -> None:
    values, vins = dealer_chassis_column(random.Random(5), 400)
    clf = ColumnClassifier(detectors=DETECTORS)
    result = ObjectResult.new("o", KEY)
    for first in (0, 200):
        clf.scan(batch({name: values[first : first + 200]}, "o", first, kind), result)
    decision = clf.decisions("o")[name]
    assert decision.dtype is D.JP_CHASSIS_NUMBER and [t for t, _ in decision.also] == [D.VIN]
    vin_rows = [i for i, x in enumerate(values) if x in vins]
    frame_rows = [i for i, x in enumerate(values) if x and "-" in x]
    assert result.tallies[D.VIN].count == len(vin_rows) == 40
    assert result.tallies[D.JP_CHASSIS_NUMBER].count == len(frame_rows)
    assert result.subjects.estimate(D.VIN) == len(vins)
    assert result.subjects.estimate(D.JP_CHASSIS_NUMBER) == len({values[i] for i in frame_rows})
    assert [loc.record for loc in result.tallies[D.VIN].locations] == vin_rows[:15]
    assert all(s.startswith("WVW") and "*" in s for s in result.tallies[D.VIN].samples)


def test_only_the_types_a_name_names_are_counted_besides_its_type() -> None:
    values, _ = dealer_chassis_column(random.Random(6), 200)
    _, result = scan({"frame_number": values})  # names chassis numbers, not VINs
    assert set(result.tallies) == {D.JP_CHASSIS_NUMBER}
    _, result = scan({"chassis_no": [chassis(R) for _ in range(50)]})
    assert set(result.tallies) == {D.JP_CHASSIS_NUMBER}


def test_judged_values_are_remembered_per_type(monkeypatch: pytest.MonkeyPatch) -> None:
    values, vins = dealer_chassis_column(random.Random(7), 200)
    clf = ColumnClassifier(detectors=DETECTORS)
    result = ObjectResult.new("o.csv", KEY)
    clf.scan(batch({"車台番号": values}), result)
    checked: list[tuple[DataType, int]] = []
    real = clf.check

    def spy(dtype: DataType, values: Any, **kw: Any) -> Any:
        checked.append((dtype, len(values)))
        return real(dtype, values, **kw)

    monkeypatch.setattr(clf, "check", spy)
    for first in (200, 400):  # the same values again: nothing is judged twice
        clf.scan(batch({"車台番号": values}, first=first), result)
    assert checked == []
    clf.scan(batch({"車台番号": ["ZVW30-7654321", vin(R, "SAL")]}, first=600), result)
    assert checked == [(D.JP_CHASSIS_NUMBER, 2), (D.VIN, 1)]
    assert result.tallies[D.VIN].count == 3 * 20 + 1
    assert result.subjects.estimate(D.VIN) == len(vins) + 1


def test_a_json_path_gives_its_last_keys_as_context() -> None:
    imeis = col(imei)
    clf, result = scan({"$.telemetry.dcm": imeis}, kind="json")
    assert clf.decisions("o.csv")["$.telemetry.dcm"].boost > 0
    assert result.tallies[D.IMEI].count == len(imeis)
    _, result = scan({"$.dcm.values[*]": imeis, "$.x.y": imeis}, kind="json")
    assert result.tallies[D.IMEI].count == len(imeis)  # "$.x.y" holds no context


def test_folded_keys_are_no_words_and_locate_by_path() -> None:
    rng = random.Random(8)
    n = 30
    columns = {
        "$.{key}.lat": [f"{35 + rng.random():.6f}" for _ in range(n)],
        "$.{key}.lon": [f"{139 + rng.random():.6f}" for _ in range(n)],
        "$.{key}.email": [f"user{i}@example.com" for i in range(n)],
        "$.{key}.driver_name": ["山田 太郎", "John Smith", "佐藤花子"] * (n // 3),
    }
    clf = ColumnClassifier(detectors=DETECTORS)
    result = ObjectResult.new("o.json", KEY)
    clf.scan(
        ColumnBatch("o.json", {k: pa.array(c) for k, c in columns.items()}, 1, 0, "json"), result
    )
    assert tokens("$.{key}.driver_name") == ["driver", "name"]
    for dtype, path in ((D.GEO_COORDINATES, "$.{key}"), (D.EMAIL, "$.{key}.email"),
                        (D.PERSON_NAME, "$.{key}.driver_name")):  # fmt: skip
        tally = result.tallies[dtype]
        assert tally.count == n, dtype
        assert [(loc.path, loc.record) for loc in tally.locations] == [(path, None)]
