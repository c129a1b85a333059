"""The [alerts] config section, URL masking, and the escaping of hostile text in messages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from andon.alert.config import (
    AlertConfig,
    load_alert_config,
    load_alert_config_file,
    mask_text,
    mask_url,
    parse_duration,
)
from andon.alert.message import markdown, md, title
from andon.core.errors import ConfigError
from andon.core.model import Severity

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts"


def test_full_section_and_defaults() -> None:
    cfg = load_alert_config(
        {
            "channels": {"ops": SLACK, "hook": "json://127.0.0.1:9/andon"},
            "default": "ops",
            "owner_tag": "team",
            "routes": {"data": ["hook", "ops"], "web": "hook"},
            "kinds": ["opened", "resolved"],
            "min_severity": "HIGH",
            "reminder_after": "2d",
            "retry_limit": 2,
            "retry_backoff": 0.5,
            "lease": "90s",
            "max_age": "12h",
        }
    )
    assert cfg.default_route == ("ops",)
    assert cfg.routes == {"data": ("hook", "ops"), "web": ("hook",)}
    assert cfg.route({"team": "data"}) == ("hook", "ops")
    assert cfg.route({"team": "nobody"}) == cfg.route({}) == ("ops",)
    assert cfg.kinds == {"opened", "resolved"} and cfg.min_severity is Severity.HIGH
    assert cfg.reminder_after == cfg.reminder_every == timedelta(days=2)
    assert cfg.retry_backoff == timedelta(milliseconds=500) and cfg.lease == timedelta(seconds=90)
    assert cfg.severity_alerts(Severity.CRITICAL) and not cfg.severity_alerts(Severity.MEDIUM)
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in repr(cfg)

    empty = load_alert_config({})
    assert empty == AlertConfig() and empty.route({"owner": "x"}) == ()
    assert empty.reminder_after == timedelta(hours=24) and empty.max_age == timedelta(days=7)
    assert load_alert_config({"reminder_after": "off"}).reminder_after is None
    every = load_alert_config({"channels": {"a": SLACK, "b": SLACK}})
    assert every.default_route == ("a", "b")  # no default: every channel


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"chanels": {}}, "unknown key"),
        ({"channels": {"ops": "http://127.0.0.1/x"}}, "not a URL apprise can send to"),
        ({"channels": {"ops": "no url"}}, "apprise URL"),
        ({"channels": {"std out": SLACK}}, "channel name"),
        ({"channels": {"stdout": SLACK}}, "channel name"),
        ({"channels": {"ops": SLACK}, "default": ["nope"]}, "no channel 'nope'"),
        ({"channels": {"ops": SLACK}, "routes": {"t": [1]}}, "channel name"),
        ({"kinds": ["still_open"]}, "reminders"),
        ({"kinds": "opened"}, "list"),
        ({"min_severity": "urgent"}, "min_severity"),
        ({"reminder_after": "soon"}, "duration"),
        ({"lease": -1}, "positive"),
        ({"retry_limit": 0}, "retry_limit"),
        ({"retry_limit": True}, "retry_limit"),
        ({"owner_tag": ""}, "owner_tag"),
        ({"routes": []}, "routes"),
    ],
)
def test_bad_sections_name_the_problem(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_alert_config(doc)


def test_a_bad_url_error_does_not_show_its_secret() -> None:
    with pytest.raises(ConfigError) as info:
        load_alert_config({"channels": {"ops": "nosuchscheme://user:s3cr3tpass@host/t0kenXYZ"}})
    assert "s3cr3tpass" not in str(info.value) and "t0kenXYZ" not in str(info.value)


def test_config_file(tmp_path: Any) -> None:
    path = tmp_path / "andon.toml"
    path.write_text('regions = ["us-east-1"]\n[alerts]\nmin_severity = "high"\n')
    assert load_alert_config_file(str(path)).min_severity is Severity.HIGH
    path.write_text("[alerts]\nbogus = 1\n")
    with pytest.raises(ConfigError, match=r"andon\.toml"):
        load_alert_config_file(str(path))
    with pytest.raises(ConfigError, match="cannot read"):
        load_alert_config_file(str(tmp_path / "absent.toml"))


def test_durations() -> None:
    assert parse_duration("500ms", "x") == timedelta(milliseconds=500)
    assert parse_duration("7d", "x") == timedelta(days=7)
    assert parse_duration(15, "x") == timedelta(seconds=15)
    for bad in ("", "1w", "0s", True, None, float("nan")):
        with pytest.raises(ConfigError):
            parse_duration(bad, "x")


def test_mask_url_shows_only_scheme_and_host_names() -> None:
    assert mask_url("json://user:pw@hooks.example.org:8443/a/b?x=1") == (
        "json://***@hooks.example.org:8443/***"
    )
    assert mask_url(SLACK) == "slack://***/***"
    assert mask_url("json://127.0.0.1:9") == "json://127.0.0.1:9"


TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_", min_size=6, max_size=30)


@given(user=TOKEN, password=TOKEN, token=TOKEN, query=TOKEN)
def test_masking_never_leaks_a_secret(user: str, password: str, token: str, query: str) -> None:
    url = f"json://{user}:{password}@127.0.0.1:8080/{token}?key={query}"
    cfg = AlertConfig(channels={"c": url})
    shown = cfg.masked("c")
    error = mask_text(f"POST {url} failed; token={token} pw={password} {query}", cfg.secrets())
    for secret in (user, password, token, query):
        assert secret not in shown
        assert secret not in error


HOSTILE = st.text(
    alphabet=st.sampled_from(list("<>&*_`[]()#!|~\\-\n\r\x00\x1b\x07\u202e\u200bab @:/")),
    max_size=300,
)


@given(name=HOSTILE, owner=HOSTILE)
def test_hostile_names_are_inert_in_markdown_bodies(name: str, owner: str) -> None:
    payload = {
        "kind": "opened",
        "headline": "newly exposed",
        "severity": "critical",
        "rule": {"id": "s3.bucket.public_read", "title": "t"},
        "resource": {"name": name, "uid": name, "owner": owner, "type": "x"},
        "exposure": {"level": "PUBLIC", "access": ["read"], "reasons": [name]},
        "finding_id": "f",
        "alert_id": "a",
    }
    body = markdown(payload)
    for raw in ("<", ">", "\x00", "\x1b", "\x07", "\u202e", "\u200b", "\r"):
        assert raw not in body
    # every Markdown-significant character from the untrusted text is escaped
    escaped = md(name)
    for ch in "*_`[]#|~":
        assert escaped.count(ch) == escaped.count("\\" + ch)
    assert "\n" not in escaped
    assert len(md("x" * 10_000)) < 300
    assert len(title({**payload, "resource": {"name": "y" * 10_000}})) < 300
