"""The :class:`Store`: scans, resource snapshots, findings, finding state and transitions.

See :mod:`andon.store` for the transition semantics of full scans.

Targeted scans
    ``start_scan(scope, meta, targets=uids)`` records a scan that re-read only the resources
    whose uids are in ``targets`` (``andon watch`` re-reading what one event changed). It lives
    in the same scope as the full scans (the sweep), so their transitions compose, and it
    follows the same rules with one restriction: when it finishes ``complete``, only findings
    *of its targets* may be resolved (a finding belongs to the resource whose uid is in its
    id, ``finding_id(rule, uid)``). So a target re-read and found fixed, or found gone (it was
    collected as nothing), resolves its findings; every other finding of the scope is left
    untouched. An ``incomplete`` or ``failed`` targeted scan resolves nothing, as any scan.
    The targets are kept, sorted, in ``meta["targets"]`` (a reserved key; see
    :attr:`ScanRecord.targets`).

    Overlapping scans: a scan that finishes after a newer one (started later) has already
    finished ``complete`` leaves alone the findings of every resource a newer *targeted*
    scan re-read, and a targeted scan overtaken by a newer complete *full* scan changes
    nothing: the newer observation wins, so a sweep that read a bucket before an event made
    it public does not resolve what the event's targeted scan just opened. Overlapping full
    scans keep the plain rules (the last to finish decides).

    :meth:`Store.latest_scan` and :meth:`Store.findings` without a scan id skip targeted
    scans: "the latest scan" is the latest picture of the whole scope.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from itertools import islice
from types import TracebackType
from typing import Any, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from andon.core.errors import NotFound, StoreError
from andon.core.model import Exposure, Finding, Gap, Resource, Severity, Status
from andon.store.engine import (
    create_engine,
    default_url,
    describe,
    normalize_url,
    translated,
    upgrade,
    write_lock,
)
from andon.store.lifecycle import Change, Entry, findings_of, plan, superseded
from andon.store.records import (
    TARGETS_KEY,
    FindingState,
    ResourceSnapshot,
    ScanRecord,
    ScanStatus,
    Transition,
    TransitionKind,
    covered_by,
    targets_of,
    with_targets,
)
from andon.store.rows import (
    by_keys,
    finding,
    finding_state,
    finding_values,
    resource_values,
    scan_record,
    snapshot,
    transition,
    transition_values,
)
from andon.store.run import ScanRun, record
from andon.store.schema import (
    FindingRow,
    FindingStateRow,
    ResourceRow,
    ScanRow,
    TransitionRow,
)

T = TypeVar("T")

DEFAULT_BATCH = 500
_SEEN_KINDS = (TransitionKind.OPENED, TransitionKind.REOPENED)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class Store:
    """History of scans over one database. Owns its engine; close it (or use ``with``).

    ``url`` is a SQLAlchemy URL (``sqlite:///path``, ``postgresql://user@host/db``) or a bare
    file path for SQLite; ``None`` means :func:`default_url`. The schema is migrated to the
    newest revision on open. Every database failure surfaces as
    :class:`andon.core.errors.StoreError`; unknown ids as :class:`andon.core.errors.NotFound`.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._url = normalize_url(default_url() if url is None else url)
        self._where = describe(self._url)
        self._clock = clock
        self._batch = batch_size
        self._engine = create_engine(self._url)
        try:
            upgrade(self._engine)
        except BaseException:
            self._engine.dispose()
            raise
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._where

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def close(self) -> None:
        """Release every connection. The store cannot be used afterwards."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._where!r})"

    @contextmanager
    def _tx(self, action: str) -> Iterator[Session]:
        """One transaction; committed on success, every database error made a StoreError."""
        if self._closed:
            raise StoreError(f"{action}: the store at {self._where} is closed")
        with translated(action, self._where), self._sessions() as session, session.begin():
            yield session

    def transaction(self, action: str) -> AbstractContextManager[Session]:
        """One public transaction for the modules that own their own tables (alerts, mutes,
        exemptions, the change journal, users, incidents). ``action`` names what is being done
        in the error raised on failure; every database error becomes a StoreError."""
        return self._tx(action)

    def now(self) -> datetime:
        """The store's clock, in UTC (injectable in tests)."""
        return self._now()

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise StoreError("the store's clock returned a naive datetime")
        return now.astimezone(UTC)

    # -- writing a scan --------------------------------------------------------------------

    def start_scan(
        self,
        scope: str,
        meta: Mapping[str, Any] | None = None,
        *,
        targets: Collection[str] | None = None,
    ) -> str:
        """Record a new ``running`` scan of ``scope`` and return its id.

        ``targets`` makes it a *targeted* scan: the resource uids it re-reads (see the module
        docstring). They are kept, sorted, in ``meta["targets"]`` (a reserved key).
        """
        if not scope:
            raise ValueError("a scan needs a scope, e.g. 'aws:123456789012:s3:all-regions'")
        data = with_targets(meta, targets)
        scan_id = str(uuid.uuid4())
        with self._tx("start scan") as s:
            s.add(
                ScanRow(
                    id=scan_id,
                    scope=scope,
                    status=ScanStatus.RUNNING.value,
                    started_at=self._now(),
                    error="",
                    meta=data,
                    gaps=[],
                )
            )
        return scan_id

    def record(
        self,
        scope: str,
        meta: Mapping[str, Any] | None = None,
        *,
        targets: Collection[str] | None = None,
    ) -> AbstractContextManager[ScanRun]:
        """Start a scan as a context manager that always ends it (see :mod:`andon.store.run`)."""
        return record(self, scope, meta, targets=targets)

    def add_resource(
        self, scan_id: str, resource: Resource, exposure: Exposure | None = None
    ) -> None:
        """Record one resource of a running scan; durable when the call returns."""
        self.add_resources(scan_id, [(resource, exposure)])

    def add_resources(self, scan_id: str, items: Iterable[tuple[Resource, Exposure | None]]) -> int:
        """Record resources of a running scan, committing every ``batch_size`` of them.

        A resource uid recorded twice in one scan keeps its last version. Returns the count.
        """
        count = 0
        for chunk in _chunks(items, self._batch):
            latest = {res.uid: (res, exp) for res, exp in chunk}
            with self._tx("add resources") as s:
                self._require_running(s, scan_id)
                s.execute(
                    sa.delete(ResourceRow).where(
                        ResourceRow.scan_id == scan_id, ResourceRow.uid.in_(list(latest))
                    )
                )
                s.execute(
                    sa.insert(ResourceRow),
                    [resource_values(scan_id, r, e) for r, e in latest.values()],
                )
            count += len(chunk)
        return count

    def add_findings(self, scan_id: str, findings: Iterable[Finding]) -> int:
        """Record findings of a running scan, committing every ``batch_size`` of them.

        Findings must be ``open`` or ``exempt`` (resolution is the store's business). A finding
        id recorded twice in one scan keeps its last version. Returns the count.
        """
        count = 0
        for chunk in _chunks(findings, self._batch):
            latest: dict[str, Finding] = {}
            for f in chunk:
                if f.status not in (Status.OPEN, Status.EXEMPT):
                    raise ValueError(f"finding {f.id} ({f.rule_id}): status {f.status.value}")
                latest[f.id] = f
            with self._tx("add findings") as s:
                self._require_running(s, scan_id)
                s.execute(
                    sa.delete(FindingRow).where(
                        FindingRow.scan_id == scan_id, FindingRow.finding_id.in_(list(latest))
                    )
                )
                s.execute(
                    sa.insert(FindingRow), [finding_values(scan_id, f) for f in latest.values()]
                )
            count += len(chunk)
        return count

    def _require_running(self, s: Session, scan_id: str) -> None:
        query = sa.select(ScanRow.status).where(ScanRow.id == scan_id)
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(read=True)
        status = s.scalar(query)
        if status is None:
            raise NotFound(f"no scan {scan_id!r}")
        if status != ScanStatus.RUNNING.value:
            raise StoreError(f"scan {scan_id} is {status}: it takes no more data")

    def finish_scan(
        self,
        scan_id: str,
        status: ScanStatus | str,
        gaps: Sequence[Gap] = (),
        error: str = "",
        meta: Mapping[str, Any] | None = None,
    ) -> list[Transition]:
        """End a running scan, update its scope's finding state, return the transitions.

        ``meta`` is merged into the meta given at start (e.g. counts known only at the end).
        Finishes of scans of one scope are serialized; each sees the state the previous one left.
        """
        final = ScanStatus(status)
        if final is ScanStatus.RUNNING:
            raise ValueError("finish_scan needs complete, incomplete or failed")
        with self._tx(f"finish scan {scan_id}") as s:
            conn = s.connection()
            if conn.dialect.name != "postgresql":
                write_lock(conn, scan_id)  # SQLite: must come before any read
            scope = s.scalar(sa.select(ScanRow.scope).where(ScanRow.id == scan_id))
            if scope is None:
                raise NotFound(f"no scan {scan_id!r}")
            if conn.dialect.name == "postgresql":
                write_lock(conn, f"andon.scope:{scope}")
            row = s.scalars(sa.select(ScanRow).where(ScanRow.id == scan_id).with_for_update()).one()
            if row.status != ScanStatus.RUNNING.value:
                raise StoreError(f"scan {scan_id} is already {row.status}")
            now = self._now()
            row.status = final.value
            row.finished_at = now
            row.error = error
            row.gaps = [g.to_dict() for g in gaps]
            targets = self._targets(row)
            row.meta = {**row.meta, **{k: v for k, v in (meta or {}).items() if k != TARGETS_KEY}}
            state = self._state(s, scope)
            produced = self._produced(s, scan_id)
            resolvable = None if targets is None else findings_of(targets, state)
            frozen = self._frozen(s, row, targets, state, produced)
            changes = plan(state, produced, final, resolvable=resolvable, frozen=frozen)
            return self._apply(s, row, changes, now)

    @staticmethod
    def _targets(row: ScanRow) -> tuple[str, ...] | None:
        try:
            return targets_of(row.meta)
        except ValueError as exc:
            raise StoreError(f"scan {row.id}: {exc}") from exc

    def _frozen(
        self,
        s: Session,
        row: ScanRow,
        targets: tuple[str, ...] | None,
        state: Mapping[str, Entry],
        produced: Mapping[str, Entry],
    ) -> set[str]:
        """Finding ids a newer observation already decided: those of resources a complete
        targeted scan started after this one re-read (and, for a targeted scan, everything
        once a complete full scan started after it)."""
        newer = s.execute(
            sa.select(ScanRow.meta).where(
                ScanRow.scope == row.scope,
                ScanRow.seq > row.seq,
                ScanRow.status == ScanStatus.COMPLETE.value,
            )
        )
        return superseded(targets, (covered_by(meta) for (meta,) in newer), state, produced)

    def _state(self, s: Session, scope: str) -> dict[str, Entry]:
        t = FindingStateRow
        rows = s.execute(
            sa.select(t.finding_id, t.status, t.severity, t.rule).where(t.scope == scope)
        )
        return {fid: Entry(Status(st), Severity(sev), rule) for fid, st, sev, rule in rows}

    def _produced(self, s: Session, scan_id: str) -> dict[str, Entry]:
        t = FindingRow
        rows = s.execute(
            sa.select(t.finding_id, t.status, t.severity, t.rule).where(t.scan_id == scan_id)
        )
        return {fid: Entry(Status(st), Severity(sev), rule) for fid, st, sev, rule in rows}

    def _apply(
        self, s: Session, scan: ScanRow, changes: list[Change], now: datetime
    ) -> list[Transition]:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        transitions: list[Transition] = []
        for c in changes:
            key = {"scope": scan.scope, "finding_id": c.finding_id}
            values: dict[str, Any] = {"status": c.after.status.value}
            if c.kind is TransitionKind.RESOLVED:
                values["resolved_in"] = scan.id
            else:
                values.update(
                    rule=c.after.rule_id,
                    severity=c.after.severity.value,
                    last_seen=scan.started_at,
                    last_scan_id=scan.id,
                    resolved_in=None,
                )
                if c.before is None or c.kind in _SEEN_KINDS:
                    values["opened_in"] = scan.id
            if c.before is None:
                inserts.append({**key, **values, "first_seen": scan.started_at})
            else:
                updates.append({**key, **values})
            if c.kind is not None:
                before = c.before.severity if c.before is not None else None
                transitions.append(
                    Transition(
                        scan_id=scan.id,
                        scope=scan.scope,
                        finding_id=c.finding_id,
                        rule_id=c.after.rule_id,
                        kind=c.kind,
                        severity=c.after.severity,
                        previous_severity=before,
                        at=now,
                    )
                )
        if inserts:
            s.execute(sa.insert(FindingStateRow), inserts)
        for group in by_keys(updates):
            s.execute(sa.update(FindingStateRow), group)
        if transitions:
            s.execute(sa.insert(TransitionRow), [transition_values(t) for t in transitions])
        return transitions

    def recover(
        self, scope: str | None = None, *, started_before: datetime | None = None
    ) -> list[str]:
        """Mark scans left ``running`` (their process died) as ``incomplete``; return their ids.

        Only use it for scans no process is still writing: pass ``started_before`` to spare
        scans that may still be alive. The recovered scans record transitions as any incomplete
        scan does (new findings open, nothing resolves).
        """
        query = sa.select(ScanRow.id).where(ScanRow.status == ScanStatus.RUNNING.value)
        if scope is not None:
            query = query.where(ScanRow.scope == scope)
        if started_before is not None:
            query = query.where(ScanRow.started_at < started_before)
        with self._tx("find abandoned scans") as s:
            ids = list(s.scalars(query.order_by(ScanRow.seq)))
        recovered = []
        for scan_id in ids:
            try:
                self.finish_scan(
                    scan_id,
                    ScanStatus.INCOMPLETE,
                    error="abandoned: the scan stopped before it finished (recovered)",
                )
            except StoreError:
                if self.scan(scan_id).status is ScanStatus.RUNNING:
                    raise
                continue  # finished by its own process in the meantime
            recovered.append(scan_id)
        return recovered

    # -- reading ---------------------------------------------------------------------------

    def _read_scans(
        self, s: Session, *where: sa.ColumnElement[bool], limit: int | None = None
    ) -> list[ScanRecord]:
        counts = [
            sa.select(sa.func.count())
            .where(table.scan_id == ScanRow.id)
            .correlate(ScanRow)
            .scalar_subquery()
            for table in (ResourceRow, FindingRow)
        ]
        query = sa.select(ScanRow, *counts).where(*where).order_by(ScanRow.seq.desc())
        if limit is not None:
            query = query.limit(limit)
        return [scan_record(row, r, f) for row, r, f in s.execute(query)]

    def scans(self, scope: str | None = None, limit: int = 50) -> list[ScanRecord]:
        """Scans (of ``scope`` if given), newest first."""
        where = [] if scope is None else [ScanRow.scope == scope]
        with self._tx("list scans") as s:
            return self._read_scans(s, *where, limit=limit)

    def scan(self, scan_id: str) -> ScanRecord:
        """One scan; :class:`NotFound` if there is none with this id."""
        with self._tx("read scan") as s:
            found = self._read_scans(s, ScanRow.id == scan_id)
        if not found:
            raise NotFound(f"no scan {scan_id!r}")
        return found[0]

    def latest_scan(
        self,
        scope: str | None = None,
        complete_only: bool = False,
        *,
        targeted: bool = False,
    ) -> ScanRecord | None:
        """The most recently started full scan (of ``scope``; only ``complete`` ones if
        asked). Targeted scans re-read a few resources, not the scope: they count only with
        ``targeted=True``."""
        where = [] if scope is None else [ScanRow.scope == scope]
        if complete_only:
            where.append(ScanRow.status == ScanStatus.COMPLETE.value)
        with self._tx("read latest scan") as s:
            if targeted:
                found = self._read_scans(s, *where, limit=1)
            else:
                scan_id = self._first_full(s, sa.select(ScanRow.id, ScanRow.meta).where(*where))
                found = [] if scan_id is None else self._read_scans(s, ScanRow.id == scan_id)
        return found[0] if found else None

    def scopes(self) -> list[str]:
        """Every scope that has been scanned, sorted."""
        with self._tx("list scopes") as s:
            return sorted(s.scalars(sa.select(ScanRow.scope).distinct()))

    def findings(
        self,
        scan_id: str | None = None,
        *,
        scope: str | None = None,
        severity: Severity | str | None = None,
        rule: str | None = None,
        status: Status | str | None = None,
    ) -> list[Finding]:
        """Findings of one scan, in the order they were recorded.

        ``scan_id=None`` means the most recently started *finished* full scan (of ``scope`` if
        given; targeted scans are skipped); a running scan's partial findings are read by its
        id. No scan: ``[]``.
        """
        with self._tx("read findings") as s:
            if scan_id is None:
                scan_id = self._latest_finished(s, scope)
                if scan_id is None:
                    return []
            else:
                self._require_scan(s, scan_id)
            query = sa.select(FindingRow).where(FindingRow.scan_id == scan_id)
            if severity is not None:
                query = query.where(FindingRow.severity == Severity(severity).value)
            if rule is not None:
                query = query.where(FindingRow.rule == rule)
            if status is not None:
                query = query.where(FindingRow.status == Status(status).value)
            return [finding(r) for r in s.scalars(query.order_by(FindingRow.seq))]

    def _latest_finished(self, s: Session, scope: str | None) -> str | None:
        query = sa.select(ScanRow.id, ScanRow.meta).where(
            ScanRow.status != ScanStatus.RUNNING.value
        )
        if scope is not None:
            query = query.where(ScanRow.scope == scope)
        return self._first_full(s, query)

    @staticmethod
    def _first_full(s: Session, query: sa.Select[tuple[str, dict[str, Any]]]) -> str | None:
        """The id of the newest full (not targeted) scan ``query`` (id, meta) selects."""
        ordered = query.order_by(ScanRow.seq.desc()).execution_options(yield_per=200)
        for scan_id, meta in s.execute(ordered):
            if not isinstance(meta, Mapping) or meta.get(TARGETS_KEY) is None:
                return str(scan_id)
        return None

    def _require_scan(self, s: Session, scan_id: str) -> None:
        if s.scalar(sa.select(ScanRow.seq).where(ScanRow.id == scan_id)) is None:
            raise NotFound(f"no scan {scan_id!r}")

    def resources(self, scan_id: str, *, kind: str | None = None) -> list[ResourceSnapshot]:
        """Resources one scan recorded, in the order they were recorded."""
        with self._tx("read resources") as s:
            self._require_scan(s, scan_id)
            query = sa.select(ResourceRow).where(ResourceRow.scan_id == scan_id)
            if kind is not None:
                query = query.where(ResourceRow.kind == kind)
            return [snapshot(r) for r in s.scalars(query.order_by(ResourceRow.seq))]

    def transitions(self, scan_id: str) -> list[Transition]:
        """Transitions a finished scan caused (none while it runs)."""
        with self._tx("read transitions") as s:
            self._require_scan(s, scan_id)
            query = sa.select(TransitionRow).where(TransitionRow.scan_id == scan_id)
            return [transition(r) for r in s.scalars(query.order_by(TransitionRow.seq))]

    def finding_history(self, finding_id: str, scope: str | None = None) -> list[Transition]:
        """Every transition of one finding, oldest first; :class:`NotFound` if never recorded."""
        with self._tx("read finding history") as s:
            query = sa.select(TransitionRow).where(TransitionRow.finding_id == finding_id)
            if scope is not None:
                query = query.where(TransitionRow.scope == scope)
            history = [transition(r) for r in s.scalars(query.order_by(TransitionRow.seq))]
            if not history:
                known = sa.select(FindingRow.seq).where(FindingRow.finding_id == finding_id)
                if s.scalar(known.limit(1)) is None:
                    raise NotFound(f"no finding {finding_id!r}")
            return history

    def finding_states(
        self, scope: str, *, status: Status | str | None = None
    ) -> list[FindingState]:
        """What ``scope`` currently knows about each finding, by finding id."""
        t = FindingStateRow
        query = sa.select(t).where(t.scope == scope)
        if status is not None:
            query = query.where(t.status == Status(status).value)
        with self._tx("read finding state") as s:
            return [finding_state(r) for r in s.scalars(query.order_by(t.finding_id))]
