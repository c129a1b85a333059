"""Which objects to read: a stratified, deterministic sample of a listing, within budgets.

Objects are grouped into strata by where they live (the first one or two folders of the key,
with date, number and id-like folder names folded into ``*`` so ``logs/2024/…`` and
``logs/2025/…`` share a stratum), what they are (extension, with the compression suffix:
``csv.gz``) and their size class. Every object gets a pseudo-random priority from a keyed hash
of ``(seed, key)``; each stratum keeps only its lowest priorities (a bottom-k sample, uniform
within the stratum, independent of listing order, and deterministic for a seed). Strata then
take turns (round robin, in priority order) until the object or byte budget is spent, so each
stratum gets a share and a small stratum's unused share goes to the others.

Memory stays bounded while the listing streams: the samples kept across all strata hold at
most ``KEEP_FACTOR * object_budget`` objects (a new stratum shrinks everyone's keep), and
at most ``MAX_STRATA`` strata are told apart (later ones are folded into ``(other)``).

:class:`SamplePlan` keeps what was listed per stratum (objects and bytes), so a caller can state
the inspected fraction and scale a count found in the sample up to the stratum
(:meth:`SamplePlan.estimate_total`).
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from andon.classify.sources import ObjectInfo

KEEP_FACTOR = 4  # objects kept in reservoirs, as a multiple of the object budget
KEEP_FLOOR = 64  # ...but at least this many per stratum, so small budgets can pass over
# objects too big for the bytes left and still find ones that fit
MAX_STRATA = 1024
OTHER = "(other)"
_SIZE_CLASSES = (
    (0, "empty"),
    (64 * 1024, "<64KiB"),
    (1 << 20, "<1MiB"),
    (16 << 20, "<16MiB"),
    (256 << 20, "<256MiB"),
    (1 << 30, "<1GiB"),
)
_COMPRESSION_EXT = frozenset({"gz", "gzip", "bz2", "zst", "zstd", "xz", "zip"})
_VARIABLE_SEGMENT = re.compile(
    r"[\d_.:TZ+-]+"  # 2024, 2024-01-31, 20240131T1200Z, 000123
    r"|[0-9a-fA-F-]{16,}"  # hashes, UUIDs
    r"|(?=.*\d)[\w-]{20,}"  # long ids with digits
)


@dataclass(frozen=True, order=True)
class Stratum:
    """A group of similar objects: folder prefix, object type and size class."""

    prefix: str
    kind: str
    size_class: str

    def __str__(self) -> str:
        return f"{self.prefix}|{self.kind}|{self.size_class}"


@dataclass
class StratumTotals:
    """What was listed in a stratum and what the plan picked from it."""

    listed_objects: int = 0
    listed_bytes: int = 0
    sampled_objects: int = 0
    sampled_bytes: int = 0


@dataclass
class SamplePlan:
    """The objects chosen (sorted by key) and the totals behind the choice."""

    objects: list[ObjectInfo] = field(default_factory=list)
    strata: dict[Stratum, StratumTotals] = field(default_factory=dict)
    chosen: dict[str, Stratum] = field(default_factory=dict)
    full: bool = False

    @property
    def listed_objects(self) -> int:
        return sum(t.listed_objects for t in self.strata.values())

    @property
    def listed_bytes(self) -> int:
        return sum(t.listed_bytes for t in self.strata.values())

    @property
    def sampled_objects(self) -> int:
        return sum(t.sampled_objects for t in self.strata.values())

    @property
    def sampled_bytes(self) -> int:
        return sum(t.sampled_bytes for t in self.strata.values())

    def fraction(self) -> float:
        """The share of listed bytes planned for reading (1.0 for an empty listing)."""
        listed = self.listed_bytes
        return self.sampled_bytes / listed if listed else 1.0

    def stratum_of(self, key: str) -> Stratum | None:
        """The stratum a chosen object was drawn from."""
        return self.chosen.get(key)

    def estimate_total(
        self, count_in_sample: float, stratum: Stratum, *, inspected_bytes: int | None = None
    ) -> float:
        """Scale a count found in a stratum's sample to the whole stratum, by bytes.

        ``inspected_bytes`` is what the reads actually consumed in the stratum (objects cut
        short by ``max_bytes_per_object`` read less than their size); without it the planned
        bytes are used. When no byte was sampled, objects are the scale.
        """
        totals = self.strata.get(stratum)
        if totals is None or totals.listed_objects == 0:
            return 0.0
        sampled = totals.sampled_bytes if inspected_bytes is None else inspected_bytes
        if sampled > 0 and totals.listed_bytes > 0:
            return count_in_sample * totals.listed_bytes / sampled
        if totals.sampled_objects:
            return count_in_sample * totals.listed_objects / totals.sampled_objects
        return 0.0

    def estimate(self, counts: Mapping[Stratum, float]) -> float:
        """The scaled total over several strata (see :meth:`estimate_total`)."""
        return sum(self.estimate_total(n, s) for s, n in counts.items())


def stratum_of(info: ObjectInfo) -> Stratum:
    """The stratum of an object, from its key and size alone."""
    return Stratum(_prefix(info.key), _kind(info.key), _size_class(info.size))


def _prefix(key: str) -> str:
    folders = key.split("/")[:-1][:2]
    parts = []
    for folder in folders:
        name, eq, _ = folder.partition("=")
        if eq:  # Hive-style partition: dt=2024-01-31
            parts.append(f"{name}=*")
        elif _VARIABLE_SEGMENT.fullmatch(folder):
            parts.append("*")
        else:
            parts.append(folder)
    return "/".join(parts) + "/" if parts else ""


def _kind(key: str) -> str:
    name = key.rsplit("/", 1)[-1].lower()
    suffixes = name.split(".")[1:]
    if not suffixes:
        return "-"
    kind = suffixes[-1]
    if kind in _COMPRESSION_EXT and len(suffixes) > 1:
        kind = f"{suffixes[-2]}.{kind}"
    return kind if re.fullmatch(r"[a-z0-9_]{1,8}(\.[a-z0-9]{1,4})?", kind) else "-"


def _size_class(size: int) -> str:
    if size <= 0:
        return "empty"
    for bound, label in _SIZE_CLASSES[1:]:
        if size < bound:
            return label
    return ">=1GiB"


def _priority(seed: int, key: str) -> int:
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8, key=b"%d" % seed)
    return int.from_bytes(digest.digest(), "big")


class _Reservoir:
    """The objects of one stratum with the lowest priorities (a max-heap of at most cap)."""

    def __init__(self) -> None:
        self.heap: list[tuple[int, str, int, ObjectInfo]] = []
        self._seen = 0

    def offer(self, priority: int, info: ObjectInfo, cap: int) -> None:
        self._seen += 1
        item = (-priority, info.key, -self._seen, info)
        if len(self.heap) < cap:
            heapq.heappush(self.heap, item)
        elif self.heap and item > self.heap[0]:
            heapq.heapreplace(self.heap, item)

    def shrink(self, cap: int) -> None:
        while len(self.heap) > cap:
            heapq.heappop(self.heap)

    def ordered(self) -> list[ObjectInfo]:
        return [item[3] for item in sorted(self.heap, reverse=True)]


def plan(
    objects: Iterable[ObjectInfo],
    *,
    byte_budget: int,
    object_budget: int,
    full: bool = False,
    seed: int = 0,
    max_bytes_per_object: int | None = None,
) -> SamplePlan:
    """Choose the objects to read from a listing, streaming over it once.

    An object costs its size against ``byte_budget`` (at most ``max_bytes_per_object`` when
    given, since no more of it will be read). ``full=True`` takes every object.
    """
    result = SamplePlan(full=full)
    reservoirs: dict[Stratum, _Reservoir] = {}
    chosen_all: list[tuple[ObjectInfo, Stratum]] = []
    cap = max(object_budget, 0)

    for info in objects:
        stratum = stratum_of(info)
        if stratum not in result.strata and len(result.strata) >= MAX_STRATA:
            stratum = Stratum(OTHER, "-", "-")
        totals = result.strata.get(stratum)
        if totals is None:
            totals = result.strata[stratum] = StratumTotals()
            if not full:
                reservoirs[stratum] = _Reservoir()
                cap = _keep(object_budget, len(reservoirs))
                for reservoir in reservoirs.values():
                    reservoir.shrink(cap)
        totals.listed_objects += 1
        totals.listed_bytes += max(info.size, 0)
        if full:
            chosen_all.append((info, stratum))
        else:
            reservoirs[stratum].offer(_priority(seed, info.key), info, cap)

    if full:
        picked = chosen_all
    else:
        picked = _round_robin(reservoirs, byte_budget, object_budget, max_bytes_per_object)
    for info, stratum in picked:
        totals = result.strata[stratum]
        totals.sampled_objects += 1
        totals.sampled_bytes += _cost(info, max_bytes_per_object)
        result.chosen[info.key] = stratum
    result.objects = sorted((info for info, _ in picked), key=lambda i: i.key)
    return result


def _keep(object_budget: int, strata: int) -> int:
    if object_budget <= 0:
        return 0
    return max(KEEP_FLOOR, min(object_budget, math.ceil(KEEP_FACTOR * object_budget / strata)))


def _cost(info: ObjectInfo, max_bytes: int | None) -> int:
    size = max(info.size, 0)
    return size if max_bytes is None else min(size, max_bytes)


def _round_robin(
    reservoirs: dict[Stratum, _Reservoir],
    byte_budget: int,
    object_budget: int,
    max_bytes: int | None,
) -> list[tuple[ObjectInfo, Stratum]]:
    """Strata take turns offering their next candidate; one that does not fit the bytes left
    is passed over. Stops when the object budget is spent or every stratum has run out."""
    queues = {s: r.ordered() for s, r in sorted(reservoirs.items()) if r.heap}
    cursors = dict.fromkeys(queues, 0)
    picked: list[tuple[ObjectInfo, Stratum]] = []
    bytes_left = max(byte_budget, 0)
    while queues and len(picked) < object_budget:
        for stratum in list(queues):
            queue = queues[stratum]
            while cursors[stratum] < len(queue):
                info = queue[cursors[stratum]]
                cursors[stratum] += 1
                cost = _cost(info, max_bytes)
                if cost <= bytes_left:
                    picked.append((info, stratum))
                    bytes_left -= cost
                    break
            if cursors[stratum] >= len(queue):
                del queues[stratum]
            if len(picked) >= object_budget:
                break
    return picked
