"""Three-valued logic used by the engine."""

from __future__ import annotations

import itertools

import pytest

from andon.exposure.tri import Tri

ALL = list(Tri)


def test_order_and_values() -> None:
    assert Tri.NO < Tri.MAYBE < Tri.YES
    assert [int(t) for t in ALL] == [0, 1, 2]


@pytest.mark.parametrize(("a", "b"), list(itertools.product(ALL, ALL)))
def test_and_or_are_min_max(a: Tri, b: Tri) -> None:
    assert a & b == min(a, b)
    assert a | b == max(a, b)
    assert isinstance(a & b, Tri)
    assert isinstance(a | b, Tri)
    # De Morgan holds in this (Kleene) logic.
    assert ~(a & b) == (~a | ~b)
    assert ~(a | b) == (~a & ~b)


def test_invert() -> None:
    assert ~Tri.YES == Tri.NO
    assert ~Tri.NO == Tri.YES
    assert ~Tri.MAYBE == Tri.MAYBE
    for t in ALL:
        assert ~~t == t


def test_of() -> None:
    assert Tri.of(True) is Tri.YES
    assert Tri.of(False) is Tri.NO


def test_identities() -> None:
    for t in ALL:
        assert t & Tri.YES == t
        assert t | Tri.NO == t
        assert t & Tri.NO == Tri.NO
        assert t | Tri.YES == Tri.YES
