"""Turning a burst of queue messages into one re-collection per resource.

* **Gather** (:func:`gather`): after the first message of a batch arrives (long poll), keep
  taking what else arrives during ``window`` seconds, up to ``max_batch`` messages. A burst
  of changes to one bucket becomes one batch.
* **Deduplicate** (:func:`classify`): an event whose id was already committed (a
  redelivery, a second copy from EventBridge, a message another consumer finished) or that
  appears twice in the batch is a ``duplicate``; a message that is not a CloudTrail event of
  interest is ``ignored``; one that is not JSON or not an event at all is ``malformed``. All
  of those are deleted once the batch is done; only ``new`` events cause work.
* **Coalesce** (:meth:`Batch.refs`): the resources the new events touch, each once.

Order does not matter: the daemon never applies an event's content, it re-collects the
resource's *current* state, so an older event processed after a newer one reads the same
state and the result is the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from andon.watch.queue import Message, SqsQueue

NEW = "new"
DUPLICATE = "duplicate"
IGNORED = "ignored"
MALFORMED = "malformed"


def gather(
    queue: SqsQueue, *, window: float, max_batch: int, stop: threading.Event
) -> list[Message]:
    """One batch: a long poll for the first messages, then what arrives within ``window``."""
    messages = queue.receive(min(10, max_batch))
    if not messages:
        return []
    deadline = time.monotonic() + window
    while len(messages) < max_batch and not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        more = queue.receive(min(10, max_batch - len(messages)), wait_time=0)
        if more:
            messages.extend(more)
        else:
            stop.wait(min(0.02, left))
    return messages


@dataclass
class Incoming:
    """One message and what it turned out to be."""

    message: Message
    outcome: str
    event: Any = None
    reason: str = ""


@dataclass
class Batch:
    """A gathered batch, classified."""

    items: list[Incoming] = field(default_factory=list)

    @property
    def messages(self) -> list[Message]:
        return [i.message for i in self.items]

    def of(self, outcome: str) -> list[Incoming]:
        return [i for i in self.items if i.outcome == outcome]

    @property
    def events(self) -> list[Any]:
        """The new events (each id once)."""
        return [i.event for i in self.of(NEW)]

    def refs(self, events: Iterable[Any] | None = None) -> list[Any]:
        """The resources the new events (or ``events``) touch, each once, in first-seen order."""
        seen: dict[Any, None] = {}
        for event in self.events if events is None else events:
            for ref in event.refs:
                seen.setdefault(ref, None)
        return list(seen)


Parse = Callable[[str], Any]
"""``parse_event(body) -> ChangeEvent | None`` (None: not an event of interest); raises
:class:`~andon.watch.refs.MalformedEvent` for a message that is no CloudTrail event."""


def classify(
    messages: Sequence[Message], parse: Parse, already: Callable[[set[str]], set[str]]
) -> Batch:
    """Parse every message and sort it into new / duplicate / ignored / malformed.

    ``already(ids)`` returns the ids among ``ids`` whose result is committed in the store.
    """
    batch = Batch()
    parsed: list[Incoming] = []
    for message in messages:
        try:
            event = parse(message.body)
        except Exception as exc:  # parse_event's own errors: one bad message, not a dead daemon
            batch.items.append(Incoming(message, MALFORMED, reason=f"{type(exc).__name__}: {exc}"))
            continue
        if event is None:
            batch.items.append(Incoming(message, IGNORED, reason="not an exposure-changing event"))
            continue
        parsed.append(Incoming(message, NEW, event))
    done = already({i.event.event_id for i in parsed}) if parsed else set()
    seen: set[str] = set()
    for item in parsed:
        eid = item.event.event_id
        if eid in done or eid in seen:
            item.outcome = DUPLICATE
            item.reason = "already processed" if eid in done else "twice in one batch"
        seen.add(eid)
        batch.items.append(item)
    return batch


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def changes(events: Iterable[Any], received: dict[str, datetime]) -> dict[str, dict[str, Any]]:
    """``meta["watch"]["changes"]``: per resource uid, the latest event that touched it (by
    CloudTrail ``eventTime``), with when it was received. The alert records its change time."""
    out: dict[str, dict[str, Any]] = {}
    best: dict[str, datetime | None] = {}
    for event in events:
        when = getattr(event, "event_time", None)
        for ref in event.refs:
            uid = ref.uid
            prior = best.get(uid)
            if uid in out and prior is not None and (when is None or when <= prior):
                continue
            best[uid] = when
            out[uid] = {
                "event_id": event.event_id,
                "event_name": event.event_name,
                "event_time": _iso(when),
                "received_at": _iso(received.get(event.event_id)),
                "actor": getattr(event, "actor", "") or "",
                "source_ip": getattr(event, "source_ip", "") or "",
            }
    return out
