"""The JSON API over a real store (SQLite and PostgreSQL), through httpx (TestClient)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.seed import ACCOUNTS, RULES

from andon.store import Store
from andon.web import WebSettings
from andon.web.auth import create_token, hasher, revoke_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(app: Any) -> TestClient:
    return TestClient(app)


def test_nothing_is_served_without_authentication(client: TestClient) -> None:
    for path in ("/api/v1/overview", "/api/v1/findings", "/api/v1/scans", "/api/v1/openapi.json"):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert answer.headers["www-authenticate"] == "Bearer"
    page = client.get("/findings?severity=high", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Ffindings%3Fseverity%3Dhigh"
    assert client.get("/api/v1/me", headers=bearer("andon_nope_nope")).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}).status_code == 401


def test_overview_counts_the_current_state(
    client: TestClient, tokens: dict[str, str], seeded: dict[str, str]
) -> None:
    data = client.get("/api/v1/overview", headers=bearer(tokens["viewer"])).json()
    # 41 findings in the last scan (37 kept + 1 hostile + 3 resolved not counted);
    # every tenth of the seeded ones is exempt by tag.
    exempt = sum(1 for i in range(3, 40) if i % 10 == 9)
    assert data["open_total"] == 38 - exempt
    assert data["exempt_total"] == exempt
    assert sum(data["open_by_severity"].values()) == data["open_total"]
    assert list(data["open_by_severity"]) == ["critical", "high", "medium", "low", "info"]
    assert sum(data["open_by_kind"].values()) == data["open_total"]
    assert [p["open"] for p in data["trend"]] == [36, 38 - exempt]
    assert [c["status"] for c in data["coverage"]] == ["complete"]
    assert data["detection_latency"]["note"] in (
        "no alerts recorded",
        "not available in this build",
    )


def test_findings_filter_and_page_through_every_row_once(
    client: TestClient, tokens: dict[str, str]
) -> None:
    h = bearer(tokens["viewer"])
    seen: list[str] = []
    cursor = ""
    while True:
        page = client.get(f"/api/v1/findings?limit=7&cursor={cursor}", headers=h).json()
        seen += [i["id"] for i in page["items"]]
        assert page["total"] == 41
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 41
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    everything = client.get("/api/v1/findings?limit=500", headers=h).json()["items"]
    assert [i["id"] for i in everything] == seen
    assert [ranks[i["severity"]] for i in everything] == sorted(
        (ranks[i["severity"]] for i in everything), reverse=True
    )

    rule, severity, _, _ = RULES[1]
    only = client.get(f"/api/v1/findings?rule={rule}&limit=500", headers=h).json()
    assert only["items"] and {i["rule"] for i in only["items"]} == {rule}
    assert {i["severity"] for i in only["items"]} == {severity.value}
    account = client.get(f"/api/v1/findings?account={ACCOUNTS[1]}&limit=500", headers=h).json()
    assert {i["resource"]["account"] for i in account["items"]} == {ACCOUNTS[1]}
    assert account["total"] == len(account["items"]) > 0
    region = client.get("/api/v1/findings?region=us-east-1&limit=500", headers=h).json()
    assert {i["resource"]["region"] for i in region["items"]} == {"us-east-1"}
    found = client.get("/api/v1/findings?q=BUCKET-000012", headers=h).json()
    assert [i["resource"]["name"] for i in found["items"]] == ["bucket-000012"]
    exempt = client.get("/api/v1/findings?exemption=exempt&limit=500", headers=h).json()
    assert exempt["items"] and all(i["exempted"] for i in exempt["items"])
    resolved = client.get("/api/v1/findings?status=resolved", headers=h).json()
    assert resolved["total"] == 3
    assert client.get("/api/v1/findings?q=%25", headers=h).json()["total"] == 0  # no wildcard


@pytest.mark.parametrize(
    "query", ["severity=urgent", "status=gone", "exemption=maybe", "cursor=garbage"]
)
def test_bad_filters_are_clear_errors(
    client: TestClient, tokens: dict[str, str], query: str
) -> None:
    answer = client.get(f"/api/v1/findings?{query}", headers=bearer(tokens["viewer"]))
    assert answer.status_code == 400
    assert answer.json()["error"]


def test_finding_detail_has_timeline_and_remediation(
    client: TestClient, tokens: dict[str, str], seeded: dict[str, str]
) -> None:
    h = bearer(tokens["viewer"])
    d = client.get(f"/api/v1/findings/{seeded['first']}", headers=h).json()
    assert [t["kind"] for t in d["timeline"]] == ["opened", "still_open"]
    assert d["rule_meta"]["remediation"]["summary"]
    assert d["exposure"]["reasons"]
    assert d["classification"] == {"classified": True, "types": {"email": 3}}
    assert "data" not in d["evidence"]
    assert d["resource"]["tags"] == {"team": "data"}
    assert client.get("/api/v1/findings/nope", headers=h).status_code == 404


def test_scans_history(client: TestClient, tokens: dict[str, str]) -> None:
    data = client.get("/api/v1/scans", headers=bearer(tokens["viewer"])).json()
    assert len(data["items"]) == 2
    newest, oldest = data["items"]
    assert newest["since_previous_s"] is not None and oldest["since_previous_s"] is None
    assert newest["duration_s"] >= 0 and newest["resources"] == 38


def test_roles_and_csrf_guard_the_actions(
    client: TestClient, tokens: dict[str, str], seeded: dict[str, str], store: Store
) -> None:
    fid = seeded["first"]
    expires = (store.now() + timedelta(days=7)).isoformat()
    body = {"reason": "owner is on it", "expires_at": expires}
    viewer = client.post(
        f"/api/v1/findings/{fid}/mutes", json=body, headers=bearer(tokens["viewer"])
    )
    assert viewer.status_code == 403
    made = client.post(
        f"/api/v1/findings/{fid}/mutes", json=body, headers=bearer(tokens["operator"])
    )
    assert made.status_code == 201, made.text
    assert made.json()["reason"] == "owner is on it"
    listed = client.get("/api/v1/findings?q=bucket-000003", headers=bearer(tokens["viewer"]))
    assert listed.json()["items"][0]["muted"] is True
    past = {"reason": "x", "expires_at": (store.now() - timedelta(days=1)).isoformat()}
    bad = client.post(
        f"/api/v1/findings/{fid}/mutes", json=past, headers=bearer(tokens["operator"])
    )
    assert bad.status_code == 400 and "future" in bad.json()["error"]
    far = {"reason": "x", "expires_at": (store.now() + timedelta(days=900)).isoformat()}
    assert (
        client.post(
            f"/api/v1/findings/{fid}/mutes", json=far, headers=bearer(tokens["operator"])
        ).status_code
        == 400
    )


def test_exemption_through_the_api_changes_the_list(
    client: TestClient, tokens: dict[str, str], seeded: dict[str, str], store: Store
) -> None:
    fid = seeded["first"]
    body = {
        "reason": "public website",
        "owner": "web team",
        "expires_at": (store.now() + timedelta(days=30)).isoformat(),
    }
    made = client.post(
        f"/api/v1/findings/{fid}/exemptions", json=body, headers=bearer(tokens["operator"])
    )
    assert made.status_code == 201, made.text
    h = bearer(tokens["viewer"])
    row = client.get("/api/v1/findings?q=bucket-000003", headers=h).json()["items"][0]
    assert row["exempted"] is True
    none = client.get("/api/v1/findings?exemption=none&limit=500", headers=h).json()
    assert fid not in {i["id"] for i in none["items"]}


def test_a_revoked_token_stops_working(
    client: TestClient, store: Store, settings: WebSettings
) -> None:
    info, token = create_token(
        store, "short-lived", "viewer", hasher(settings.hash_cost), created_by="test"
    )
    h = bearer(token)
    assert client.get("/api/v1/me", headers=h).json() == {
        "name": "token:short-lived",
        "role": "viewer",
        "via": "token",
    }
    revoke_token(store, info.id)
    assert client.get("/api/v1/me", headers=h).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(token[:-1] + "x")).status_code == 401


def test_security_headers_on_every_answer(client: TestClient, tokens: dict[str, str]) -> None:
    for path, h in (("/login", {}), ("/api/v1/overview", bearer(tokens["viewer"]))):
        answer = client.get(path, headers=h)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
    assert client.get("/static/andon.css").headers["cache-control"].startswith("public")


def test_an_operator_makes_and_approves_a_fix_plan(
    client: TestClient, tokens: dict[str, str], seeded: dict[str, str]
) -> None:
    fid = seeded["first"]
    op, viewer = bearer(tokens["operator"]), bearer(tokens["viewer"])
    assert client.post(f"/api/v1/findings/{fid}/plans", headers=viewer).status_code == 403
    made = client.post(f"/api/v1/findings/{fid}/plans", headers=op)
    assert made.status_code == 201, made.text
    plan_id = made.json()["plan_id"]
    plans = client.get(f"/api/v1/findings/{fid}", headers=viewer).json()["plans"]
    assert [(p["id"], p["status"]) for p in plans] == [(plan_id, "proposed")]
    assert client.post(f"/api/v1/plans/{plan_id}/approve", headers=viewer).status_code == 403
    approved = client.post(f"/api/v1/plans/{plan_id}/approve", headers=op)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "token:ci-operator"
    assert client.post("/api/v1/plans/nope/approve", headers=op).status_code == 404
