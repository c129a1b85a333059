"""The classification engine: list, plan a sample, classify each chosen object, merge.

:func:`classify_object` reads one object with the streaming readers and routes every unit:
:class:`~andon.classify.model.TextBlock` to the text scanner (one hyperscan pass),
:class:`~andon.classify.model.ColumnBatch` to the column classifier. What the read did (limits
hit, members skipped, errors, why the object could not be inspected) lands on the
:class:`~andon.classify.results.ObjectResult`; nothing about one bad object stops the run.

:func:`classify_source` lists a source once, draws a stratified sample within the budgets
(:func:`andon.classify.sampling.plan`), classifies the chosen objects - in this process, on a
local process pool or on a Dask cluster, through the same ``concurrent.futures.Executor``
interface (:mod:`andon.classify.distributed`) - and folds the results into one
:class:`~andon.classify.results.ClassifyReport`, with the inspected fraction and per-stratum
estimates taken from the plan.

Work is sent in *batches*: contiguous runs of the key-sorted sample, balanced by the bytes they
will cost. A worker receives a picklable :class:`SourceSpec` (a path, or an S3 target with its
endpoint and credential *settings*, never a live client) and rebuilds its source; it returns
pickled ``ObjectResult`` s, whose subject sketches carry no key and merge into the keyed
report. Results are folded in key order whatever the executor and the batch count, so the
totals and the merged subject estimates of a run do not depend on how it was spread out.

Nothing here logs or returns a raw value: logs name objects and counts only.
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import itertools
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from andon.classify.columnar import ColumnClassifier
from andon.classify.detectors import DetectorSet
from andon.classify.formats import ReadReport, describe, value_like_key
from andon.classify.keys import default_key_path, load_or_create_key
from andon.classify.model import ClassifyLimits, DataType, TextBlock
from andon.classify.results import ClassifyReport, ObjectResult
from andon.classify.sampling import SamplePlan, Stratum, plan
from andon.classify.sources import LocalSource, ObjectInfo, S3Source, Source, read_units
from andon.classify.subjects import SubjectCounter
from andon.classify.text import CollectingSink, TextScanner
from andon.core.context import AwsTarget, Limits

log = logging.getLogger(__name__)

MiB = 1 << 20
DEFAULT_BYTE_BUDGET = 256 * MiB
DEFAULT_OBJECT_BUDGET = 1000
BATCH_BYTES = 128 * MiB  # work per task; a task also pays one pattern compile (about 0.7 s)
LOCAL_INLINE_BYTES = 16 * MiB  # below this, a local pool is not worth starting
OBJECT_OVERHEAD = 64 * 1024  # cost of an object beyond its bytes (requests, format sniffing)
ESTIMATE_METHOD = (
    "per stratum (folder, type, size class): counts scaled by listed stored bytes over "
    "inspected stored bytes; strata with no inspected object are not extrapolated"
)
LISTING_CUT = "max_listed"


@dataclass(frozen=True)
class Sampling:
    """How much of a source to read. ``full`` reads every listed object (the byte and object
    budgets then do not apply); ``max_listed`` stops the listing after that many objects (the
    population is then the listed part, and the run says so)."""

    byte_budget: int = DEFAULT_BYTE_BUDGET
    object_budget: int = DEFAULT_OBJECT_BUDGET
    full: bool = False
    seed: int = 0
    max_listed: int | None = None


@dataclass(frozen=True)
class ClassifyContext:
    """Everything classification needs, built once and passed explicitly (also to workers).

    ``key`` is the installation key behind the keyed hashes of subjects (never in a repr);
    ``detectors`` compiles its pattern database on first use in each process.
    """

    key: bytes = field(repr=False)
    detectors: DetectorSet = field(default_factory=DetectorSet, compare=False)
    limits: ClassifyLimits = field(default_factory=ClassifyLimits)
    sampling: Sampling = field(default_factory=Sampling)
    lg_k: int = 12

    @classmethod
    def build(
        cls,
        *,
        key_file: Path | None = None,
        limits: ClassifyLimits | None = None,
        sampling: Sampling | None = None,
        detectors: DetectorSet | None = None,
    ) -> ClassifyContext:
        """A context with the key from ``key_file`` (default: the user's key, created on first
        use). Raises :class:`~andon.core.errors.ConfigError` for an unusable key file."""
        key = load_or_create_key(key_file if key_file is not None else default_key_path())
        return cls(
            key=key,
            detectors=detectors if detectors is not None else DetectorSet(),
            limits=limits or ClassifyLimits(),
            sampling=sampling or Sampling(),
        )


# -- sources that travel to workers ------------------------------------------------------------


class SourceSpec(Protocol):
    """A picklable description of a source; a worker calls :meth:`open` to get the source."""

    @property
    def label(self) -> str: ...

    def open(self) -> Source: ...

    def close(self, source: Source) -> None: ...


@dataclass(frozen=True)
class LocalSpec:
    """A file or a directory tree on a file system every worker sees at the same path."""

    path: str

    @property
    def label(self) -> str:
        return self.path

    def open(self) -> Source:
        return LocalSource(self.path)

    def close(self, source: Source) -> None:
        return None


@dataclass(frozen=True)
class S3Spec:
    """One bucket (and prefix) behind an AWS target. The target holds settings (profile,
    endpoint, explicit keys if the caller gave any), never a live client: each worker builds
    its own :class:`~andon.collect.aws.transport.AwsClients`."""

    target: AwsTarget
    bucket: str
    prefix: str = ""
    region: str | None = None
    limits: Limits = field(default_factory=Limits)

    @property
    def label(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def open(self) -> Source:
        from andon.collect.aws.transport import AwsClients

        return S3Source(AwsClients(self.target, self.limits), self.bucket, self.prefix, self.region)

    def close(self, source: Source) -> None:
        if isinstance(source, S3Source):
            source.clients.close()


# -- one object --------------------------------------------------------------------------------


class _Ranges:
    """The union of byte ranges read from a stream (stored bytes covered)."""

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []

    def add(self, start: int, end: int) -> None:
        if end <= start:
            return
        spans = self._spans
        if spans and spans[-1][0] <= start <= spans[-1][1]:  # the common case: read on
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            return
        spans.append((start, end))
        spans.sort()
        merged = [spans[0]]
        for lo, hi in spans[1:]:
            if lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        self._spans = merged

    def total(self) -> int:
        return sum(hi - lo for lo, hi in self._spans)


class _Tracked(io.RawIOBase):
    """A stream that records which stored byte ranges were read through it."""

    def __init__(self, inner: BinaryIO, ranges: _Ranges) -> None:
        super().__init__()
        self._inner = inner
        self._ranges = ranges
        self._read = getattr(inner, "read1", inner.read)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        try:
            return bool(self._inner.seekable())
        except (AttributeError, OSError, ValueError):
            return False

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        self._pos = int(self._inner.seek(offset, whence))
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, size: int | None = -1, /) -> bytes:
        data: bytes = self._inner.read() if size is None or size < 0 else self._read(size)
        self._ranges.add(self._pos, self._pos + len(data))
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


class _TrackedSource:
    """A source whose opened streams record the stored bytes read (for the covered fraction
    of objects cut short by a limit)."""

    def __init__(self, inner: Source) -> None:
        self._inner = inner
        self.ranges = _Ranges()

    def list(self) -> Iterator[ObjectInfo]:
        return self._inner.list()

    def open(self, info: ObjectInfo, *, max_bytes: int | None = None) -> BinaryIO:
        stream = self._inner.open(info, max_bytes=max_bytes)
        return cast(BinaryIO, _Tracked(stream, self.ranges))


_PATH_PART = re.compile(r'\.([^.\[\]]+)|\[("(?:[^"\\]|\\.)*")\]')
KEY_MASK = "{key}"
COLUMN_MASK = "{column}"


class _Scrubber:
    """The second line of defence for names in locations that are values themselves. The
    readers fold JSON keys that are values (``{"JTD…": {"lat": …}}`` gives ``$.{key}.lat``)
    and read a CSV whose first row looks like data without a header; what they miss (a
    Parquet column named by an e-mail address, a header cell only a detector recognizes) is
    masked here: a key or column name that :func:`value_like_key` folds, or in which a
    detector reports anything."""

    def __init__(self, scanner: TextScanner) -> None:
        self._scanner = scanner
        self._verdicts: dict[str, bool] = {}

    def value_like(self, name: str) -> bool:
        verdict = self._verdicts.get(name)
        if verdict is None:
            verdict = value_like_key(name)
            if not verdict:
                sink = CollectingSink()
                try:
                    self._scanner.scan(TextBlock("", name.encode("utf-8", "replace")), sink)
                    verdict = bool(sink.hits)
                except Exception:  # a scanner bug: mask the name rather than risk it
                    verdict = True
            self._verdicts[name] = verdict
        return verdict

    def path(self, path: str) -> str:
        def part(match: re.Match[str]) -> str:
            dotted, quoted = match.group(1), match.group(2)
            if dotted is not None:
                return f".{KEY_MASK}" if self.value_like(dotted) else match.group(0)
            try:
                key = json.loads(quoted)
            except ValueError:
                key = quoted
            return f".{KEY_MASK}" if self.value_like(str(key)) else match.group(0)

        return _PATH_PART.sub(part, path)

    def column(self, column: str) -> str:
        parts = column.split(",") if "," in column else [column]  # "lat,lon" pairs
        return ",".join(COLUMN_MASK if self.value_like(p) else p for p in parts)

    def scrub(self, result: ObjectResult) -> None:
        for tally in result.tallies.values():
            for i, loc in enumerate(tally.locations):
                path = self.path(loc.path) if loc.path else loc.path
                column = self.column(loc.column) if loc.column else loc.column
                if path != loc.path or column != loc.column:
                    tally.locations[i] = replace(loc, path=path, column=column)


def classify_object(source: Source, info: ObjectInfo, ctx: ClassifyContext) -> ObjectResult:
    """Classify one object. Never raises for the object's content or for a failure to open or
    read it: all of that is recorded on the result."""
    result = ObjectResult.new(info.key, ctx.key, size=info.size, lg_k=ctx.lg_k)
    report = ReadReport()
    tracked = _TrackedSource(source)
    text = TextScanner(ctx.detectors)
    columns = ColumnClassifier(ctx.limits, detectors=ctx.detectors, text_scanner=text)
    units = read_units(tracked, info, ctx.limits, report)
    failed: set[str] = set()
    try:
        for unit in units:
            try:
                if isinstance(unit, TextBlock):
                    text.scan(unit, result)
                else:
                    columns.scan(unit, result)
            except Exception as exc:  # a scanner bug on one unit: record it, read on
                message = f"classifying part of {info.key} failed: {describe(exc)}"
                if message not in failed:
                    failed.add(message)
                    result.error(message)
    except Exception as exc:  # readers record their own failures; this is a last resort
        result.error(f"reading {info.key} failed: {describe(exc)}")
    finally:
        close = getattr(units, "close", None)  # a generator: closing completes the report
        if close is not None:
            close()
    _Scrubber(text).scrub(result)
    result.absorb(report)
    result.stored_bytes_read = min(tracked.ranges.total(), info.size)
    return result


def classify_batch(
    spec: SourceSpec, infos: list[ObjectInfo], ctx: ClassifyContext
) -> list[ObjectResult]:
    """The task a worker runs: rebuild the source, classify ``infos`` in order."""
    source = spec.open()
    try:
        return [classify_object(source, info, ctx) for info in infos]
    finally:
        spec.close(source)


# -- a whole source ----------------------------------------------------------------------------


def make_batches(
    objects: list[ObjectInfo], count: int, max_bytes_per_object: int
) -> list[list[ObjectInfo]]:
    """Split ``objects`` (in order) into at most ``count`` contiguous runs of similar cost."""
    if not objects:
        return []
    costs = [_cost(o, max_bytes_per_object) for o in objects]
    target = sum(costs) / max(1, count)
    batches: list[list[ObjectInfo]] = []
    current: list[ObjectInfo] = []
    spent = 0
    for info, cost in zip(objects, costs, strict=True):
        if current and spent + cost / 2 > target and len(batches) < count - 1:
            batches.append(current)
            current, spent = [], 0
        current.append(info)
        spent += cost
    batches.append(current)
    return batches


def _cost(info: ObjectInfo, max_bytes_per_object: int) -> int:
    return min(max(info.size, 0), max_bytes_per_object) + OBJECT_OVERHEAD


def batch_count(objects: list[ObjectInfo], workers: int, max_bytes_per_object: int) -> int:
    """Batches for ``workers`` workers: at least one per worker, more when the work exceeds
    :data:`BATCH_BYTES` per batch."""
    total = sum(_cost(o, max_bytes_per_object) for o in objects)
    return max(workers, math.ceil(total / BATCH_BYTES))


@dataclass
class _Folder:
    """Folds object results into the report in key order, and keeps per-stratum totals."""

    report: ClassifyReport
    plan: SamplePlan
    on_object: Callable[[ObjectResult], None] | None
    counts: dict[Stratum, dict[DataType, int]] = field(default_factory=dict)
    covered: dict[Stratum, int] = field(default_factory=dict)

    def fold(self, result: ObjectResult) -> None:
        self.report.add(result)
        stratum = self.plan.stratum_of(result.object)
        if stratum is not None:
            self.covered[stratum] = self.covered.get(stratum, 0) + result.covered_stored_bytes()
            counts = self.counts.setdefault(stratum, {})
            for dtype, tally in result.tallies.items():
                counts[dtype] = counts.get(dtype, 0) + tally.count
        if self.on_object is not None:
            self.on_object(result)

    def estimates(self) -> dict[DataType, float]:
        out: dict[DataType, float] = {}
        for stratum, counts in self.counts.items():
            inspected = self.covered.get(stratum, 0)
            for dtype, n in counts.items():
                scaled = self.plan.estimate_total(n, stratum, inspected_bytes=inspected)
                out[dtype] = out.get(dtype, 0.0) + scaled
        return out


def _listing(
    objects: Iterable[ObjectInfo], limit: int | None, cut: list[bool]
) -> Iterator[ObjectInfo]:
    """The listing, stopped after ``limit`` objects (``cut[0]`` then tells it was cut)."""
    it = iter(objects)
    yield from itertools.islice(it, limit) if limit is not None else it
    if limit is not None and next(it, None) is not None:
        cut[0] = True


def _failed(
    infos: list[ObjectInfo], ctx: ClassifyContext, exc: BaseException
) -> list[ObjectResult]:
    results = []
    for info in infos:
        result = ObjectResult.new(info.key, ctx.key, size=info.size, lg_k=ctx.lg_k)
        result.not_inspected = f"the worker failed: {describe(exc)}"
        results.append(result)
    return results


def classify_source(
    spec: SourceSpec,
    ctx: ClassifyContext,
    *,
    source: Source | None = None,
    executor: cf.Executor | None = None,
    workers: int = 1,
    inline_below: int = 0,
    on_object: Callable[[ObjectResult], None] | None = None,
) -> ClassifyReport:
    """List ``spec``'s objects, sample them within ``ctx.sampling``, classify the sample, and
    return the merged report.

    ``source`` is the live source to list (and, without an executor, to read) in this process;
    by default ``spec.open()``. With an ``executor`` (a process pool, or a Dask client's
    executor) the sample is cut into batches for ``workers`` workers and each batch runs
    :func:`classify_batch` there, unless the sample costs less than ``inline_below`` bytes
    (a local pool is not worth starting for a few small files). ``on_object`` sees every
    object result, in key order.

    A failure to list (the bucket is gone, ListObjectsV2 is denied) raises the source's
    error (:class:`~andon.core.errors.CollectError`); a failure on an object, or of a whole
    worker, is recorded on the results and the run goes on.
    """
    own = source is None
    live = spec.open() if source is None else source
    try:
        sampling = ctx.sampling
        cut = [False]
        chosen = plan(
            _listing(live.list(), sampling.max_listed, cut),
            byte_budget=sampling.byte_budget,
            object_budget=sampling.object_budget,
            full=sampling.full,
            seed=sampling.seed,
            max_bytes_per_object=ctx.limits.max_bytes_per_object,
        )
        log.info(
            "classify %s: %d of %d listed objects chosen (%d of %d bytes)",
            spec.label,
            chosen.sampled_objects,
            chosen.listed_objects,
            chosen.sampled_bytes,
            chosen.listed_bytes,
        )
        report = ClassifyReport(subjects=SubjectCounter(ctx.key, ctx.lg_k))
        report.listed(chosen.listed_objects, chosen.listed_bytes)
        if cut[0]:
            report.limits_hit[LISTING_CUT] += 1
        folder = _Folder(report, chosen, on_object)
        cost = sum(_cost(o, ctx.limits.max_bytes_per_object) for o in chosen.objects)
        if executor is None or cost < inline_below:
            for info in chosen.objects:
                folder.fold(classify_object(live, info, ctx))
        else:
            count = batch_count(chosen.objects, workers, ctx.limits.max_bytes_per_object)
            batches = make_batches(chosen.objects, count, ctx.limits.max_bytes_per_object)
            _run_batches(spec, batches, ctx, executor, folder)
    finally:
        if own:
            spec.close(live)
    if not report.complete:
        report.use_estimates(folder.estimates(), ESTIMATE_METHOD)
    return report


def _run_batches(
    spec: SourceSpec,
    batches: list[list[ObjectInfo]],
    ctx: ClassifyContext,
    executor: cf.Executor,
    folder: _Folder,
) -> None:
    """Submit every batch; fold finished batches in order (a later batch waits for the
    earlier ones, so the merge order is the key order)."""
    futures = {executor.submit(classify_batch, spec, b, ctx): i for i, b in enumerate(batches)}
    ready: dict[int, list[ObjectResult]] = {}
    following = 0
    try:
        for future in cf.as_completed(futures):
            index = futures[future]
            try:
                ready[index] = future.result()
            except Exception as exc:  # a worker died or could not run the task
                log.warning("classify batch %d of %s failed: %s", index, spec.label, describe(exc))
                ready[index] = _failed(batches[index], ctx, exc)
            while following in ready:
                for result in ready.pop(following):
                    folder.fold(result)
                following += 1
    except BaseException:
        for future in futures:
            future.cancel()
        raise
