"""What an operator may do, shared by the forms and the API: mute, exempt, plan, approve.

Each action checks its input (a reason, an expiry in the future and within a year), checks the
role, and calls the module that owns the data. Bad input raises
:class:`~andon.core.errors.ConfigError` (HTTP 400); a viewer gets :class:`Forbidden` (403).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from andon.core.errors import AndonError, ConfigError, NotFound
from andon.core.model import Finding
from andon.store import Store
from andon.store.rows import finding, snapshot
from andon.store.schema import FindingRow, FindingStateRow, ResourceRow
from andon.web import extras
from andon.web.auth import Principal

MAX_EXPIRY = timedelta(days=366)
MAX_TEXT = 500


class Forbidden(AndonError):
    """The principal's role does not allow this action."""


def require_operator(who: Principal) -> None:
    if not who.can_act:
        raise Forbidden(f"{who.name} is a {who.role.value}: only an operator may do this")


def clean_text(value: str, what: str, *, required: bool = True) -> str:
    text = " ".join(value.split())
    if required and not text:
        raise ConfigError(f"a {what} is required")
    if len(text) > MAX_TEXT:
        raise ConfigError(f"the {what} is longer than {MAX_TEXT} characters")
    return text


def parse_expiry(value: str | datetime | date, now: datetime) -> datetime:
    """An expiry from a form (``YYYY-MM-DD``: the end of that day, UTC) or the API (ISO 8601
    with offset); it must lie in the future and within a year."""
    when: datetime
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime.combine(value, time(23, 59, 59), UTC)
    else:
        text = value.strip()
        try:
            if len(text) == 10:
                when = datetime.combine(date.fromisoformat(text), time(23, 59, 59), UTC)
            else:
                when = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(f"invalid expiry {text[:40]!r}: use YYYY-MM-DD") from None
    if when.tzinfo is None:
        raise ConfigError("the expiry needs a time zone (e.g. 2027-01-31T00:00:00Z)")
    when = when.astimezone(UTC)
    if when <= now:
        raise ConfigError("the expiry must be in the future")
    if when - now > MAX_EXPIRY:
        raise ConfigError("the expiry must be within a year: review the decision then")
    return when


def _state(store: Store, finding_id: str) -> FindingStateRow:
    with store.transaction("read finding state") as s:
        row = s.scalars(
            sa.select(FindingStateRow)
            .where(FindingStateRow.finding_id == finding_id)
            .order_by(FindingStateRow.last_seen.desc())
            .limit(1)
        ).one_or_none()
    if row is None:
        raise NotFound(f"no finding {finding_id!r}")
    return row


def mute(store: Store, who: Principal, finding_id: str, reason: str, expires: Any) -> Any:
    """Mute a finding's alerts until ``expires``."""
    require_operator(who)
    _state(store, finding_id)
    return extras.mute(
        store,
        finding_id,
        reason=clean_text(reason, "reason"),
        expires_at=parse_expiry(expires, store.now()),
        by=who.name,
    )


def exempt(
    store: Store,
    who: Principal,
    finding_id: str,
    *,
    reason: str,
    owner: str,
    expires: Any,
    rule_only: bool,
) -> Any:
    """Exempt the finding's resource (from this rule only, or from every rule)."""
    require_operator(who)
    state = _state(store, finding_id)
    uid = _uid(store, state)
    return extras.exempt(
        store,
        uid,
        reason=clean_text(reason, "reason"),
        owner=clean_text(owner, "owner"),
        expires_at=parse_expiry(expires, store.now()),
        by=who.name,
        rule_id=state.rule if rule_only else None,
    )


def _finding(store: Store, state: FindingStateRow) -> Finding:
    with store.transaction("read finding") as s:
        row = s.scalars(
            sa.select(FindingRow).where(
                FindingRow.scan_id == state.last_scan_id,
                FindingRow.finding_id == state.finding_id,
            )
        ).one_or_none()
        if row is None:
            raise NotFound(f"no finding {state.finding_id!r} in scan {state.last_scan_id}")
        return finding(row)


def _uid(store: Store, state: FindingStateRow) -> str:
    return str(_finding(store, state).resource["uid"])


def plan(store: Store, who: Principal, finding_id: str) -> str:
    """Make and save a fix plan for one finding, from the stored snapshots (no cloud call)."""
    require_operator(who)
    state = _state(store, finding_id)
    found = _finding(store, state)
    uid = str(found.resource["uid"])
    with store.transaction("read resource") as s:
        rows = s.scalars(
            sa.select(ResourceRow).where(
                ResourceRow.scan_id == state.last_scan_id, ResourceRow.uid == uid
            )
        )
        resources = {r.uid: snapshot(r).resource for r in rows}
    return extras.make_plan(store, [found], resources, by=who.name)


def approve(store: Store, who: Principal, plan_id: str) -> Any:
    require_operator(who)
    return extras.approve(store, plan_id, by=who.name)
