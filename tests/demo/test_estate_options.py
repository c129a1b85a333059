"""Seeding options: determinism, no coverage gap, sizes, refusing a used emulator.

Each test starts its own emulated cloud (moto's state is process-wide, so not alongside the
module-scoped estate of ``test_estate.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from andon.core.errors import ConfigError
from andon.demo import EmulatedCloud, EstateManifest, Verdict, seed_estate
from andon.demo.layout import GAP_BUCKET
from andon.demo.server import DUMMY_CREDENTIALS

SMALL: dict[str, Any] = {"trips": 8, "vehicles": 10, "customers": 6}


def seeded(**options: object) -> EstateManifest:
    with EmulatedCloud() as cloud:
        return cloud.seed(**{**SMALL, **options})


def test_same_seed_same_manifest() -> None:
    first, second = seeded(seed=7), seeded(seed=7)
    assert first == second
    assert first.to_dict() | {"scanner": None, "admin": None} == second.to_dict() | {
        "scanner": None,
        "admin": None,
    }
    other = seeded(seed=8)
    assert other.content_digest != first.content_digest
    assert [b.name for b in other.buckets] == [b.name for b in first.buckets]


def test_without_a_coverage_gap_nothing_is_enforced() -> None:
    with EmulatedCloud() as cloud:
        manifest = cloud.seed(coverage_gap=False, **SMALL)
        assert not manifest.coverage_gap and not manifest.iam_enforced
        assert manifest.with_verdict(Verdict.GAP) == ()
        assert GAP_BUCKET not in {b.name for b in manifest.buckets}
        assert manifest.scanner == manifest.admin == DUMMY_CREDENTIALS
        names = {b["Name"] for b in cloud.client("s3").list_buckets()["Buckets"]}
        assert names == {b.name for b in manifest.buckets}
        assert cloud.client("iam").list_users()["Users"] == []


def test_sizes_are_honoured() -> None:
    manifest = seeded(seed=1, coverage_gap=False)
    assert (manifest.counts.vehicles, manifest.counts.customers) == (10, 6)
    assert manifest.counts.trips == 8 + 2 + 4  # staging and archive have a floor
    prod = manifest.bucket("telematics-trips-prod")
    assert prod.objects == 8 + 1  # one file per trip and the synthetic-data notice


def test_refuses_an_emulator_that_already_holds_the_estate() -> None:
    with EmulatedCloud() as cloud:
        cloud.seed(coverage_gap=False, **SMALL)
        with pytest.raises(ConfigError, match="already holds"):
            cloud.seed(coverage_gap=False, **SMALL)


def test_refuses_to_seed_once_iam_is_enforced() -> None:
    with EmulatedCloud() as cloud:
        cloud.seed(**SMALL)
        with pytest.raises(ConfigError, match="before IAM enforcement"):
            cloud.seed(**SMALL)


@pytest.mark.parametrize("bad", [{"trips": 0}, {"vehicles": 0}, {"customers": 0}, {"workers": 0}])
def test_refuses_empty_sizes(bad: dict[str, int]) -> None:
    with pytest.raises(ConfigError, match="at least 1"):  # checked before any request
        seed_estate("http://127.0.0.1:9", **{**SMALL, **bad})
