"""Distinct-subject sketches: keyed, mergeable, accurate within the documented bound."""

from __future__ import annotations

import copy
import pickle

import datasketches
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from andon.classify.model import DataType, SubjectKind
from andon.classify.subjects import SubjectCounter, key_id
from andon.core.errors import ConfigError

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))

ranges = st.tuples(st.integers(0, 20_000), st.integers(0, 3_000))
# Merging is exact on the sets (HLL registers take the maximum); the *estimates* of two merge
# orders may differ slightly (the HIP estimator's state depends on order), within the bound.
UNION_ERR = abs(datasketches.hll_sketch.get_rel_err(True, True, 12, 3))


def close(x: int, y: int, true: int) -> bool:
    return abs(x - y) <= max(1, UNION_ERR * true)


def size(*rs: tuple[int, int]) -> int:
    return len(set().union(*(range(a, a + n) for a, n in rs)))


def counter(start: int, length: int, dtype: DataType = DataType.VIN) -> SubjectCounter:
    c = SubjectCounter(KEY)
    c.add_many(dtype, (f"V{i:016d}" for i in range(start, start + length)))
    return c


def merged(*parts: SubjectCounter) -> SubjectCounter:
    out = SubjectCounter(KEY)
    for part in parts:
        out.merge(part)
    return out


@settings(max_examples=40, deadline=None)
@given(ranges, ranges)
def test_merge_is_commutative_on_estimates(a: tuple[int, int], b: tuple[int, int]) -> None:
    ca, cb = counter(*a), counter(*b)
    ab, ba = copy.copy(ca), copy.copy(cb)
    ab.merge(cb)
    ba.merge(ca)
    assert close(ab.estimate(DataType.VIN), ba.estimate(DataType.VIN), size(a, b))


@settings(max_examples=30, deadline=None)
@given(ranges, ranges, ranges)
def test_merge_is_associative_on_estimates(
    a: tuple[int, int], b: tuple[int, int], c: tuple[int, int]
) -> None:
    left = merged(merged(counter(*a), counter(*b)), counter(*c))
    right = merged(counter(*a), merged(counter(*b), counter(*c)))
    assert close(left.estimate(DataType.VIN), right.estimate(DataType.VIN), size(a, b, c))


@settings(max_examples=30, deadline=None)
@given(ranges, ranges)
def test_merge_counts_the_union(a: tuple[int, int], b: tuple[int, int]) -> None:
    true = size(a, b)
    assert close(merged(counter(*a), counter(*b)).estimate(DataType.VIN), true, true)


@pytest.mark.parametrize("n", [1, 17, 300, 2_000, 20_000, 100_000])
def test_estimate_within_three_standard_deviations(n: int) -> None:
    c = counter(0, n)
    est = c.estimate(DataType.VIN)
    low, high = c.bounds(DataType.VIN, 3)
    assert low <= n <= high
    bound = abs(datasketches.hll_sketch.get_rel_err(True, False, 12, 3))
    assert abs(est - n) <= bound * n
    if n <= 300:  # list/set mode: exact
        assert est == n


def test_at_100k_the_estimate_is_within_3_percent() -> None:
    # The README-level promise: ±3 % at 10⁵ distinct values with lg_k 12 (≈2.3 σ of HIP).
    assert abs(counter(0, 100_000).estimate(DataType.VIN) - 100_000) <= 3_000


@given(st.text(min_size=1, max_size=40))
def test_different_keys_give_different_hashes(value: str) -> None:
    assert SubjectCounter(KEY).hash_value(value) != SubjectCounter(OTHER_KEY).hash_value(value)
    assert SubjectCounter(KEY).hash_value(value) == SubjectCounter(KEY).hash_value(value)


def test_add_many_dedupes_and_equals_single_adds() -> None:
    values = ["JTDKB20U993000001", "JTDKB20U993000002", "JTDKB20U993000001"] * 50
    many, single = SubjectCounter(KEY), SubjectCounter(KEY)
    many.add_many(DataType.VIN, values)
    for v in values:
        single.add(DataType.VIN, v)
    assert many.estimate(DataType.VIN) == single.estimate(DataType.VIN) == 2
    both = SubjectCounter(KEY)
    both.merge(many)
    both.merge(single)  # the same two hashes: the union stays at two
    assert both.estimate(DataType.VIN) == 2
    many.add_many(DataType.IMEI, [])
    assert DataType.IMEI not in many.types()


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(st.sampled_from(list(DataType)), st.sets(st.text(max_size=12), max_size=600))
)
def test_serialization_round_trips(data: dict[DataType, set[str]]) -> None:
    c = SubjectCounter(KEY)
    for dtype, values in data.items():
        c.add_many(dtype, values)
    blob = c.to_bytes()
    back = SubjectCounter.from_bytes(blob, KEY)
    assert back.by_type() == c.by_type()
    again = SubjectCounter.from_bytes(back.to_bytes(), KEY)
    assert again.by_type() == c.by_type()
    for dtype, values in data.items():
        assert back.estimate(dtype) == len(values)  # exact below ~385 values
    # the copy keeps counting: adding an already counted value changes nothing
    for dtype, values in data.items():
        if values:
            back.add(dtype, next(iter(values)))
            assert back.estimate(dtype) == len(values)


def test_raw_values_never_appear_in_bytes_pickles_or_repr() -> None:
    c = SubjectCounter(KEY)
    secret = "alice.secret@example.com"
    c.add(DataType.EMAIL, secret)
    for blob in (c.to_bytes(), pickle.dumps(c)):
        assert secret.encode() not in blob
        assert b"alice" not in blob
        assert KEY not in blob
    assert "alice" not in repr(c)
    assert repr(c) == "SubjectCounter(lg_k=12, email≈1)"


def test_from_bytes_refuses_another_key_and_damaged_bytes() -> None:
    blob = counter(0, 10).to_bytes()
    with pytest.raises(ConfigError, match="different key"):
        SubjectCounter.from_bytes(blob, OTHER_KEY)
    for bad in (b"", b"garbage" * 5, blob[:-3], blob + b"\0", b"X" + blob[1:]):
        with pytest.raises(ValueError):
            SubjectCounter.from_bytes(bad, KEY)


def test_merging_sketches_of_different_keys_is_refused() -> None:
    a = SubjectCounter(KEY)
    b = SubjectCounter(OTHER_KEY)
    b.add(DataType.VIN, "X")
    with pytest.raises(ConfigError):
        a.merge(b)


def test_a_pickled_counter_merges_but_cannot_add() -> None:
    original = counter(0, 1000)
    moved = pickle.loads(pickle.dumps(original))
    assert moved.estimate(DataType.VIN) == original.estimate(DataType.VIN)
    assert moved.key_id == key_id(KEY)
    with pytest.raises(ConfigError, match="no key"):
        moved.add(DataType.VIN, "V")
    home = counter(500, 1000)
    home.merge(moved)
    assert abs(home.estimate(DataType.VIN) - 1500) <= 1500 * 0.05
    with pytest.raises(ConfigError):
        SubjectCounter(OTHER_KEY).merge(moved)


def test_by_kind_takes_the_maximum_over_a_kinds_types() -> None:
    c = SubjectCounter(KEY)
    c.add_many(DataType.EMAIL, [f"p{i}@example.com" for i in range(30)])
    c.add_many(DataType.PHONE_NUMBER, [f"+8190{i:08d}" for i in range(20)])
    c.add_many(DataType.VIN, [f"V{i}" for i in range(5)])
    c.add_many(DataType.JP_CHASSIS_NUMBER, [f"ZVW30-{i:07d}" for i in range(7)])
    c.add_many(DataType.IMEI, [f"{i:015d}" for i in range(3)])
    c.add_many(DataType.IP_ADDRESS, ["192.0.2.1"])  # not a subject type
    assert c.by_kind() == {SubjectKind.VEHICLE: 7, SubjectKind.DEVICE: 3, SubjectKind.PERSON: 30}
    assert c.by_type()[DataType.IP_ADDRESS] == 1
    assert not SubjectCounter(KEY)
    assert c


def test_lg_k_and_key_are_checked() -> None:
    with pytest.raises(ConfigError):
        SubjectCounter(KEY, lg_k=3)
    with pytest.raises(ConfigError):
        SubjectCounter(b"short")
    assert SubjectCounter(KEY, lg_k=14).lg_k == 14
