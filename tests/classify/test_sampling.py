"""Sampling: strata, shares, budgets, determinism, bounded memory and estimates."""

from __future__ import annotations

import random
import tracemalloc
from collections import Counter
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from andon.classify import sampling
from andon.classify.sampling import KEEP_FLOOR, OTHER, Stratum, plan, stratum_of
from andon.classify.sources import ObjectInfo


def listing(spec: dict[str, tuple[int, int]]) -> list[ObjectInfo]:
    """``{"prefix/name{}.ext": (count, size)}`` → objects."""
    out = []
    for pattern, (count, size) in spec.items():
        out.extend(ObjectInfo(pattern.format(i), size) for i in range(count))
    return out


def test_strata_fold_dates_ids_and_partitions() -> None:
    assert stratum_of(ObjectInfo("logs/2024/01/app.log.gz", 10)) == Stratum(
        "logs/*/", "log.gz", "<64KiB"
    )
    assert stratum_of(ObjectInfo("exports/customers/part-0001.csv", 2 << 20)) == Stratum(
        "exports/customers/", "csv", "<16MiB"
    )
    assert stratum_of(ObjectInfo("t/dt=2024-01-31/x.parquet", 0)).prefix == "t/dt=*/"
    uuid = "3f2b8c1e-9a4d-4c2e-8f1a-2b3c4d5e6f70"
    assert stratum_of(ObjectInfo(f"users/{uuid}/a.json", 1)).prefix == "users/*/"
    assert stratum_of(ObjectInfo("README", 1)) == Stratum("", "-", "<64KiB")
    assert stratum_of(ObjectInfo("x/photo.JPG", 5 << 30)).size_class == ">=1GiB"
    assert stratum_of(ObjectInfo("x/blob.a1b2c3d4e5f6", 1)).kind == "-"


def test_full_takes_everything() -> None:
    objects = listing({"a/{}.csv": (50, 100), "b/{}.log": (30, 10)})
    result = plan(objects, byte_budget=0, object_budget=0, full=True)
    assert len(result.objects) == 80 == result.listed_objects == result.sampled_objects
    assert result.fraction() == 1.0


def test_each_stratum_gets_a_share_and_small_strata_give_theirs_away() -> None:
    objects = listing(
        {"big/{}.csv": (1000, 1000), "small/{}.json": (5, 1000), "tiny/{}.log": (2, 1000)}
    )
    result = plan(objects, byte_budget=10**9, object_budget=30, seed=1)
    picked = Counter(o.key.split("/")[0] for o in result.objects)
    assert picked == {"big": 23, "small": 5, "tiny": 2}
    assert result.listed_objects == 1007 and result.sampled_objects == 30


def test_budgets_are_respected() -> None:
    objects = listing({"a/{}.csv": (100, 1000), "b/{}.csv": (100, 5000)})
    result = plan(objects, byte_budget=20_000, object_budget=50)
    assert result.sampled_bytes <= 20_000
    assert sum(o.size for o in result.objects) == result.sampled_bytes
    assert {o.key.split("/")[0] for o in result.objects} == {"a", "b"}
    result = plan(objects, byte_budget=10**9, object_budget=7)
    assert len(result.objects) == 7


def test_a_huge_object_costs_at_most_max_bytes_per_object() -> None:
    objects = [ObjectInfo("dump/all.csv", 50 << 30), *listing({"x/{}.log": (3, 100)})]
    assert "dump/all.csv" not in {
        o.key for o in plan(objects, byte_budget=1 << 20, object_budget=10).objects
    }
    result = plan(objects, byte_budget=1 << 20, object_budget=10, max_bytes_per_object=1 << 19)
    assert "dump/all.csv" in {o.key for o in result.objects}
    assert result.sampled_bytes == (1 << 19) + 300


def test_deterministic_for_a_seed_and_independent_of_listing_order() -> None:
    objects = listing({"a/{}.csv": (500, 10), "b/{}.log": (500, 10)})
    first = plan(objects, byte_budget=10**9, object_budget=40, seed=7).objects
    shuffled = objects[:]
    random.Random(3).shuffle(shuffled)
    assert plan(shuffled, byte_budget=10**9, object_budget=40, seed=7).objects == first
    other = plan(objects, byte_budget=10**9, object_budget=40, seed=8).objects
    assert other != first and len(other) == len(first)


def test_estimate_scales_a_sample_count_to_the_stratum_by_bytes() -> None:
    objects = listing({"a/{}.csv": (100, 1000)})
    result = plan(objects, byte_budget=10_000, object_budget=100)
    (stratum,) = result.strata
    totals = result.strata[stratum]
    assert (totals.listed_bytes, totals.sampled_bytes) == (100_000, 10_000)
    assert result.estimate_total(25, stratum) == 250
    assert result.estimate_total(25, stratum, inspected_bytes=5_000) == 500
    assert result.estimate({stratum: 25}) == 250
    assert result.fraction() == 0.1
    assert result.stratum_of(result.objects[0].key) == stratum
    assert result.estimate_total(1, Stratum("nope", "-", "-")) == 0.0


def test_too_many_strata_fold_into_other() -> None:
    objects = [ObjectInfo(f"p{i}/x.csv", 10) for i in range(sampling.MAX_STRATA + 50)]
    result = plan(objects, byte_budget=10**9, object_budget=100)
    assert len(result.strata) == sampling.MAX_STRATA + 1
    assert result.strata[Stratum(OTHER, "-", "-")].listed_objects == 50


def test_memory_is_bounded_while_a_large_listing_streams() -> None:
    def objects() -> Iterator[ObjectInfo]:
        for i in range(40_000):
            yield ObjectInfo(f"p{i % 50}/obj-{i}.csv", 1000 + i % 7)

    tracemalloc.start()
    try:
        result = plan(objects(), byte_budget=10**12, object_budget=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.listed_objects == 40_000 and len(result.objects) == 100
    assert peak < 2 * 1024 * 1024  # ~400 kept objects; all 40,000 would take ~10 MB


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(
        st.tuples(st.sampled_from(["a/", "b/c/", "", "d/2024/"]), st.integers(0, 5000)),
        max_size=80,
    ),
    byte_budget=st.integers(0, 50_000),
    object_budget=st.integers(0, 40),
    seed=st.integers(0, 3),
)
def test_plan_invariants(
    sizes: list[tuple[str, int]], byte_budget: int, object_budget: int, seed: int
) -> None:
    objects = [ObjectInfo(f"{prefix}k{i}.csv", size) for i, (prefix, size) in enumerate(sizes)]
    result = plan(objects, byte_budget=byte_budget, object_budget=object_budget, seed=seed)
    keys = [o.key for o in result.objects]
    assert len(keys) == len(set(keys)) <= object_budget
    assert set(keys) <= {o.key for o in objects}
    assert result.sampled_bytes == sum(o.size for o in result.objects) <= byte_budget
    assert result.listed_objects == len(objects)
    assert result.listed_bytes == sum(o.size for o in objects)
    assert keys == sorted(keys)
    # Nothing left out that would still have fitted both budgets (the reservoirs keep at
    # least KEEP_FLOOR candidates per stratum; beyond that memory wins, by design).
    left = [o for o in objects if o.key not in set(keys)]
    small_strata = all(t.listed_objects <= KEEP_FLOOR for t in result.strata.values())
    if len(keys) < object_budget and left and small_strata:
        assert min(o.size for o in left) > byte_budget - result.sampled_bytes
