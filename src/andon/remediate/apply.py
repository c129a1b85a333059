"""Applying a plan: check each entry against the live configuration, write, journal, verify.

For each entry, in order:

1. an entry whose finding is now exempt (recorded or configured after planning) is refused;
2. the action reads the live configuration; a resource that is gone is refused;
3. a live configuration already equal to ``after`` is ``unchanged`` (applying twice is safe);
4. a live configuration whose fingerprint differs from the one planned on is refused: someone
   changed it since, and the plan may no longer be the least-damaging one;
5. otherwise the action writes ``after``. A failed call (denied, throttled...) is ``failed``;
   what was actually written is read back and journaled, so rollback restores from there.

Every entry's outcome is journaled (:mod:`andon.remediate.journal`) with ``before``, ``after``,
who and when. Then ``verify`` re-collects the applied resources (a targeted scan) and reports,
per finding, ``resolved``, ``open`` or ``unknown``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from andon.collect.aws.transport import AwsClients
from andon.core.errors import CollectError
from andon.remediate.actions import action
from andon.remediate.fingerprint import fingerprint
from andon.remediate.journal import ChangeRecord, record_change, set_verified
from andon.remediate.model import Gone
from andon.remediate.plan import Plan, PlanEntry
from andon.store import Store

Verifier = Callable[[Sequence[PlanEntry]], Mapping[str, str]]
"""Re-collects the resources of the applied entries; returns finding id → ``resolved``,
``open`` or ``unknown``."""
Exempt = Callable[[PlanEntry], str]
"""The exemption text that now covers an entry's finding, or ""."""


@dataclass
class ApplyReport:
    """What applying a plan did: one journal record per entry, and the verification."""

    plan_id: str
    changes: list[ChangeRecord] = field(default_factory=list)
    verified: dict[str, str] = field(default_factory=dict)

    def count(self, result: str) -> int:
        return sum(1 for c in self.changes if c.result == result)

    @property
    def ok(self) -> bool:
        """Every entry applied or already in place, and nothing verified still open."""
        return all(c.result in ("applied", "unchanged") for c in self.changes) and not any(
            v == "open" for v in self.verified.values()
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "changes": [c.to_dict() for c in self.changes],
            "verified": dict(self.verified),
            "ok": self.ok,
        }


def apply_entry(
    store: Store,
    clients: AwsClients,
    entry: PlanEntry,
    *,
    who: str,
    plan_id: str | None,
    mode: str = "apply",
    exempt: Exempt | None = None,
) -> ChangeRecord:
    """Apply one entry (see the module docstring) and journal the outcome."""
    act = action(entry.action)

    def journal(result: str, message: str, before: Any, after: Any) -> ChangeRecord:
        return record_change(
            store,
            plan_id=plan_id,
            finding_id=entry.finding_id,
            resource_uid=entry.resource_uid,
            action=entry.action,
            mode=mode,
            target=entry.target,
            before=before,
            after=after,
            who=who,
            result=result,
            message=message,
        )

    why = exempt(entry) if exempt is not None else ""
    if why:
        return journal("refused", f"refused: the finding is exempt now ({why})", None, None)
    try:
        current = act.read(clients, entry.target)
    except Gone:
        return journal(
            "refused",
            "refused: the resource was deleted since planning; nothing changed",
            None,
            None,
        )
    except CollectError as exc:
        return journal(
            "failed",
            f"failed: cannot read the current configuration ({exc}); nothing changed",
            None,
            None,
        )
    now = fingerprint(current)
    if now == fingerprint(entry.after):
        return journal("unchanged", "already in place: nothing to change", current, current)
    if now != entry.fingerprint:
        return journal(
            "refused",
            "refused: the configuration changed since planning (planned on "
            f"{entry.fingerprint[:19]}…, now {now[:19]}…); nothing changed, make a new plan",
            current,
            current,
        )
    try:
        act.write(clients, entry.target, dict(current), dict(entry.after))
    except CollectError as exc:
        try:
            actual = act.read(clients, entry.target)
        except (CollectError, Gone):
            actual = None
        partial = actual is not None and fingerprint(actual) != now
        message = f"failed: {exc}" + (
            "; part of the change was written (rollback restores the prior configuration)"
            if partial
            else "; nothing changed"
        )
        return journal("failed", message, current, actual)
    return journal("applied", f"applied: {act.title}", current, entry.after)


def apply_plan(
    store: Store,
    clients: AwsClients,
    plan: Plan,
    *,
    who: str,
    plan_id: str | None = None,
    verify: Verifier | None = None,
    exempt: Exempt | None = None,
    mode: str = "apply",
) -> ApplyReport:
    """Apply every entry of ``plan`` (never call this without the user's explicit approval),
    journal each outcome, then verify the applied entries with ``verify``."""
    report = ApplyReport(plan_id or plan.id)
    applied: list[tuple[PlanEntry, ChangeRecord]] = []
    for entry in plan.entries:
        record = apply_entry(
            store, clients, entry, who=who, plan_id=report.plan_id, mode=mode, exempt=exempt
        )
        report.changes.append(record)
        if record.result in ("applied", "unchanged", "failed"):
            applied.append((entry, record))
    if verify is not None and applied:
        verdicts = dict(verify([e for e, _ in applied]))
        report.verified = verdicts
        for entry, record in applied:
            ids = entry.finding_ids or (entry.finding_id,)
            states = [verdicts.get(f, "unknown") for f in ids]
            verdict = (
                "open" if "open" in states else "unknown" if "unknown" in states else "resolved"
            )
            set_verified(store, record.id, verdict)
    return report
