"""The finding references follow new scans: a running app sees findings a later scan opened."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.web.seed import finding, items, resource, scan
from tests.web.test_api import bearer

from andon.core.model import Status
from andon.store import Store
from andon.store.schema import FindingStateRow
from andon.store.schema_web import WebFindingRefRow
from andon.web import refs


def counts(store: Store) -> tuple[int, int]:
    with store.transaction("count") as s:
        ids = s.scalar(sa.select(sa.func.count(sa.distinct(FindingStateRow.finding_id))))
        known = s.scalar(sa.select(sa.func.count()).select_from(WebFindingRefRow))
    return int(ids or 0), int(known or 0)


def test_a_running_app_picks_up_the_findings_of_a_new_scan(
    app: Any, tokens: dict[str, str], store: Store
) -> None:
    client = TestClient(app)
    h = bearer(tokens["viewer"])
    before = client.get("/api/v1/findings?limit=1", headers=h).json()["total"]
    ids, known = counts(store)
    assert ids == known == before
    new = [resource(900 + i, name=f"late-bucket-{i}") for i in range(3)]
    pairs = [*items(40), *((r, finding(r, 900 + i, Status.OPEN)) for i, r in enumerate(new))]
    scan(store, "aws:111111111111:all", pairs)
    page = client.get("/api/v1/findings?q=late-bucket&limit=50", headers=h).json()
    assert sorted(i["resource"]["name"] for i in page["items"]) == [
        "late-bucket-0",
        "late-bucket-1",
        "late-bucket-2",
    ]
    ids, known = counts(store)
    assert ids == known
    assert refs.update(store) == 0  # nothing left to copy, from any process
