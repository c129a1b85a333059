"""Detector metadata: one detector per type, prefilters that cover the exact patterns,
keywords for columns and context, value regexes usable by pyarrow, a compiled database."""

from __future__ import annotations

import functools
import pickle
import re
import zlib

import hyperscan
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from andon.classify.catalog import is_metric_value
from andon.classify.detectors import (
    Detector,
    DetectorSet,
    _keyword_literals,
    default_detectors,
    has_keyword,
)
from andon.classify.model import DataType
from andon.core.errors import ConfigError

# One realistic value per type, as it would appear in a column cell.
SAMPLES: dict[DataType, str] = {
    DataType.VIN: "1M8GDM9AXKP042788",
    DataType.JP_CHASSIS_NUMBER: "ZVW30-1234567",
    DataType.GEO_COORDINATES: "35.681236, 139.767125",
    DataType.IMEI: "490154203237518",
    DataType.ICCID: "8981100000000000002",
    DataType.PHONE_NUMBER: "090-1234-5678",
    DataType.EMAIL: "taro.yamada@example.co.jp",
    DataType.PAYMENT_CARD: "4012 8888 8888 1881",
    DataType.JP_MY_NUMBER: "6214 9832 0257",
    DataType.JP_DRIVERS_LICENSE: "309012345620",
    DataType.JP_POSTAL_CODE: "〒100-0005",
    DataType.ADDRESS: "東京都千代田区丸の内1-9-1",
    DataType.PERSON_NAME: "山田 太郎",
    DataType.IP_ADDRESS: "8.8.8.8",
    DataType.AWS_ACCESS_KEY: "AKIAQWERTYUIOPASDFGH",
    DataType.AWS_SECRET_KEY: "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",
    DataType.PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----",
    DataType.API_TOKEN: "ghp_" + "a1B2c3D4" * 4 + "e5F6",  # shape of a GitHub token, fake
}

# The same values inside text, where the exact pattern must find them.
IN_TEXT: dict[DataType, str] = {
    **SAMPLES,
    DataType.GEO_COORDINATES: '{"lat": 35.68123, "lng": 139.76712}',
    DataType.PERSON_NAME: "氏名：山田 太郎",
    DataType.AWS_SECRET_KEY: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzKEYqAB",
    DataType.JP_MY_NUMBER: "マイナンバー 6214 9832 0257",
    DataType.JP_DRIVERS_LICENSE: "免許証番号 309012345620",
    DataType.IMEI: "imei 490154203237518",
    # free text reports these layouts only with a keyword within 30 characters
    DataType.VIN: "vin 1M8GDM9AXKP042788",
    DataType.JP_CHASSIS_NUMBER: "車台番号: ZVW30-1234567",
    DataType.ICCID: "iccid 8981100000000000002",
    DataType.PHONE_NUMBER: "tel 090-1234-5678",
    DataType.PAYMENT_CARD: "card 4012 8888 8888 1881",
}


@pytest.fixture(scope="module")
def detectors() -> DetectorSet:
    return DetectorSet()


def test_one_detector_per_data_type(detectors: DetectorSet) -> None:
    assert sorted(d.dtype for d in detectors) == sorted(DataType)
    assert len(detectors) == len(DataType)
    for d in detectors:
        assert d.posture and d.value_regex and d.alts
        assert detectors.get(d.dtype) is d


def test_duplicate_types_are_refused() -> None:
    vin = default_detectors()[3]
    with pytest.raises(ConfigError):
        DetectorSet([vin, vin])


def test_database_compiles_once(detectors: DetectorSet) -> None:
    db = detectors.database
    assert detectors.database is db
    assert detectors.compilations == 1
    assert len(detectors.alternatives) >= len(detectors)


def _scan(detectors: DetectorSet, data: bytes) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    detectors.database.scan(data, match_event_handler=lambda i, s, e, f, c: found.append((i, e)),
                            scratch=detectors.new_scratch())  # fmt: skip
    return sorted(found)


SCAN_ME = " ".join(IN_TEXT.values()).encode() + b"\nlat=35.681236 lon=139.767125 8.8.4.4\n"


def test_a_pickled_set_carries_its_compiled_database(
    detectors: DetectorSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a Dask worker or a pool process receives scans at once: it never compiles."""
    blob = pickle.dumps(detectors)
    monkeypatch.setattr(DetectorSet, "_compile", _no_compiling)
    copy = pickle.loads(blob)
    assert [d.dtype for d in copy] == [d.dtype for d in detectors]
    assert copy.compilations == 0
    assert _scan(copy, SCAN_ME) == _scan(detectors, SCAN_ME) != []
    assert pickle.loads(pickle.dumps(copy)).compilations == 0  # and passes it on as it came


def _no_compiling(self: DetectorSet) -> hyperscan.Database:
    raise AssertionError("compiled")


def test_a_fresh_set_compiles_before_it_is_pickled() -> None:
    fresh = DetectorSet()
    copy = pickle.loads(pickle.dumps(fresh))
    assert fresh.compilations == 1 and copy.compilations == 0
    assert _scan(copy, SCAN_ME) == _scan(fresh, SCAN_ME)


def test_an_unusable_serialized_database_is_compiled_again(detectors: DetectorSet) -> None:
    state = detectors.__getstate__()
    for bad in (b"not a database", zlib.compress(b"not a database either")):
        copy = DetectorSet.__new__(DetectorSet)
        copy.__setstate__({**state, "db": bad})
        assert copy._db is None
        assert _scan(copy, SCAN_ME) == _scan(detectors, SCAN_ME)
        assert copy.compilations == 1


@pytest.mark.parametrize("dtype", list(DataType), ids=lambda t: t.value)
def test_samples_score_and_redact(detectors: DetectorSet, dtype: DataType) -> None:
    det = detectors.get(dtype)
    assert det is not None
    scored = det.score(SAMPLES[dtype])
    assert scored is not None
    value, confidence = scored
    assert 0.0 < confidence <= 1.0
    assert det.is_valid(SAMPLES[dtype])
    if dtype not in (DataType.PRIVATE_KEY, DataType.ADDRESS):
        assert value not in det.redact(SAMPLES[dtype])


@pytest.mark.parametrize("dtype", list(DataType), ids=lambda t: t.value)
def test_value_regex_runs_in_pyarrow(detectors: DetectorSet, dtype: DataType) -> None:
    det = detectors.get(dtype)
    assert det is not None
    values = pa.array([SAMPLES[dtype], "nothing to see", None])
    matched = pc.match_substring_regex(values, det.value_regex).to_pylist()
    if dtype == DataType.PERSON_NAME:  # any words may be a name: the column name decides
        assert matched[0] is True and matched[2] is None
    else:
        assert matched == [True, False, None]


@functools.cache
def _alt_database(prefilter: bytes, caseless: bool) -> hyperscan.Database:
    """One alternative's prefilter alone, compiled once per test session (keyword prefilters
    take a few tenths of a second each to compile)."""
    db = hyperscan.Database()
    db.compile(expressions=[prefilter], ids=[0], elements=1,
               flags=[hyperscan.HS_FLAG_CASELESS if caseless else 0])  # fmt: skip
    return db


def _prefilter_ends(det: Detector, data: bytes) -> list[int]:
    ends: list[int] = []
    for alt in det.alts:
        db = _alt_database(alt.prefilter, det.caseless)
        db.scan(data, match_event_handler=lambda i, s, e, f, c: ends.append(e))
    return ends


@pytest.mark.parametrize("dtype", list(DataType), ids=lambda t: t.value)
def test_prefilters_fire_where_the_exact_pattern_matches(
    detectors: DetectorSet, dtype: DataType
) -> None:
    det = detectors.get(dtype)
    assert det is not None
    data = f"x {IN_TEXT[dtype]} y".encode()
    exact = [m for alt in det.alts for m in alt.exact.finditer(data)]
    assert exact, "the exact pattern finds the value in text"
    ends = _prefilter_ends(det, data)
    for m in exact:
        windows = [(e - a.max_len, e + a.tail) for e in ends for a in det.alts]
        assert any(lo <= m.start() and m.end() <= hi + 512 for lo, hi in windows)


def test_keyword_anchored_prefilters_need_the_keyword(detectors: DetectorSet) -> None:
    my_number = detectors.get(DataType.JP_MY_NUMBER)
    assert my_number is not None
    assert _prefilter_ends(my_number, b"order 621498320257 shipped") == []
    assert _prefilter_ends(my_number, "個人番号: 621498320257".encode())
    assert _prefilter_ends(my_number, "621498320257 (マイナンバー)".encode())
    vin = detectors.get(DataType.VIN)
    assert vin is not None
    assert _prefilter_ends(vin, b"part 1M8GDM9AXKP042788 shipped") == []
    assert _prefilter_ends(vin, b"VIN: 1M8GDM9AXKP042788")


@pytest.mark.parametrize(
    ("name", "dtype"),
    [("vin", DataType.VIN), ("vehicle_vin", DataType.VIN), ("車台番号", DataType.JP_CHASSIS_NUMBER),
     ("deviceIMEI", DataType.IMEI), ("terminal_id", DataType.IMEI), ("端末ID", DataType.IMEI),
     ("$.driver.phone", DataType.PHONE_NUMBER), ("TEL", DataType.PHONE_NUMBER),
     ("電話番号", DataType.PHONE_NUMBER), ("E-Mail", DataType.EMAIL), ("住所", DataType.ADDRESS),
     ("latitude", DataType.GEO_COORDINATES), ("経度", DataType.GEO_COORDINATES),
     ("zip_code", DataType.JP_POSTAL_CODE), ("郵便番号", DataType.JP_POSTAL_CODE),
     ("card_number", DataType.PAYMENT_CARD), ("マイナンバー", DataType.JP_MY_NUMBER),
     ("myNumber", DataType.JP_MY_NUMBER), ("driver_license", DataType.JP_DRIVERS_LICENSE),
     ("first_name", DataType.PERSON_NAME), ("氏名", DataType.PERSON_NAME),
     ("フリガナ", DataType.PERSON_NAME), ("lastName", DataType.PERSON_NAME)],
)  # fmt: skip
def test_column_names(detectors: DetectorSet, name: str, dtype: DataType) -> None:
    assert dtype in detectors.types_for_name(name)


@pytest.mark.parametrize(
    ("name", "dtype"),
    [("file_name", DataType.PERSON_NAME), ("hostname", DataType.PERSON_NAME),
     ("bucket_name", DataType.PERSON_NAME), ("model_name", DataType.PERSON_NAME),
     ("hotel", DataType.PHONE_NUMBER), ("telemetry", DataType.PHONE_NUMBER),
     ("driving_mode", DataType.JP_DRIVERS_LICENSE), ("vintage", DataType.VIN),
     ("simulation", DataType.ICCID)],
)  # fmt: skip
def test_column_names_that_do_not_name_the_type(
    detectors: DetectorSet, name: str, dtype: DataType
) -> None:
    assert dtype not in detectors.types_for_name(name)


@pytest.mark.parametrize(
    ("text", "found"),
    [(b"imei=", True), (b"deviceImei:", True), (b"DEVICE_IMEI", True), (b"imeis", True),
     (b"device-id", True), (b"deviceId", True), ("端末ID".encode(), True), (b"hotel", False),
     (b"telemetry", False), (b"intel", False), (b"x_tel:", True)],
)  # fmt: skip
def test_keywords_in_raw_text(text: bytes, found: bool) -> None:
    literals = _keyword_literals(["imei", "tel", "device_id", "端末ID"])
    assert has_keyword(literals, text) is found


def test_context_raises_and_negative_context_lowers(detectors: DetectorSet) -> None:
    ip = detectors.get(DataType.IP_ADDRESS)
    assert ip is not None
    assert ip.context_delta(b"client_ip=", b"") > 0
    assert ip.context_delta(b"version ", b"") < 0
    assert ip.context_delta(b"", b" version") == 0  # negative words count only before
    assert ip.context_delta(b"nothing", b"here") == 0


# Layouts whose prefilter is a factor of the exact pattern (not the pattern itself): each must
# fire with a window that holds the whole value.
LAYOUTS = [
    (DataType.IMEI, "imei 49-015420-323751-8 ok"),
    (DataType.PAYMENT_CARD, "amex 3782 822463 10005 ok"),
    (DataType.PAYMENT_CARD, "card 3782-822463-10005 ok"),
    (DataType.PAYMENT_CARD, "card 6250-9410-0652-8599-123 ok"),
    (DataType.PAYMENT_CARD, "card 4012 8888 8888 1881 ok"),
    (DataType.IP_ADDRESS, "from 2400:4051:abcd:1234:5678:9abc:def0:1234 ok"),
    (DataType.IP_ADDRESS, "from 2001:4860:4860::8888 ok"),
    (DataType.IP_ADDRESS, "from 8.8.4.4 ok"),
    (DataType.JP_CHASSIS_NUMBER, "frame ZVW30-12345678 ok"),
    (DataType.JP_CHASSIS_NUMBER, "frame GK3-123456 ok"),
    (DataType.GEO_COORDINATES, "at 35.6812361, 139.7671248, 40.25 ok"),
    (DataType.GEO_COORDINATES, "gps -33.868820 151.209296 ok"),
    (DataType.VIN, "vin=1M8GDM9AXKP042788 ok"),
    (DataType.ICCID, "sim 89811000000000000023 ok"),
]


@pytest.mark.parametrize(("dtype", "text"), LAYOUTS, ids=[f"{t.value}-{i}" for i, (t, _) in
                                                          enumerate(LAYOUTS)])  # fmt: skip
def test_factor_prefilters_cover_their_layouts(
    detectors: DetectorSet, dtype: DataType, text: str
) -> None:
    det = detectors.get(dtype)
    assert det is not None
    data = text.encode()
    exact = [(a, m) for a in det.alts for m in a.exact.finditer(data)]
    assert exact
    ends = _prefilter_ends(det, data)
    for alt, m in exact:
        assert any(e - alt.max_len <= m.start() and m.end() <= e + alt.tail + 512 for e in ends)


def test_email_in_a_message_id_is_vetoed(detectors: DetectorSet) -> None:
    email = detectors.get(DataType.EMAIL)
    assert email is not None and email.veto is not None
    for before in (b"[mail] delivered msgid=<", b"Message-ID: <", b'"message_id": "<',
                   b"In-Reply-To: <", b"References: <a1@x.example> <"):  # fmt: skip
        assert email.context_delta(before) <= -1.0, before
    for before in (b"[mail] sent to ", b"msgid=<a@b.example> to ", b"reply to <"):
        assert email.context_delta(before) > -1.0, before


@pytest.mark.parametrize(
    ("before", "metric"),
    [(b"[metrics] p50,p99=", True), (b"latency_ms=", True), (b'"latencyMs": [', True),
     (b"P95: ", True), (b"gc_pause_ms = ", True), (b"avg=", True), (b"cpu,mem=", True),
     (b"pos=", False), (b"gps: ", False), (b"position ", False), (b"loc=", False),
     (b"[telemetry] frame=ZVW30-1234567 pos=", False), (b"", False), (b"p50 then pos=", False)],
)  # fmt: skip
def test_metric_keys(before: bytes, metric: bool) -> None:
    assert is_metric_value(before) is metric


def test_a_decimal_pair_as_a_metric_value_is_vetoed(detectors: DetectorSet) -> None:
    geo = detectors.get(DataType.GEO_COORDINATES)
    assert geo is not None
    assert geo.context_delta(b"p50,p99=") <= -1.0
    assert geo.context_delta(b"gps=") > 0  # a context keyword


def test_value_regexes_are_valid_in_both_dialects(detectors: DetectorSet) -> None:
    """Written for RE2 (pyarrow), readable by Python's re too: no ``\\x{...}`` escapes."""
    for det in detectors:
        assert "\\x{" not in det.value_regex, det.dtype
        re.compile(det.value_regex)
    name = detectors.get(DataType.PERSON_NAME)
    assert name is not None
    cells = pa.array(["山田\u3000太郎", "山田 太郎", "山田\t太郎"])
    assert pc.match_substring_regex(cells, name.value_regex).to_pylist() == [True, True, False]


def test_phone_scores_agree_with_the_patterns(detectors: DetectorSet) -> None:
    phone = detectors.get(DataType.PHONE_NUMBER)
    assert phone is not None
    for text in ("090.1234.5678", "+81.90.1234.5678", "+1.415.555.2671"):
        assert phone.score(text) is None
        assert phone.pattern.search(text.encode()) is None
        assert not pc.match_substring_regex(pa.array([text]), phone.value_regex)[0].as_py()
    assert phone.score("090-1234-5678") is not None
