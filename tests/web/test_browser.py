"""A real browser (Debian's Chromium, headless, through Playwright) against a real server.

The app runs in uvicorn on a free loopback port. The browser logs in, opens the overview,
filters the findings, opens a finding, mutes it and sees the change; any Content Security
Policy violation reported by the browser fails the test (no inline script or style may
sneak in). Screenshots are written to ``artifacts/web/`` (git-ignored) and the test's tmp dir.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests.conftest import free_port
from tests.web.conftest import PASSWORD

from andon.store import Store

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "web"


def chromium() -> Path:
    """Debian's Chromium, installed with apt-get when missing; skip if that fails."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is not None:
        subprocess.run([apt, "install", "-y", "-q", "chromium"], check=False, timeout=600)
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed and `apt-get install chromium` failed")
    return CHROMIUM


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The browser test runs on SQLite only (the API tests cover both backends)."""
    return f"sqlite:///{tmp_path_factory.mktemp('browser') / 'andon.db'}"


@pytest.fixture(scope="module")
def server(app: Any) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_log_in_filter_open_and_mute_a_finding(
    server: str, store: Store, seeded: dict[str, str], tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    violations: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(exe), headless=True)
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda msg: (
                    violations.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
            page.goto(server + "/")
            assert page.url.startswith(server + "/login")
            page.fill("input[name=name]", "olivia")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(server + "/")
            assert int(page.text_content("#open-total") or "0") > 0
            assert page.locator("svg.chart").count() == 2
            page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

            page.click("nav >> text=Findings")
            page.select_option("select[name=severity]", "critical")
            page.click("form.filters button[type=submit]")
            page.wait_for_url("**/findings?*severity=critical*")
            severities = page.locator("td.sev").all_text_contents()
            assert severities and set(severities) == {"critical"}

            page.locator("table.findings a").first.click()
            page.wait_for_url("**/findings/*")
            assert page.locator("h2", has_text="How to fix it").count() == 1
            until = (store.now() + timedelta(days=14)).date().isoformat()
            page.fill("#mute-form input[name=reason]", "owner confirmed, fix in SEC-42")
            page.fill("#mute-form input[name=expires]", until)
            page.click("#mute-form button[type=submit]")
            page.wait_for_url("**done=muted")
            assert page.text_content("#notice") == "The finding is muted."
            assert page.text_content("#muted") == "muted"
            assert "owner confirmed, fix in SEC-42" in (page.text_content("#mutes") or "")
            page.screenshot(path=str(tmp_path / "muted.png"), full_page=True)
            shutil.copy(tmp_path / "muted.png", ARTIFACTS / "muted.png")
        finally:
            browser.close()
    assert violations == []
