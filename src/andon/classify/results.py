"""What classification found: per object (:class:`ObjectResult`) and in total
(:class:`ClassifyReport`). Counts, redacted samples, locations and sketches - never a raw value.

JSON of one object (:meth:`ObjectResult.to_dict`)::

    {
      "object": "trips/2024-05.csv.gz",     # key or path; "a.zip!dir/b.csv" inside archives
      "size": 1048576,                      # stored bytes as listed (null if unknown)
      "format": "csv+gzip",
      "inspected": true,                    # false: see "not_inspected" (the reason)
      "complete": false,                    # inspected in full: no limit hit, no error
      "bytes_inspected": 67108864,          # bytes read after decompression
      "records": 812345,                    # rows / JSON records read (0 for plain text)
      "data_types": {                       # stable ids of andon.classify.model.DataType
        "vin": {"count": 812345, "samples": ["JTD**************"],
                "locations": [{"object": "...", "record": 0, "column": "vin"}],
                "confidence": 0.95,
                "distinct": 1204},          # distinct values (keyed-hash sketch estimate)
        "geo_coordinates": {"count": 812345, ...}
      },
      "subjects": {"vehicle": 1204, "person": 980},   # max over each kind's types
      "gps_trace": true,                    # >= GPS_TRACE_MIN_POINTS coordinate pairs
      "limits_hit": ["max_bytes_per_object: stopped after 64 MiB"],
      "errors": []
    }

``count`` counts occurrences (a VIN repeated on 1,000 rows counts 1,000); ``distinct`` and
``subjects`` estimate distinct identifiers (:mod:`andon.classify.subjects`). A ``geo_coordinates``
count is the number of valid latitude/longitude pairs; many pairs in one object make a GPS
trace. ``confidence`` is the highest confidence a detector gave a hit of that type.

The report (:meth:`ClassifyReport.to_dict`) sums objects; where only part of the listed data
was inspected it adds ``estimated_total`` counts scaled by the inspected fraction, labelled as
estimates, and a ``coverage`` sentence that never turns "nothing found in the sample" into
"contains nothing".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from andon.classify.formats import ReadReport
from andon.classify.model import SUBJECT_OF, DataType, Location, TypeTally
from andon.classify.subjects import SubjectCounter

GPS_TRACE_MIN_POINTS = 10
MAX_ERRORS = 20
_LIMIT_KIND = re.compile(r"[a-z]+_[a-z_]+")


def limit_kind(reason: str) -> str:
    """The bound a limit note is about (``max_bytes_per_object``, ``max_ratio``,
    ``text_columns`` ...): its leading snake_case word, else ``other``."""
    found = _LIMIT_KIND.match(reason)
    return found.group() if found else "other"


def _bump_confidence(store: dict[DataType, float], dtype: DataType, confidence: float) -> None:
    if confidence > store.get(dtype, -1.0):
        store[dtype] = confidence


def _ordered(tallies: dict[DataType, TypeTally]) -> list[DataType]:
    order = {t: i for i, t in enumerate(DataType)}
    return sorted(tallies, key=order.__getitem__)


@dataclass
class ObjectResult:
    """What one object held. Implements the text path's ``TextSink`` (:meth:`add`).

    ``stored_bytes_read`` is the number of *stored* (possibly compressed) bytes consumed when
    reading stopped early; readers set it when they know it, so that the report can tell
    which fraction of the listed bytes was inspected.
    """

    object: str
    subjects: SubjectCounter
    size: int | None = None
    format: str = ""
    bytes_read: int = 0
    records: int = 0
    stored_bytes_read: int | None = None
    tallies: dict[DataType, TypeTally] = field(default_factory=dict)
    confidence: dict[DataType, float] = field(default_factory=dict)
    limits_hit: list[str] = field(default_factory=list)
    not_inspected: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def new(
        cls, object: str, key: bytes, *, size: int | None = None, format: str = "", lg_k: int = 12
    ) -> ObjectResult:
        return cls(object=object, subjects=SubjectCounter(key, lg_k), size=size, format=format)

    def __repr__(self) -> str:
        found = ", ".join(f"{t.value}={self.tallies[t].count}" for t in _ordered(self.tallies))
        return f"ObjectResult({self.object!r}, {found or 'nothing found'})"

    # -- recording --------------------------------------------------------------------------

    def tally(self, dtype: DataType) -> TypeTally:
        found = self.tallies.get(dtype)
        if found is None:
            found = self.tallies[dtype] = TypeTally()
        return found

    def add(
        self,
        dtype: DataType,
        normalized_value: str | None,
        redacted: str | None,
        location: Location | None,
        confidence: float,
    ) -> None:
        """One validated hit (the ``TextSink`` protocol). ``normalized_value`` feeds the
        distinct-subject sketch for identifier types and is not kept."""
        self.tally(dtype).add(1, redacted, location)
        _bump_confidence(self.confidence, dtype, confidence)
        if normalized_value is not None and dtype in SUBJECT_OF:
            self.subjects.add(dtype, normalized_value)

    def add_counts(
        self,
        dtype: DataType,
        count: int,
        *,
        redacted: list[str] | tuple[str, ...] = (),
        locations: list[Location] | tuple[Location, ...] = (),
        values: list[str] | tuple[str, ...] = (),
        confidence: float = 0.0,
    ) -> None:
        """Many hits at once (the column path): ``count`` occurrences, a few redacted samples
        and locations, and the distinct normalized ``values`` for the subject sketch."""
        if count <= 0:
            return
        tally = self.tally(dtype)
        tally.add(count)
        for sample in redacted:
            tally.add(0, sample)
        for location in locations:
            tally.add(0, None, location)
        _bump_confidence(self.confidence, dtype, confidence)
        if values and dtype in SUBJECT_OF:
            self.subjects.add_many(dtype, values)

    def absorb(self, report: ReadReport) -> None:
        """Take over what reading the object did (format, size, bytes, records, limits,
        skipped members, errors, or why it could not be inspected)."""
        self.format = report.format or self.format
        if report.size is not None:
            self.size = report.size
        self.bytes_read += report.bytes_read
        self.records = max(self.records, report.records)
        for reason in report.limits_hit:
            self.hit_limit(reason)
        for member in report.skipped:
            self.hit_limit(f"skipped_members: {member}")
        if report.dropped_notes:
            self.hit_limit(f"more_notes: {report.dropped_notes} more notes were not kept")
        for message in report.errors:
            self.error(message)
        if report.not_inspected:
            self.not_inspected = report.not_inspected

    def hit_limit(self, reason: str) -> None:
        """Record that a bound stopped or cut reading (each reason once). A reason starts
        with the bound's name (``max_bytes_per_object 67108864 reached in ...``)."""
        if reason not in self.limits_hit:
            self.limits_hit.append(reason)

    def error(self, message: str) -> None:
        """Record a reading error (the message must not contain content)."""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)
        elif len(self.errors) == MAX_ERRORS:
            self.errors.append("further errors omitted")

    # -- state ------------------------------------------------------------------------------

    @property
    def inspected(self) -> bool:
        return not self.not_inspected

    @property
    def complete(self) -> bool:
        return self.inspected and not self.limits_hit and not self.errors

    @property
    def gps_trace(self) -> bool:
        geo = self.tallies.get(DataType.GEO_COORDINATES)
        return geo is not None and geo.count >= GPS_TRACE_MIN_POINTS

    @property
    def found(self) -> int:
        return sum(t.count for t in self.tallies.values())

    def covered_stored_bytes(self) -> int:
        """Stored bytes this inspection covered (for the report's inspected fraction)."""
        if not self.inspected:
            return 0
        if self.size is None:
            return self.bytes_read
        if self.complete or (not self.limits_hit and self.bytes_read >= self.size):
            return self.size
        if self.stored_bytes_read is not None:
            return min(self.stored_bytes_read, self.size)
        return min(self.bytes_read, self.size)

    # -- combining and output ---------------------------------------------------------------

    def merge(self, other: ObjectResult) -> None:
        """Fold in a partial result of the same object (another batch, task or byte range)."""
        if self.size is None:
            self.size = other.size
        self.format = self.format or other.format
        self.bytes_read += other.bytes_read
        self.records += other.records
        if other.stored_bytes_read is not None:
            self.stored_bytes_read = (self.stored_bytes_read or 0) + other.stored_bytes_read
        for dtype in _ordered(other.tallies):
            self.tally(dtype).merge(other.tallies[dtype])
        for dtype, conf in other.confidence.items():
            _bump_confidence(self.confidence, dtype, conf)
        self.subjects.merge(other.subjects)
        for reason in other.limits_hit:
            self.hit_limit(reason)
        for message in other.errors:
            self.error(message)
        if self.not_inspected and other.not_inspected:
            return
        for reason in (self.not_inspected, other.not_inspected):
            if reason:
                self.hit_limit(f"part not inspected: {reason}")
        self.not_inspected = ""

    def to_dict(self) -> dict[str, Any]:
        types: dict[str, Any] = {}
        for dtype in _ordered(self.tallies):
            entry = self.tallies[dtype].to_dict()
            entry["confidence"] = round(self.confidence.get(dtype, 0.0), 3)
            if dtype in SUBJECT_OF:
                entry["distinct"] = self.subjects.estimate(dtype)
            types[dtype.value] = entry
        out: dict[str, Any] = {
            "object": self.object,
            "size": self.size,
            "format": self.format,
            "inspected": self.inspected,
        }
        if self.not_inspected:
            out["not_inspected"] = self.not_inspected
        out |= {
            "complete": self.complete,
            "bytes_inspected": self.bytes_read,
            "records": self.records,
            "data_types": types,
            "subjects": {k.value: n for k, n in self.subjects.by_kind().items()},
        }
        if DataType.GEO_COORDINATES in self.tallies:
            out["gps_trace"] = self.gps_trace
        out["limits_hit"] = list(self.limits_hit)
        out["errors"] = list(self.errors)
        return out


@dataclass
class ClassifyReport:
    """Totals over objects. Memory stays flat: objects are folded in, not kept.

    ``objects_listed`` / ``bytes_listed`` describe the whole population the engine listed
    (including objects it chose not to sample); set them with :meth:`listed`. Where they are
    lower than what was added, the added objects count as the population.
    """

    subjects: SubjectCounter = field(default_factory=lambda: SubjectCounter(None))
    objects_listed: int = 0
    bytes_listed: int = 0
    objects_added: int = 0
    objects_inspected: int = 0
    objects_complete: int = 0
    bytes_seen: int = 0  # listed sizes of the objects added
    bytes_inspected: int = 0  # bytes read after decompression
    stored_bytes_covered: int = 0
    records: int = 0
    tallies: dict[DataType, TypeTally] = field(default_factory=dict)
    confidence: dict[DataType, float] = field(default_factory=dict)
    objects_with: Counter[DataType] = field(default_factory=Counter)
    gps_traces: int = 0
    not_inspected: Counter[str] = field(default_factory=Counter)
    limits_hit: Counter[str] = field(default_factory=Counter)
    objects_with_errors: int = 0
    estimates: dict[DataType, int] = field(default_factory=dict)
    estimate_method: str = ""

    def listed(self, objects: int, bytes: int) -> None:
        """Add to the listed population (objects and stored bytes, sampled or not)."""
        self.objects_listed += objects
        self.bytes_listed += bytes

    def add(self, result: ObjectResult) -> None:
        self.objects_added += 1
        self.bytes_seen += result.size or 0
        if not result.inspected:
            self.not_inspected[result.not_inspected] += 1
        else:
            self.objects_inspected += 1
            self.objects_complete += result.complete
        self.bytes_inspected += result.bytes_read
        self.stored_bytes_covered += result.covered_stored_bytes()
        self.records += result.records
        for dtype in _ordered(result.tallies):
            tally = result.tallies[dtype]
            if tally.count:
                self.objects_with[dtype] += 1
            found = self.tallies.setdefault(dtype, TypeTally())
            found.merge(tally)
        for dtype, conf in result.confidence.items():
            _bump_confidence(self.confidence, dtype, conf)
        self.gps_traces += result.gps_trace
        for kind in {limit_kind(reason) for reason in result.limits_hit}:
            self.limits_hit[kind] += 1
        self.objects_with_errors += bool(result.errors)
        self.subjects.merge(result.subjects)

    def merge(self, other: ClassifyReport) -> None:
        """Fold in another partial report (a Dask reduction)."""
        for name in (
            "objects_listed", "bytes_listed", "objects_added", "objects_inspected",
            "objects_complete", "bytes_seen", "bytes_inspected", "stored_bytes_covered",
            "records", "gps_traces", "objects_with_errors",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for dtype in _ordered(other.tallies):
            self.tallies.setdefault(dtype, TypeTally()).merge(other.tallies[dtype])
        for dtype, conf in other.confidence.items():
            _bump_confidence(self.confidence, dtype, conf)
        self.objects_with.update(other.objects_with)
        self.not_inspected.update(other.not_inspected)
        self.limits_hit.update(other.limits_hit)
        self.subjects.merge(other.subjects)
        for dtype, n in other.estimates.items():
            self.estimates[dtype] = self.estimates.get(dtype, 0) + n
        self.estimate_method = self.estimate_method or other.estimate_method

    # -- coverage ---------------------------------------------------------------------------

    @property
    def population_objects(self) -> int:
        return max(self.objects_listed, self.objects_added)

    @property
    def population_bytes(self) -> int:
        return max(self.bytes_listed, self.bytes_seen)

    @property
    def inspected_fraction(self) -> float:
        """Share of the listed stored bytes that was inspected (objects when sizes are
        unknown); 1.0 for an empty population."""
        if self.population_bytes:
            return min(1.0, self.stored_bytes_covered / self.population_bytes)
        if self.population_objects:
            return self.objects_inspected / self.population_objects
        return 1.0

    @property
    def complete(self) -> bool:
        """Every listed object was inspected in full."""
        return self.objects_complete == self.population_objects

    @property
    def found(self) -> int:
        return sum(t.count for t in self.tallies.values())

    def use_estimates(self, estimates: Mapping[DataType, float], method: str) -> None:
        """Replace the overall scaling with better estimates made by the caller (e.g. per
        stratum with :meth:`andon.classify.sampling.SamplePlan.estimate`)."""
        self.estimates = {t: round(n) for t, n in estimates.items()}
        self.estimate_method = method

    def estimated_totals(self) -> dict[DataType, int]:
        """Counts scaled to the listed population where sampling was used and something was
        inspected: an extrapolation, not a measurement. Unless the caller gave its own
        (:meth:`use_estimates`), counts are divided by :attr:`inspected_fraction`."""
        fraction = self.inspected_fraction
        if self.complete or fraction <= 0.0:
            return {}
        if self.estimates:
            return dict(self.estimates)
        return {t: round(self.tallies[t].count / fraction) for t in _ordered(self.tallies)}

    @property
    def estimated_by(self) -> str:
        return self.estimate_method or "counts divided by the inspected fraction of listed bytes"

    def coverage(self) -> str:
        """One honest sentence (or three) on what was and was not looked at."""
        pop_objects, pop_bytes = self.population_objects, self.population_bytes
        nothing_found = self.found == 0
        if pop_objects == 0:
            return "No objects were listed; nothing was inspected."
        if self.complete:
            text = f"All {pop_objects} listed objects ({_size(pop_bytes)}) were inspected in full."
            if nothing_found:
                text += " No data of the types Andon recognizes was found."
            return text
        parts = [
            f"Inspected {self.objects_inspected} of {pop_objects} listed objects "
            f"({_pct(self.inspected_fraction)} of {_size(pop_bytes)} stored; "
            f"{_size(self.bytes_inspected)} read)."
        ]
        not_inspected = sum(self.not_inspected.values())
        if not_inspected:
            reasons = ", ".join(f"{r} ({n})" for r, n in self.not_inspected.most_common(3))
            parts.append(f"{not_inspected} could not be inspected: {reasons}.")
        cut = sum(self.limits_hit.values())
        if cut:
            limits = ", ".join(f"{r} ({n})" for r, n in self.limits_hit.most_common(3))
            parts.append(f"Limits cut objects short: {limits}.")
        if self.objects_with_errors:
            parts.append(f"{self.objects_with_errors} objects had read errors.")
        if nothing_found:
            parts.append(
                "Nothing was found in the inspected sample; this does not show that the "
                "uninspected data contains nothing."
            )
        else:
            parts.append(
                "Counts are what was found in the inspected data; 'estimated_total' scales "
                "them by the inspected fraction and is an estimate, and distinct subjects "
                "are those seen in the inspected data (a lower bound)."
            )
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        estimates = self.estimated_totals()
        types: dict[str, Any] = {}
        for dtype in _ordered(self.tallies):
            entry = self.tallies[dtype].to_dict()
            entry["objects"] = self.objects_with[dtype]
            entry["confidence"] = round(self.confidence.get(dtype, 0.0), 3)
            if dtype in SUBJECT_OF:
                entry["distinct"] = self.subjects.estimate(dtype)
            if dtype in estimates:
                entry["estimated_total"] = estimates[dtype]
            types[dtype.value] = entry
        return {
            "coverage": self.coverage(),
            "complete": self.complete,
            "sampled": bool(estimates),
            **({"estimated_by": self.estimated_by} if estimates else {}),
            "objects_listed": self.population_objects,
            "objects_inspected": self.objects_inspected,
            "objects_complete": self.objects_complete,
            "objects_not_inspected": dict(self.not_inspected.most_common()),
            "bytes_listed": self.population_bytes,
            "bytes_inspected": self.bytes_inspected,
            "stored_bytes_inspected": self.stored_bytes_covered,
            "inspected_fraction": round(self.inspected_fraction, 6),
            "records": self.records,
            "data_types": types,
            "subjects": {k.value: n for k, n in self.subjects.by_kind().items()},
            "subjects_are": "distinct identifiers seen in the inspected data (not extrapolated)",
            "gps_traces": self.gps_traces,
            "limits_hit": dict(self.limits_hit.most_common()),
            "objects_with_errors": self.objects_with_errors,
        }


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _pct(fraction: float) -> str:
    if 0 < fraction < 0.001:
        return "<0.1 %"
    return f"{fraction * 100:.1f} %"
