"""Detectors: one per data type, and the :class:`DetectorSet` a scan compiles them into.

What a detector holds (patterns, validator, keywords, precision posture, redactor) is
described in :mod:`andon.classify.patterns`; the built-in detectors and their postures are in
:mod:`andon.classify.catalog`. This module groups them into a :class:`DetectorSet`, which
compiles their hyperscan prefilters into one block-mode database, and re-exports the names
callers use (``from andon.classify.detectors import DetectorSet, default_detectors``).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import hyperscan

from andon.classify.catalog import default_detectors, token_detector
from andon.classify.model import DataType
from andon.classify.patterns import (
    CONTEXT_CHARS,
    NEAR,
    NEAR_BYTES,
    NEGATIVE_PENALTY,
    REPORT_THRESHOLD,
    VETO_PENALTY,
    Alt,
    Detector,
    Part,
    Scored,
    _keyword_literals,
    has_keyword,
    make_detector,
)
from andon.core.errors import ConfigError

__all__ = [
    "CONTEXT_CHARS",
    "NEAR",
    "NEAR_BYTES",
    "NEGATIVE_PENALTY",
    "REPORT_THRESHOLD",
    "VETO_PENALTY",
    "Alt",
    "Detector",
    "DetectorSet",
    "Part",
    "Scored",
    "_keyword_literals",
    "default_detectors",
    "has_keyword",
    "make_detector",
    "token_detector",
]


class DetectorSet:
    """The detectors of one scan and their compiled hyperscan database.

    The database is compiled on first use and cached here (never module-wide). A pickled set
    (sent to a process pool or a Dask worker with each task) carries its database serialized
    (``hyperscan.dumpb``, zlib-compressed, about 60 KB) so that the receiving process does not
    compile it again (about a second); pickling compiles it first if needed. Where the
    serialized database cannot be used there (another hyperscan version, a CPU without the
    instructions it was built for) it is compiled there instead. Scanning needs a scratch per
    thread: :meth:`new_scratch`.
    """

    def __init__(
        self, detectors: Iterable[Detector] | None = None, *, threshold: float = REPORT_THRESHOLD
    ) -> None:
        self.detectors: tuple[Detector, ...] = (
            tuple(detectors) if detectors is not None else default_detectors()
        )
        if len({d.dtype for d in self.detectors}) != len(self.detectors):
            raise ConfigError("a detector set holds one detector per data type")
        self.threshold = threshold
        self.compilations = 0  # times this instance compiled its database (0 when loaded)
        self._db: hyperscan.Database | None = None
        self._serialized: bytes | None = None

    def __iter__(self) -> Iterator[Detector]:
        return iter(self.detectors)

    def __len__(self) -> int:
        return len(self.detectors)

    def __repr__(self) -> str:
        return f"DetectorSet({[d.dtype.value for d in self.detectors]})"

    def __getstate__(self) -> dict[str, Any]:
        if self._serialized is None:
            self._serialized = zlib.compress(hyperscan.dumpb(self.database), 1)
        return {"detectors": self.detectors, "threshold": self.threshold, "db": self._serialized}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.detectors = state["detectors"]
        self.threshold = state["threshold"]
        self.compilations = 0
        serialized = state.get("db")
        self._db = _load(serialized) if serialized else None
        self._serialized = serialized if self._db is not None else None

    def get(self, dtype: DataType) -> Detector | None:
        return next((d for d in self.detectors if d.dtype == dtype), None)

    def types_for_name(self, name: str) -> list[DataType]:
        """Data types whose name keywords a column name or key path carries."""
        return [d.dtype for d in self.detectors if d.matches_name(name)]

    @property
    def alternatives(self) -> tuple[tuple[int, Alt], ...]:
        """``(detector index, alternative)`` per hyperscan expression id."""
        return tuple((i, a) for i, d in enumerate(self.detectors) for a in d.alts)

    @property
    def database(self) -> hyperscan.Database:
        """The block-mode database; expression id ``k`` is ``self.alternatives[k]``."""
        if self._db is None:
            self._db = self._compile()
        return self._db

    def _compile(self) -> hyperscan.Database:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        alts = self.alternatives
        caseless = [self.detectors[i].caseless for i, _ in alts]
        try:
            db.compile(
                expressions=[a.prefilter for _, a in alts],
                ids=list(range(len(alts))),
                elements=len(alts),
                flags=[hyperscan.HS_FLAG_CASELESS if c else 0 for c in caseless],
            )
        except hyperscan.error as exc:
            raise ConfigError(f"detector patterns do not compile: {exc}") from exc
        self.compilations += 1
        self._serialized = None
        return db

    def new_scratch(self) -> hyperscan.Scratch:
        return hyperscan.Scratch(self.database)


def _load(serialized: bytes) -> hyperscan.Database | None:
    """A serialized database that this process can scan with, or ``None``."""
    try:
        db = hyperscan.loadb(zlib.decompress(serialized), hyperscan.HS_MODE_BLOCK)
        hyperscan.Scratch(db)  # fails here on a platform the database was not built for
    except (hyperscan.error, zlib.error, TypeError, ValueError):
        return None
    return db
