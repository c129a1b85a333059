"""The dashboard's bridge to mutes and the alert journal (:mod:`andon.alert`), exemptions and
fix plans (:mod:`andon.remediate`): their records as plain dicts for the pages and the API."""

from __future__ import annotations

import dataclasses
import statistics
from datetime import datetime
from typing import Any

from andon.alert.dispatch import list_alerts
from andon.alert.mutes import Mute, add_mute, list_mutes
from andon.core.errors import ConfigError
from andon.core.model import Finding, Resource
from andon.remediate.exemptions import Exemption, add_exemption, list_exemptions
from andon.remediate.plan import StoredPlan, approve_plan, list_plans, plan_offline, save_plan
from andon.store import Store

LATENCY_SAMPLE = 1000


def to_dict(value: Any) -> dict[str, Any]:
    """A record of a helper module as a plain dict."""
    if hasattr(value, "to_dict"):
        d: dict[str, Any] = value.to_dict()
        return d
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return {k: v for k, v in vars(value).items() if not k.startswith("_")}


# -- mutes -------------------------------------------------------------------------------


def muted_ids(store: Store, at: datetime) -> set[str]:
    return {m.finding_id for m in list_mutes(store, active_at=at)}


def mutes_of(store: Store, finding_id: str, at: datetime) -> list[dict[str, Any]]:
    out = []
    for m in list_mutes(store, finding_id=finding_id):
        d = to_dict(m)
        d["active"] = m.active(at)
        out.append(d)
    return out


def mute(store: Store, finding_id: str, *, reason: str, expires_at: datetime, by: str) -> Mute:
    return add_mute(store, finding_id, reason=reason, expires_at=expires_at, created_by=by)


# -- exemptions --------------------------------------------------------------------------


def active_exemptions(store: Store, at: datetime) -> list[dict[str, Any]]:
    return [to_dict(e) for e in list_exemptions(store, active_at=at)]


def exempt_uids(store: Store, at: datetime) -> set[str]:
    """Resources exempt from every rule (exemptions without a rule id)."""
    return {str(e["resource_uid"]) for e in active_exemptions(store, at) if not e.get("rule_id")}


def exempt_pairs(store: Store, at: datetime) -> set[tuple[str, str]]:
    """(resource uid, rule id) of exemptions limited to one rule."""
    return {
        (str(e["resource_uid"]), str(e["rule_id"]))
        for e in active_exemptions(store, at)
        if e.get("rule_id")
    }


def exemptions_of(store: Store, uid: str, at: datetime) -> list[dict[str, Any]]:
    if not uid:
        return []
    out = []
    for e in list_exemptions(store, resource_uid=uid):
        d = to_dict(e)
        d["active"] = e.active(at)
        out.append(d)
    return out


def exempt(
    store: Store,
    uid: str,
    *,
    reason: str,
    owner: str,
    expires_at: datetime,
    by: str,
    rule_id: str | None,
) -> Exemption:
    return add_exemption(
        store,
        uid,
        reason=reason,
        owner=owner,
        expires_at=expires_at,
        created_by=by,
        rule_id=rule_id,
    )


# -- fix plans ---------------------------------------------------------------------------


def plans_of(store: Store, finding_id: str) -> list[dict[str, Any]]:
    return [to_dict(p) for p in list_plans(store, finding_id=finding_id)]


def make_plan(
    store: Store, findings: list[Finding], resources: dict[str, Resource], *, by: str
) -> str:
    try:
        plan = plan_offline(findings, resources)
    except (KeyError, TypeError, ValueError) as exc:
        # A snapshot the planner cannot read (e.g. recorded by an older Andon): say so.
        raise ConfigError(f"cannot plan from the stored snapshot: {exc!r}") from exc
    return save_plan(store, plan, created_by=by)


def approve(store: Store, plan_id: str, *, by: str) -> StoredPlan:
    return approve_plan(store, plan_id, by=by)


# -- detection latency -------------------------------------------------------------------


def detection_latency(store: Store) -> dict[str, Any]:
    """Seconds from a change in the cloud to its alert being sent, over the newest
    ``LATENCY_SAMPLE`` deliveries of the alert journal."""
    seconds = []
    for rec in list_alerts(store, limit=LATENCY_SAMPLE):
        if rec.change_time is not None and rec.sent_at is not None:
            seconds.append((rec.sent_at - rec.change_time).total_seconds())
    if not seconds:
        return {"available": True, "note": "no alerts recorded", "count": 0}
    seconds.sort()
    return {
        "available": True,
        "note": "",
        "count": len(seconds),
        "p50_s": statistics.median(seconds),
        "p95_s": seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))],
        "max_s": seconds[-1],
    }
