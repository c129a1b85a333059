"""The finding lifecycle as a pure function: a scope's state and one scan in, changes out.

Kept apart from the database so the rules can be read in one place; the semantics are described
in :mod:`andon.store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from andon.core.model import Severity, Status
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
    state: Mapping[str, Entry], produced: Mapping[str, Entry], scan_status: ScanStatus
) -> list[Change]:
    """Changes caused by a scan that ended with ``scan_status`` and produced ``produced``.

    ``state`` maps finding id to what the scope knew before the scan; ``produced`` maps finding
    id to the finding as the scan produced it (status ``open`` or ``exempt``). Findings the scan
    produced come first, then resolutions, each in finding-id order.
    """
    if scan_status is ScanStatus.RUNNING:
        raise ValueError("a running scan causes no transitions")
    changes: list[Change] = []
    for fid in sorted(produced):
        now = produced[fid]
        if now.status not in _LIVE:
            raise ValueError(f"finding {fid}: a scan produces open or exempt findings")
        before = state.get(fid)
        changes.append(Change(fid, _kind(before, now), before, now))
    if scan_status is ScanStatus.COMPLETE:
        for fid in sorted(state):
            before = state[fid]
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
