"""The finding lifecycle as a pure function: a scope's state and one scan in, changes out.

Kept apart from the database so the rules can be read in one place; the semantics are described
in :mod:`andon.store`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from andon.core.model import Severity, Status, finding_id
from andon.store.records import ScanStatus, TransitionKind


@dataclass(frozen=True)
class Entry:
    """A finding as the scope remembers it, or as one scan produced it."""

    status: Status
    severity: Severity
    rule_id: str


@dataclass(frozen=True)
class Change:
    """The new state of one finding after a scan, and the transition that led there.

    ``kind`` is ``None`` when the finding was seen again without any change worth a transition
    (an exempt finding still exempt): its ``last_seen`` moves, nothing else.
    """

    finding_id: str
    kind: TransitionKind | None
    before: Entry | None
    after: Entry


_LIVE = (Status.OPEN, Status.EXEMPT)


def plan(
    state: Mapping[str, Entry],
    produced: Mapping[str, Entry],
    scan_status: ScanStatus,
    *,
    resolvable: Collection[str] | None = None,
    frozen: Collection[str] = (),
) -> list[Change]:
    """Changes caused by a scan that ended with ``scan_status`` and produced ``produced``.

    ``state`` maps finding id to what the scope knew before the scan; ``produced`` maps finding
    id to the finding as the scan produced it (status ``open`` or ``exempt``). Findings the scan
    produced come first, then resolutions, each in finding-id order.

    ``resolvable`` (a targeted scan: the finding ids of its targets' findings) limits what a
    complete scan may resolve; ``None`` (a full scan) lets it resolve anything it did not
    produce.

    ``frozen`` finding ids are left as they are, produced or not: a newer observation of their
    resource already decided them (see the store's rules for overlapping targeted scans).
    """
    if scan_status is ScanStatus.RUNNING:
        raise ValueError("a running scan causes no transitions")
    changes: list[Change] = []
    for fid in sorted(produced):
        now = produced[fid]
        if now.status not in _LIVE:
            raise ValueError(f"finding {fid}: a scan produces open or exempt findings")
        if fid in frozen:
            continue
        before = state.get(fid)
        changes.append(Change(fid, _kind(before, now), before, now))
    if scan_status is ScanStatus.COMPLETE:
        for fid in sorted(state):
            before = state[fid]
            if fid in frozen or (resolvable is not None and fid not in resolvable):
                continue
            if fid not in produced and before.status in _LIVE:
                after = Entry(Status.RESOLVED, before.severity, before.rule_id)
                changes.append(Change(fid, TransitionKind.RESOLVED, before, after))
    return changes


def _kind(before: Entry | None, now: Entry) -> TransitionKind | None:
    if now.status is Status.EXEMPT:
        if before is not None and before.status is Status.EXEMPT:
            return None
        return TransitionKind.EXEMPTED
    if before is None:
        return TransitionKind.OPENED
    if before.status is Status.OPEN:
        if before.severity is not now.severity:
            return TransitionKind.SEVERITY_CHANGED
        return TransitionKind.STILL_OPEN
    return TransitionKind.REOPENED


def findings_of(uids: Iterable[str], known: Mapping[str, Entry]) -> set[str]:
    """The finding ids of ``known`` that belong to a resource in ``uids``.

    A finding's id is ``finding_id(rule, resource uid)``, so the findings of ``uids`` are the
    ids of every (rule seen in ``known``, uid) pair: no resource column is needed.
    """
    rules = {e.rule_id for e in known.values()}
    wanted = {finding_id(rule, uid) for rule in rules for uid in uids}
    return wanted & set(known)


def superseded(
    targets: Collection[str] | None,
    newer: Iterable[Collection[str] | None],
    state: Mapping[str, Entry],
    produced: Mapping[str, Entry],
) -> set[str]:
    """Finding ids a scan must leave alone because a newer observation decided them.

    ``targets`` are the finishing scan's (``None``: a full scan); ``newer`` the targets of
    each *complete* scan of the scope that started after it and finished first (``None``: a
    full one). A resource a newer targeted scan re-read keeps that scan's verdict; a targeted
    scan overtaken by a newer complete full scan changes nothing. Full scans overlapping full
    scans are not affected.
    """
    known = {**state, **produced}
    uids: set[str] = set()
    for covered in newer:
        if covered is None:
            if targets is not None:
                return set(known)
            continue
        uids.update(covered)
    return findings_of(uids, known) if uids else set()
