"""The structured fast path: decide each column's data type once, then count column-wise.

Each column of an object (CSV header, Parquet column, JSON key path) gets one
:class:`ColumnDecision` from its name and a sample of its values (``sample_rows``), cached
for the rest of the object:

* **named**: the name carries a detector's keyword (:meth:`Detector.matches_name`) and at
  least half the sampled values pass its validator; the name is the context, so values the
  detector reports only with context count too. A ``phone`` column of timestamps is not phone.
* **by value**: at least 80 % of at least 10 sampled values pass a detector and reach its
  report threshold alone (never My Number, licences, secret keys, bare postal codes or person
  names), unless the name points elsewhere (a ``serial`` column of Luhn-valid numbers is not
  a card). A column called just ``name`` needs values of 2-4 words or Japanese script.
* **geo**: a latitude column (lat, latitude, 緯度, ``$.pos.lat``) paired with the longitude
  column of the same stem (lon, lng, longitude, 経度), or inline pairs in a column named as a
  location; a row counts when both values are in range and not (0, 0).
* **text**: free text or mixed values go to the text scanner, values joined by line breaks,
  line locations mapped back to record and column. **skip**: anything else.

Counting is column-wise: the column is dictionary-encoded, validators run on its distinct
values only (the vectorized masks of :mod:`~andon.classify.validators` for VIN, IMEI, ICCID,
cards and My Number; a detector's ``score`` on the candidates that pass an RE2 pre-filter
otherwise), and the per-row verdict is a numpy gather. Valid distinct values, normalized as
the text path normalizes them, feed the subject sketch; at most 15 locations and 5 redacted
samples are kept per type. While an object is read each column remembers the distinct values
already judged (at most ``MAX_KNOWN``; in memory only, never in results, reprs or pickles), so
a VIN repeated in every batch is validated and hashed once per object. One classifier per
thread (it holds per-object state and a text scanner).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

from andon.classify import validators as v
from andon.classify.detectors import DetectorSet
from andon.classify.model import (
    MAX_LOCATIONS,
    MAX_SAMPLES,
    SUBJECT_OF,
    ClassifyLimits,
    ColumnBatch,
    DataType,
    Location,
    TextBlock,
)
from andon.classify.redact import redact
from andon.classify.results import ObjectResult
from andon.classify.text import TextSink

D = DataType
NAMED_MIN = 0.5  # share of sampled values that must be valid when the name names the type
VALUE_MIN = 0.8  # ... when the values alone decide
VALUE_MIN_SAMPLES = 10  # sampled values needed before values alone may decide
MAX_PENDING = 3  # batches a sparse column may wait for enough values; then the text path
MAX_KNOWN = 65_536  # distinct values per column remembered as judged while an object is read


class TextScanner(Protocol):
    """The text path, as the column path uses it for free-text columns."""

    def scan(self, block: TextBlock, sink: TextSink) -> None: ...


@dataclass(frozen=True)
class ColumnDecision:
    """What to do with one column of one object. ``reason`` names no value.

    ``mode``: ``type`` (count ``dtype``), ``geo`` (a latitude column; ``partner`` is the
    longitude column, whose own mode is ``partner``), ``geo_inline`` (pairs in one column),
    ``text`` (the text scanner) or ``skip``."""

    mode: str
    dtype: DataType | None = None
    confidence: float = 0.0
    named: bool = False  # the name names the type: values need no further context
    bare: bool = False  # person names in a column called just "name": stricter shapes
    partner: str | None = None
    reason: str = ""


# -- names ----------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+|[^\x00-\x7f]+")
# Words that point away from a type that only the values suggest.
_DENY_BY_VALUE: Mapping[DataType, frozenset[str]] = {
    D.PAYMENT_CARD: frozenset({"serial", "imei", "iccid", "sim", "device", "terminal", "id",
                               "tracking", "order", "invoice", "barcode", "jan", "ean", "isbn"}),
    D.IP_ADDRESS: frozenset({"version", "ver", "build", "release", "firmware", "fw", "sw"}),
    D.PHONE_NUMBER: frozenset({"ts", "time", "timestamp", "date", "epoch", "id", "serial"}),
}  # fmt: skip
_LAT, _LON = frozenset({"lat", "latitude"}), frozenset({"lon", "lng", "long", "longitude"})


def name_part(name: str) -> str:
    """The part of a name keywords are read from: JSON key paths keep their last two
    segments (``$.driver.phone`` → ``driver.phone``), other names are whole."""
    if name.startswith("$"):
        segments = [s for s in re.split(r"[.\[\]*]+", name[1:]) if s and not s.isdigit()]
        return ".".join(segments[-2:])
    return name


def tokens(name: str) -> list[str]:
    """Lower-case word tokens of a column name, camelCase and snake_case aware."""
    return [t.lower() for t in _TOKEN.findall(name_part(name))]


def geo_role(name: str) -> tuple[str, str] | None:
    """``("lat" | "lon", stem)`` for a latitude or longitude column; two columns pair when
    their stems are equal (``start_lat`` / ``start_lon``, ``$.pos.lat`` / ``$.pos.lng``)."""
    for cjk, kind in (("緯度", "lat"), ("経度", "lon")):
        if cjk in name:
            return kind, name.replace(cjk, "{}").lower()
    for match in _TOKEN.finditer(name):
        word = match.group().lower()
        role: str | None = "lat" if word in _LAT else "lon" if word in _LON else None
        if role:
            return role, (name[: match.start()] + "{}" + name[match.end() :]).lower()
    return None


# -- values ---------------------------------------------------------------------------------

_MASKS: Mapping[DataType, Callable[[Any], Any]] = {
    D.VIN: partial(v.vin_mask, require_check_digit=False),
    D.IMEI: v.imei_mask,
    D.ICCID: v.iccid_mask,
    D.PAYMENT_CARD: v.card_mask,
    D.JP_MY_NUMBER: v.my_number_mask,
}
# Cheap supersets of what the vectorized masks accept (the detectors' value_regex is narrower:
# an IMEI may be written with spaces).
_PREFILTER: Mapping[DataType, str] = {
    D.VIN: r"^[A-Za-z0-9]{17}$",
    D.IMEI: r"^[0-9][0-9 -]{13,20}[0-9]$",
    D.ICCID: r"^89[0-9 -]{16,24}[0-9]$",
    D.PAYMENT_CARD: r"^[0-9][0-9 -]{11,24}[0-9]$",
    D.JP_MY_NUMBER: r"^[0-9][0-9 -]{10,16}[0-9]$",
}
_BY_VALUE: tuple[DataType, ...] = (  # priority order for decisions by value alone
    D.PRIVATE_KEY, D.AWS_ACCESS_KEY, D.EMAIL, D.IP_ADDRESS, D.VIN, D.JP_CHASSIS_NUMBER,
    D.ICCID, D.IMEI, D.PAYMENT_CARD, D.PHONE_NUMBER, D.JP_POSTAL_CODE, D.ADDRESS,
)  # fmt: skip
_JA = "\u3005\u3041-\u30ff\u4e00-\u9fff"  # 々, kana, kanji
# Something every by-value type has (digits, @, a PEM header, a key prefix, a prefecture): a
# cheap RE2 pass before the per-type checks (long patterns take RE2 long to compile).
_ANY_VALUE = r"[0-9]{3}|@|-----BEGIN|^A[KS]IA|[0-9]\.[0-9]|:[0-9A-Fa-f]*:|[都道府県]"
_BARE_NAME = re.compile(
    r"[^\W\d_][^\W\d_'’.-]*(?:[ 　][^\W\d_][^\W\d_'’.-]*){1,3}"
    rf"|[{_JA}・ー]{{2,12}}(?:[ 　][{_JA}]{{1,8}})?"
)
_NOT_A_NAME = frozenset({"null", "none", "n/a", "na", "nil", "unknown", "test", "-", "?"})


def is_person_name(value: str, *, bare: bool = False) -> bool:
    """A name as written in a name column: 1-4 words of letters (Latin, kana, kanji), no
    digits; ``bare`` (a column called just ``name``) wants 2-4 words or Japanese script."""
    s = value.strip()
    if not 2 <= len(s) <= 60 or s.lower() in _NOT_A_NAME or any(c.isdigit() for c in s):
        return False
    if bare:
        return _BARE_NAME.fullmatch(s) is not None
    return all(c.isalpha() or c in " 　'’.・-" for c in s) and len(s.split()) <= 4


def _loose_address(value: str) -> bool:
    """An address in a column named as one: a JP municipality, or letters with a number."""
    s = value.strip()
    if v.is_jp_address(s, require_prefecture=False):
        return True
    return 8 <= len(s) <= 200 and any(c.isdigit() for c in s) and any(c.isalpha() for c in s)


def re2(pattern: str) -> str:
    """A pattern for RE2 (``pyarrow.compute``): Python's ``\\uXXXX`` escapes as ``\\x{XXXX}``."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", r"\\x{\1}", pattern)


def _np_bool(arr: Any) -> np.ndarray:
    return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def canonical(values: Any) -> Any:
    """Trimmed values, NFKC-normalized when any is not ASCII (full-width digits, half-width
    kana): the form that is validated, redacted and normalized."""
    values = pc.utf8_trim_whitespace(values)
    if not pa.types.is_string(values.type):  # large strings: distinct values are few
        values = values.cast(pa.string())
    if len(values) and not pc.all(pc.string_is_ascii(values)).as_py():
        values = pc.utf8_normalize(values, "NFKC")
    return values


def _vector_normal(dtype: DataType, values: Any) -> list[str]:
    """Normalized values for the masked types, as the detectors' ``score`` gives them."""
    if dtype is D.VIN:
        return list(pc.utf8_upper(values).to_pylist())
    return list(pc.replace_substring(pc.replace_substring(values, " ", ""), "-", "").to_pylist())


def _as_strings(arr: Any) -> Any | None:
    """The column as strings (integers cast), or None for types never inspected."""
    t = arr.type
    if pa.types.is_dictionary(t):
        return _as_strings(arr.dictionary_decode())
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return arr
    if pa.types.is_integer(t) or pa.types.is_string_view(t):
        return pc.cast(arr, pa.string())
    return None


def _sample(arr: Any, n: int) -> Any:
    values = arr.drop_null()
    if len(values) > n:
        values = values.take(np.linspace(0, len(values) - 1, n).astype(np.int64))
    return values


def _numbers(arr: Any) -> np.ndarray:
    """Float64 values (NaN where missing or not a plain decimal number)."""
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type):
        return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), float)
    strings = _as_strings(arr)
    if strings is None:
        return np.full(len(arr), np.nan)
    try:
        out = pc.cast(strings, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        strings = pc.utf8_trim_whitespace(strings)
        ok = pc.match_substring_regex(strings, r"^[-+]?[0-9]{1,3}(?:\.[0-9]+)?$")
        out = pc.cast(pc.if_else(ok, strings, pa.scalar(None, strings.type)), pa.float64())
    return np.asarray(out.to_numpy(zero_copy_only=False), float)


def _geo_ok(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        inside = (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & ~((lat == 0) & (lon == 0))
    return np.asarray(inside, bool)


_NUM = r"[-+]?[0-9]{1,3}\.[0-9]+"
_INLINE = (
    rf"^\s*[\[(]?\s*(?P<lat>{_NUM})\s*[, ]\s*(?P<lon>{_NUM})\s*[\])]?\s*$",
    rf"(?i)^\s*POINT\s*\(\s*(?P<lon>{_NUM})\s+(?P<lat>{_NUM})\s*\)\s*$",  # WKT: lon first
)


def _inline_pairs(strings: Any) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = np.full(len(strings), np.nan), np.full(len(strings), np.nan)
    for pattern in _INLINE:
        parts = pc.extract_regex(strings, pattern)
        hit = _np_bool(pc.is_valid(parts)) & np.isnan(lat)
        if hit.any():
            for out, key in ((lat, "lat"), (lon, "lon")):
                got = pc.cast(pc.struct_field(parts, key), pa.float64())
                out[hit] = np.asarray(got.to_numpy(zero_copy_only=False), float)[hit]
    return lat, lon


def _flatten(columns: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Columns as (name, Array): chunks combined, struct columns as ``parent.child``."""
    for name, col in columns.items():
        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        if isinstance(arr, pa.DictionaryArray) and len(arr.dictionary) > len(arr):
            arr = arr.dictionary_decode()
        if pa.types.is_struct(arr.type):
            yield from _flatten({f"{name}.{f.name}": arr.field(f.name) for f in arr.type})
        else:
            yield name, arr


def _buffers(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (from the first value) and data bytes of a string or large_string array."""
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    buf = arr.buffers()[2]
    data = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, np.uint8)
    start = int(offsets[0])
    return offsets.astype(np.int64) - start, data[start : int(offsets[-1])]


def _location(obj: str, record: int | None, name: str, kind: str) -> Location:
    if kind == "json":
        return Location(obj, record=record, path=name)
    return Location(obj, record=record, column=name)


def _pair_name(lat: str, lon: str, kind: str) -> str:
    """Where a pair is: the common parent of JSON paths (``$.pos``), else ``lat,lon``."""
    if kind == "json":
        same = next((i for i, (a, b) in enumerate(zip(lat, lon, strict=False)) if a != b), 0)
        parent = lat[:same].rsplit(".", 1)[0]
        if len(parent) > 1:
            return parent
    return f"{lat},{lon}"


class _RecordSink:
    """The text path's line locations in a column, turned into record + column locations
    (line ``n`` of the joined values is record ``first + n - 1``)."""

    def __init__(self, result: ObjectResult, name: str, first: int | None, kind: str) -> None:
        self.result, self.name, self.first, self.kind = result, name, first, kind

    def add(
        self,
        dtype: DataType,
        normalized_value: str | None,
        redacted: str | None,
        location: Location | None,
        confidence: float,
    ) -> None:
        if location is not None:
            line = location.line
            record = None if self.first is None or line is None else self.first + line - 1
            location = _location(location.object, record, self.name, self.kind)
        self.result.add(dtype, normalized_value, redacted, location, confidence)


@dataclass
class _Known:
    """Distinct values of one column already judged (and, if valid, already counted in the
    subject sketch) - in memory only while the object is scanned, never output."""

    valid: Any = field(default_factory=lambda: pa.array([], pa.string()))
    invalid: Any = field(default_factory=lambda: pa.array([], pa.string()))

    def __len__(self) -> int:
        return len(self.valid) + len(self.invalid)


@dataclass
class _ObjectState:
    decisions: dict[str, ColumnDecision] = field(default_factory=dict)
    geo_roles: dict[str, tuple[str, str]] = field(default_factory=dict)
    known: dict[str, _Known] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)  # batches seen without a decision
    result: ObjectResult | None = None  # the result the known values were counted into


class ColumnClassifier:
    """Decides and counts the columns of :class:`ColumnBatch` units into an ObjectResult.

    Decisions are cached per (object, column) for the ``max_objects`` most recent objects;
    call :meth:`forget` when an object is done. Free-text columns go to ``text_scanner``;
    without one they are not scanned and the result records that as a limit.
    """

    def __init__(
        self,
        limits: ClassifyLimits | None = None,
        *,
        detectors: DetectorSet | None = None,
        text_scanner: TextScanner | None = None,
        max_objects: int = 64,
    ) -> None:
        self.limits = limits or ClassifyLimits()
        self.detectors = detectors if detectors is not None else DetectorSet()
        self.text_scanner = text_scanner
        self.max_objects = max_objects
        self._states: OrderedDict[str, _ObjectState] = OrderedDict()

    def decisions(self, obj: str) -> dict[str, ColumnDecision]:
        state = self._states.get(obj)
        return dict(state.decisions) if state else {}

    def forget(self, obj: str) -> None:
        """Drop what is cached for ``obj`` (its decisions and judged values)."""
        self._states.pop(obj, None)

    def __getstate__(self) -> dict[str, Any]:
        # A copy sent elsewhere (Dask) starts without cached objects and their values.
        return {**self.__dict__, "_states": OrderedDict()}

    def _state(self, obj: str) -> _ObjectState:
        state = self._states.get(obj)
        if state is None:
            state = self._states[obj] = _ObjectState()
            while len(self._states) > self.max_objects:
                self._states.popitem(last=False)
        self._states.move_to_end(obj)
        return state

    # -- validating -----------------------------------------------------------------------------

    def check(
        self, dtype: DataType, values: Any, *, named: bool, bare: bool = False
    ) -> tuple[np.ndarray, list[str]]:
        """Which canonical ``values`` are valid ``dtype`` values (numpy bools), and the
        normalized form of the valid ones (for subject types). Without ``named`` a value
        must reach the detector's report threshold on its own."""
        detector = self.detectors.get(dtype)
        if detector is None or len(values) == 0:
            return np.zeros(len(values), bool), []
        subject = dtype in SUBJECT_OF
        ok = np.zeros(len(values), bool)
        normal: list[str] = []
        if named and dtype is D.ADDRESS:
            prefilter = r"\S{4}"
        else:
            prefilter = _PREFILTER.get(dtype) or re2(detector.value_regex)
        rows = np.flatnonzero(_np_bool(pc.match_substring_regex(values, prefilter)))
        if not len(rows) or dtype is D.PRIVATE_KEY:
            ok[rows] = True
            return ok, normal
        candidates = values.take(rows)
        mask = _MASKS.get(dtype)
        if mask is not None:
            good = _np_bool(mask(candidates))
            if not named:  # alone, a value must also reach the threshold: scored below
                rows, candidates = rows[good], candidates.filter(pa.array(good))
            else:
                ok[rows] = good
                if subject and good.any():
                    normal = _vector_normal(dtype, candidates.filter(pa.array(good)))
                if dtype is not D.IMEI:  # named IMEI columns may also hold IMEISVs
                    return ok, normal
                rows, candidates = rows[~good], candidates.filter(pa.array(~good))
        threshold = self.detectors.threshold
        for i, value in zip(rows, candidates.to_pylist(), strict=True):
            scored = detector.score(value)
            if dtype is D.PERSON_NAME:
                found = scored is not None and named and is_person_name(value, bare=bare)
            elif dtype is D.ADDRESS and named:
                found = scored is not None or _loose_address(value)
            else:
                found = scored is not None and (named or scored[1] >= threshold)
            if found:
                ok[i] = True
                if subject and scored is not None:
                    normal.append(scored[0])
        return ok, normal

    # -- deciding -------------------------------------------------------------------------------

    def _decide_geo(self, state: _ObjectState, columns: dict[str, Any]) -> set[str]:
        """Pair latitude and longitude columns by stem and check sampled rows where both
        have a value; returns the columns that wait for a batch with such rows."""
        lats = {n: s for n, (r, s) in state.geo_roles.items() if r == "lat" and n in columns}
        lons = {n: s for n, (r, s) in state.geo_roles.items() if r == "lon" and n in columns}
        pairs = [(a, b) for a, sa in lats.items() for b, sb in lons.items() if sa == sb]
        left_a = [a for a in lats if all(a != p[0] for p in pairs)]
        left_b = [b for b in lons if all(b != p[1] for p in pairs)]
        if len(left_a) == 1 and len(left_b) == 1:
            pairs.append((left_a[0], left_b[0]))
        waiting: set[str] = set()
        for lat_name, lon_name in pairs:
            la, lo = columns[lat_name], columns[lon_name]
            n = min(len(la), len(lo))
            both = _np_bool(pc.and_(la.slice(0, n).is_valid(), lo.slice(0, n).is_valid()))
            rows = np.flatnonzero(both)
            if not len(rows):
                waiting |= {lat_name, lon_name}
                continue
            rows = rows[np.linspace(0, len(rows) - 1, self.limits.sample_rows).astype(np.int64)]
            lat, lon = _numbers(la.take(rows)), _numbers(lo.take(rows))
            ok = _geo_ok(lat, lon)
            fractional = float(np.mean(lat[ok] % 1 != 0)) if ok.any() else 0.0
            if ok.mean() >= VALUE_MIN and fractional >= 0.5:
                why = "latitude/longitude pair by name, values in range"
                geo = partial(ColumnDecision, dtype=D.GEO_COORDINATES, confidence=0.9, named=True)
                state.decisions[lat_name] = geo("geo", partner=lon_name, reason=why)
                state.decisions[lon_name] = geo("partner", partner=lat_name, reason=why)
        return waiting

    def decide(self, name: str, arr: Any) -> ColumnDecision | None:
        """The decision for a column from its name and a sample of its values; None when
        there are too few values to decide by value alone (decided again next batch)."""
        sample = _sample(arr, self.limits.sample_rows)
        if len(sample) == 0:
            return None
        strings = _as_strings(sample)
        if strings is None:
            return ColumnDecision("skip", reason=f"{sample.type} values")
        named = self.detectors.types_for_name(name)
        values = canonical(strings)
        if D.GEO_COORDINATES in named and _geo_ok(*_inline_pairs(values)).mean() >= NAMED_MIN:
            return ColumnDecision("geo_inline", D.GEO_COORDINATES, 0.9, named=True,
                                  reason="coordinate pairs in a location column")  # fmt: skip
        words = set(tokens(name))
        for dtype in named:
            if dtype is D.GEO_COORDINATES:  # pairs are found by name and inline above
                continue
            bare = dtype is D.PERSON_NAME and tokens(name) == ["name"]
            frac = float(self.check(dtype, values, named=True, bare=bare)[0].mean())
            if frac >= NAMED_MIN:
                return ColumnDecision("type", dtype, 0.95 if frac >= 0.9 else 0.85, named=True,
                                      bare=bare, reason="named, values valid")  # fmt: skip
        if len(sample) < min(VALUE_MIN_SAMPLES, self.limits.sample_rows):
            return None
        context = name_part(name).encode()
        candidates = _np_bool(pc.match_substring_regex(values, _ANY_VALUE)).mean()
        mixed = False
        for dtype in _BY_VALUE if candidates >= 0.05 else ():
            detector = self.detectors.get(dtype)
            if detector is None or words & _DENY_BY_VALUE.get(dtype, frozenset()):
                continue
            if detector.context_delta(context) < 0:
                continue
            frac = float(self.check(dtype, values, named=False)[0].mean())
            if frac >= VALUE_MIN:
                return ColumnDecision("type", dtype, 0.75, reason="values valid")
            mixed = mixed or frac >= 0.05
        lengths = np.asarray(pc.utf8_length(values).to_numpy(zero_copy_only=False))
        spaced = _np_bool(pc.match_substring_regex(values, r"\S\s+\S")).mean()
        lettered = _np_bool(pc.match_substring_regex(values, r"[A-Za-z\x{80}-\x{10FFFF}]")).mean()
        if mixed or (lengths.mean() >= 16 and spaced >= 0.3 and lettered >= 0.3):
            return ColumnDecision("text", reason="free text or mixed values")
        return ColumnDecision("skip", reason="no data type recognized")

    # -- scanning -------------------------------------------------------------------------------

    def scan(self, batch: ColumnBatch, result: ObjectResult) -> None:
        """Decide new columns, then count every decided column of ``batch`` into ``result``."""
        state = self._state(batch.object)
        if state.result is not result:  # values judged for another result must count again
            state.known.clear()
            state.result = result
        columns = dict(_flatten(batch.columns))
        new = [n for n in columns if n not in state.decisions]
        for name in new:
            role = geo_role(name)
            if role is not None:
                state.geo_roles.setdefault(name, role)
        waiting: set[str] = set()
        if any(n in state.geo_roles for n in new):
            waiting = self._decide_geo(state, {n: columns[n] for n in new if n in state.geo_roles})
        for name, arr in columns.items():
            decision = state.decisions.get(name)
            if decision is None and name in waiting:  # no row has both coordinates yet
                continue
            if decision is None:
                decision = self.decide(name, arr)
                if decision is None:  # too few values to decide yet: the text path reads them
                    state.pending[name] = state.pending.get(name, 0) + 1
                    if state.pending[name] < MAX_PENDING:
                        self._text(batch, name, arr, result)
                        continue
                    decision = ColumnDecision("text", reason="too few values to decide")
                state.decisions[name] = decision
            if decision.mode == "type":
                self._count(state, batch, name, arr, decision, result)
            elif decision.mode == "geo" and decision.partner in columns:
                lat, lon = _numbers(arr), _numbers(columns[decision.partner])
                where = _pair_name(name, decision.partner, batch.kind)
                self._count_geo(batch, where, lat, lon, result)
            elif decision.mode == "geo_inline" and (strings := _as_strings(arr)) is not None:
                self._count_geo(batch, name, *_inline_pairs(canonical(strings)), result)
            elif decision.mode == "text":
                self._text(batch, name, arr, result)
        result.records = max(result.records, batch.first_record + batch.rows)

    def _locations(self, batch: ColumnBatch, name: str, rows: np.ndarray, n: int) -> list[Location]:
        room = MAX_LOCATIONS - n
        if room <= 0 or not len(rows):
            return []
        if "[*]" in name:  # array elements: which record an element is in is not known here
            return [Location(batch.object, path=name)] if n == 0 else []
        first = batch.first_record
        return [_location(batch.object, first + int(r), name, batch.kind) for r in rows[:room]]

    def _count(
        self,
        state: _ObjectState,
        batch: ColumnBatch,
        name: str,
        arr: Any,
        decision: ColumnDecision,
        result: ObjectResult,
    ) -> None:
        assert decision.dtype is not None
        dtype = decision.dtype
        if isinstance(arr, pa.DictionaryArray):  # Parquet: distinct values come with it
            uniques, indices = _as_strings(arr.dictionary), arr.indices
        else:
            strings = _as_strings(arr)
            if strings is None:
                return
            encoded = pc.dictionary_encode(strings)
            uniques, indices = encoded.dictionary, encoded.indices
        if uniques is None or len(uniques) == 0:
            return
        codes = np.asarray(indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
        used = np.zeros(len(uniques), bool)
        used[codes[codes >= 0]] = True
        if not used.all():  # a dictionary may hold values of rows outside this batch
            uniques = uniques.filter(pa.array(used))
            codes = np.where(codes >= 0, np.cumsum(used)[np.maximum(codes, 0)] - 1, -1)
        values = canonical(uniques)
        known = state.known.setdefault(name, _Known())
        ok = np.zeros(len(values), bool)
        new = np.ones(len(values), bool)
        if len(known):
            ok = _np_bool(pc.is_in(values, value_set=known.valid))
            new = ~(ok | _np_bool(pc.is_in(values, value_set=known.invalid)))
        fresh = values.filter(pa.array(new))
        fresh_ok, normal = self.check(dtype, fresh, named=decision.named, bare=decision.bare)
        ok[new] = fresh_ok
        if len(known) < MAX_KNOWN and len(fresh):
            keep = pa.array(fresh_ok)
            known.valid = pa.concat_arrays([known.valid, fresh.filter(keep)])
            known.invalid = pa.concat_arrays([known.invalid, fresh.filter(pc.invert(keep))])
        if not ok.any():
            return
        per_row = np.append(ok, False)[codes]  # code -1 (null) picks the appended False
        tally = result.tally(dtype)
        need = max(MAX_SAMPLES - len(tally.samples), 0)
        raw = values.filter(pa.array(ok)).slice(0, need * 4).to_pylist() if need else []
        samples = list(dict.fromkeys(redact(dtype, s) for s in raw))[:need]
        result.add_counts(
            dtype,
            int(np.count_nonzero(per_row)),
            redacted=samples,
            locations=self._locations(batch, name, np.flatnonzero(per_row), len(tally.locations)),
            values=normal,
            confidence=decision.confidence,
        )

    def _count_geo(
        self, batch: ColumnBatch, name: str, lat: np.ndarray, lon: np.ndarray, result: ObjectResult
    ) -> None:
        n = min(len(lat), len(lon))
        rows = np.flatnonzero(_geo_ok(lat[:n], lon[:n]))
        if not len(rows):
            return
        tally = result.tally(D.GEO_COORDINATES)
        need = max(MAX_SAMPLES - len(tally.samples), 0)
        pairs = (f"{lat[r]:.6f}, {lon[r]:.6f}" for r in rows[: need * 4])
        samples = list(dict.fromkeys(redact(D.GEO_COORDINATES, p) for p in pairs))[:need]
        result.add_counts(
            D.GEO_COORDINATES,
            len(rows),
            redacted=samples,
            locations=self._locations(batch, name, rows, len(tally.locations)),
            confidence=0.9,
        )

    def _text(self, batch: ColumnBatch, name: str, arr: Any, result: ObjectResult) -> None:
        strings = _as_strings(arr)
        if strings is None or len(strings) == 0:
            return
        if self.text_scanner is None:
            result.hit_limit("text_columns: free-text columns not scanned (no text scanner)")
            return
        strings = strings.fill_null("")
        for brk in ("\n", "\r"):
            strings = pc.replace_substring(strings, brk, " ")
        offsets, data = _buffers(strings)
        block = TextBlock(batch.object, np.insert(data, offsets[1:], 10).tobytes(), 1)
        records = "[*]" not in name and len(strings) == batch.rows
        sink = _RecordSink(result, name, batch.first_record if records else None, batch.kind)
        self.text_scanner.scan(block, sink)
