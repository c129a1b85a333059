"""Plans: for each open finding, the exact change that closes it, shown as before → after.

* :func:`plan_offline` works from stored snapshots only (no cloud call): the web shows it, and
  the fingerprints it records are those of the snapshot.
* :func:`plan_live` reads the current configuration of each resource through the APIs (what
  ``andon fix`` does), so the fingerprints are those of the live configuration.

Each :class:`PlanEntry` records the fingerprint of the configuration it was computed on;
applying refuses an entry whose resource no longer has it. A plan file (:func:`write_plan_file`)
carries an HMAC over its content; :func:`read_plan_file` refuses a tampered file. Saved plans
(:func:`save_plan`) go ``proposed`` → ``approved`` (:func:`approve_plan`) → ``applied``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from andon.collect.aws.transport import AwsClients
from andon.core.errors import CollectError, NotFound
from andon.core.model import Finding, Resource, Status
from andon.remediate.actions import PROPOSERS, action
from andon.remediate.fingerprint import fingerprint, sign, verify
from andon.remediate.model import Action, CannotPlan, Config, Gone, PlanContext, PlanRefused
from andon.store import Store
from andon.store.schema_remediate import FixPlanRow

FORMAT = "andon.fix-plan/1"
ConfigOf = Callable[[Action, Resource, Mapping[str, Any]], Config]


@dataclass(frozen=True)
class PlanEntry:
    """One change: the finding(s) it closes, the action, ``before`` → ``after``, the
    fingerprint of ``before`` (the configuration planned on) and notes on what it may break."""

    finding_id: str
    rule_id: str
    resource_uid: str
    action: str
    target: Mapping[str, Any]
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    fingerprint: str
    resource: Mapping[str, str] = field(default_factory=dict)
    finding_ids: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "finding_ids": list(self.finding_ids or (self.finding_id,)),
            "rule_id": self.rule_id,
            "resource_uid": self.resource_uid,
            "resource": dict(self.resource),
            "action": self.action,
            "target": dict(self.target),
            "params": dict(self.params),
            "before": dict(self.before),
            "after": dict(self.after),
            "fingerprint": self.fingerprint,
            "summary": self.summary,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PlanEntry:
        try:
            return cls(
                finding_id=str(d["finding_id"]),
                finding_ids=tuple(str(x) for x in d.get("finding_ids") or (d["finding_id"],)),
                rule_id=str(d["rule_id"]),
                resource_uid=str(d["resource_uid"]),
                resource={str(k): str(v) for k, v in dict(d.get("resource") or {}).items()},
                action=str(d["action"]),
                target=dict(d["target"]),
                params=dict(d.get("params") or {}),
                before=dict(d["before"]),
                after=dict(d["after"]),
                fingerprint=str(d["fingerprint"]),
                summary=str(d.get("summary", "")),
                notes=tuple(str(n) for n in d.get("notes") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanRefused(f"malformed plan entry: {exc}") from exc


@dataclass(frozen=True)
class Skipped:
    """A finding the plan does not change, and why (``exempt``, ``no-fix``, ``cannot-plan``,
    ``gone``, ``unknown-finding``, ``already-fixed``)."""

    finding_id: str
    rule_id: str
    resource_uid: str
    status: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {
            "finding_id": self.finding_id,
            "rule_id": self.rule_id,
            "resource_uid": self.resource_uid,
            "status": self.status,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Skipped:
        return cls(
            finding_id=str(d.get("finding_id", "")),
            rule_id=str(d.get("rule_id", "")),
            resource_uid=str(d.get("resource_uid", "")),
            status=str(d.get("status", "")),
            reason=str(d.get("reason", "")),
        )


@dataclass(frozen=True)
class Plan:
    """A set of entries (and the findings skipped), made ``live`` or ``offline``."""

    id: str
    created_at: str
    mode: str
    entries: tuple[PlanEntry, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "created_at": self.created_at,
            "mode": self.mode,
            "entries": [e.to_dict() for e in self.entries],
            "skipped": [s.to_dict() for s in self.skipped],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Plan:
        if d.get("format") != FORMAT:
            raise PlanRefused(f"not an Andon plan (format {d.get('format')!r}, expected {FORMAT})")
        try:
            return cls(
                id=str(d["id"]),
                created_at=str(d["created_at"]),
                mode=str(d["mode"]),
                entries=tuple(PlanEntry.from_dict(e) for e in d.get("entries") or ()),
                skipped=tuple(Skipped.from_dict(s) for s in d.get("skipped") or ()),
            )
        except (KeyError, TypeError) as exc:
            raise PlanRefused(f"malformed plan: {exc}") from exc

    @property
    def finding_ids(self) -> list[str]:
        return sorted({f for e in self.entries for f in (e.finding_ids or (e.finding_id,))})


# -- planning ------------------------------------------------------------------------------


def _offline_config(act: Action, resource: Resource, target: Mapping[str, Any]) -> Config:
    config = act.offline(resource, target)
    if config is None:
        raise Gone(resource.uid)
    return config


def _context(
    finding: Finding, findings: Sequence[Finding], resources: Mapping[str, Resource]
) -> PlanContext:
    uid = finding.resource["uid"]
    exempt = frozenset(
        f.rule_id for f in findings if f.resource["uid"] == uid and f.status is Status.EXEMPT
    )
    exempt_uids = frozenset(f.resource["uid"] for f in findings if f.status is Status.EXEMPT)
    return PlanContext(exempt_rules=exempt, resources=resources, exempt_uids=exempt_uids)


def build_plan(
    findings: Iterable[Finding],
    resources: Mapping[str, Resource],
    config_of: ConfigOf,
    *,
    mode: str,
    exempt: Callable[[Finding], str] | None = None,
) -> Plan:
    """The plan for ``findings``: each open finding's proposals, with ``before`` from
    ``config_of`` and ``after`` computed from it; entries on the same (action, target) are
    merged. ``exempt(finding)`` may declare more findings exempt (store/config exemptions)."""
    items = list(findings)
    entries: dict[str, PlanEntry] = {}
    skipped: list[Skipped] = []
    for f in items:
        uid = f.resource["uid"]

        def skip(status: str, reason: str, f: Finding = f, uid: str = uid) -> None:
            skipped.append(Skipped(f.id, f.rule_id, uid, status, reason))

        why_exempt = f.exemption if f.status is Status.EXEMPT else (exempt(f) if exempt else "")
        if why_exempt:
            skip("exempt", f"exempt: {why_exempt}; exempt resources are never remediated")
            continue
        if f.status is not Status.OPEN:
            skip("not-open", f"the finding is {f.status.value}")
            continue
        propose = PROPOSERS.get(f.rule_id)
        if propose is None:
            skip("no-fix", f"no automatic fix for {f.rule_id}: see `andon explain {f.rule_id}`")
            continue
        resource = resources.get(uid)
        if resource is None:
            skip("cannot-plan", "the resource's snapshot is not in the store")
            continue
        try:
            for p in propose(f, resource, _context(f, items, resources)):
                act = action(p.action)
                key = json.dumps([p.action, dict(p.target)], sort_keys=True)
                merged = entries.get(key)
                params = dict(p.params)
                if merged is not None:
                    for k, v in merged.params.items():
                        if isinstance(v, list):
                            params[k] = sorted({*v, *params.get(k, [])})
                before = merged.before if merged is not None else config_of(act, resource, p.target)
                after = act.transform(dict(before), p.target, params)
                ids = (*merged.finding_ids, f.id) if merged is not None else (f.id,)
                notes = tuple(dict.fromkeys((*(merged.notes if merged else ()), *p.notes)))
                entries[key] = PlanEntry(
                    finding_id=ids[0],
                    finding_ids=ids,
                    rule_id=merged.rule_id if merged is not None else f.rule_id,
                    resource_uid=uid,
                    resource=dict(f.resource),
                    action=p.action,
                    target=dict(p.target),
                    params=params,
                    before=dict(before),
                    after=after,
                    fingerprint=fingerprint(before),
                    summary=p.summary or act.title,
                    notes=notes,
                )
        except Gone:
            skip("gone", "the resource no longer exists")
        except CannotPlan as exc:
            skip("cannot-plan", str(exc))
        except CollectError as exc:
            skip("cannot-plan", f"the current configuration could not be read: {exc}")
    kept: list[PlanEntry] = []
    for e in entries.values():
        if fingerprint(e.before) == fingerprint(e.after):
            for fid in e.finding_ids:
                skipped.append(
                    Skipped(fid, e.rule_id, e.resource_uid, "already-fixed", "nothing to change")
                )
        else:
            kept.append(e)
    return Plan(
        id=str(uuid.uuid4()),
        created_at=datetime.now(UTC).isoformat(),
        mode=mode,
        entries=tuple(kept),
        skipped=tuple(skipped),
    )


def plan_offline(
    findings: Iterable[Finding],
    resources: Mapping[str, Resource],
    *,
    exempt: Callable[[Finding], str] | None = None,
) -> Plan:
    """The plan from stored snapshots (``resources`` by uid): pure, no cloud call."""
    return build_plan(findings, resources, _offline_config, mode="offline", exempt=exempt)


def plan_live(
    clients: AwsClients,
    findings: Iterable[Finding],
    resources: Mapping[str, Resource],
    *,
    exempt: Callable[[Finding], str] | None = None,
) -> Plan:
    """The plan on the live configuration: the stored snapshot says which action and target,
    the APIs say what ``before`` is now (a deleted resource is skipped as ``gone``)."""

    def live(act: Action, resource: Resource, target: Mapping[str, Any]) -> Config:
        return act.read(clients, target)

    return build_plan(findings, resources, live, mode="live", exempt=exempt)


# -- plan files ----------------------------------------------------------------------------


def plan_document(plan: Plan, key: bytes) -> dict[str, Any]:
    """The plan as a signed JSON document."""
    doc = plan.to_dict()
    doc["mac"] = sign(doc, key)
    return doc


def write_plan_file(plan: Plan, path: Path, key: bytes) -> None:
    path.write_text(json.dumps(plan_document(plan, key), indent=2, sort_keys=True) + "\n")


def load_plan_document(doc: Any, key: bytes) -> Plan:
    """A plan from a signed document; :class:`PlanRefused` if its MAC does not match."""
    if not isinstance(doc, Mapping):
        raise PlanRefused("the plan is not a JSON object")
    if not verify(doc, key):
        raise PlanRefused(
            "the plan's integrity check failed: it was changed after it was made, or made "
            "with another installation's key; nothing was changed (make a new plan)"
        )
    return Plan.from_dict(doc)


def read_plan_file(path: Path, key: bytes) -> Plan:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanRefused(f"cannot read the plan {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise PlanRefused(f"the plan {path} is not JSON: {exc}") from exc
    return load_plan_document(doc, key)


# -- saved plans ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredPlan:
    id: str
    status: str  # proposed | approved | applied
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    applied_at: datetime | None
    plan: Plan

    def to_dict(self) -> dict[str, Any]:
        def iso(d: datetime | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "id": self.id,
            "status": self.status,
            "created_by": self.created_by,
            "created_at": iso(self.created_at),
            "approved_by": self.approved_by,
            "approved_at": iso(self.approved_at),
            "applied_at": iso(self.applied_at),
            "plan": self.plan.to_dict(),
        }


def _stored(row: FixPlanRow) -> StoredPlan:
    return StoredPlan(
        id=row.id,
        status=row.status,
        created_by=row.created_by,
        created_at=row.created_at,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        applied_at=row.applied_at,
        plan=Plan.from_dict(row.document),
    )


def save_plan(store: Store, plan: Plan, *, created_by: str) -> str:
    """Save a plan (status ``proposed``) and return its id. The store is the integrity
    boundary of saved plans: they are applied from the store, never from a file."""
    with store.transaction("save plan") as s:
        if s.get(FixPlanRow, plan.id) is None:
            s.add(
                FixPlanRow(
                    id=plan.id,
                    status="proposed",
                    created_by=created_by,
                    created_at=store.now(),
                    approved_by=None,
                    approved_at=None,
                    applied_at=None,
                    finding_ids=plan.finding_ids,
                    document=plan.to_dict(),
                )
            )
    return plan.id


def get_plan(store: Store, plan_id: str) -> StoredPlan:
    with store.transaction("read plan") as s:
        row = s.get(FixPlanRow, plan_id)
        if row is None:
            raise NotFound(f"no plan {plan_id!r}")
        return _stored(row)


def approve_plan(store: Store, plan_id: str, *, by: str) -> StoredPlan:
    """Mark a saved plan ``approved``; :class:`NotFound`, or :class:`PlanRefused` when it
    was already applied."""
    with store.transaction("approve plan") as s:
        row = s.get(FixPlanRow, plan_id)
        if row is None:
            raise NotFound(f"no plan {plan_id!r}")
        if row.status == "applied":
            raise PlanRefused(f"plan {plan_id} was already applied")
        if row.status != "approved":
            row.status = "approved"
            row.approved_by = by
            row.approved_at = store.now()
        return _stored(row)


def mark_applied(store: Store, plan_id: str) -> None:
    with store.transaction("mark plan applied") as s:
        row = s.get(FixPlanRow, plan_id)
        if row is not None:
            row.status = "applied"
            row.applied_at = store.now()


def list_plans(store: Store, *, finding_id: str | None = None) -> list[StoredPlan]:
    """Saved plans, newest first; only those touching ``finding_id`` when given."""
    with store.transaction("list plans") as s:
        rows = list(s.scalars(sa.select(FixPlanRow).order_by(FixPlanRow.created_at.desc())))
        plans = [_stored(r) for r in rows]
    if finding_id is not None:
        plans = [p for p in plans if finding_id in p.plan.finding_ids]
    return plans


def with_id(plan: Plan, plan_id: str) -> Plan:
    return replace(plan, id=plan_id)
