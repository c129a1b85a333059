"""The change journal: every change applied, refused, failed, or rolled back, in the store.

A :class:`ChangeRecord` keeps the prior configuration (``before``, what rollback restores), the
configuration written (``after``; after a failure, what was read back), who (the local user or
the caller's ARN), when, the result (``applied``, ``unchanged``, ``refused``, ``failed``) and
the verification (``resolved``, ``open``, ``unknown``) once re-collection has run.
Configurations are settings (policies, flags, ACL grants), never data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from andon.core.errors import NotFound
from andon.store import Store
from andon.store.schema_remediate import FixChangeRow

RESULTS = ("applied", "unchanged", "refused", "failed")
MODES = ("apply", "auto", "rollback")


@dataclass(frozen=True)
class ChangeRecord:
    id: int
    plan_id: str | None
    finding_id: str
    resource_uid: str
    action: str
    mode: str
    target: Mapping[str, Any]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    who: str
    at: datetime
    result: str
    message: str
    rollback_of: int | None = None
    verified: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "plan_id": self.plan_id,
            "finding_id": self.finding_id,
            "resource_uid": self.resource_uid,
            "action": self.action,
            "mode": self.mode,
            "target": dict(self.target),
            "before": None if self.before is None else dict(self.before),
            "after": None if self.after is None else dict(self.after),
            "who": self.who,
            "at": self.at.isoformat(),
            "result": self.result,
            "message": self.message,
            "rollback_of": self.rollback_of,
            "verified": self.verified,
        }


def _record(row: FixChangeRow) -> ChangeRecord:
    return ChangeRecord(
        id=row.id,
        plan_id=row.plan_id,
        finding_id=row.finding_id,
        resource_uid=row.resource_uid,
        action=row.action,
        mode=row.mode,
        target=row.target,
        before=row.before,
        after=row.after,
        who=row.who,
        at=row.at,
        result=row.result,
        message=row.message,
        rollback_of=row.rollback_of,
        verified=row.verified,
    )


def record_change(
    store: Store,
    *,
    plan_id: str | None,
    finding_id: str,
    resource_uid: str,
    action: str,
    mode: str,
    target: Mapping[str, Any],
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    who: str,
    result: str,
    message: str,
    rollback_of: int | None = None,
) -> ChangeRecord:
    """Journal one change (committed when this returns)."""
    if result not in RESULTS or mode not in MODES:
        raise ValueError(f"result {result!r} / mode {mode!r}")
    row = FixChangeRow(
        plan_id=plan_id,
        finding_id=finding_id,
        resource_uid=resource_uid,
        action=action,
        mode=mode,
        target=dict(target),
        before=None if before is None else dict(before),
        after=None if after is None else dict(after),
        who=who,
        at=store.now(),
        result=result,
        message=message,
        rollback_of=rollback_of,
        verified=None,
    )
    with store.transaction("journal change") as s:
        s.add(row)
        s.flush()
        return _record(row)


def set_verified(store: Store, change_id: int, verdict: str) -> None:
    with store.transaction("record verification") as s:
        row = s.get(FixChangeRow, change_id)
        if row is not None:
            row.verified = verdict


def get_change(store: Store, change_id: int) -> ChangeRecord:
    with store.transaction("read change") as s:
        row = s.get(FixChangeRow, change_id)
        if row is None:
            raise NotFound(f"no change #{change_id} in the journal")
        return _record(row)


def list_changes(
    store: Store,
    *,
    finding_id: str | None = None,
    plan_id: str | None = None,
    resource_uid: str | None = None,
    limit: int = 200,
) -> list[ChangeRecord]:
    """Journaled changes, newest first."""
    query = sa.select(FixChangeRow).order_by(FixChangeRow.id.desc()).limit(limit)
    if finding_id is not None:
        query = query.where(FixChangeRow.finding_id == finding_id)
    if plan_id is not None:
        query = query.where(FixChangeRow.plan_id == plan_id)
    if resource_uid is not None:
        query = query.where(FixChangeRow.resource_uid == resource_uid)
    with store.transaction("list changes") as s:
        return [_record(r) for r in s.scalars(query)]


def rolled_back_by(store: Store, change_id: int) -> ChangeRecord | None:
    """The applied rollback of a change, if any."""
    query = sa.select(FixChangeRow).where(
        FixChangeRow.rollback_of == change_id, FixChangeRow.result == "applied"
    )
    with store.transaction("find rollback") as s:
        row = s.scalars(query.limit(1)).first()
        return None if row is None else _record(row)
