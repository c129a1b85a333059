"""Detector building blocks: alternatives, keywords, the :class:`Detector` record.

A :class:`Detector` carries everything both scanning paths need:

* ``alts`` - alternatives (:class:`Alt`), each with a hyperscan *prefilter* over bytes and an
  exact Python ``re`` pattern with look-around boundaries. The prefilter fires wherever a
  *reportable* exact match can be: it is the exact pattern without its look-arounds, or a
  cheaper factor of it (a run of its characters, a prefix, a middle part: hyperscan pays for
  every pattern made only of character classes, so these are kept few and selective); for
  values that are only reported with a keyword, ``NEAR`` prefilters require the keyword within
  90 bytes on the line. The exact pattern only runs on a small window around each prefilter
  end offset (``max_len`` bytes before it, ``tail`` after it). A named group ``v`` marks the
  value when the match also spans a key (``aws_secret_access_key=…``);
* ``score`` - validator + normalizer: ``raw text -> (normalized value, base confidence)`` or
  ``None`` when the candidate is rejected;
* ``value_regex`` - an anchored RE2 pattern (``pyarrow.compute.match_substring_regex``) for a
  whole column cell, for the column path;
* ``name_keywords`` / ``name_excludes`` - column-name and key-path words (English and
  Japanese), matched by :meth:`Detector.matches_name`;
* ``context_keywords`` - words that, within 30 characters of a value on the same line (as
  Amazon Macie), add ``context_boost`` to the confidence; ``negative_keywords`` within 30
  characters before it subtract ``NEGATIVE_PENALTY``; a ``veto`` - a test of the 30
  characters before the value, such as "this is the value of a ``msgid=<…>`` key" - drops the
  confidence to 0;
* ``redact`` - see :mod:`andon.classify.redact`.

The built-in detectors are in :mod:`andon.classify.catalog`; :mod:`andon.classify.detectors`
groups them into a :class:`~andon.classify.detectors.DetectorSet` with its hyperscan database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from andon.classify.model import DataType

Scored = tuple[str, float]
REPORT_THRESHOLD = 0.5
NEGATIVE_PENALTY = 0.5
VETO_PENALTY = 1.0  # more than any confidence: a vetoed value is never reported
CONTEXT_CHARS = 30
NEAR = "<near a context keyword>"
NEAR_BYTES = CONTEXT_CHARS * 3


def u8(text: str) -> str:
    """A literal as a regex over UTF-8 bytes (non-ASCII bytes written as ``\\xNN``)."""
    return "".join(re.escape(c) if c.isascii() else "".join(f"\\x{b:02x}" for b in c.encode())
                   for c in text)  # fmt: skip


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def any_of(literals: Iterable[str]) -> str:
    """A non-capturing alternation of UTF-8 literals."""
    return "(?:" + "|".join(u8(w) for w in literals) + ")"


def _keyword_literals(words: Iterable[str]) -> re.Pattern[bytes] | None:
    """Keywords as one case-folded literal alternation (longest first) over UTF-8 bytes;
    ``_`` in a keyword also matches a space, dot, hyphen or nothing."""
    folded = sorted({w.lower() for w in words}, key=lambda w: -len(w.encode()))
    alts = [re.escape(w).replace("_", "[_ .\\-]?") for w in folded]
    return re.compile("|".join(alts).encode()) if alts else None


def _is_lower(raw: bytes, k: int) -> bool:
    return k < len(raw) and 97 <= raw[k] <= 122


def has_keyword(literals: re.Pattern[bytes] | None, raw: bytes) -> bool:
    """Whether ``raw`` holds one of the keywords as a word: not glued to letters, except at
    a camelCase hump (``deviceImei``); a plural ``s``/``es`` may follow. Japanese keywords
    match anywhere."""
    if literals is None:
        return False
    low = raw.lower()  # ASCII only: offsets stay the same
    for m in literals.finditer(low):
        i, j = m.span()
        if low[i] >= 0x80:
            return True
        before = raw[i - 1] if i else 0
        hump = 97 <= before <= 122 and 65 <= raw[i] <= 90
        if (65 <= before <= 90 or 97 <= before <= 122) and not hump:
            continue  # glued to a letter on the left
        if _is_lower(raw, j):
            plural = j + 1 if raw[j] == 115 else j + 2 if raw[j : j + 2] == b"es" else -1
            if plural < 0 or _is_lower(raw, plural):
                continue  # glued to a letter on the right
        return True
    return False


@dataclass(frozen=True)
class Alt:
    """One alternative of a detector: its hyperscan prefilter, its exact pattern, and the
    window that holds every exact match a prefilter end offset stands for: ``max_len`` bytes
    before it and ``tail`` after it. End offsets at most ``join`` bytes apart share one window
    (prefilters that report several ends per value, such as e-mail domains); with an
    ``anchor`` (``@``) the window starts at most ``anchor_back`` bytes before the last anchor
    preceding the first end. ``single_end``: a reportable value makes the prefilter fire at
    exactly one end offset, so a group of several ends holds none (a 17-character run for
    VINs: a longer run is no VIN) and needs no window."""

    prefilter: bytes
    exact: re.Pattern[bytes]
    max_len: int
    tail: int
    join: int = 0
    anchor: bytes = b""
    anchor_back: int = 0
    single_end: bool = False
    required: re.Pattern[bytes] | None = None

    def keyword_near(self, before: bytes, after: bytes) -> bool:
        """Whether a keyword this alternative requires is in the context of a value (always
        true when it requires none)."""
        req = self.required
        return req is None or has_keyword(req, before) or has_keyword(req, after)


Veto = Callable[[bytes], bool]


@dataclass(frozen=True)
class Detector:
    """How one data type is found, validated, scored and redacted (see the module doc)."""

    dtype: DataType
    alts: tuple[Alt, ...]
    pattern: re.Pattern[bytes]  # all alternatives in one exact pattern
    score: Callable[[str], Scored | None]
    redact: Callable[[str], str]
    value_regex: str
    posture: str
    caseless: bool = False
    name_keywords: tuple[str, ...] = ()
    name_excludes: tuple[str, ...] = ()
    context_keywords: tuple[str, ...] = ()
    negative_keywords: tuple[str, ...] = ()
    context_boost: float = 0.4
    veto: Veto | None = None
    redact_normalized: bool = False  # redact the normalized value instead of the raw text
    _context_re: re.Pattern[bytes] | None = field(init=False, repr=False, compare=False)
    _negative_re: re.Pattern[bytes] | None = field(init=False, repr=False, compare=False)
    _name_re: re.Pattern[bytes] | None = field(init=False, repr=False, compare=False)
    _exclude_re: re.Pattern[bytes] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_context_re", _keyword_literals(self.context_keywords))
        object.__setattr__(self, "_negative_re", _keyword_literals(self.negative_keywords))
        object.__setattr__(self, "_name_re", _keyword_literals(self.name_keywords))
        object.__setattr__(self, "_exclude_re", _keyword_literals(self.name_excludes))

    @property
    def hs_pattern(self) -> bytes:
        """All prefilters as one hyperscan expression (for reference; scanning compiles
        each alternative under its own id)."""
        return b"|".join(a.prefilter for a in self.alts)

    @property
    def uses_context(self) -> bool:
        """Whether the text around a value can change its confidence."""
        return bool(self.context_keywords or self.negative_keywords or self.veto)

    def is_valid(self, value: str) -> bool:
        return self.score(value) is not None

    def requires_context(self, alt: Alt) -> bool:
        """Whether the keyword ``alt`` requires is one of the context keywords (the same
        list): a value that has it needs no second look for the context boost."""
        return (
            alt.required is not None
            and self._context_re is not None
            and (alt.required.pattern == self._context_re.pattern)
        )

    def context_delta(
        self, before: bytes, after: bytes = b"", *, boosted: bool | None = None
    ) -> float:
        """Confidence added by keywords in the raw text around a value: context keywords
        count on either side, negative keywords (``version 1.2.3.4``) and the veto only
        before it. ``boosted``: whether a context keyword is there, when already known."""
        if self.veto is not None and self.veto(before):
            return -VETO_PENALTY
        delta = 0.0
        if boosted is None:
            ctx = self._context_re
            boosted = has_keyword(ctx, before) or has_keyword(ctx, after)
        if boosted:
            delta += self.context_boost
        if has_keyword(self._negative_re, before):
            delta -= NEGATIVE_PENALTY
        return delta

    def matches_name(self, name: str) -> bool:
        """Whether a column name or key path (``$.driver.phone``) names this type."""
        raw = name.encode()
        return has_keyword(self._name_re, raw) and not has_keyword(self._exclude_re, raw)


class Part(NamedTuple):
    """How an alternative is written: ``core`` is valid in both regex dialects; the exact
    Python pattern adds the ``left``/``right`` look-arounds; the prefilter is ``hs`` (default
    ``core``), or with ``NEAR`` the core within ``NEAR_BYTES`` of a context keyword - for
    values that are only ever reported with a keyword nearby. ``near`` names the keywords of
    a ``NEAR`` prefilter instead of the detector's context keywords, and makes one of them
    *required* within 30 characters on the line (checked on each candidate): for layouts
    that free text only reports with such a keyword, so that hyperscan never runs their
    character-class pattern over every byte. ``max_len``/``tail`` default to the
    detector's."""

    left: str
    core: str
    right: str = ""
    hs: str | None = None
    max_len: int | None = None
    tail: int | None = None
    join: int = 0
    anchor: bytes = b""
    anchor_back: int = 0
    single_end: bool = False
    near: tuple[str, ...] = ()


def _lead_free(core: str) -> str:
    """``core`` without a leading word boundary: a superset (the exact pattern keeps it) that
    compiles faster after a keyword gap; the trailing one stays, so that a value inside a
    longer run of digits does not fire at every position."""
    return core[2:] if core.startswith("\\b") else core


def _near(core: str, keywords: Iterable[str]) -> tuple[str, str]:
    """The prefilters of a value within ``NEAR_BYTES`` after / before a keyword."""
    kws = "|".join(u8(k).replace("_", r"[_ .\-]?") for k in keywords)
    gap = rf"[^\n]{{0,{NEAR_BYTES}}}"
    return f"(?i:{kws}){gap}{core}", f"{core}{gap}(?i:{kws})"


def make_detector(
    dtype: DataType,
    *parts: str | tuple[str, ...] | Part,
    max_len: int = 32,
    tail: int = 8,
    **kw: Any,
) -> Detector:
    """A detector from its alternatives (a core, a ``(left, core, right[, hs])`` tuple or a
    :class:`Part`) and its other :class:`Detector` fields."""
    flags = re.IGNORECASE if kw.get("caseless") else 0
    context: tuple[str, ...] = kw.get("context_keywords", ())
    alts, exact = [], []
    for raw in parts:
        p = Part("", raw) if isinstance(raw, str) else Part(*raw)
        one = f"{p.left}(?:{p.core}){p.right}"
        exact.append(one)
        size = p.max_len or max_len
        keywords = p.near or context
        # A NEAR prefilter is two alternatives: the keyword before the value (the usual
        # ``key=value``: the match ends where the value ends, so the window is as small as
        # for any other alternative) and after it (the window reaches back over the gap).
        if p.hs == NEAR:
            near_extra = NEAR_BYTES + max((len(k.encode()) for k in keywords), default=0)
            keyword_first, value_first = _near(_lead_free(p.core), keywords)
            prefilters = [(keyword_first, size), (value_first, size + near_extra)]
        else:
            prefilters = [(p.hs or p.core, size)]
        required = _keyword_literals(p.near) if p.near else None
        compiled = re.compile(one.encode(), flags)
        for prefilter, window in prefilters:
            alts.append(
                Alt(prefilter.encode(), compiled, window, p.tail or tail, p.join, p.anchor,
                    p.anchor_back, p.single_end, required)
            )  # fmt: skip
    pattern = re.compile("|".join(exact).encode(), flags)
    return Detector(dtype=dtype, alts=tuple(alts), pattern=pattern, **kw)
