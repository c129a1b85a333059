"""The documented-behaviour table (``cases.py``) run through :func:`evaluate_bucket`."""

from __future__ import annotations

import pytest

from andon.core.model import Level
from andon.exposure.s3 import evaluate_bucket
from andon.exposure.s3_model import S3BucketState

from .cases import CASES, Case


def test_table_is_large_unique_and_sourced() -> None:
    assert len(CASES) >= 60
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for c in CASES:
        assert c.source.strip(), f"{c.id} has no source"
        assert ".md" in c.source or "REFERENCE.md" in c.source or "s3.py" in c.source, c.id


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    exposure = evaluate_bucket(case.state)
    summary = (exposure.level, exposure.access, exposure.latent_access, exposure.unknown_access)
    assert summary == (case.level, case.access, case.latent, case.unknown), "\n".join(
        exposure.reasons
    )
    # The level follows from the sets: PUBLIC iff something is public now, UNKNOWN iff not
    # but something cannot be decided, PRIVATE otherwise.
    if case.access:
        assert exposure.level == Level.PUBLIC
    assert exposure.latent == bool(case.latent - case.access)
    for phrase in case.reasons:
        assert any(phrase in r for r in exposure.reasons), (phrase, exposure.reasons)
    assert exposure.reasons, "every verdict explains itself"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_survives_serialisation(case: Case) -> None:
    """The stored JSON form of a state gives the same verdict (collectors store ``to_dict``)."""
    again = S3BucketState.from_dict(case.state.to_dict())
    assert evaluate_bucket(again) == evaluate_bucket(case.state)
