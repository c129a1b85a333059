"""Names, tags, scopes and errors chosen by an attacker render inert on every page and in the API.

The seeded estate holds a bucket named ``<script>…"><img onerror>…`` with control characters
(ESC, NUL, BEL, a right-to-left override) in its name and tags; this module adds a scan whose
scope, error and gap reason are hostile too. Every page must parse to the same tags as a
harmless page (no script, no img, no event handler attribute) and hold no raw control
character; the API must give back the exact strings, with ``<`` and ``>`` escaped.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from tests.web.seed import HOSTILE_NAME, HOSTILE_TAG_KEY, HOSTILE_TAG_VALUE
from tests.web.test_pages import login

from andon.core.model import Gap
from andon.store import ScanStatus, Store

HOSTILE_SCOPE = 'aws:<script>alert("scope")</script>\x1b]8;;'
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202e]")


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def assert_inert(html: str, where: str) -> None:
    parser = Tags()
    parser.feed(html)
    assert "script" not in parser.tags and "img" not in parser.tags, where
    assert parser.handlers == [], where
    assert not CONTROL.search(html), f"{where}: raw control character"


@pytest.fixture(scope="module")
def hostile_scan(store: Store, seeded: dict[str, str]) -> str:
    scan_id = store.start_scan(HOSTILE_SCOPE)
    store.finish_scan(
        scan_id,
        ScanStatus.INCOMPLETE,
        gaps=[Gap("s3", "ListBuckets", reason=HOSTILE_NAME, resource_uid=HOSTILE_TAG_VALUE)],
        error=HOSTILE_TAG_VALUE,
    )
    return scan_id


@pytest.fixture
def client(app: Any, hostile_scan: str) -> TestClient:
    c = TestClient(app)
    login(c)
    return c


def test_every_page_renders_hostile_text_inert(client: TestClient, seeded: dict[str, str]) -> None:
    fid = seeded["hostile"]
    pages = [
        "/",
        "/findings",
        "/findings?q=" + quote("<script>"),
        "/findings?account=" + quote(HOSTILE_NAME),
        f"/findings/{fid}",
        "/scans",
        "/api/docs",
        "/findings/" + quote("<script>x</script>"),
        "/login?next=" + quote('"><script>alert(1)</script>'),
    ]
    for path in pages:
        page = client.get(path)
        assert page.status_code in (200, 404), path
        assert_inert(page.text, path)
    detail = client.get(f"/findings/{fid}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail  # shown, as text
    assert "\\x1b" in detail and "\\x00" in detail and "\\u202e" in detail  # made visible
    assert "&lt;script&gt;k&lt;/script&gt;" in detail  # the tag key
    listing = client.get("/findings?q=" + quote("<script>")).text
    assert f"/findings/{fid}" in listing
    assert "&lt;script&gt;alert(&#34;scope&#34;)&lt;/script&gt;" in client.get("/scans").text


def test_the_api_returns_the_exact_strings_escaped(
    client: TestClient, seeded: dict[str, str]
) -> None:
    fid = seeded["hostile"]
    for path in (
        f"/api/v1/findings/{fid}",
        "/api/v1/findings?q=" + quote("<script>"),
        "/api/v1/scans",
        "/api/v1/overview",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("application/json")
        assert "<" not in answer.text and ">" not in answer.text, path
        assert not CONTROL.search(answer.text), path
    detail = json.loads(client.get(f"/api/v1/findings/{fid}").text)
    assert detail["resource"]["name"] == HOSTILE_NAME
    assert detail["resource"]["tags"][HOSTILE_TAG_KEY] == HOSTILE_TAG_VALUE
    scans = client.get("/api/v1/scans").json()["items"]
    assert scans[0]["scope"] == HOSTILE_SCOPE
    assert scans[0]["gaps"][0]["reason"] == HOSTILE_NAME
