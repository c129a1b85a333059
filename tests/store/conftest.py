"""Fixtures: every store test runs on SQLite (a tmp file) and on PostgreSQL (a fresh schema).

The PostgreSQL URL comes from ``ANDON_TEST_PG_URL`` (default: the local test server). When the
server cannot be reached the PostgreSQL variants are skipped, unless ``ANDON_REQUIRE_PG=1``
(CI), which makes them fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from store_helpers import Clock

from andon.store import Store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[Store]:
    with Store(db_url, clock=clock, batch_size=3) as s:
        yield s
