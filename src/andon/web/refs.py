"""Keeps ``andon_web_finding_ref`` (finding id → title and resource as plain columns) current.

The scans store each finding's resource as JSON. Filtering 100,000 findings by account or
region through JSON operators is slow, cannot use an index, and on PostgreSQL fails outright
when one resource name holds NUL (``\\u0000`` cannot be converted to text). A finding id never
changes its resource, so the dashboard copies the reference once per new finding id, reading
the JSON in Python. :class:`andon.web.queries.Caches` runs :func:`sync` before a query
whenever the set of finished scans has changed since its last look (:func:`marker`, one cheap
aggregate query).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from andon.store import Store, TransitionKind
from andon.store.schema import FindingRow, FindingStateRow, ScanRow, TransitionRow
from andon.store.schema_web import WebFindingRefRow, WebSecretRow

CHUNK = 500
ANALYZE_AFTER = 1000


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _insert(dialect: str) -> Any:
    table = sa.table(
        WebFindingRefRow.__tablename__,
        *(sa.column(c.name, c.type) for c in WebFindingRefRow.__table__.columns),
    )
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def _ref(fid: str, title: Any, resource: Any) -> dict[str, Any]:
    res = resource if isinstance(resource, dict) else {}
    return {
        "finding_id": fid,
        "title": _text(title),
        **{k: _text(res.get(k)) for k in ("uid", "name", "kind", "account", "region")},
    }


def marker(store: Store) -> tuple[Any, ...]:
    """Changes whenever a scan finishes: the finding state changes only then."""
    with store.transaction("check finished scans") as s:
        return tuple(
            s.execute(
                sa.select(sa.func.count(), sa.func.max(ScanRow.seq)).where(
                    ScanRow.finished_at.is_not(None)
                )
            ).one()
        )


_MARK = "finding-ref-sync"


def update(store: Store) -> int:
    """Sync from the mark the last sync left in the store (all finding ids when there is
    none), then move the mark; returns how many references were added. Idempotent and safe
    to run from several processes at once (inserts ignore existing ids)."""
    with store.transaction("read the reference sync mark") as s:
        row = s.get(WebSecretRow, _MARK)
        after = int(row.value) if row is not None else None
    mark = high_water(store)
    added = sync(store, after=after)
    with store.transaction("save the reference sync mark") as s:
        row = s.get(WebSecretRow, _MARK)
        if row is None:
            s.add(WebSecretRow(name=_MARK, value=str(mark)))
        elif int(row.value) < mark:
            row.value = str(mark)
    return added


def high_water(store: Store) -> int:
    """The newest transition's sequence number (0 when there is none)."""
    with store.transaction("read transitions") as s:
        return int(s.scalar(sa.select(sa.func.max(TransitionRow.seq))) or 0)


def sync(store: Store, after: int | None = None) -> int:
    """Add the reference of every finding id in the finding state that has none.

    With ``after`` (a :func:`high_water` taken before), only finding ids that appeared since
    (transitions ``opened`` or ``exempted`` newer than ``after``) are considered: a new scan
    then costs a range read of its transitions, not a pass over the whole state.
    """
    s_, f_, r_, t_ = FindingStateRow, FindingRow, WebFindingRefRow, TransitionRow
    missing = (
        sa.select(f_.finding_id, f_.title, f_.resource)
        .select_from(s_)
        .join(f_, sa.and_(f_.scan_id == s_.last_scan_id, f_.finding_id == s_.finding_id))
        .where(~sa.exists().where(r_.finding_id == s_.finding_id))
    )
    if after is not None:
        fresh = sa.select(t_.finding_id).where(
            t_.seq > after,
            t_.kind.in_([TransitionKind.OPENED.value, TransitionKind.EXEMPTED.value]),
        )
        missing = missing.where(s_.finding_id.in_(fresh))
    with store.transaction("index finding references") as s:
        insert = _insert(s.get_bind().dialect.name)
        rows: dict[str, dict[str, Any]] = {}
        for fid, title, resource in s.execute(missing.execution_options(yield_per=CHUNK)):
            rows[fid] = _ref(fid, title, resource)
        batch = list(rows.values())
        for start in range(0, len(batch), CHUNK):
            s.execute(insert, batch[start : start + CHUNK])
    if len(batch) >= ANALYZE_AFTER and store.dialect == "postgresql":
        # Fresh statistics right away: without them PostgreSQL plans the list queries as hash
        # joins over whole tables until autovacuum gets to it.
        with store.transaction("analyze finding references") as s:
            s.execute(sa.text("ANALYZE andon_web_finding_ref"))
    return len(batch)
