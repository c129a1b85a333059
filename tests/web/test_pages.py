"""Logging in, the pages, CSRF, rate limiting and the stored secrets (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.web.conftest import CHEAP, PASSWORD
from tests.web.seed import Clock

from andon.core.errors import ConfigError
from andon.store import Store
from andon.store.schema_web import WebSessionRow, WebTokenRow, WebUserRow
from andon.web import WebSettings, create_app
from andon.web.app import SESSION_COOKIE
from andon.web.auth import RateLimiter, TokenCache, add_user, hasher


def form_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def login(client: TestClient, name: str = "olivia", password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf": form_csrf(page.text), "next": "/scans"},
        follow_redirects=False,
    )


@pytest.fixture
def client(app: Any, store: Store, settings: WebSettings) -> TestClient:
    """A fresh app over the module's store: its own login rate limiter."""
    return TestClient(create_app(store, settings))


def test_login_opens_the_pages_and_logout_ends_the_session(
    client: TestClient, store: Store
) -> None:
    answer = login(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/scans"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    for path in (
        "/",
        "/findings",
        "/findings?severity=critical&status=open",
        "/scans",
        "/api/docs",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "olivia (operator)" in page.text
    overview = client.get("/").text
    assert "<svg" in overview and "open exposures over time" in overview
    assert "<script" not in overview and "style=" not in overview
    assert client.get("/api/v1/me").json()["via"] == "session"
    logout = client.post("/logout", data={"csrf": form_csrf(overview)}, follow_redirects=False)
    assert logout.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
    with store.transaction("count") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(WebSessionRow)) == 0


def test_login_needs_the_right_password_and_its_form_token(client: TestClient) -> None:
    assert login(client, password="wrong password!").status_code == 401
    assert login(client, name="nobody").status_code == 401
    client.get("/login")
    forged = client.post(
        "/login",
        data={"name": "olivia", "password": PASSWORD, "csrf": "forged", "next": "/"},
        follow_redirects=False,
    )
    assert forged.status_code == 403


def test_failed_logins_are_rate_limited(client: TestClient) -> None:
    for _ in range(3):
        assert login(client, name="victor", password="not the password").status_code == 401
    blocked = login(client, name="victor")
    assert blocked.status_code == 429
    assert "Too many failed logins" in blocked.text


def test_a_login_never_redirects_to_another_site(client: TestClient) -> None:
    page = client.get("/login?next=//evil.example/")
    answer = client.post(
        "/login",
        data={"name": "olivia", "password": PASSWORD, "csrf": form_csrf(page.text)},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"
    assert 'value="/"' in page.text


def test_a_forged_session_cookie_is_refused(client: TestClient) -> None:
    login(client)
    real = client.cookies[SESSION_COOKIE]
    session_id, _, mac = real.rpartition(".")
    client.cookies.set(SESSION_COOKIE, session_id + "x." + mac)
    assert client.get("/", follow_redirects=False).status_code == 303
    client.cookies.set(SESSION_COOKIE, session_id)
    assert client.get("/api/v1/me").status_code == 401


def test_forms_need_the_session_csrf_token_and_operators(
    client: TestClient, seeded: dict[str, str], store: Store
) -> None:
    fid = seeded["first"]
    until = (store.now() + timedelta(days=3)).date().isoformat()
    login(client, name="victor")
    page = client.get(f"/findings/{fid}").text
    assert 'id="mute-form"' not in page  # a viewer gets no action forms
    as_viewer = client.post(
        f"/findings/{fid}/mute", data={"reason": "r", "expires": until, "csrf": form_csrf(page)}
    )
    assert as_viewer.status_code == 403
    client.cookies.clear()
    login(client)
    page = client.get(f"/findings/{fid}").text
    no_token = client.post(f"/findings/{fid}/mute", data={"reason": "r", "expires": until})
    assert no_token.status_code == 403
    api_no_header = client.post(
        f"/api/v1/findings/{fid}/mutes", json={"reason": "r", "expires_at": until + "T00:00:00Z"}
    )
    assert api_no_header.status_code == 403
    done = client.post(
        f"/findings/{fid}/mute",
        data={"reason": "ticket SEC-1", "expires": until, "csrf": form_csrf(page)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "The finding is muted." in shown and "ticket SEC-1" in shown
    bad = client.post(
        f"/findings/{fid}/mute",
        data={"reason": "x", "expires": "2001-01-01", "csrf": form_csrf(page)},
    )
    assert bad.status_code == 400 and "future" in bad.text


def test_secrets_are_stored_only_as_hashes(store: Store, tokens: dict[str, str]) -> None:
    with store.transaction("read") as s:
        hashes = list(s.scalars(sa.select(WebUserRow.password_hash)))
        secrets = list(s.scalars(sa.select(WebTokenRow.secret_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)
    assert secrets and all(s.startswith("$argon2id$") for s in secrets)
    assert all(t.split("_", 2)[2] not in "".join(secrets) for t in tokens.values())


def test_users_need_a_real_password_a_known_role_and_a_free_name(store: Store) -> None:
    ph = hasher(CHEAP)
    with pytest.raises(ConfigError, match="12 characters"):
        add_user(store, "shorty", "short", "viewer", ph)
    with pytest.raises(ConfigError, match="unknown role"):
        add_user(store, "root", PASSWORD, "admin", ph)
    with pytest.raises(ConfigError, match="exists already"):
        add_user(store, "olivia", PASSWORD, "viewer", ph)
    with pytest.raises(ConfigError, match="printable"):
        add_user(store, "bad\x1bname", PASSWORD, "viewer", ph)


def test_rate_limiter_and_token_cache_forget_after_their_window() -> None:
    clock = Clock()
    limiter = RateLimiter(2, timedelta(seconds=10), clock)
    limiter.failed("user:a")
    limiter.failed("user:a")
    assert limiter.blocked("user:a", "addr:x") and not limiter.blocked("user:b")
    clock.now += timedelta(seconds=11)
    assert not limiter.blocked("user:a")
    cache = TokenCache(timedelta(seconds=5), clock)
    cache.remember("d")
    assert cache.fresh("d")
    clock.now += timedelta(seconds=6)
    assert not cache.fresh("d")


def test_an_operator_exempts_and_plans_through_the_forms(
    client: TestClient, seeded: dict[str, str], store: Store
) -> None:
    fid = seeded["first"]
    login(client)
    page = client.get(f"/findings/{fid}").text
    until = (store.now() + timedelta(days=30)).date().isoformat()
    done = client.post(
        f"/findings/{fid}/exempt",
        data={
            "reason": "public dataset",
            "owner": "data team",
            "expires": until,
            "scope": "rule",
            "csrf": form_csrf(page),
        },
    )
    assert done.status_code == 200 and "The exemption is recorded." in done.text
    assert "public dataset" in done.text and "owner data team" in done.text
    planned = client.post(f"/findings/{fid}/plan", data={"csrf": form_csrf(page)})
    assert planned.status_code == 200 and "A fix plan is saved." in planned.text
    plan_id = re.findall(r'action="/plans/([^"/]+)/approve"', planned.text)[-1]
    approved = client.post(
        f"/plans/{plan_id}/approve", data={"csrf": form_csrf(page), "finding": fid}
    )
    assert approved.status_code == 200 and "The fix plan is approved." in approved.text
    assert "approved by olivia" in approved.text
