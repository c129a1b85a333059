"""What an alert says: the payload (JSON-ready), and its rendering for a channel.

Resource names, tags and reasons come from whoever controls the account, so every such value
is made inert before it reaches a message: control and invisible characters become visible
escapes (:func:`andon.report.safe.plain`), long values are cut with a note of how much was cut,
and in Markdown bodies HTML and Markdown syntax is escaped. JSON bodies go through
:func:`andon.report.safe.json_dumps` (``<``, ``>``, ``&`` escaped).

Generic webhooks (``json://``, ``jsons://``) get the payload itself as their ``message`` (a JSON
document, so receivers read fields, including ``alert_id`` to dedupe); every other apprise
service gets a Markdown text that ends with the alert id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from andon.alert.subject import Subject
from andon.core.errors import NotFound
from andon.report.safe import json_dumps, plain
from andon.rules.base import Registry

NAME_LIMIT = 200
UID_LIMIT = 512
TEXT_LIMIT = 1500
REASONS = 5
REASON_LIMIT = 400
BODY_LIMIT = 8000
JSON_SCHEMES = ("json", "jsons")

HEADLINES = {
    "opened": "newly exposed",
    "reopened": "exposed again",
    "severity_raised": "severity raised",
    "severity_lowered": "severity lowered",
    "resolved": "resolved",
    "reminder": "still exposed",
    "change": "changed by Andon",
    "test": "test alert",
}


def clip(value: Any, limit: int) -> str:
    """``value`` as inert text of at most about ``limit`` characters."""
    text = plain("" if value is None else value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more characters]"


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def build_payload(
    subject: Subject,
    *,
    key: str,
    kind: str,
    severity: str,
    previous_severity: str | None,
    detected_at: datetime | None,
    owner_tag: str,
    rules: Registry,
    text: str = "",
) -> dict[str, Any]:
    """The alert, channel-independent; :func:`for_channel` adds the channel and alert id."""
    f = subject.finding
    resource = dict(f.resource) if f is not None else {}
    rule_id = f.rule_id if f is not None else ""
    owner = subject.tags.get(owner_tag)
    payload: dict[str, Any] = {
        "kind": kind,
        "headline": HEADLINES.get(kind, kind),
        "key": key,
        "finding_id": subject.finding_id,
        "scope": clip(subject.scope, NAME_LIMIT),
        "scan_id": subject.scan_id,
        "severity": severity,
        "previous_severity": previous_severity,
        "rule": {"id": rule_id, "title": clip(f.title if f else "", NAME_LIMIT)},
        "resource": {
            "uid": clip(resource.get("uid", ""), UID_LIMIT),
            "name": clip(resource.get("name", ""), NAME_LIMIT),
            "kind": clip(resource.get("kind", ""), 64),
            "type": clip(resource.get("type", ""), 64),
            "account": clip(resource.get("account", ""), 64),
            "region": clip(resource.get("region", ""), 64),
            "owner": None if owner is None else clip(owner, NAME_LIMIT),
        },
        "exposure": _exposure(f.exposure.to_dict() if f is not None else {}),
        "change_time": _iso(subject.change_time),
        "received_at": _iso(subject.received_at),
        "detected_at": _iso(detected_at),
    }
    payload.update(_guidance(rules, rule_id, f.remediation if f is not None else ""))
    if text:
        payload["text"] = clip(text, TEXT_LIMIT)
    return payload


def _exposure(exp: Mapping[str, Any]) -> dict[str, Any]:
    reasons = list(exp.get("reasons", ()))
    shown = [clip(r, REASON_LIMIT) for r in reasons[:REASONS]]
    if len(reasons) > REASONS:
        shown.append(f"… and {len(reasons) - REASONS} more reasons")
    return {
        "level": exp.get("level", "UNKNOWN"),
        "access": list(exp.get("access", ())),
        "reasons": shown,
    }


def _guidance(rules: Registry, rule_id: str, remediation: str) -> dict[str, Any]:
    """The rule's explanation and fix from its metadata (the finding's own text otherwise)."""
    try:
        meta = rules.get(rule_id).meta if rule_id else None
    except NotFound:
        meta = None
    if meta is None:
        return {
            "explanation": "",
            "fix": {"summary": clip(remediation, TEXT_LIMIT), "cli": [], "explain": ""},
        }
    return {
        "explanation": f"{meta.description} {meta.risk}".strip(),
        "fix": {
            "summary": meta.remediation.summary,
            "cli": list(meta.remediation.cli),
            "explain": f"andon explain {meta.id}",
        },
    }


def for_channel(payload: Mapping[str, Any], *, alert_id: str, channel: str) -> dict[str, Any]:
    return {"alert_id": alert_id, "channel": channel, **payload}


# -- rendering -----------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def md(value: Any, limit: int = NAME_LIMIT) -> str:
    """Untrusted text made inert in Markdown (and in the HTML apprise may make of it)."""
    text = clip(value, limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def title(payload: Mapping[str, Any]) -> str:
    res = payload.get("resource", {})
    sev = str(payload.get("severity", "")).upper()
    rule = payload.get("rule", {})
    what = rule.get("title") or rule.get("id") or payload.get("finding_id", "")
    return clip(f"[{sev}] {payload.get('headline', '')}: {what} — {res.get('name', '')}", 250)


def markdown(payload: Mapping[str, Any]) -> str:
    """The human body: what, where, why it matters, how to fix, when, and the alert id."""
    res = payload.get("resource", {})
    rule = payload.get("rule", {})
    exp = payload.get("exposure", {})
    fix = payload.get("fix", {})
    lines = [
        f"**{md(str(payload.get('severity', '')).upper())}: {md(payload.get('headline', ''))}**"
        f" — {md(rule.get('title') or rule.get('id', ''))}",
        "",
        f"- Resource: {md(res.get('name', ''))} ({md(res.get('type', ''))}, account "
        f"{md(res.get('account', ''))}, {md(res.get('region', ''))})",
        f"- ARN / id: {md(res.get('uid', ''), UID_LIMIT)}",
    ]
    if res.get("owner") is not None:
        lines.append(f"- Owner: {md(res.get('owner'))}")
    if payload.get("previous_severity"):
        lines.append(
            f"- Severity: {md(payload['previous_severity'])} → {md(payload.get('severity'))}"
        )
    lines.append(f"- Exposure: {md(exp.get('level', ''))} {md(', '.join(exp.get('access', [])))}")
    lines += [f"  - {md(r, REASON_LIMIT + 40)}" for r in exp.get("reasons", [])]
    if payload.get("text"):
        lines += ["", md(payload["text"], TEXT_LIMIT + 40)]
    if payload.get("explanation"):
        lines += ["", f"**Why it matters:** {md(payload['explanation'], 3000)}"]
    if fix.get("summary"):
        lines += ["", f"**How to fix:** {md(fix['summary'], 3000)}"]
    if fix.get("cli"):
        lines += ["", "```", *(plain(c) for c in fix["cli"]), "```"]
    if fix.get("explain"):
        lines.append(f"More: `{plain(fix['explain'])}`")
    times = [
        ("Changed", payload.get("change_time")),
        ("Event received", payload.get("received_at")),
        ("Detected", payload.get("detected_at")),
        ("Sent", payload.get("sent_at")),
    ]
    lines += ["", " · ".join(f"{k} {plain(v)[:40]}" for k, v in times if v)]
    lines.append(
        f"Finding {md(payload.get('finding_id', ''), 64)} · alert {md(payload.get('alert_id'))}"
    )
    body = "\n".join(lines)
    if len(body) > BODY_LIMIT:
        body = body[:BODY_LIMIT] + "\n…(cut)\n" + lines[-1]
    return body


def render(payload: Mapping[str, Any], scheme: str) -> tuple[str, str, bool]:
    """(title, body, is_markdown) of the payload for a channel whose URL has ``scheme``."""
    if scheme.lower() in JSON_SCHEMES:
        return title(payload), json_dumps(dict(payload), indent=None), False
    head = title(payload).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return head, markdown(payload), True
