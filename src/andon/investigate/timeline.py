"""The exposure timeline: Andon's own history, change events and configuration records, and
the exposure window they establish (or bound).

Pure: :func:`exposure_window` takes the facts and says

* when the exposure began: *established* when a change that opened it is found after a point
  where the resource is known not to have been exposed (its creation, a change that closed it,
  or a complete Andon scan of the same scope that did not find it); otherwise the earliest time
  the evidence proves it exposed (``exposed_since_at_least``) and, where known, the time it
  cannot predate (``not_before``);
* when it ended: a change that closed it between the last scan that saw it and the scan that
  found it resolved, else that resolving scan (an upper bound); still open otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from andon.investigate.cloudtrail import TrailEvent

BOUNDARY = frozenset({"closes", "created"})


@dataclass(frozen=True)
class AndonFacts:
    """What Andon's store knows of one finding."""

    first_seen: datetime  # start of the first scan that produced it
    last_seen: datetime  # start of the last scan that produced it
    status: str  # open, exempt or resolved
    resolved_at: datetime | None  # when the scan that resolved it finished
    clean_before: datetime | None  # a complete scan of the scope before it, without it


@dataclass(frozen=True)
class Change:
    event: TrailEvent
    effect: str
    why: str


@dataclass(frozen=True)
class Window:
    start: datetime | None
    established: bool
    exposed_since_at_least: datetime
    not_before: datetime | None
    start_statement: str
    detected: datetime
    end: datetime | None
    end_statement: str

    @property
    def open(self) -> bool:
        return self.end is None

    def access_start(self) -> datetime | None:
        """Where access evidence must begin: the established start, else the time the
        exposure cannot predate, else unknown (``None``)."""
        return self.start if self.established else self.not_before

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": _iso(self.start),
            "start_established": self.established,
            "exposed_since_at_least": _iso(self.exposed_since_at_least),
            "not_before": _iso(self.not_before),
            "start_statement": self.start_statement,
            "detected": _iso(self.detected),
            "end": _iso(self.end),
            "open": self.open,
            "end_statement": self.end_statement,
        }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _fmt(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _who(change: Change) -> str:
    e = change.event
    where = f" from {e.source_ip}" if e.source_ip else ""
    return f"{e.name} by {e.actor}{where} at {_fmt(e.time)}"


def exposure_window(
    facts: AndonFacts,
    changes: list[Change],
    evidence_from: datetime | None,
) -> Window:
    """The window (see the module docstring). ``changes`` are successful change events of the
    resource, any order; ``evidence_from`` is where the change evidence (CloudTrail) begins."""
    detected = facts.first_seen
    ordered = sorted((c for c in changes if c.effect != "failed"), key=lambda c: c.event.time)
    before = [c for c in ordered if c.event.time <= detected]
    boundary: datetime | None = facts.clean_before
    boundary_why = "a complete Andon scan that did not find it" if boundary else ""
    for c in before:
        if c.effect in BOUNDARY and (boundary is None or c.event.time > boundary):
            boundary, boundary_why = c.event.time, _who(c)
    after_boundary = [
        c for c in before if c.effect == "opens" and (boundary is None or c.event.time > boundary)
    ]
    if after_boundary and boundary is not None:
        first = after_boundary[0]
        start_statement = f"Established: made public by {_who(first)} (before it: {boundary_why})."
        start, established, since = first.event.time, True, first.event.time
    elif boundary is not None:
        start, established, since = None, False, detected
        start_statement = (
            f"Not established: it began after {_fmt(boundary)} ({boundary_why}) and no later "
            f"than {_fmt(detected)} (first detection); no change that opened it was found in "
            "between."
        )
    elif after_boundary:
        first = after_boundary[0]
        start, established, since = first.event.time, False, first.event.time
        start_statement = (
            f"Not established: public at least since {_who(first)}; the evidence read holds "
            "nothing earlier about this resource, so it may have been public before."
        )
    else:
        since = min(evidence_from, detected) if evidence_from else detected
        start, established = None, False
        reach = (
            f"the change evidence begins {_fmt(evidence_from)} and shows no change that opened "
            "it, so it was already exposed then"
            if evidence_from and evidence_from < detected
            else "no change evidence reaches back before the first detection"
        )
        start_statement = (
            f"Not established: {reach}. Earliest bound: exposed since at least {_fmt(since)}."
        )
    end: datetime | None = None
    if facts.status == "resolved" and facts.resolved_at is not None:
        closing = [
            c
            for c in ordered
            if c.effect == "closes" and facts.last_seen <= c.event.time <= facts.resolved_at
        ]
        if closing:
            end = closing[0].event.time
            end_statement = f"Closed by {_who(closing[0])}; confirmed by Andon's next scan."
        else:
            end = facts.resolved_at
            end_statement = (
                f"Closed between {_fmt(facts.last_seen)} (last scan that saw it) and "
                f"{_fmt(facts.resolved_at)} (the scan that found it resolved); the window "
                "ends at the latter (upper bound)."
            )
    else:
        end_statement = f"Still {facts.status} at the last scan ({_fmt(facts.last_seen)})."
    return Window(
        start=start,
        established=established,
        exposed_since_at_least=since,
        not_before=boundary,
        start_statement=start_statement,
        detected=detected,
        end=end,
        end_statement=end_statement,
    )


def change_entry(change: Change) -> dict[str, Any]:
    e = change.event
    return {
        "at": e.time.isoformat(),
        "source": "cloudtrail",
        "what": e.name,
        "effect": change.effect,
        "detail": change.why,
        "actor": e.actor,
        "actor_account": e.actor_account,
        "source_ip": e.source_ip,
        "user_agent": e.user_agent,
        "region": e.region,
    }
