"""Reconciliation sweeps: a full scan on a schedule, so that nothing events miss stays missed.

EventBridge delivers CloudTrail events on a best-effort basis; an event can be lost, and a
change made before Andon watched has no event at all. Every ``sweep_interval`` (default 15
minutes) one consumer of the store runs the same estate scan as ``andon scan``
(:func:`andon.scan.scan_estate`, same scope, same config file) and records it; its
transitions raise alerts like any other.

The schedule lives in the store (:func:`andon.watch.ledger.claim`): of several consumers only
one sweeps per interval, and a restarted daemon does not sweep again before the interval is
over. A sweep holds its claim for :data:`CLAIM_SECONDS` and renews it while it runs; a sweep
whose process died is taken over once the claim expires.

A sweep asked to stop (SIGTERM) ends at the next resource and is stored ``incomplete``
(``interrupted``): it resolves nothing, and the next sweep runs at the next due time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from andon.core.errors import AndonError, StoreError
from andon.core.model import Exposure, Finding, Resource
from andon.scan import ScanOutcome, scan_estate
from andon.store import ScanStatus, Store, Transition
from andon.watch import ledger
from andon.watch.metrics import WatchMetrics

log = logging.getLogger("andon.watch.sweep")

CLAIM_SECONDS = 120.0
"""How long a sweep's claim lasts without renewal (it is renewed every third of that)."""


class SweepInterrupted(Exception):
    """Raised inside a sweep to stop it at the next resource (not an AndonError on purpose:
    the pipeline then stores the scan as interrupted, ``incomplete``)."""


class TaggedStore:
    """A :class:`ScanStore` that adds ``meta`` to every scan it starts (the sweep marks its
    scans ``{"watch": {"trigger": "sweep", ...}}`` this way)."""

    def __init__(self, store: Store, meta: dict[str, Any]) -> None:
        self._store = store
        self._meta = meta
        self.scan_id: str | None = None

    def start_scan(self, scope: str, meta: dict[str, Any] | None = None) -> str:
        self.scan_id = self._store.start_scan(scope, {**(meta or {}), **self._meta})
        return self.scan_id

    def add_resources(self, scan_id: str, items: Iterable[tuple[Resource, Exposure | None]]) -> int:
        return self._store.add_resources(scan_id, items)

    def add_findings(self, scan_id: str, findings: Iterable[Finding]) -> int:
        return self._store.add_findings(scan_id, findings)

    def finish_scan(
        self,
        scan_id: str,
        status: ScanStatus | str,
        gaps: Any = (),
        error: str = "",
        meta: Any = None,
    ) -> list[Transition]:
        return self._store.finish_scan(scan_id, status, gaps, error, meta)


@dataclass
class SweepResult:
    """One sweep: the outcome, when it started, how long it took."""

    outcome: ScanOutcome | None
    started_at: datetime
    seconds: float
    error: str = ""

    @property
    def complete(self) -> bool:
        return self.outcome is not None and self.outcome.status is ScanStatus.COMPLETE


Scanner = Callable[..., ScanOutcome]
"""``scanner(ctx, rules=, store=, on_resource=, config=, services=)``: :func:`scan_estate`."""


class Sweeper:
    """Runs the reconciliation sweep when it is due and this consumer wins the claim."""

    def __init__(
        self,
        *,
        ctx: Any,
        store: Store,
        rules: Sequence[Any],
        owner: str,
        interval: float,
        stop: threading.Event,
        metrics: WatchMetrics | None = None,
        scan_config: Any = None,
        services: Any = None,
        scanner: Scanner = scan_estate,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ctx = ctx
        self.store = store
        self.rules = list(rules)
        self.owner = owner
        self.interval = interval
        self.stop = stop
        self.metrics = metrics
        self.scan_config = scan_config
        self.services = services
        self._scanner = scanner
        self._clock = clock

    def due(self) -> bool:
        """Whether a sweep is due now (for display; :meth:`run_if_due` decides with a claim)."""
        state = ledger.schedule(self.store)
        if state is None or state.last_started is None:
            return True
        age = (self.store.now() - state.last_started).total_seconds()
        return age >= self.interval

    def run_if_due(self) -> SweepResult | None:
        """Sweep if due and claimed; ``None`` when not this consumer's turn."""
        if self.interval <= 0 or self.stop.is_set():
            return None
        if not ledger.claim(self.store, self.owner, interval=self.interval, hold=CLAIM_SECONDS):
            return None
        return self.run()

    def run(self) -> SweepResult:
        """One sweep now (the claim is already held); records its end in the schedule."""
        started = self.store.now()
        t0 = time.monotonic()
        renewed = t0
        log.info("sweep started (every %.0f s)", self.interval)

        def on_resource(resource: Resource, exposure: Exposure) -> None:
            nonlocal renewed
            if self.stop.is_set():
                raise SweepInterrupted("the daemon is stopping")
            if time.monotonic() - renewed > CLAIM_SECONDS / 3:
                renewed = time.monotonic()
                if not ledger.renew(self.store, self.owner, CLAIM_SECONDS):
                    log.warning("sweep claim lost; another consumer took over")

        tagged = TaggedStore(self.store, {"watch": {"trigger": "sweep", "consumer": self.owner}})
        outcome: ScanOutcome | None = None
        error = ""
        try:
            outcome = self._scanner(
                self.ctx,
                rules=self.rules,
                store=tagged,
                on_resource=on_resource,
                config=self.scan_config,
                services=self.services,
            )
        except SweepInterrupted:
            error = "interrupted: the daemon is stopping"
            log.warning("sweep interrupted: the daemon is stopping (stored incomplete)")
        except StoreError as exc:
            error = f"the store failed: {exc}"
            log.error("sweep failed: %s", error)
        except AndonError as exc:
            error = str(exc)
            log.error("sweep failed: %s", error)
        seconds = time.monotonic() - t0
        result = SweepResult(outcome, started, seconds, error or (outcome.error if outcome else ""))
        status = outcome.status.value if outcome is not None else "failed"
        if error.startswith("interrupted"):
            status = "incomplete"
        try:
            ledger.finish(self.store, self.owner, status, tagged.scan_id)
        except StoreError as exc:
            log.error("cannot record the end of the sweep: %s", exc)
        if self.metrics is not None:
            self.metrics.sweep_duration.observe(seconds)
            if result.complete:
                self.metrics.last_sweep.set(self._clock())
        if outcome is not None:
            log.info(
                "sweep %s in %.1f s: %d resources, %d open findings, %d transitions (scan %s)",
                outcome.status.value,
                seconds,
                outcome.resources,
                len(outcome.open_findings),
                len(outcome.transitions),
                outcome.scan_id,
            )
        return result
