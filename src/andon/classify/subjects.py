"""Distinct data subjects, counted in mergeable sketches of keyed hashes.

A :class:`SubjectCounter` keeps one HyperLogLog sketch (Apache DataSketches ``hll_sketch``)
per :class:`~andon.classify.model.DataType` that identifies a subject
(:data:`~andon.classify.model.SUBJECT_OF`). What enters a sketch is not a value but a keyed
hash of it: BLAKE2b keyed with the installation key (:mod:`andon.classify.keys`), 8 bytes,
read as a signed 64-bit integer. Callers pass the *normalized* value (VIN upper-case, phone
number in one canonical form, ...) so that two spellings of one identifier count once. No
raw value is stored, logged or serialized; a counter's ``repr`` shows only estimates.

Accuracy (DataSketches HLL, ``HLL_8``): below roughly ``k/10`` distinct values
(``k = 2**lg_k``; about 385 at the default ``lg_k = 12``) the sketch is in its list/set mode
and the estimate is exact but for 64-bit hash collisions; above, the relative standard error
is about 1.3 % for a single stream at ``lg_k = 12`` (HIP estimator) and about 1.6 % after a
merge (composite estimator), i.e. about ±3.8 % / ±4.7 % at three standard deviations
(``hll_sketch.get_rel_err``). :meth:`SubjectCounter.bounds` gives the sketch's own interval.
Merging is exact on the sets (registers take the maximum), so it is commutative and
associative; the *estimates* of two merge orders may still differ slightly (within the bound),
because the HIP estimator's state depends on the order values arrived in.

Subjects per kind (:meth:`SubjectCounter.by_kind`) take the *maximum* over the data types of
that kind, never the sum: one person may appear with an e-mail and a phone number, one
vehicle with a VIN and a chassis number, one device with an IMEI and an ICCID (a SIM in an
in-car terminal). The maximum is therefore a lower bound of the true number of subjects.

Transfer between processes (Dask): :meth:`SubjectCounter.to_bytes` /
:meth:`SubjectCounter.from_bytes`. The key is never part of the bytes, only an 8-byte key
fingerprint that ``from_bytes`` and :meth:`SubjectCounter.merge` check, since sketches of
different keys cannot be merged. A pickled counter (Dask does that to results) also drops
the key: it can still be merged into a keyed counter and be estimated, but not receive new
values.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from typing import Any

import datasketches  # type: ignore[import-untyped,unused-ignore]

from andon.classify.model import SUBJECT_OF, DataType, SubjectKind
from andon.core.errors import ConfigError

_MAGIC = b"ANDNSUBJ"
_VERSION = 1
_HEADER = struct.Struct(">8sBB8sH")  # magic, version, lg_k, key id, number of sketches
_ENTRY = struct.Struct(">BI")  # length of the data type id, length of the sketch
_TGT = datasketches.tgt_hll_type.HLL_8
MIN_LG_K = 7
MAX_LG_K = 21


def key_id(key: bytes) -> bytes:
    """An 8-byte fingerprint of a key: equal keys give equal ids, the id reveals nothing."""
    return hashlib.blake2b(key, digest_size=8, person=b"andon-key-id").digest()


class SubjectCounter:
    """Per data type HyperLogLog sketches over keyed hashes of normalized identifiers.

    ``add`` accepts any data type; only sketches of types that were added to exist. Use
    :meth:`by_kind` for the subject kinds of :data:`~andon.classify.model.SUBJECT_OF`.
    """

    __slots__ = ("_hasher", "_key_id", "_lg_k", "_sketches")

    def __init__(self, key: bytes | None, lg_k: int = 12) -> None:
        if not MIN_LG_K <= lg_k <= MAX_LG_K:
            raise ConfigError(f"lg_k must be between {MIN_LG_K} and {MAX_LG_K}, not {lg_k}")
        if key is not None and not 16 <= len(key) <= 64:
            raise ConfigError("the subject key must be 16 to 64 bytes long")
        self._lg_k = lg_k
        self._sketches: dict[DataType, Any] = {}
        self._hasher: Any = (
            None if key is None else hashlib.blake2b(key=key, digest_size=8, person=b"andon")
        )
        self._key_id: bytes = b"" if key is None else key_id(key)

    @property
    def lg_k(self) -> int:
        return self._lg_k

    @property
    def key_id(self) -> bytes:
        """The fingerprint of the key the hashes were made with (empty if never keyed)."""
        return self._key_id

    def types(self) -> list[DataType]:
        """Data types with a sketch, in a stable order."""
        return sorted(self._sketches)

    def __bool__(self) -> bool:
        return any(not s.is_empty() for s in self._sketches.values())

    def __repr__(self) -> str:
        counts = ", ".join(f"{t.value}≈{self.estimate(t)}" for t in self.types())
        return f"SubjectCounter(lg_k={self._lg_k}, {counts or 'empty'})"

    # -- adding ---------------------------------------------------------------------------

    def hash_value(self, value: str) -> int:
        """The keyed 64-bit hash of a normalized value, as a signed integer."""
        if self._hasher is None:
            raise ConfigError(
                "this subject counter carries no key (it was unpickled); merge it into a "
                "counter made with the key instead of adding to it"
            )
        h = self._hasher.copy()
        h.update(value.encode("utf-8", "surrogatepass"))
        return int.from_bytes(h.digest(), "little", signed=True)

    def _sketch(self, dtype: DataType) -> Any:
        sketch = self._sketches.get(dtype)
        if sketch is None:
            sketch = self._sketches[dtype] = datasketches.hll_sketch(self._lg_k, _TGT)
        return sketch

    def add(self, dtype: DataType, value: str) -> None:
        """Count one normalized value of ``dtype``."""
        self._sketch(dtype).update(self.hash_value(value))

    def add_many(self, dtype: DataType, values: Iterable[str]) -> None:
        """Count normalized values of ``dtype``; duplicates are dropped before hashing."""
        unique = set(values)
        if not unique:
            return
        if self._hasher is None:
            self.hash_value("")  # raises the no-key error
        update, fresh, to_int = self._sketch(dtype).update, self._hasher.copy, int.from_bytes
        # Sorted: the sketch's state (and so its estimate) then does not depend on the
        # process's string-hash seed, so every worker gives the same answer.
        for value in sorted(unique):  # hash_value, inlined: once per distinct value
            h = fresh()
            h.update(value.encode("utf-8", "surrogatepass"))
            update(to_int(h.digest(), "little", signed=True))

    # -- merging and estimating -----------------------------------------------------------

    def _check_compatible(self, other: SubjectCounter) -> None:
        if self._key_id and other._key_id and self._key_id != other._key_id:
            raise ConfigError(
                "cannot merge subject sketches made with different keys (different key files)"
            )

    def merge(self, other: SubjectCounter) -> None:
        """Add everything ``other`` counted (the union of the two sets of subjects)."""
        self._check_compatible(other)
        if not self._key_id:
            self._key_id = other._key_id
        for dtype, theirs in other._sketches.items():
            if theirs.is_empty():
                continue
            mine = self._sketches.get(dtype)
            if mine is None or mine.is_empty():
                self._sketches[dtype] = _copy(theirs)
                continue
            union = datasketches.hll_union(max(self._lg_k, other._lg_k))
            union.update(mine)
            union.update(theirs)
            self._sketches[dtype] = union.get_result(_TGT)

    def estimate(self, dtype: DataType) -> int:
        """The estimated number of distinct values of ``dtype`` (0 if none were added)."""
        sketch = self._sketches.get(dtype)
        return 0 if sketch is None else round(sketch.get_estimate())

    def bounds(self, dtype: DataType, num_std_devs: int = 2) -> tuple[int, int]:
        """The sketch's confidence interval (1, 2 or 3 standard deviations)."""
        sketch = self._sketches.get(dtype)
        if sketch is None:
            return (0, 0)
        return (
            int(sketch.get_lower_bound(num_std_devs)),
            int(-(-sketch.get_upper_bound(num_std_devs) // 1)),
        )

    def by_type(self) -> dict[DataType, int]:
        """Estimates per data type, for the types that were added."""
        return {t: self.estimate(t) for t in self.types()}

    def by_kind(self) -> dict[SubjectKind, int]:
        """Distinct subjects per kind: the maximum over that kind's identifier types
        (a lower bound: a subject seen with two identifiers is counted once)."""
        out: dict[SubjectKind, int] = {}
        for dtype, sketch in self._sketches.items():
            kind = SUBJECT_OF.get(dtype)
            if kind is None or sketch.is_empty():
                continue
            out[kind] = max(out.get(kind, 0), self.estimate(dtype))
        return {k: out[k] for k in SubjectKind if k in out}

    # -- transfer -------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """Compact bytes for transfer; no key, no values (see the module docstring)."""
        entries = [(t, s) for t, s in sorted(self._sketches.items()) if not s.is_empty()]
        parts = [
            _HEADER.pack(_MAGIC, _VERSION, self._lg_k, self._key_id.ljust(8, b"\0"), len(entries))
        ]
        for dtype, sketch in entries:
            name = dtype.value.encode("ascii")
            blob = sketch.serialize_compact()
            parts += [_ENTRY.pack(len(name), len(blob)), name, blob]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes, key: bytes) -> SubjectCounter:
        """Rebuild a counter from :meth:`to_bytes`; ``key`` must be the key it was made with.

        Raises :class:`ConfigError` for another key, ``ValueError`` for damaged bytes.
        """
        view = memoryview(data)
        try:
            magic, version, lg_k, kid, n = _HEADER.unpack_from(view, 0)
        except struct.error as exc:
            raise ValueError("not serialized subject sketches (too short)") from exc
        if magic != _MAGIC or version != _VERSION:
            raise ValueError("not serialized subject sketches (bad header or version)")
        counter = cls(key, lg_k)
        if kid != b"\0" * 8 and kid != counter._key_id:
            raise ConfigError(
                "these subject sketches were made with a different key (different key file)"
            )
        pos = _HEADER.size
        for _ in range(n):
            try:
                name_len, blob_len = _ENTRY.unpack_from(view, pos)
            except struct.error as exc:
                raise ValueError("serialized subject sketches are truncated") from exc
            pos += _ENTRY.size
            name = bytes(view[pos : pos + name_len]).decode("ascii", "replace")
            pos += name_len
            blob = bytes(view[pos : pos + blob_len])
            pos += blob_len
            if len(blob) != blob_len:
                raise ValueError("serialized subject sketches are truncated")
            try:
                dtype = DataType(name)
            except ValueError as exc:
                raise ValueError("serialized subject sketches name an unknown data type") from exc
            try:
                counter._sketches[dtype] = datasketches.hll_sketch.deserialize(blob)
            except (RuntimeError, ValueError) as exc:
                raise ValueError("a serialized subject sketch is damaged") from exc
        if pos != len(view):
            raise ValueError("serialized subject sketches carry trailing bytes")
        return counter

    def __getstate__(self) -> dict[str, Any]:
        # Pickling (Dask) keeps sketches and the key fingerprint, never the key itself.
        return {
            "lg_k": self._lg_k,
            "key_id": self._key_id,
            "sketches": {t.value: s.serialize_compact() for t, s in self._sketches.items()},
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._lg_k = state["lg_k"]
        self._key_id = state["key_id"]
        self._hasher = None
        self._sketches = {
            DataType(t): datasketches.hll_sketch.deserialize(b)
            for t, b in state["sketches"].items()
        }

    def __copy__(self) -> SubjectCounter:
        twin = SubjectCounter(None, self._lg_k)
        twin._hasher = self._hasher
        twin._key_id = self._key_id
        twin._sketches = {t: _copy(s) for t, s in self._sketches.items()}
        return twin

    copy = __copy__


def _copy(sketch: Any) -> Any:
    return datasketches.hll_sketch.deserialize(sketch.serialize_updatable())
