"""Per-object results and the report: counts, evidence without leakage, honest coverage."""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from andon.classify.formats import ReadReport
from andon.classify.model import MAX_LOCATIONS, MAX_SAMPLES, DataType, Location
from andon.classify.results import (
    GPS_TRACE_MIN_POINTS,
    MAX_ERRORS,
    ClassifyReport,
    ObjectResult,
    limit_kind,
)

KEY = bytes(range(32))
VINS = [f"JTDKB20U{i:09d}" for i in range(40)]


def result(obj: str = "trips.csv", **kw: object) -> ObjectResult:
    return ObjectResult.new(obj, KEY, **kw)  # type: ignore[arg-type]


def hit(r: ObjectResult, dtype: DataType, value: str, line: int, conf: float = 0.9) -> None:
    r.add(dtype, value, value[:3] + "***", Location(r.object, line=line), conf)


def test_text_sink_hits_become_counts_samples_locations_and_subjects() -> None:
    r = result()
    for i in range(100):
        hit(r, DataType.VIN, VINS[i % 40], i + 1, conf=0.5 + i / 1000)
    hit(r, DataType.IP_ADDRESS, "203.0.113.9", 7)
    tally = r.tallies[DataType.VIN]
    assert tally.count == 100
    assert tally.samples == ["JTD***"]  # identical redactions are kept once
    assert len(tally.locations) == MAX_LOCATIONS
    assert [loc.line for loc in tally.locations] == list(range(1, MAX_LOCATIONS + 1))
    assert r.subjects.estimate(DataType.VIN) == 40
    assert r.subjects.estimate(DataType.IP_ADDRESS) == 0  # not a subject type: not hashed
    assert r.confidence[DataType.VIN] == pytest.approx(0.599)
    assert r.found == 101


def test_add_counts_keeps_at_most_five_samples_and_fifteen_locations() -> None:
    r = result()
    for batch in range(4):
        r.add_counts(
            DataType.IMEI,
            1000,
            redacted=[f"35{batch}{i}****" for i in range(4)],
            locations=[
                Location(r.object, record=batch * 1000 + i, column="imei") for i in range(6)
            ],
            values=[f"35{batch}{i:013d}" for i in range(300)],
            confidence=0.95,
        )
    r.add_counts(DataType.IMEI, 0, redacted=["ignored"])  # nothing found: nothing recorded
    tally = r.tallies[DataType.IMEI]
    assert tally.count == 4000
    assert len(tally.samples) == MAX_SAMPLES
    assert "ignored" not in tally.samples
    assert len(tally.locations) == MAX_LOCATIONS
    assert abs(r.subjects.estimate(DataType.IMEI) - 1200) <= 1200 * 0.04  # HLL estimate


def test_merge_folds_partial_results_of_one_object() -> None:
    a, b = result(size=1000), result()
    hit(a, DataType.EMAIL, "a@example.com", 1)
    hit(b, DataType.EMAIL, "a@example.com", 9)
    hit(b, DataType.EMAIL, "b@example.com", 10)
    a.bytes_read, b.bytes_read, a.records, b.records = 400, 600, 4, 6
    a.hit_limit("max_records 10 reached")
    b.hit_limit("max_records 10 reached")
    b.error("csv.Error: bad quoting")
    a.merge(b)
    assert a.tallies[DataType.EMAIL].count == 3
    assert a.subjects.estimate(DataType.EMAIL) == 2
    assert (a.bytes_read, a.records, a.size) == (1000, 10, 1000)
    assert a.limits_hit == ["max_records 10 reached"]
    assert a.errors == ["csv.Error: bad quoting"]
    assert not a.complete


def test_merge_of_a_part_not_inspected_keeps_the_object_inspected_but_incomplete() -> None:
    a, b = result(), result()
    b.not_inspected = "encrypted zip member"
    a.merge(b)
    assert a.inspected and not a.complete
    assert a.limits_hit == ["part not inspected: encrypted zip member"]
    c, d = result(), result()
    c.not_inspected = d.not_inspected = "binary"
    c.merge(d)
    assert c.not_inspected == "binary"


def test_errors_are_capped() -> None:
    r = result()
    for i in range(MAX_ERRORS + 10):
        r.error(f"error {i}")
    assert len(r.errors) == MAX_ERRORS + 1
    assert r.errors[-1] == "further errors omitted"


def test_absorb_takes_over_the_read_report() -> None:
    report = ReadReport(format="gzip+csv", size=5000, bytes_read=64, records=3)
    report.limit("max_bytes_per_object 64 reached in x.csv.gz; the rest was not read")
    report.skip("a.zip!b.bin: binary")
    report.error("zlib.error: truncated")
    r = result("x.csv.gz")
    r.absorb(report)
    assert (r.format, r.size, r.bytes_read, r.records) == ("gzip+csv", 5000, 64, 3)
    assert [limit_kind(x) for x in r.limits_hit] == ["max_bytes_per_object", "skipped_members"]
    assert r.errors == ["zlib.error: truncated"]
    assert r.inspected and not r.complete
    gone = ReadReport(not_inspected="cannot be opened: AccessDenied")
    r2 = result("y")
    r2.absorb(gone)
    assert not r2.inspected


def test_to_dict_is_the_documented_json_without_raw_values() -> None:
    r = result(size=2048, format="csv")
    r.bytes_read, r.records = 2048, 20
    raw = ["JTDKB20U993000001", "+819012345678", "35.681236,139.767125"]
    r.add(DataType.VIN, raw[0], "JTD**************", Location(r.object, 0, None, "vin"), 0.95)
    r.add(DataType.PHONE_NUMBER, raw[1], "+81*********", Location(r.object, record=0), 0.7)
    for _ in range(GPS_TRACE_MIN_POINTS):
        r.add(DataType.GEO_COORDINATES, None, "35.6****, 139.7****", None, 0.9)
    out = r.to_dict()
    text = json.dumps(out, ensure_ascii=False)
    for value in raw:
        assert value not in text
    assert out["object"] == "trips.csv"
    assert out["inspected"] is True and out["complete"] is True
    assert out["bytes_inspected"] == 2048 and out["records"] == 20
    assert list(out["data_types"]) == ["vin", "geo_coordinates", "phone_number"]  # model order
    assert out["data_types"]["vin"]["distinct"] == 1
    assert "distinct" not in out["data_types"]["geo_coordinates"]
    assert out["data_types"]["geo_coordinates"]["count"] == GPS_TRACE_MIN_POINTS
    assert out["gps_trace"] is True
    assert out["subjects"] == {"vehicle": 1, "person": 1}
    assert out["data_types"]["vin"]["locations"] == [
        {"object": "trips.csv", "line": 0, "column": "vin"}
    ]
    assert "not_inspected" not in out
    assert repr(r) == "ObjectResult('trips.csv', vin=1, geo_coordinates=10, phone_number=1)"


def test_a_few_coordinates_are_not_a_trace() -> None:
    r = result()
    r.add_counts(DataType.GEO_COORDINATES, GPS_TRACE_MIN_POINTS - 1)
    assert r.to_dict()["gps_trace"] is False
    assert "gps_trace" not in result().to_dict()


@pytest.mark.parametrize(
    ("size", "read", "stored", "limit", "covered"),
    [
        (1000, 1000, None, False, 1000),  # read in full
        (1000, 5000, None, False, 1000),  # compressed, read in full
        (1000, 400, None, True, 400),  # plain, cut short
        (1000, 64_000, 100, True, 100),  # compressed, cut short: the reader knows where
        (1000, 64_000, None, True, 1000),  # compressed, cut short, unknown: at most the size
        (None, 300, None, False, 300),
    ],
)
def test_covered_stored_bytes(
    size: int | None, read: int, stored: int | None, limit: bool, covered: int
) -> None:
    r = result(size=size)
    r.bytes_read, r.stored_bytes_read = read, stored
    if limit:
        r.hit_limit("max_bytes_per_object 1 reached")
    assert r.covered_stored_bytes() == covered


def test_a_pickled_result_merges_into_the_report() -> None:
    r = result()
    hit(r, DataType.VIN, VINS[0], 1)
    moved = pickle.loads(pickle.dumps(r))
    assert KEY not in pickle.dumps(r)
    report = ClassifyReport()
    report.add(moved)
    assert report.subjects.estimate(DataType.VIN) == 1


def _object(name: str, vins: list[str], size: int = 1000, limit: bool = False) -> ObjectResult:
    r = result(name, size=size, format="csv")
    r.bytes_read = size
    for i, vin in enumerate(vins):
        hit(r, DataType.VIN, vin, i + 1)
    if limit:
        r.hit_limit("max_bytes_per_object 10 reached in x")
    return r


def test_report_totals_merge_tallies_and_sketches() -> None:
    report = ClassifyReport()
    report.add(_object("a.csv", VINS[:30]))
    report.add(_object("b.csv", VINS[20:]))  # 10 vehicles seen in both
    report.add(_object("c.csv", []))
    gone = result("d.bin", size=500)
    gone.not_inspected = "binary content"
    report.add(gone)
    out = report.to_dict()
    assert out["data_types"]["vin"]["count"] == 50
    assert out["data_types"]["vin"]["distinct"] == 40
    assert out["data_types"]["vin"]["objects"] == 2
    assert out["subjects"] == {"vehicle": 40}
    assert out["objects_listed"] == 4 and out["objects_inspected"] == 3
    assert out["objects_not_inspected"] == {"binary content": 1}
    assert out["bytes_listed"] == 3500
    assert out["inspected_fraction"] == pytest.approx(3000 / 3500)
    assert out["sampled"] is True  # one object could not be read: counts are extrapolated
    assert out["data_types"]["vin"]["estimated_total"] == round(50 * 3500 / 3000)
    assert "could not be inspected: binary content (1)" in out["coverage"]
    json.dumps(out)


def test_full_coverage_reports_no_estimates() -> None:
    report = ClassifyReport()
    report.listed(2, 2000)
    report.add(_object("a.csv", VINS[:3]))
    report.add(_object("b.csv", VINS[3:5]))
    out = report.to_dict()
    assert out["complete"] is True and out["sampled"] is False
    assert "estimated_total" not in out["data_types"]["vin"]
    assert out["coverage"] == "All 2 listed objects (2.0 KiB) were inspected in full."


def test_sampling_scales_counts_and_says_they_are_estimates() -> None:
    report = ClassifyReport()
    report.listed(100, 100_000)
    report.add(_object("a.csv", VINS[:10]))
    report.add(_object("b.csv", VINS[:10], limit=True))
    out = report.to_dict()
    assert out["inspected_fraction"] == pytest.approx(0.02)
    assert out["data_types"]["vin"]["estimated_total"] == 1000
    assert out["estimated_by"].startswith("counts divided by")
    assert "estimate" in out["coverage"] and "lower bound" in out["coverage"]
    assert "Limits cut objects short: max_bytes_per_object (1)" in out["coverage"]
    assert out["limits_hit"] == {"max_bytes_per_object": 1}
    report.use_estimates({DataType.VIN: 777.4}, "per stratum (SamplePlan)")
    out = report.to_dict()
    assert out["data_types"]["vin"]["estimated_total"] == 777
    assert out["estimated_by"] == "per stratum (SamplePlan)"


@pytest.mark.parametrize("full", [True, False])
def test_nothing_found_is_never_contains_nothing(full: bool) -> None:
    report = ClassifyReport()
    report.listed(1 if full else 50, 1000 if full else 50_000)
    report.add(_object("a.csv", []))
    text = report.coverage()
    assert "contains nothing" not in text.replace("contains nothing.", "")
    if full:
        assert "No data of the types Andon recognizes was found" in text
    else:
        assert "does not show that the uninspected data contains nothing" in text
        assert "2.0 %" in text
    assert ClassifyReport().coverage() == "No objects were listed; nothing was inspected."


def test_tiny_fractions_are_shown_as_below_a_tenth_of_a_percent() -> None:
    report = ClassifyReport()
    report.listed(1000, 10**9)
    report.add(_object("a.csv", VINS[:1]))
    assert "<0.1 %" in report.coverage()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 39), max_size=30), min_size=1, max_size=6))
def test_merging_reports_equals_adding_everything_to_one(parts: list[list[int]]) -> None:
    objects = [_object(f"o{i}.csv", [VINS[j] for j in part]) for i, part in enumerate(parts)]
    one = ClassifyReport()
    for o in objects:
        one.add(o)
    halves = [ClassifyReport(), ClassifyReport()]
    for i, o in enumerate(objects):
        halves[i % 2].add(o)
    halves[0].merge(halves[1])
    merged, direct = halves[0].to_dict(), one.to_dict()
    # Which 15 locations are kept depends on the order objects arrive in; all else is equal.
    for out in (merged, direct):
        for entry in out["data_types"].values():
            locations = entry.pop("locations")
            assert len(locations) == min(entry["count"], 15)
    assert merged == direct
    assert one.subjects.estimate(DataType.VIN) == len({j for part in parts for j in part})
