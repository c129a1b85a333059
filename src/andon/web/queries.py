"""The queries the pages and the JSON API share: one function per view, plain dicts out.

Every function takes the :class:`~andon.store.Store` first and returns JSON-ready values
(strings, numbers, lists, dicts; datetimes as ISO 8601 strings), so a page and its
``/api/v1`` twin cannot disagree. The current picture comes from the finding state of each
scope (``andon_finding_state``, indexed by status and severity) joined with the finding as the
scope's last scan recorded it; nothing reads whole scans into memory.

The findings list is paginated by keyset (severity rank, finding id, scope): the cursor is the
last row of a page, so page N costs what page 1 costs, at any depth.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from andon.core.errors import ConfigError, NotFound
from andon.core.model import Severity, Status
from andon.rules import default_registry
from andon.store import Store
from andon.store.schema import FindingRow, FindingStateRow, ResourceRow, ScanRow
from andon.store.schema_web import WebFindingRefRow
from andon.web import extras, refs

SEVERITIES = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
SEARCH_IDS = 5000
STATES = [Status.OPEN.value, Status.EXEMPT.value, Status.RESOLVED.value]

_S = FindingStateRow
_F = FindingRow
_R = WebFindingRefRow
_RANKS = {s.value: s.rank for s in Severity}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class FindingFilter:
    """The findings list's filters; empty strings mean "any".

    ``status`` is the state in its scope (open, exempt, resolved); ``exemption`` is ``exempt``
    (exempt by tag or by an exemption record) or ``none``; ``q`` searches the resource's uid
    and name (substring, case-insensitive on ASCII).
    """

    severity: str = ""
    rule: str = ""
    account: str = ""
    region: str = ""
    status: str = ""
    exemption: str = ""
    q: str = ""

    def validate(self) -> FindingFilter:
        if self.severity and self.severity not in SEVERITIES:
            raise ConfigError(f"unknown severity {self.severity!r}")
        if self.status and self.status not in STATES:
            raise ConfigError(f"unknown status {self.status!r}")
        if self.exemption not in ("", "exempt", "none"):
            raise ConfigError("exemption is 'exempt' or 'none'")
        return self

    def params(self) -> dict[str, str]:
        """The non-empty filters, as query parameters."""
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    next_cursor: str | None
    filters: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "total": self.total,
            "next_cursor": self.next_cursor,
            "filters": self.filters,
        }


class Caches:
    """What one app remembers between requests.

    The finding state changes only when a scan finishes, so aggregates over it (overview
    counts, filter values, the total of a filtered list) are kept until the marker of finished
    scans (:func:`andon.web.refs.marker`) changes; then the finding references are synced and
    the aggregates forgotten. Open-finding counts of finished scans never change at all.
    Mutes and exemptions are read fresh on every request.
    """

    def __init__(self, max_entries: int = 1000) -> None:
        self.counts: dict[str, int] = {}
        self._marker: tuple[Any, ...] | None = None
        self._values: dict[Any, Any] = {}
        self._max = max_entries

    def refresh(self, store: Store) -> None:
        now = refs.marker(store)
        if now != self._marker:
            refs.update(store)
            self._values.clear()
            self._marker = now

    def get(self, key: Any, compute: Any) -> Any:
        if key not in self._values:
            if len(self._values) >= self._max:
                self._values.clear()
            self._values[key] = compute()
        return self._values[key]


def _cursor(rank: int, finding_id: str, scope: str) -> str:
    raw = json.dumps([rank, finding_id, scope]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uncursor(cursor: str) -> tuple[int, str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, fid, scope = json.loads(raw)
        if not (isinstance(rank, int) and isinstance(fid, str) and isinstance(scope, str)):
            raise ValueError(cursor)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ConfigError("invalid page cursor") from exc
    return rank, fid, scope


def _filtered(store: Store, f: FindingFilter, at: datetime) -> Any:
    query: Any = sa.select(
        _S.scope,
        _S.finding_id,
        _S.rule,
        _S.status,
        _S.severity,
        _S.first_seen,
        _S.last_seen,
        _R.title,
        _R.uid,
        _R.name,
        _R.kind,
        _R.account,
        _R.region,
    ).join(_R, _R.finding_id == _S.finding_id)
    if f.severity:
        query = query.where(_S.severity == f.severity)
    if f.status:
        query = query.where(_S.status == f.status)
    if f.rule:
        query = query.where(_S.rule == f.rule)
    if f.account:
        query = query.where(_R.account == f.account)
    if f.region:
        query = query.where(_R.region == f.region)
    if f.q:
        needle = f.q.lower()
        match = sa.or_(
            sa.func.lower(_R.uid).contains(needle, autoescape=True),
            sa.func.lower(_R.name).contains(needle, autoescape=True),
        )
        # One pass over the references, instead of one per severity and one for the count.
        with store.transaction("search resources") as s:
            ids = list(s.scalars(sa.select(_R.finding_id).where(match).limit(SEARCH_IDS + 1)))
        query = query.where(_S.finding_id.in_(ids) if len(ids) <= SEARCH_IDS else match)
    if f.exemption:
        exempt = sa.or_(
            _S.status == Status.EXEMPT.value,
            _R.uid.in_(sorted(extras.exempt_uids(store, at))),
            *(
                sa.and_(_R.uid == u, _S.rule == r)
                for u, r in sorted(extras.exempt_pairs(store, at))
            ),
        )
        query = query.where(exempt if f.exemption == "exempt" else sa.not_(exempt))
    return query


def _row(r: Any, muted: set[str], exempt: set[str], pairs: set[tuple[str, str]]) -> dict[str, Any]:
    return {
        "id": r.finding_id,
        "scope": r.scope,
        "rule": r.rule,
        "title": r.title,
        "severity": r.severity,
        "status": r.status,
        "first_seen": iso(r.first_seen),
        "last_seen": iso(r.last_seen),
        "resource": {
            "uid": r.uid,
            "name": r.name,
            "kind": r.kind,
            "account": r.account,
            "region": r.region,
        },
        "exempted": r.status == Status.EXEMPT.value or r.uid in exempt or (r.uid, r.rule) in pairs,
        "muted": r.finding_id in muted,
    }


def findings_page(
    store: Store, caches: Caches, f: FindingFilter, *, limit: int, cursor: str | None = None
) -> Page:
    """One page of the current findings, most severe first.

    Walks the severities from critical down, each in finding-id order along the index
    (severity, finding_id, scope), and stops as soon as the page is full: a page costs the
    same at any depth, and never sorts the whole table.
    """
    f = f.validate()
    caches.refresh(store)
    at = store.now()
    base = _filtered(store, f, at)
    start_rank, after = 99, None
    if cursor:
        start_rank, fid, scope = _uncursor(cursor)
        after = (fid, scope)
    rows: list[Any] = []
    with store.transaction("list findings") as s:
        for sev in SEVERITIES:
            rank = _RANKS[sev]
            if rank > start_rank or (f.severity and sev != f.severity):
                continue
            query = base.where(_S.severity == sev)
            if after is not None and rank == start_rank:
                query = query.where(
                    sa.or_(
                        _S.finding_id > after[0],
                        sa.and_(_S.finding_id == after[0], _S.scope > after[1]),
                    )
                )
            query = query.order_by(_S.finding_id, _S.scope).limit(limit + 1 - len(rows))
            rows += list(s.execute(query))
            if len(rows) > limit:
                break
        count = sa.select(sa.func.count()).select_from(base.subquery())
        key = None if f.exemption else ("total", tuple(sorted(f.params().items())))
        total = int(caches.get(key, lambda: s.scalar(count) or 0) if key else s.scalar(count) or 0)
    more = len(rows) > limit
    rows = rows[:limit]
    muted = extras.muted_ids(store, at)
    exempt = extras.exempt_uids(store, at)
    pairs = extras.exempt_pairs(store, at)
    items = [_row(r, muted, exempt, pairs) for r in rows]
    last = rows[-1] if rows else None
    nxt = (
        _cursor(_RANKS[last.severity], last.finding_id, last.scope)
        if more and last is not None
        else None
    )
    return Page(items, total, nxt, f.params())


def filter_choices(store: Store, caches: Caches) -> dict[str, list[str]]:
    """Values offered in the findings filters: rules, accounts and regions seen."""
    caches.refresh(store)

    def compute() -> dict[str, list[str]]:
        with store.transaction("list filter values") as s:
            return {
                "severity": SEVERITIES,
                "status": STATES,
                "rule": sorted(s.scalars(sa.select(_S.rule).distinct())),
                "account": sorted(s.scalars(sa.select(_R.account).distinct())),
                "region": sorted(s.scalars(sa.select(_R.region).distinct())),
            }

    found: dict[str, list[str]] = caches.get("choices", compute)
    return found


def _open_counts(store: Store) -> tuple[dict[str, int], dict[str, int], int]:
    is_open = _S.status == Status.OPEN.value
    with store.transaction("overview") as s:
        by_sev = dict(
            s.execute(
                sa.select(_S.severity, sa.func.count()).where(is_open).group_by(_S.severity)
            ).all()
        )
        by_kind = dict(
            s.execute(
                sa.select(_R.kind, sa.func.count())
                .select_from(_S)
                .join(_R, _R.finding_id == _S.finding_id)
                .where(is_open)
                .group_by(_R.kind)
            ).all()
        )
        exempt = s.scalar(sa.select(sa.func.count()).where(_S.status == Status.EXEMPT.value))
    return by_sev, by_kind, int(exempt or 0)


def overview(store: Store, caches: Caches) -> dict[str, Any]:
    """Open exposures by severity and kind, the trend, coverage of the last scans, latency.

    The counts over the finding state are computed once per change of the finished scans."""
    caches.refresh(store)
    at = store.now()
    by_sev, by_kind, exempt = caches.get("open_counts", lambda: _open_counts(store))
    return {
        "generated_at": iso(at),
        "open_total": sum(by_sev.values()),
        "exempt_total": exempt,
        "muted_total": len(extras.muted_ids(store, at)),
        "open_by_severity": {sev: int(by_sev.get(sev, 0)) for sev in SEVERITIES},
        "open_by_kind": dict(sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))),
        "trend": trend(store, caches),
        "coverage": coverage(store),
        "detection_latency": extras.detection_latency(store),
    }


def trend(store: Store, cache: Caches, *, points: int = 60) -> list[dict[str, Any]]:
    """Open exposures over time: after each of the last ``points`` finished scans, the sum over
    scopes of the open findings each scope's latest scan (at that time) recorded."""
    with store.transaction("trend") as s:
        scans = list(
            s.execute(
                sa.select(ScanRow.id, ScanRow.scope, ScanRow.finished_at)
                .where(ScanRow.finished_at.is_not(None))
                .order_by(ScanRow.seq.desc())
                .limit(points * 4)
            )
        )[::-1]
        missing = [sid for sid, _, _ in scans if sid not in cache.counts]
        for start in range(0, len(missing), 200):
            chunk = missing[start : start + 200]
            counted = dict(
                s.execute(
                    sa.select(_F.scan_id, sa.func.count())
                    .where(_F.scan_id.in_(chunk), _F.status == Status.OPEN.value)
                    .group_by(_F.scan_id)
                ).all()
            )
            for sid in chunk:
                cache.counts[sid] = int(counted.get(sid, 0))
    latest: dict[str, int] = {}
    out = []
    for sid, scope, finished in scans:
        latest[scope] = cache.counts[sid]
        out.append({"at": iso(finished), "open": sum(latest.values()), "scan_id": sid})
    return out[-points:]


def _scan_dict(row: Any, previous: datetime | None = None) -> dict[str, Any]:
    duration = (
        (row.finished_at - row.started_at).total_seconds() if row.finished_at is not None else None
    )
    meta = row.meta or {}
    return {
        "id": row.id,
        "scope": row.scope,
        "status": row.status,
        "started_at": iso(row.started_at),
        "finished_at": iso(row.finished_at),
        "duration_s": duration,
        "resources": meta.get("resources"),
        "findings": meta.get("findings"),
        "coverage": meta.get("coverage", {}),
        "error": row.error,
        "gaps": list(row.gaps or []),
        "since_previous_s": None
        if previous is None
        else (row.started_at - previous).total_seconds(),
    }


def coverage(store: Store) -> list[dict[str, Any]]:
    """The latest scan of each scope: status, duration, coverage counts, gaps."""
    with store.transaction("coverage") as s:
        latest = sa.select(sa.func.max(ScanRow.seq)).group_by(ScanRow.scope).scalar_subquery()
        rows = s.scalars(sa.select(ScanRow).where(ScanRow.seq.in_(latest)).order_by(ScanRow.scope))
        return [_scan_dict(r) for r in rows]


def scans(store: Store, *, limit: int = 100, before: int | None = None) -> dict[str, Any]:
    """Scan history, newest first, with durations, gaps and the interval since the previous
    scan of the same scope (a long interval is a gap in monitoring)."""
    with store.transaction("scan history") as s:
        query = sa.select(ScanRow).order_by(ScanRow.seq.desc()).limit(limit + 1)
        if before is not None:
            query = query.where(ScanRow.seq < before)
        rows = list(s.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        items = []
        for r in rows:
            prev = s.scalar(
                sa.select(ScanRow.started_at)
                .where(ScanRow.scope == r.scope, ScanRow.seq < r.seq)
                .order_by(ScanRow.seq.desc())
                .limit(1)
            )
            items.append(_scan_dict(r, prev))
    return {"items": items, "next_before": rows[-1].seq if more and rows else None}


def _resource(store: Store, scan_id: str, uid: str) -> dict[str, Any] | None:
    with store.transaction("read resource") as s:
        row = s.scalars(
            sa.select(ResourceRow).where(ResourceRow.scan_id == scan_id, ResourceRow.uid == uid)
        ).one_or_none()
        if row is None:
            return None
        return {
            "uid": row.uid,
            "name": row.name,
            "kind": row.kind,
            "native_type": row.native_type,
            "cloud": row.cloud,
            "account": row.account,
            "region": row.region,
            "origin": row.origin,
            "tags": dict(row.tags or {}),
            "gaps": list(row.gaps or []),
        }


def _rule(rule_id: str) -> dict[str, Any] | None:
    registry = default_registry()
    if rule_id not in registry:
        return None
    meta = registry.get(rule_id).meta
    return {
        "id": meta.id,
        "title": meta.title,
        "risk": meta.risk,
        "description": meta.description,
        "remediation": {
            "summary": meta.remediation.summary,
            "console": list(meta.remediation.console),
            "cli": list(meta.remediation.cli),
            "terraform": meta.remediation.terraform,
        },
        "verify": list(meta.verify),
        "references": list(meta.references),
        "compliance": [str(c) for c in meta.compliance],
        "exemptible": meta.exemptible,
        "exemption_note": meta.exemption_note,
    }


def finding_detail(store: Store, finding_id: str) -> dict[str, Any]:
    """One finding: its state in each scope, exposure reasons, evidence, data classification
    (the redacted counts ``--classify`` recorded), timeline, remediation, mutes, exemptions and
    fix plans. NotFound if no scan ever recorded it."""
    with store.transaction("read finding") as s:
        states = list(
            s.scalars(
                sa.select(_S).where(_S.finding_id == finding_id).order_by(_S.last_seen.desc())
            )
        )
        if not states:
            raise NotFound(f"no finding {finding_id!r}")
        current = states[0]
        row = s.scalars(
            sa.select(_F).where(_F.scan_id == current.last_scan_id, _F.finding_id == finding_id)
        ).one()
        title, resource_ref = row.title, dict(row.resource or {})
        exposure, evidence = dict(row.exposure or {}), dict(row.evidence or {})
        remediation, exemption_tag = row.remediation, row.exemption
    history = store.finding_history(finding_id)
    at = store.now()
    uid = str(resource_ref.get("uid", ""))
    data = evidence.pop("data", None)
    return {
        "id": finding_id,
        "rule": current.rule,
        "title": title,
        "severity": current.severity,
        "status": current.status,
        "first_seen": iso(current.first_seen),
        "last_seen": iso(current.last_seen),
        "states": [
            {
                "scope": st.scope,
                "status": st.status,
                "severity": st.severity,
                "first_seen": iso(st.first_seen),
                "last_seen": iso(st.last_seen),
                "last_scan_id": st.last_scan_id,
            }
            for st in states
        ],
        "resource": _resource(store, current.last_scan_id, uid) or resource_ref,
        "exposure": exposure,
        "evidence": evidence,
        "classification": data,
        "remediation_summary": remediation,
        "exemption_tag": exemption_tag,
        "rule_meta": _rule(current.rule),
        "timeline": [
            {
                "at": iso(t.at),
                "kind": t.kind.value,
                "scope": t.scope,
                "scan_id": t.scan_id,
                "severity": t.severity.value,
                "previous_severity": None
                if t.previous_severity is None
                else t.previous_severity.value,
            }
            for t in history
        ],
        "mutes": extras.mutes_of(store, finding_id, at),
        "exemptions": extras.exemptions_of(store, uid, at),
        "plans": extras.plans_of(store, finding_id),
    }


def jsonable(value: Any) -> Any:
    """Plain JSON values from what the store and the helper modules return."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [jsonable(v) for v in value]
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value
    return value
