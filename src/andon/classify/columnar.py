"""The structured fast path: decide each column's data type once, then count column-wise.

Each column of an object (CSV header, Parquet column, JSON key path) gets one
:class:`ColumnDecision` from its name and a sample of its values (``sample_rows``), cached
for the rest of the object:

* **named**: the name carries a detector's keyword (:meth:`Detector.matches_name`) and at
  least half the sampled values pass its validator; the name is the context, so values the
  detector reports only with context count too. A ``phone`` column of timestamps is not phone.
  A name may name several types (車台番号 / ``chassis_no``: frame numbers of domestic cars,
  VINs of imported ones): the first type that half the values pass is the column's type, and
  every other type the name names with at least one sampled value counts too (``also``) -
  its values judged as the text path judges a value with the name as context keyword
  (score + the detector's context boost must reach the report threshold), each value
  counted as one type at most.
* **by value**: at least 80 % of at least 10 sampled values pass a detector and reach its
  report threshold (never My Number, licences, secret keys, bare postal codes or person
  names) - alone, or with the detector's context boost when the name holds one of its
  context keywords (as Macie reads keywords in column names: bare IMEIs in a ``dcm`` column),
  unless the name points elsewhere (a ``serial`` column of Luhn-valid numbers is not a card;
  a negative keyword such as ``version`` rules the type out). A column called just ``name``
  needs values of 2-4 words or Japanese script.
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
already judged, per type (at most ``MAX_KNOWN``; in memory only, never in results, reprs or
pickles), so a VIN repeated in every batch is validated and hashed once per object. One
classifier per thread (it holds per-object state and a text scanner).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

from andon.classify.colnames import (
    DENY_BY_VALUE,
    context,
    geo_role,
    keyword_name,
    pair_name,
    tokens,
)
from andon.classify.colvalues import (
    ANY_VALUE,
    MASKS,
    PREFILTER,
    as_strings,
    canonical,
    geo_ok,
    inline_pairs,
    is_person_name,
    leaf_columns,
    loose_address,
    np_bool,
    numbers,
    re2,
    sample,
    string_buffers,
    vector_normal,
)
from andon.classify.detectors import DetectorSet
from andon.classify.jsonpaths import is_multi
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

__all__ = ["ColumnClassifier", "ColumnDecision", "TextScanner", "canonical", "geo_role", "tokens"]

D = DataType
NAMED_MIN = 0.5  # share of sampled values that must be valid when the name names the type
VALUE_MIN = 0.8  # ... when the values alone decide
VALUE_MIN_SAMPLES = 10  # sampled values needed before values alone may decide
MAX_PENDING = 3  # batches a sparse column may wait for enough values; then the text path
MAX_KNOWN = 65_536  # distinct values per column remembered as judged while an object is read
_BY_VALUE: tuple[DataType, ...] = (  # priority order for decisions by value alone
    D.PRIVATE_KEY, D.AWS_ACCESS_KEY, D.EMAIL, D.IP_ADDRESS, D.VIN, D.JP_CHASSIS_NUMBER,
    D.ICCID, D.IMEI, D.PAYMENT_CARD, D.PHONE_NUMBER, D.JP_POSTAL_CODE, D.ADDRESS,
)  # fmt: skip


class TextScanner(Protocol):
    """The text path, as the column path uses it for free-text columns."""

    def scan(self, block: TextBlock, sink: TextSink) -> None: ...


@dataclass(frozen=True)
class ColumnDecision:
    """What to do with one column of one object. ``reason`` names no value.

    ``mode``: ``type`` (count ``dtype``, then the ``also`` types), ``geo`` (a latitude
    column; ``partner`` is the longitude column, whose own mode is ``partner``),
    ``geo_inline`` (pairs in one column), ``text`` (the text scanner) or ``skip``."""

    mode: str
    dtype: DataType | None = None
    confidence: float = 0.0
    named: bool = False  # the name names the type: values need no further context
    bare: bool = False  # person names in a column called just "name": stricter shapes
    partner: str | None = None
    reason: str = ""
    boost: float = 0.0  # context the name adds to values of ``dtype`` when not ``named``
    also: tuple[tuple[DataType, float], ...] = ()  # other named types and their name boost

    @property
    def rules(self) -> tuple[tuple[DataType, bool, float], ...]:
        """``(type, named, boost)`` in the order values are claimed: ``dtype`` first."""
        if self.dtype is None:
            return ()
        return ((self.dtype, self.named, self.boost), *((t, False, b) for t, b in self.also))


def _location(obj: str, record: int | None, name: str, kind: str) -> Location:
    if kind == "json":
        return Location(obj, record=record, path=name)
    return Location(obj, record=record, column=name)


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


def _empty() -> Any:
    return pa.array([], pa.string())


@dataclass
class _Known:
    """Distinct values of one column already judged - valid ones per type of the column's
    decision (and, if valid, already counted in the subject sketch), invalid ones for all
    its types - in memory only while the object is scanned, never output."""

    valid: list[Any]
    invalid: Any = field(default_factory=_empty)

    def __len__(self) -> int:
        return sum(len(a) for a in self.valid) + len(self.invalid)


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
        self,
        dtype: DataType,
        values: Any,
        *,
        named: bool,
        bare: bool = False,
        boost: float = 0.0,
    ) -> tuple[np.ndarray, list[str]]:
        """Which canonical ``values`` are valid ``dtype`` values (numpy bools), and the
        normalized form of the valid ones (for subject types). Without ``named`` a value
        must reach the detector's report threshold on its own, or with ``boost`` (the
        context the column name gives it), and pass the vectorized mask where there is one
        (so IMEISVs, which have no check digit, count only in columns named for IMEI)."""
        detector = self.detectors.get(dtype)
        if detector is None or len(values) == 0:
            return np.zeros(len(values), bool), []
        subject = dtype in SUBJECT_OF
        ok = np.zeros(len(values), bool)
        normal: list[str] = []
        if named and dtype is D.ADDRESS:
            prefilter = r"\S{4}"
        else:
            prefilter = PREFILTER.get(dtype) or re2(detector.value_regex)
        rows = np.flatnonzero(np_bool(pc.match_substring_regex(values, prefilter)))
        if not len(rows) or dtype is D.PRIVATE_KEY:
            ok[rows] = True
            return ok, normal
        candidates = values.take(rows)
        mask = MASKS.get(dtype)
        if mask is not None:
            good = np_bool(mask(candidates))
            if not named:  # alone, a value must also reach the threshold: scored below
                rows, candidates = rows[good], candidates.filter(pa.array(good))
            else:
                ok[rows] = good
                if subject and good.any():
                    normal = vector_normal(dtype, candidates.filter(pa.array(good)))
                if dtype is not D.IMEI:  # named IMEI columns may also hold IMEISVs
                    return ok, normal
                rows, candidates = rows[~good], candidates.filter(pa.array(~good))
        threshold = self.detectors.threshold
        for i, value in zip(rows, candidates.to_pylist(), strict=True):
            scored = detector.score(value)
            if dtype is D.PERSON_NAME:
                found = scored is not None and named and is_person_name(value, bare=bare)
            elif dtype is D.ADDRESS and named:
                found = scored is not None or loose_address(value)
            else:
                found = scored is not None and (named or min(scored[1] + boost, 1.0) >= threshold)
            if found:
                ok[i] = True
                if subject and scored is not None:
                    normal.append(scored[0])
        return ok, normal

    def _name_boost(self, dtype: DataType, text: bytes) -> float | None:
        """The context a name gives values of ``dtype``: 0 or the detector's boost, or
        None when the name holds one of its negative keywords."""
        detector = self.detectors.get(dtype)
        if detector is None:
            return None
        delta = detector.context_delta(text)
        return None if delta < 0 else delta

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
            both = np_bool(pc.and_(la.slice(0, n).is_valid(), lo.slice(0, n).is_valid()))
            rows = np.flatnonzero(both)
            if not len(rows):
                waiting |= {lat_name, lon_name}
                continue
            rows = rows[np.linspace(0, len(rows) - 1, self.limits.sample_rows).astype(np.int64)]
            lat, lon = numbers(la.take(rows)), numbers(lo.take(rows))
            ok = geo_ok(lat, lon)
            fractional = float(np.mean(lat[ok] % 1 != 0)) if ok.any() else 0.0
            if ok.mean() >= VALUE_MIN and fractional >= 0.5:
                why = "latitude/longitude pair by name, values in range"
                geo = partial(ColumnDecision, dtype=D.GEO_COORDINATES, confidence=0.9, named=True)
                state.decisions[lat_name] = geo("geo", partner=lon_name, reason=why)
                state.decisions[lon_name] = geo("partner", partner=lat_name, reason=why)
        return waiting

    def _decide_named(self, name: str, values: Any, named: list[DataType]) -> ColumnDecision | None:
        """The decision for a column whose name names types, or None when no named type
        holds half the sampled values. Other named types count too when a sampled value not
        claimed by an earlier type passes with the name as context (``also``)."""
        bare = tokens(name) == ["name"]
        primary: tuple[DataType, float] | None = None
        claimed = np.zeros(len(values), bool)
        for dtype in named:
            is_bare = bare and dtype is D.PERSON_NAME
            ok = self.check(dtype, values, named=True, bare=is_bare)[0]
            if ok.mean() >= NAMED_MIN:
                primary, claimed = (dtype, float(ok.mean())), ok
                break
        if primary is None:
            return None
        dtype, frac = primary
        also: list[tuple[DataType, float]] = []
        text = context(name)
        for other in named:
            if other in (dtype, D.PERSON_NAME) or claimed.all():
                continue
            boost = self._name_boost(other, text)
            if boost is None:
                continue
            left = np.flatnonzero(~claimed)
            ok = self.check(other, values.take(left), named=False, boost=boost)[0]
            if ok.any():
                also.append((other, boost))
                claimed[left[ok]] = True
        reason = "named, values valid" + (
            "; also " + ", ".join(t.value for t, _ in also) if also else ""
        )
        return ColumnDecision("type", dtype, 0.95 if frac >= 0.9 else 0.85, named=True,
                              bare=bare and dtype is D.PERSON_NAME, reason=reason,
                              also=tuple(also))  # fmt: skip

    def decide(self, name: str, arr: Any) -> ColumnDecision | None:
        """The decision for a column from its name and a sample of its values; None when
        there are too few values to decide by value alone (decided again next batch)."""
        values = sample(arr, self.limits.sample_rows)
        if len(values) == 0:
            return None
        strings = as_strings(values)
        if strings is None:
            return ColumnDecision("skip", reason=f"{values.type} values")
        named = self.detectors.types_for_name(keyword_name(name))
        values = canonical(strings)
        if D.GEO_COORDINATES in named:
            if geo_ok(*inline_pairs(values)).mean() >= NAMED_MIN:
                return ColumnDecision("geo_inline", D.GEO_COORDINATES, 0.9, named=True,
                                      reason="coordinate pairs in a location column")  # fmt: skip
            named.remove(D.GEO_COORDINATES)  # pairs are found by name and inline above
        decision = self._decide_named(name, values, named) if named else None
        if decision is not None:
            return decision
        if len(values) < min(VALUE_MIN_SAMPLES, self.limits.sample_rows):
            return None
        words = set(tokens(name))
        text = context(name)
        candidates = np_bool(pc.match_substring_regex(values, ANY_VALUE)).mean()
        mixed = False
        for dtype in _BY_VALUE if candidates >= 0.05 else ():
            if words & DENY_BY_VALUE.get(dtype, frozenset()):
                continue
            boost = self._name_boost(dtype, text)
            if boost is None:
                continue
            frac = float(self.check(dtype, values, named=False, boost=boost)[0].mean())
            if frac >= VALUE_MIN:
                why = "values valid" + (" with the name as context" if boost else "")
                return ColumnDecision("type", dtype, 0.8 if boost else 0.75, boost=boost,
                                      reason=why)  # fmt: skip
            mixed = mixed or frac >= 0.05
        lengths = np.asarray(pc.utf8_length(values).to_numpy(zero_copy_only=False))
        spaced = np_bool(pc.match_substring_regex(values, r"\S\s+\S")).mean()
        lettered = np_bool(pc.match_substring_regex(values, r"[A-Za-z\x{80}-\x{10FFFF}]")).mean()
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
        columns = dict(leaf_columns(batch.columns))
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
                lat, lon = numbers(arr), numbers(columns[decision.partner])
                where = pair_name(name, decision.partner, batch.kind)
                self._count_geo(batch, where, lat, lon, result)
            elif decision.mode == "geo_inline" and (strings := as_strings(arr)) is not None:
                self._count_geo(batch, name, *inline_pairs(canonical(strings)), result)
            elif decision.mode == "text":
                self._text(batch, name, arr, result)
        result.records = max(result.records, batch.first_record + batch.rows)

    def _locations(self, batch: ColumnBatch, name: str, rows: np.ndarray, n: int) -> list[Location]:
        room = MAX_LOCATIONS - n
        if room <= 0 or not len(rows):
            return []
        if is_multi(name):  # array elements, folded keys: their records are not known here
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
        rules = decision.rules
        if isinstance(arr, pa.DictionaryArray):  # Parquet: distinct values come with it
            uniques, indices = as_strings(arr.dictionary), arr.indices
        else:
            strings = as_strings(arr)
            if strings is None:
                return
            encoded = pc.dictionary_encode(strings)
            uniques, indices = encoded.dictionary, encoded.indices
        if not rules or uniques is None or len(uniques) == 0:
            return
        codes = np.asarray(indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
        used = np.zeros(len(uniques), bool)
        used[codes[codes >= 0]] = True
        if not used.all():  # a dictionary may hold values of rows outside this batch
            uniques = uniques.filter(pa.array(used))
            codes = np.where(codes >= 0, np.cumsum(used)[np.maximum(codes, 0)] - 1, -1)
        values = canonical(uniques)
        verdict, normals = self._judge(state, name, values, decision)
        for i, (dtype, _, _) in enumerate(rules):
            ok = verdict == i
            if not ok.any():
                continue
            per_row = np.append(ok, False)[codes]  # code -1 (null) picks the appended False
            tally = result.tally(dtype)
            need = max(MAX_SAMPLES - len(tally.samples), 0)
            raw = values.filter(pa.array(ok)).slice(0, need * 4).to_pylist() if need else []
            samples = list(dict.fromkeys(redact(dtype, s) for s in raw))[:need]
            rows = np.flatnonzero(per_row)
            result.add_counts(
                dtype,
                len(rows),
                redacted=samples,
                locations=self._locations(batch, name, rows, len(tally.locations)),
                values=normals[i],
                confidence=decision.confidence if i == 0 else 0.8,
            )

    def _judge(
        self, state: _ObjectState, name: str, values: Any, decision: ColumnDecision
    ) -> tuple[np.ndarray, list[list[str]]]:
        """Per distinct value, the index of the rule (type) it counts as, -1 for none; and
        per rule the normalized values judged valid for the first time in this object (those
        already judged were counted into the subject sketch before)."""
        rules = decision.rules
        known = state.known.get(name)
        if known is None:
            known = state.known[name] = _Known([_empty() for _ in rules])
        verdict = np.full(len(values), -1, np.int64)
        new = np.ones(len(values), bool)
        if len(known):
            for i, seen in enumerate(known.valid):
                if len(seen):
                    verdict[np_bool(pc.is_in(values, value_set=seen))] = i
            new = verdict < 0
            if len(known.invalid):
                new &= ~np_bool(pc.is_in(values, value_set=known.invalid))
        fresh = left = np.flatnonzero(new)
        normals: list[list[str]] = []
        for i, (dtype, named, boost) in enumerate(rules):
            if not len(left):
                normals.append([])
                continue
            bare = decision.bare and i == 0
            ok, normal = self.check(dtype, values.take(left), named=named, bare=bare, boost=boost)
            verdict[left[ok]] = i
            normals.append(normal)
            left = left[~ok]
        if len(known) < MAX_KNOWN and len(fresh):
            for i in range(len(rules)):
                got = fresh[verdict[fresh] == i]
                if len(got):
                    known.valid[i] = pa.concat_arrays([known.valid[i], values.take(got)])
            if len(left):
                known.invalid = pa.concat_arrays([known.invalid, values.take(left)])
        return verdict, normals

    def _count_geo(
        self, batch: ColumnBatch, name: str, lat: np.ndarray, lon: np.ndarray, result: ObjectResult
    ) -> None:
        n = min(len(lat), len(lon))
        rows = np.flatnonzero(geo_ok(lat[:n], lon[:n]))
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
        strings = as_strings(arr)
        if strings is None or len(strings) == 0:
            return
        if self.text_scanner is None:
            result.hit_limit("text_columns: free-text columns not scanned (no text scanner)")
            return
        strings = strings.fill_null("")
        for brk in ("\n", "\r"):
            strings = pc.replace_substring(strings, brk, " ")
        offsets, data = string_buffers(strings)
        block = TextBlock(batch.object, np.insert(data, offsets[1:], 10).tobytes(), 1)
        records = not is_multi(name) and len(strings) == batch.rows
        sink = _RecordSink(result, name, batch.first_record if records else None, batch.kind)
        self.text_scanner.scan(block, sink)
