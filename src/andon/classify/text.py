"""The unstructured-text fast path: one hyperscan pass per block, validators on candidates.

:meth:`TextScanner.scan` runs the compiled database of a :class:`DetectorSet` once over a
:class:`TextBlock`; the match callback only appends ``expression id << 32 | end offset`` to
a list (one integer per match: sorting groups the end offsets of each expression).
Afterwards, per alternative (:class:`~andon.classify.detectors.Alt`), end offsets become small
windows and the exact Python pattern runs on those windows only; each match is checked for
the keyword its alternative requires (if any), then scored by its validator; context
keywords within 30 characters on the same line (as Amazon Macie) add to the confidence (a
detector's veto - a message id, a metric key - drops it to 0, and is checked before the
validator), overlapping hits of different types keep the most confident one, and lines are
counted incrementally from the previous hit. A sink with
``add_counts`` (:class:`~andon.classify.results.ObjectResult`) gets the hits of a block in
one call per type, redacted and located only as far as a tally keeps samples and locations.

A hit is reported when its confidence reaches the threshold (default 0.5). Base confidence
alone / with a keyword nearby (the detectors' ``posture`` has the details; ``[kw]``: in free
text only with a keyword within 30 characters, whatever the confidence):

=====================  =====================================================  ==========
type                   alone                                                  + keyword
=====================  =====================================================  ==========
VIN [kw]               0.85 check digit ok; 0.5 ``ZZZ`` filler; 0.3 other     +0.4
JP chassis number [kw] 0.5 model code with digits; 0.3 letters only           +0.4
coordinates            0.9 keyed; 0.55 pair with 5+ decimals; 0.3 3-4;        +0.4
                       never as the value of a metric key (``p50,p99=``)
IMEI [kw]              0.6 AA-BBBBBB-CCCCCC-D; 0.45 bare; 0.2 IMEISV          +0.5
ICCID [kw]             0.5                                                    +0.3
phone                  0.7 +81; 0.6 formatted JP [kw]; 0.5 E.164 or 11-digit  +0.4
                       mobile [kw]; 0.3 10 digits unformatted
e-mail                 0.9; never inside ``<…>`` after a message-id key       +0.1
                       (``msgid=<…>``); message-id words before it: -0.5
payment card [kw]      0.6 grouped; 0.45 bare digits (IMEI/ICCID words: -0.5) +0.4
My Number, licence     0.3                                                    +0.55
postal code            0.9 with 〒; 0.3 NNN-NNNN; 0.2 seven digits             +0.4
address                0.7 prefecture + municipality                          +0.3
person name            0.7 as the value of a name key                         -
IP address             0.6 public (private ranges: never; "version": -0.5)    +0.3
AWS key id, secret     0.9 (secret: after its keyword, or 0.85 near a key id) +0.4 / -
private key            1.0                                                    -
=====================  =====================================================  ==========

A scanner owns a hyperscan scratch space: use one scanner per thread (they can share one
:class:`~andon.classify.detectors.DetectorSet` and its compiled database).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from andon.classify import validators as v
from andon.classify.detectors import (
    CONTEXT_CHARS,
    VETO_PENALTY,
    Alt,
    DetectorSet,
    has_keyword,
)
from andon.classify.model import (
    MAX_LOCATIONS,
    MAX_SAMPLES,
    SUBJECT_OF,
    DataType,
    Location,
    TextBlock,
)

SECRET_NEAR_KEY_BYTES = 200
SECRET_NEAR_KEY_CONFIDENCE = 0.85
_CONTEXT_BYTES = CONTEXT_CHARS * 3  # 30 characters of UTF-8 text are at most 90 bytes here
_REMATCH_BYTES = 512
_LOOKAHEAD_BYTES = 16  # longer than any look-ahead of an exact pattern
_SECRET_SHAPE = re.compile(rb"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


class BatchAdd(Protocol):
    """``ObjectResult.add_counts``: many hits of one type at once. A sink that has it gets
    the hits of a block per type (see :meth:`TextScanner._emit_batched`)."""

    def __call__(
        self,
        dtype: DataType,
        count: int,
        *,
        redacted: list[str],
        locations: list[Location],
        values: list[str],
        confidence: float,
    ) -> None: ...


class TextSink(Protocol):
    """Receives each validated hit; the value is for hashing (subject counts), never to keep."""

    def add(
        self,
        dtype: DataType,
        normalized_value: str,
        redacted: str,
        location: Location,
        confidence: float,
    ) -> None: ...


@dataclass(frozen=True)
class TextHit:
    """One hit as :class:`CollectingSink` keeps it (the value stays out of the repr)."""

    dtype: DataType
    value: str = field(repr=False)
    redacted: str
    location: Location
    confidence: float


@dataclass
class CollectingSink:
    """A :class:`TextSink` that keeps every hit in memory - for tests and small inputs."""

    hits: list[TextHit] = field(default_factory=list)

    def add(
        self,
        dtype: DataType,
        normalized_value: str,
        redacted: str,
        location: Location,
        confidence: float,
    ) -> None:
        self.hits.append(TextHit(dtype, normalized_value, redacted, location, confidence))

    def __iter__(self) -> Iterator[TextHit]:
        return iter(self.hits)

    def of(self, dtype: DataType) -> list[TextHit]:
        return [h for h in self.hits if h.dtype == dtype]

    def types(self) -> set[DataType]:
        return {h.dtype for h in self.hits}


# A candidate: start, end, detector index, normalized value, confidence, raw text.
_Cand = tuple[int, int, int, str, float, str]


def context_around(data: bytes, start: int, end: int) -> tuple[bytes, bytes]:
    """Up to 30 characters before and after ``data[start:end]``, on the same line."""
    lo = max(0, start - _CONTEXT_BYTES)
    nl = data.rfind(b"\n", lo, start)
    if nl >= 0:
        lo = nl + 1
    hi = min(len(data), end + _CONTEXT_BYTES)
    nl = data.find(b"\n", end, hi)
    if nl >= 0:
        hi = nl
    before, after = data[lo:start], data[end:hi]
    if len(before) > CONTEXT_CHARS:
        before = before[-CONTEXT_CHARS:] if before.isascii() else _last_chars(before)
    if len(after) > CONTEXT_CHARS:
        after = after[:CONTEXT_CHARS] if after.isascii() else _first_chars(after)
    return before, after


def _last_chars(raw: bytes) -> bytes:
    return raw.decode("utf-8", "ignore")[-CONTEXT_CHARS:].encode()


def _first_chars(raw: bytes) -> bytes:
    return raw.decode("utf-8", "ignore")[:CONTEXT_CHARS].encode()


class _AltPlan(NamedTuple):
    """What the scanner needs of one hyperscan expression id, resolved once."""

    pid: int  # detector index
    exact: re.Pattern[bytes]
    max_len: int
    tail: int
    join: int
    anchor: bytes
    anchor_back: int
    group: str | int  # the value's group: ``v`` when the match also spans a key
    single_end: bool
    required: re.Pattern[bytes] | None  # a keyword one of which must be near the value
    contextual: bool  # the context of a value matters (keywords, a veto, a required word)
    boosted: bool | None  # True: a required keyword is a context keyword (same list)


_ID_BITS = 32  # a match is ``id << bits | end``: one int per match, sorted by id then end


class TextScanner:
    """Scans :class:`TextBlock` units with one :class:`DetectorSet` (one per thread)."""

    def __init__(self, detectors: DetectorSet, *, threshold: float | None = None) -> None:
        self.detectors = detectors
        self.threshold = detectors.threshold if threshold is None else threshold
        self._dets = detectors.detectors
        self._alts: tuple[tuple[int, Alt], ...] = detectors.alternatives
        self._db = detectors.database
        self._scratch = detectors.new_scratch()
        self._plans = [
            _AltPlan(pid, a.exact, a.max_len, a.tail, a.join, a.anchor, a.anchor_back,
                     "v" if "v" in a.exact.groupindex else 0, a.single_end, a.required,
                     self._dets[pid].uses_context or a.required is not None,
                     True if a.required is not None and self._dets[pid].requires_context(a)
                     else None)
            for pid, a in self._alts
        ]  # fmt: skip
        kinds = [d.dtype for d in self._dets]
        self._key_id = (
            kinds.index(DataType.AWS_ACCESS_KEY) if DataType.AWS_ACCESS_KEY in kinds else -1
        )
        self._secret_id = (
            kinds.index(DataType.AWS_SECRET_KEY) if DataType.AWS_SECRET_KEY in kinds else -1
        )

    def scan(self, block: TextBlock, sink: TextSink) -> None:
        """Report every hit of ``block`` that reaches the threshold to ``sink``."""
        data = block.data
        if not data:
            return
        found: list[int] = []
        append = found.append
        bits = max(_ID_BITS, len(data).bit_length())

        def on_match(pattern: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            append(pattern << bits | end)

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch)
        if not found:
            return
        cands = self._candidates(data, found, bits)
        if self._key_id >= 0 and self._secret_id >= 0:
            cands.extend(self._secrets_near_keys(data, cands))
        self._emit(block, _resolve(cands), sink)

    def _candidates(self, data: bytes, found: list[int], bits: int) -> list[_Cand]:
        """Exact matches near the prefilter's end offsets, scored. Per alternative, end
        offsets are grouped (``join``); a group not already inside a match gets a window of
        ``max_len`` bytes before its first end (not reaching back into the previous window)
        to ``tail`` bytes after its last."""
        out: list[_Cand] = []
        found.sort()
        plans, size, window, mask = self._plans, len(data), self._window, (1 << bits) - 1
        cur, first, last, done, join = -1, 0, 0, 0, 0
        plan = plans[0]
        for key in found:
            aid, end = key >> bits, key & mask
            if aid == cur:
                if end <= done:
                    continue
                if end - last <= join:
                    last = end
                    continue
            if cur >= 0 and last > done and not (plan.single_end and last > first):
                lo = max(done, first - plan.max_len, 0)
                if plan.anchor:
                    at = data.rfind(plan.anchor, lo, first)
                    if at >= 0:
                        lo = max(lo, at - plan.anchor_back)
                done = max(window(data, plan, lo, min(size, last + plan.tail), out), last)
            if aid != cur:
                cur, done = aid, 0
                plan = plans[aid]
                join = plan.join
            first = last = end
        if last > done and not (plan.single_end and last > first):  # the last group
            lo = max(done, first - plan.max_len, 0)
            if plan.anchor:
                at = data.rfind(plan.anchor, lo, first)
                if at >= 0:
                    lo = max(lo, at - plan.anchor_back)
            window(data, plan, lo, min(size, last + plan.tail), out)
        return out

    def _window(self, data: bytes, plan: _AltPlan, lo: int, hi: int, out: list[_Cand]) -> int:
        """Score the exact matches in ``data[lo:hi]``; return the end of the last one. The
        context (a required keyword, a veto, keywords) is read before the score: it is
        cheaper than most validators and rejects every near miss that a veto names."""
        pid, exact, group, required = plan.pid, plan.exact, plan.group, plan.required
        det = self._dets[pid]
        score, threshold, size = det.score, self.threshold, len(data)
        contextual, boosted = plan.contextual, plan.boosted
        last = lo
        for m in exact.finditer(data, lo, hi):
            if hi < size and m.end() + _LOOKAHEAD_BYTES > hi:
                # Near the window's end the match may be cut short, or a look-ahead may
                # have seen a false end of text: match again with room to spare.
                again = exact.match(data, m.start(), min(size, hi + _REMATCH_BYTES))
                if again is None:
                    continue
                m = again
            last = m.end()
            start, end = m.span(group)
            if start < 0:
                continue
            delta = 0.0
            if contextual:
                before, after = context_around(data, start, end)
                if required is None:
                    delta = det.context_delta(before, after)
                elif has_keyword(required, before) or has_keyword(required, after):
                    delta = det.context_delta(before, after, boosted=boosted)
                else:
                    continue
                if delta <= -VETO_PENALTY:
                    continue
            raw = data[start:end].decode("utf-8", "replace")
            scored = score(raw)
            if scored is None:
                continue
            confidence = min(1.0, max(0.0, scored[1] + delta))
            if confidence >= threshold:
                out.append((start, end, pid, scored[0], confidence, raw))
        return last

    def _secrets_near_keys(self, data: bytes, cands: list[_Cand]) -> list[_Cand]:
        taken = {(c[0], c[1]) for c in cands}
        extra: list[_Cand] = []
        for start, end, pid, *_ in cands:
            if pid != self._key_id:
                continue
            lo = max(0, start - SECRET_NEAR_KEY_BYTES)
            hi = min(len(data), end + SECRET_NEAR_KEY_BYTES)
            for m in _SECRET_SHAPE.finditer(data, lo, hi):
                raw = m.group(0).decode("ascii")
                if m.span() not in taken and v.is_aws_secret_key(raw):
                    taken.add(m.span())
                    hit = (m.start(), m.end(), self._secret_id, raw, SECRET_NEAR_KEY_CONFIDENCE)
                    extra.append((*hit, raw))
        return extra

    def _emit(self, block: TextBlock, hits: list[_Cand], sink: TextSink) -> None:
        batch = getattr(sink, "add_counts", None)
        if batch is not None:
            self._emit_batched(block, hits, batch)
            return
        data, obj, dets = block.data, block.object, self._dets
        line, pos = block.first_line, 0
        count, add = data.count, sink.add
        where = Location(object=obj, line=line)  # shared by the hits of one line
        for start, _end, pid, value, confidence, raw in hits:
            breaks = count(b"\n", pos, start)
            pos = start
            if breaks:
                line += breaks
                where = Location(object=obj, line=line)
            det = dets[pid]
            add(det.dtype, value, det.redact(value if det.redact_normalized else raw), where,
                confidence)  # fmt: skip

    def _emit_batched(self, block: TextBlock, hits: list[_Cand], add_counts: BatchAdd) -> None:
        """The hits of one block, per data type in one call: the count, the highest
        confidence, the values for the subject sketch, and only as many redacted samples
        (the first ``MAX_SAMPLES`` distinct) and locations (the first ``MAX_LOCATIONS``)
        as a tally can keep - the same result as one :meth:`TextSink.add` per hit, without
        redacting, locating and counting lines for hits whose details would be dropped."""
        groups: dict[int, list[_Cand]] = {}
        for hit in hits:
            group = groups.get(hit[2])
            if group is None:
                groups[hit[2]] = [hit]
            else:
                group.append(hit)
        located = sorted({h[0] for g in groups.values() for h in g[:MAX_LOCATIONS]})
        lines = _line_numbers(block, located)
        for pid, group in groups.items():
            det = self._dets[pid]
            samples: list[str] = []
            for _s, _e, _p, value, _c, raw in group:
                redacted = det.redact(value if det.redact_normalized else raw)
                if redacted not in samples:
                    samples.append(redacted)
                    if len(samples) >= MAX_SAMPLES:
                        break
            where = [lines[h[0]] for h in group[:MAX_LOCATIONS]]
            values = [h[3] for h in group] if det.dtype in SUBJECT_OF else []
            add_counts(det.dtype, len(group), redacted=samples, locations=where, values=values,
                       confidence=max(h[4] for h in group))  # fmt: skip


def _line_numbers(block: TextBlock, starts: list[int]) -> dict[int, Location]:
    """The location (line) of each offset in ``starts`` (sorted), one shared
    :class:`Location` per line."""
    data, obj = block.data, block.object
    line, pos = block.first_line, 0
    where = Location(object=obj, line=line)
    out: dict[int, Location] = {}
    for start in starts:
        breaks = data.count(b"\n", pos, start)
        pos = start
        if breaks:
            line += breaks
            where = Location(object=obj, line=line)
        out[start] = where
    return out


def _resolve(cands: list[_Cand]) -> list[_Cand]:
    """Hits sorted by start; where hits overlap, the most confident (then the longest, then
    the detector listed first) wins and the others it overlaps are dropped."""
    cands.sort(key=lambda c: (c[0], c[1]))
    out: list[_Cand] = []
    cluster: list[_Cand] = []
    cluster_end = -1
    for c in cands:
        if c[0] < cluster_end:
            cluster.append(c)
            cluster_end = max(cluster_end, c[1])
            continue
        _flush(cluster, out)
        cluster, cluster_end = [c], c[1]
    _flush(cluster, out)
    return out


def _flush(cluster: list[_Cand], out: list[_Cand]) -> None:
    if len(cluster) == 1:
        out.append(cluster[0])
        return
    kept: list[_Cand] = []
    for c in sorted(cluster, key=lambda c: (-c[4], c[0] - c[1], c[2])):
        if all(c[1] <= k[0] or k[1] <= c[0] for k in kept):
            kept.append(c)
    out.extend(sorted(kept, key=lambda c: c[0]))
