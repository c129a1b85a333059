"""Rolling a journaled change back: write its prior configuration again, and journal that.

Refused (journaled, nothing written) when the resource is gone, or when its configuration
changed since the fix (someone else's newer change would be overwritten; ``force`` overrides).
A change that changed nothing, or was already rolled back, cannot be rolled back
(:class:`~andon.remediate.model.PlanRefused`).
"""

from __future__ import annotations

from typing import Any

from andon.collect.aws.transport import AwsClients
from andon.core.errors import CollectError
from andon.remediate.actions import action
from andon.remediate.fingerprint import fingerprint
from andon.remediate.journal import ChangeRecord, get_change, record_change, rolled_back_by
from andon.remediate.model import Gone, PlanRefused
from andon.store import Store


def rollback_change(
    store: Store, clients: AwsClients, change_id: int, *, who: str, force: bool = False
) -> ChangeRecord:
    """Restore the configuration change ``change_id`` replaced; returns the new journal
    record (result ``applied``, ``unchanged``, ``refused`` or ``failed``)."""
    rec = get_change(store, change_id)
    if rec.result not in ("applied", "failed") or rec.before is None:
        raise PlanRefused(
            f"change #{change_id} ({rec.result}) changed nothing: nothing to roll back"
        )
    done = rolled_back_by(store, change_id)
    if done is not None:
        raise PlanRefused(f"change #{change_id} was already rolled back by change #{done.id}")
    act = action(rec.action)
    before = dict(rec.before)

    def journal(result: str, message: str, prior: Any, after: Any) -> ChangeRecord:
        return record_change(
            store,
            plan_id=rec.plan_id,
            finding_id=rec.finding_id,
            resource_uid=rec.resource_uid,
            action=rec.action,
            mode="rollback",
            target=rec.target,
            before=prior,
            after=after,
            who=who,
            result=result,
            message=message,
            rollback_of=rec.id,
        )

    try:
        current = act.read(clients, rec.target)
    except Gone:
        return journal("refused", "refused: the resource no longer exists", None, None)
    except CollectError as exc:
        return journal(
            "failed", f"failed: cannot read the current configuration ({exc})", None, None
        )
    now = fingerprint(current)
    if now == fingerprint(before):
        return journal("unchanged", "the prior configuration is already in place", current, current)
    if rec.after is not None and now != fingerprint(rec.after) and not force:
        return journal(
            "refused",
            "refused: the configuration changed since the fix; rolling back would overwrite "
            "that newer change (use --force to restore the journaled configuration anyway)",
            current,
            current,
        )
    try:
        act.write(clients, rec.target, dict(current), before)
    except CollectError as exc:
        try:
            actual: Any = act.read(clients, rec.target)
        except (CollectError, Gone):
            actual = None
        return journal("failed", f"failed: {exc}", current, actual)
    return journal("applied", f"rolled back change #{rec.id}", current, before)
