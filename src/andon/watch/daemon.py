"""``andon watch``: the long-running daemon. Two inputs feed one pipeline.

Events (the main thread)
    :func:`~andon.watch.coalesce.gather` takes a batch from SQS (long poll, then whatever
    arrives within the coalesce window); :func:`~andon.watch.coalesce.classify` drops what was
    already processed, what is not an exposure-changing event and what is malformed; the new
    events' resources are leased (two consumers never re-collect one resource at once), re-
    collected and re-evaluated by one targeted scan in the sweep's scope (``rescan``), which
    records the transitions; the events are marked processed; only then are the messages
    deleted. The alert thread delivers what became pending (the store's outbox) while the next
    batch is received and re-read. While the batch is worked on, its messages' visibility
    timeout is extended. A message whose resource could not be re-read
    (the endpoint died) is left for a later try, with backoff.

Sweeps (a thread, see :mod:`andon.watch.sweep`)
    A full scan every ``sweep_interval``, claimed in the store so that one consumer sweeps per
    interval. When it ends, the resources events touched while it ran are re-collected once
    more: the sweep may have read them before their change.

Alerts (a thread)
    Woken after each committed batch: the dispatcher delivers the outbox. (Without
    :meth:`Watcher.run`, e.g. :meth:`Watcher.process` called directly, the batch delivers its
    alerts itself before its messages are deleted.)

Maintenance (a thread)
    Heartbeat of this consumer, recovery of targeted scans whose consumer died, pruning old
    event ids, the queue depth and open-exposure gauges, reminders, and delivery of any
    alert still pending (e.g. a consumer died after its commit, before delivering).

Crash safety. Each step is committed before the next starts, and each is idempotent: killed
before the commit, the message comes back and is processed again; killed after the commit,
the event is recognized as processed, and the dispatcher's outbox delivers each transition
exactly once. SIGTERM stops taking messages, finishes the batch at hand (a sweep ends at the
next resource and is stored ``incomplete``) and exits.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, Protocol

from andon.core.errors import AndonError, StoreError
from andon.scan import ScanOutcome
from andon.store import ScanStatus, Store
from andon.watch import ledger
from andon.watch.coalesce import DUPLICATE, IGNORED, MALFORMED, NEW, Parse, changes, classify
from andon.watch.config import WatchConfig
from andon.watch.metrics import WatchMetrics
from andon.watch.queue import Backoff, Message, SqsQueue
from andon.watch.sweep import Sweeper

log = logging.getLogger("andon.watch")

Rescan = Callable[[Sequence[Any], dict[str, Any]], ScanOutcome]
"""``rescan(refs, meta) -> ScanOutcome``: re-collect ``refs``, evaluate, record a targeted
scan in the sweep's scope with ``meta`` (see :func:`andon.watch.rescan.rescan`)."""

RefFactory = Callable[[dict[str, Any]], Any]
"""Rebuilds a resource reference from its stored dict (``ResourceRef(**d)``)."""


class Dispatcher(Protocol):
    """What the daemon needs of :class:`andon.alert.AlertDispatcher`."""

    def deliver_pending(self) -> list[Any]: ...

    def remind(self) -> list[Any]: ...


class Shutdown(BaseException):
    """Raised by the SIGTERM handler while the daemon only waits on the queue (a
    BaseException, so that no ``except Exception`` on the way swallows it)."""


def consumer_id() -> str:
    """A name for this process, unique across restarts: ``host:pid:random``."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def ref_dict(ref: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(ref) and not isinstance(ref, type):
        return dict(dataclasses.asdict(ref))
    return {"uid": str(getattr(ref, "uid", ref))}


def _retry_worthy(outcome: ScanOutcome) -> bool:
    """A targeted scan that could not read its resources (endpoint gone, credentials refused
    for the whole account): the events are tried again later instead of being dropped."""
    if outcome.status is ScanStatus.FAILED:
        return True
    return outcome.status is ScanStatus.INCOMPLETE and bool(outcome.error)


class Watcher:
    """The daemon. Build it with everything it uses (nothing is global) and call :meth:`run`."""

    def __init__(
        self,
        *,
        store: Store,
        config: WatchConfig,
        queue: SqsQueue | None,
        parse: Parse,
        rescan: Rescan,
        make_ref: RefFactory,
        dispatcher: Dispatcher | None = None,
        sweeper: Sweeper | None = None,
        metrics: WatchMetrics | None = None,
        consumer: str | None = None,
        stop: threading.Event | None = None,
        on_transitions: Callable[[ScanOutcome], None] | None = None,
        warm_up: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.queue = queue
        self.parse = parse
        self.rescan_refs = rescan
        self.make_ref = make_ref
        self.dispatcher = dispatcher
        self.sweeper = sweeper
        self.metrics = metrics or WatchMetrics()
        self.consumer = consumer or consumer_id()
        self.stop_event = stop or threading.Event()
        self.on_transitions = on_transitions
        self.warm_up = warm_up
        self.events_done = 0
        self.batches_done = 0
        self._idle = False
        self._deliver_lock = threading.Lock()
        self._async_alerts = False
        self._alerts_due = threading.Event()
        self._backoff = Backoff(config.backoff_initial, config.backoff_max)
        self._threads: list[threading.Thread] = []

    # -- control -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the daemon to stop after the batch at hand."""
        self.stop_event.set()

    def on_signal(self, signum: int, _frame: Any) -> None:
        """SIGTERM / SIGINT handler: stop; if only waiting on the queue, stop waiting now."""
        log.info("signal %d: stopping after the current batch", signum)
        self.stop_event.set()
        if self._idle:
            self._idle = False
            raise Shutdown

    def run(self) -> int:
        """Run until stopped; 0 after a clean shutdown."""
        ledger.register_consumer(self.store, self.consumer, socket.gethostname(), os.getpid())
        if self.warm_up is not None:
            try:  # the first event should not pay for imports and the sweep's scope
                self.warm_up()
            except AndonError as exc:
                log.warning("warm-up failed (%s); the first event will try again", exc)
        log.info(
            "andon watch %s started: queue %s, sweep every %s, coalesce window %.2f s",
            self.consumer,
            self.queue.url if self.queue is not None else "(none: sweeps only)",
            f"{self.config.sweep_interval:.0f} s" if self.config.sweep_interval else "never",
            self.config.coalesce_window,
        )
        self._spawn("andon-watch-maintenance", self._maintenance)
        if self.dispatcher is not None:
            self._async_alerts = True
            self._spawn("andon-watch-alerts", self._alerts)
        if self.sweeper is not None and self.config.sweep_interval > 0:
            self._spawn("andon-watch-sweep", self._sweeps)
        self.deliver()
        try:
            while not self.stop_event.is_set():
                if self.queue is None:
                    self.stop_event.wait(1.0)
                    continue
                messages = self._receive()
                if messages:
                    self.process(messages)
        except Shutdown:
            pass
        finally:
            self.stop_event.set()
            for thread in self._threads:
                thread.join()
            self.deliver()
            try:
                ledger.heartbeat(
                    self.store,
                    self.consumer,
                    events=self.events_done,
                    batches=self.batches_done,
                    state="stopped",
                )
            except StoreError as exc:
                log.warning("cannot record the shutdown: %s", exc)
            if self.queue is not None:
                self.queue.close()
            log.info(
                "andon watch %s stopped: %d events in %d batches",
                self.consumer,
                self.events_done,
                self.batches_done,
            )
        return 0

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _receive(self) -> list[Message]:
        assert self.queue is not None
        self._idle = True
        try:
            first = self.queue.receive(min(10, self.config.max_batch))
        finally:
            self._idle = False
        if not first:
            return []
        deadline = time.monotonic() + self.config.coalesce_window
        messages = list(first)
        backlog = len(first) >= 10
        while len(messages) < self.config.max_batch and not self.stop_event.is_set():
            left = deadline - time.monotonic()
            if left <= 0 and not backlog:
                break  # the window is over and the queue is not behind
            want = min(10, self.config.max_batch - len(messages))
            more = self.queue.receive(want, 0)
            messages.extend(more)
            backlog = len(more) >= want  # a full answer: more is waiting, keep gathering
            if not more and left > 0:
                self.stop_event.wait(min(0.02, left))
        return messages

    # -- one batch ---------------------------------------------------------------------------

    def process(self, messages: Sequence[Message]) -> None:
        """Work one batch through; delete its messages only once everything is committed."""
        assert self.queue is not None
        for m in messages:
            self.metrics.queue_lag.observe(m.lag)
        log.info("received %d message(s)", len(messages))
        try:
            retry = self._hidden_work(messages)
        except StoreError as exc:
            wait = self._backoff.next()
            self.metrics.errors.labels(kind="StoreError").inc()
            log.error(
                "the store failed (%s); the batch's %d message(s) stay in the queue and come "
                "back; waiting %.1f s",
                exc,
                len(messages),
                wait,
            )
            self.stop_event.wait(wait)
            return
        if retry is None:
            return
        self._finish(messages, retry)

    def _hidden_work(self, messages: Sequence[Message]) -> set[str] | None:
        """The batch's work while its messages are kept hidden; None when it failed (logged)."""
        assert self.queue is not None
        with self.queue.hidden(messages):
            try:
                retry = self._work(messages)
            except Exception as exc:  # a bug must not kill the daemon: the messages come back
                if isinstance(exc, StoreError):
                    raise
                wait = self._backoff.next()
                self.metrics.errors.labels(kind=type(exc).__name__).inc()
                log.exception(
                    "the batch failed unexpectedly; its %d message(s) come back; waiting %.1f s",
                    len(messages),
                    wait,
                )
                self.stop_event.wait(wait)
                return None
        return retry

    def _finish(self, messages: Sequence[Message], retry: set[str]) -> None:
        """Delete what is done; hide what is to be tried again for a backoff."""
        assert self.queue is not None
        done = [m for m in messages if m.message_id not in retry]
        again = [m for m in messages if m.message_id in retry]
        if done:
            self.queue.delete(done)
        if again:
            wait = max(1, int(self._backoff.next()))
            self.queue.set_visibility(again, wait)
            log.warning(
                "%d message(s) will be tried again in %d s (their resources could not be read)",
                len(again),
                wait,
            )
        else:
            self._backoff.reset()

    def _work(self, messages: Sequence[Message]) -> set[str]:
        """Classify, lease, re-collect, commit, deliver. Returns the ids of the messages to
        try again later (not to delete). Raises StoreError when the store fails."""
        batch = classify(messages, self.parse, lambda ids: ledger.processed(self.store, ids))
        for item in batch.items:
            if item.outcome == MALFORMED:
                log.warning(
                    "message %s is malformed (%s); dropped", item.message.message_id, item.reason
                )
            self.metrics.events.labels(
                outcome={NEW: "processed", DUPLICATE: "duplicate", IGNORED: "ignored"}.get(
                    item.outcome, "malformed"
                )
            ).inc()
        retry: set[str] = set()
        new = batch.of(NEW)
        if new:
            uids = {ref.uid for item in new for ref in item.event.refs}
            held = ledger.lease(self.store, uids, self.consumer, self.config.lease_seconds)
            try:
                ready = [i for i in new if all(r.uid in held for r in i.event.refs)]
                for item in new:
                    if item not in ready:
                        retry.add(item.message.message_id)
                if len(ready) < len(new):
                    log.info(
                        "%d event(s) wait: another consumer is re-collecting their resources",
                        len(new) - len(ready),
                    )
                if ready:
                    retry |= self._rescan_events(ready)
            finally:
                ledger.release(self.store, held, self.consumer)
        if self._async_alerts:
            self._alerts_due.set()  # the alert thread delivers while the next batch is read
        elif not self.deliver():
            raise StoreError("alerts could not be handed to the dispatcher")
        self.batches_done += 1
        self.metrics.batches.inc()
        return retry

    def _rescan_events(self, items: Sequence[Any]) -> set[str]:
        events = [i.event for i in items]
        received = {i.event.event_id: i.message.received_at for i in items}
        refs = []
        seen: set[Any] = set()
        for event in events:
            for ref in event.refs:
                if ref not in seen:
                    seen.add(ref)
                    refs.append(ref)
        wide = sorted({pair for e in events for pair in getattr(e, "account_wide", ())})
        if wide:
            # An account-wide change (account Block Public Access...) changes every resource
            # of the account's service: the next sweep re-reads them all, now.
            log.info(
                "account-wide change in %s: sweeping now",
                ", ".join(f"{a} {s}" for a, s in wide),
            )
            ledger.make_due(self.store)
        done: list[tuple[list[Any], ScanOutcome]] = []
        failed: set[Any] = set()
        if refs:
            done, failed = self._rescan_chunks(events, refs, received)
        outcomes = [o for _, o in done]
        scan_of = {r.uid: o.scan_id for chunk, o in done for r in chunk}
        retry = {i.message.message_id for i in items if any(r in failed for r in i.event.refs)}
        events = [i.event for i in items if i.message.message_id not in retry]
        if not events:
            return retry
        ledger.mark_processed(
            self.store,
            [
                ledger.ProcessedEvent(
                    event_id=e.event_id,
                    event_name=e.event_name,
                    event_time=getattr(e, "event_time", None),
                    received_at=received[e.event_id],
                    refs=[ref_dict(r) for r in e.refs],
                    scan_id=scan_of.get(e.refs[0].uid) if e.refs else None,
                )
                for e in events
            ],
            None,
            self.consumer,
        )
        self.events_done += len(events)
        if not outcomes:
            log.info("%d event(s) with nothing to re-collect (failed calls)", len(events))
            return retry
        log.info(
            "%d event(s) → %d resource(s) re-collected in %d scan(s): %d transition(s)",
            len(events),
            len(refs) - len(failed),
            len(outcomes),
            sum(len(o.transitions) for o in outcomes),
        )
        if self.on_transitions is not None:
            for outcome in outcomes:
                if outcome.transitions:
                    self.on_transitions(outcome)
        return retry

    def _rescan_chunks(
        self, events: Sequence[Any], refs: Sequence[Any], received: dict[str, Any]
    ) -> tuple[list[tuple[list[Any], ScanOutcome]], set[Any]]:
        """Re-collect ``refs`` in up to ``parallel_rescans`` targeted scans at once (disjoint
        resources, so they commute). Returns the good outcomes and the refs to try again."""
        size = max(1, -(-len(refs) // max(1, self.config.parallel_rescans)))
        chunks = [list(refs[i : i + size]) for i in range(0, len(refs), size)]
        all_changes = changes(events, received)

        def one(chunk: list[Any]) -> ScanOutcome:
            uids = {r.uid for r in chunk}
            meta = {
                "watch": {
                    "trigger": "event",
                    "consumer": self.consumer,
                    "changes": {u: c for u, c in all_changes.items() if u in uids},
                }
            }
            return self.rescan_refs(chunk, meta)

        results: list[ScanOutcome | BaseException] = []
        if len(chunks) == 1:
            try:
                results.append(one(chunks[0]))
            except AndonError as exc:
                results.append(exc)
        else:
            with ThreadPoolExecutor(len(chunks), thread_name_prefix="andon-rescan") as pool:
                futures = [pool.submit(one, c) for c in chunks]
                for future in futures:
                    error = future.exception()
                    results.append(error if error is not None else future.result())
        outcomes: list[tuple[list[Any], ScanOutcome]] = []
        failed: set[Any] = set()
        for chunk, result in zip(chunks, results, strict=True):
            if isinstance(result, StoreError):
                raise result
            if isinstance(result, AndonError):
                self.metrics.errors.labels(kind=type(result).__name__).inc()
                log.warning("re-collecting %d resource(s) failed: %s", len(chunk), result)
                failed.update(chunk)
            elif isinstance(result, BaseException):
                raise result
            elif _retry_worthy(result):
                self.metrics.errors.labels(kind="rescan").inc()
                log.warning(
                    "re-collecting %d resource(s) ended %s: %s",
                    len(chunk),
                    result.status.value,
                    result.error or "no reason given",
                )
                failed.update(chunk)
            else:
                outcomes.append((chunk, result))
        return outcomes, failed

    # -- alerts ------------------------------------------------------------------------------

    def deliver(self) -> bool:
        """Hand every pending alert to the dispatcher; False when that failed (logged)."""
        if self.dispatcher is None:
            return True
        try:
            with self._deliver_lock:
                self.dispatcher.deliver_pending()
        except StoreError as exc:
            self.metrics.errors.labels(kind="StoreError").inc()
            log.error("alert delivery failed: %s (the outbox keeps the alerts)", exc)
            return False
        return True

    def _alerts(self) -> None:
        """The alert thread (while :meth:`run` runs): delivers the outbox as soon as a batch is
        committed, so that sending overlaps receiving and re-reading the next batch. The
        outbox makes this safe: a transition committed and not yet alerted when the process
        dies is delivered at the next start (or by another consumer's maintenance)."""
        while not self.stop_event.is_set():
            if self._alerts_due.wait(0.5):
                self._alerts_due.clear()
                try:
                    self.deliver()
                except Exception:  # a bug must not kill the alert thread; the outbox keeps them
                    log.exception("alert delivery failed unexpectedly")

    # -- sweeps ------------------------------------------------------------------------------

    def _sweeps(self) -> None:
        assert self.sweeper is not None
        period = max(0.2, min(self.config.sweep_interval / 4, 10.0))
        if not self.config.sweep_on_start:
            self.stop_event.wait(self.config.sweep_interval)
        while not self.stop_event.is_set():
            try:
                result = self.sweeper.run_if_due()
            except StoreError as exc:
                log.error("cannot schedule the sweep: %s", exc)
                result = None
            except Exception:  # a sweep bug must not kill the event path
                log.exception("the sweep failed unexpectedly")
                result = None
            if result is not None:
                if result.outcome is not None and self.on_transitions is not None:
                    self.on_transitions(result.outcome)
                self.deliver()
                if not self.stop_event.is_set():
                    self._recheck_after_sweep(result.started_at)
            self.stop_event.wait(period)

    def _recheck_after_sweep(self, since: Any) -> None:
        """Re-collect what events touched while the sweep ran: the sweep may have read those
        resources before their change and recorded the older state."""
        try:
            raw = ledger.refs_processed_since(self.store, since)
            refs = []
            for d in raw:
                try:
                    refs.append(self.make_ref(d))
                except (TypeError, ValueError):
                    continue
            if not refs:
                return
            log.info("re-collecting %d resource(s) events touched during the sweep", len(refs))
            uids = {r.uid for r in refs}
            held = ledger.lease(self.store, uids, self.consumer, self.config.lease_seconds)
            try:
                mine = [r for r in refs if r.uid in held]
                if mine:
                    self.rescan_refs(
                        mine, {"watch": {"trigger": "sweep", "consumer": self.consumer}}
                    )
            finally:
                ledger.release(self.store, held, self.consumer)
            self.deliver()
        except AndonError as exc:
            log.warning("re-collecting after the sweep failed: %s", exc)

    # -- maintenance -------------------------------------------------------------------------

    def _maintenance(self) -> None:
        period = max(0.2, min(self.config.heartbeat_interval, 15.0))
        last_prune = 0.0
        rounds = 0
        while True:
            try:
                prune = time.monotonic() - last_prune > 3600
                self.maintain(prune=prune, recover=rounds % 10 == 0)
                rounds += 1
                if prune:
                    last_prune = time.monotonic()
            except StoreError as exc:
                self.metrics.errors.labels(kind="StoreError").inc()
                log.error("maintenance failed: %s", exc)
            except Exception:
                log.exception("maintenance failed unexpectedly")
            if self.stop_event.wait(period):
                return

    def maintain(self, *, prune: bool = False, recover: bool = True) -> None:
        """One round: heartbeat, release dead consumers' leases, recover their scans (when
        ``recover``), gauges, reminders, pending alerts."""
        ledger.heartbeat(
            self.store, self.consumer, events=self.events_done, batches=self.batches_done
        )
        live = ledger.live_consumers(self.store, 4 * max(self.config.heartbeat_interval, 1.0))
        live.add(self.consumer)
        for scan_id in ledger.recover_abandoned(self.store, live) if recover else ():
            log.warning("scan %s of a stopped consumer marked incomplete", scan_id)
        if ledger.release_dead(self.store, live):
            log.info("released resource leases of stopped consumers")
        if prune:
            gone = ledger.prune_events(self.store, timedelta(seconds=self.config.event_retention))
            if gone:
                log.info("forgot %d processed event id(s) past retention", gone)
        self.metrics.set_open(ledger.open_by_severity(self.store))
        if self.queue is not None:
            depth = self.queue.depth()
            if depth is not None:
                self.metrics.queue_depth.set(depth)
        if self.dispatcher is not None:
            with self._deliver_lock:
                self.dispatcher.remind()
                self.dispatcher.deliver_pending()
