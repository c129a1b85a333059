"""The alert dispatcher: transitions in the store become alerts, exactly once per channel.

The store's transition table is the outbox. :meth:`AlertDispatcher.deliver_pending` finds every
alertable transition that has no delivery row yet, routes it (the resource's owner tag picks the
channels), and *claims* one delivery row per channel in the store before anything is sent (see
:mod:`andon.alert.journal`). Only the process whose claim went in sends; it records ``sent``,
or ``retry`` with a backoff, or ``failed`` after the retry limit. Claims go in by batches of
:data:`BATCH`; a batch's alerts are sent concurrently (:data:`SEND_WORKERS` threads; a paced
channel such as Slack one at a time) and their results recorded in one transaction. A process
that dies between
claim and result leaves a claim whose lease runs out; another dispatcher (or the same one after
a restart) takes it over and sends it. The one window where a receiver may see an alert twice
is a death *after* the send and *before* the batch's results were recorded; the payload's
``alert_id`` is stable so receivers can drop the repeat.

Every alert, once settled (``sent``, ``failed`` after its last retry, or ``muted``), is written
to ``out`` as one JSON line and passed to ``on_delivered``; an attempt that will be retried is
logged (warning, secrets masked) and returned by the call, but neither printed nor passed on.

Call :meth:`~AlertDispatcher.deliver_pending` after each committed scan and every few seconds
(it also sends due retries and takes over expired claims), and :meth:`~AlertDispatcher.remind`
every minute or so. A dispatcher is meant for one thread; run one per thread or process.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TextIO

import sqlalchemy as sa

from andon.alert.config import STDOUT, AlertConfig
from andon.alert.journal import (
    CLAIMED,
    MUTED,
    RETRY,
    AlertRecord,
    alert_id,
    claim_new,
    current_worker,
    due_seqs,
    existing_keys,
    journal,
    record,
    renew,
    settle,
    take_over,
)
from andon.alert.message import build_payload as _payload
from andon.alert.message import for_channel
from andon.alert.mutes import Mute, active_mutes_in
from andon.alert.send import Sender
from andon.alert.subject import Subject, load_subjects
from andon.core.errors import NotFound
from andon.core.model import Severity
from andon.report.safe import json_dumps
from andon.rules import default_registry
from andon.rules.base import Registry
from andon.store import Store
from andon.store.schema import FindingStateRow, ScanRow, TransitionRow
from andon.store.schema_alert import AlertDeliveryRow

log = logging.getLogger(__name__)

WATERMARK_LAG = 120.0
"""Seconds after which every transition numbered below the newest one seen is surely committed;
transitions under that watermark are not looked at again (keeps each pass cheap)."""

BATCH = 50
"""Alerts claimed per transaction (then sent, and their results recorded in one transaction,
before the next batch is claimed)."""

SEND_WORKERS = 8
"""Alerts sent at once (threads); a paced channel (Slack...) still gets one at a time."""


@dataclass(frozen=True)
class Claim:
    """One alert to claim: what it is about, and how to build it."""

    key: str
    source: str
    kind: str
    finding_id: str
    scope: str
    scan_id: str | None
    severity: str
    previous: str | None
    detected_at: datetime | None
    mutable: bool = True
    text: str = ""
    subject_scan: str | None = None
    keep_times: bool = True


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _db_kinds(kinds: frozenset[str]) -> list[str]:
    out = {k for k in kinds if k in ("opened", "reopened", "resolved")}
    if kinds & {"severity_raised", "severity_lowered"}:
        out.add("severity_changed")
    return sorted(out)


def _alert_kind(kind: str, severity: str, previous: str | None) -> str:
    if kind != "severity_changed":
        return kind
    before = Severity(previous) if previous else Severity.INFO
    return "severity_raised" if Severity(severity).rank > before.rank else "severity_lowered"


class AlertDispatcher:
    """Sends the alerts of one store through the channels of one :class:`AlertConfig`.

    ``clock`` defaults to the store's; ``worker`` names this process in claims
    (``host:pid``); ``rules`` supplies explanations and fixes (the built-in rules by default);
    ``send_timeout`` bounds one apprise call in seconds (0: the plugin's own network timeouts,
    see :mod:`andon.alert.send`); ``watermark_lag`` is :data:`WATERMARK_LAG` (tests shorten it);
    ``send_workers`` bounds the alerts sent at once (:data:`SEND_WORKERS`).
    """

    def __init__(
        self,
        store: Store,
        config: AlertConfig,
        *,
        out: TextIO,
        clock: Callable[[], datetime] | None = None,
        on_delivered: Callable[[AlertRecord], None] | None = None,
        worker: str | None = None,
        rules: Registry | None = None,
        send_timeout: float = 0.0,
        watermark_lag: float = WATERMARK_LAG,
        send_workers: int = SEND_WORKERS,
    ) -> None:
        self._store = store
        self._lag = watermark_lag
        self._config = config
        self._out = out
        self._clock = clock or store.now
        self._on_delivered = on_delivered
        self.worker = worker or default_worker()
        self._rules = rules or default_registry()
        self._sender = Sender(config, timeout=send_timeout)
        self._send_workers = max(1, send_workers)
        self._paced: dict[str, bool] = {}
        self._marks: list[tuple[float, int]] = []
        self._kinds = _db_kinds(config.kinds)
        self._severities = [s.value for s in Severity if config.severity_alerts(s)]

    @property
    def config(self) -> AlertConfig:
        return self._config

    # -- transitions -----------------------------------------------------------------------

    def deliver_pending(self) -> list[AlertRecord]:
        """Alert every alertable transition not alerted yet, send due retries and take over
        expired claims. Returns every delivery settled by this call."""
        settled: list[AlertRecord] = []
        for claimed in self._claim_transitions():
            settled.extend(self._send_all(claimed))
        settled.extend(self._send_all(self._take_over_due()))
        return settled

    def _watermark(self) -> int:
        horizon = time.monotonic() - self._lag
        old = [m for m in self._marks if m[0] <= horizon]
        self._marks = [m for m in self._marks if m[0] > horizon] + old[-1:]
        return old[-1][1] if old else 0

    def _claim_transitions(self) -> Iterable[list[AlertDeliveryRow]]:
        if not self._kinds or not self._severities:
            return
        started = time.monotonic()
        now = self._clock()
        low = self._watermark()
        t, d = TransitionRow, AlertDeliveryRow
        with self._store.transaction("read the newest transition") as s:
            top = s.scalar(sa.select(sa.func.max(t.seq))) or 0
        done = sa.exists().where(
            d.source == "transition", d.scan_id == t.scan_id, d.finding_id == t.finding_id
        )
        while True:
            query = (
                sa.select(t)
                .where(
                    t.seq > low,
                    t.seq <= top,
                    t.at >= now - self._config.max_age,
                    t.kind.in_(self._kinds),
                    t.severity.in_(self._severities),
                    ~done,
                )
                .order_by(t.seq)
                .limit(BATCH)
            )
            with self._store.transaction("find transitions to alert") as s:
                rows = list(s.scalars(query))
            claims = []
            for row in rows:
                kind = _alert_kind(row.kind, row.severity, row.previous_severity)
                if kind in self._config.kinds:
                    claims.append(
                        Claim(
                            key=f"transition:{row.scan_id}:{row.finding_id}",
                            source="transition",
                            kind=kind,
                            finding_id=row.finding_id,
                            scope=row.scope,
                            scan_id=row.scan_id,
                            severity=row.severity,
                            previous=row.previous_severity,
                            detected_at=row.at,
                        )
                    )
            if claims:
                yield self._claim(claims)
            if len(rows) < BATCH:
                break
            low = rows[-1].seq
        self._marks.append((started, top))

    def _claim(self, claims: list[Claim]) -> list[AlertDeliveryRow]:
        """Route each claim, check its mute, and claim its delivery rows (one transaction)."""
        now = self._clock()
        with self._store.transaction("claim alerts") as s:
            subjects = load_subjects(
                s, [(c.finding_id, c.scope, c.subject_scan or c.scan_id) for c in claims]
            )
            muted = active_mutes_in(s, sorted({c.finding_id for c in claims if c.mutable}), now)
            rows = []
            for c, subject in zip(claims, subjects, strict=True):
                if not c.keep_times:
                    subject = replace(subject, change_time=None, received_at=None)
                if subject.finding is None and c.source == "change":
                    raise NotFound(f"no finding {c.finding_id!r}")
                mute = muted.get(c.finding_id) if c.mutable else None
                payload = _payload(
                    subject,
                    key=c.key,
                    kind=c.kind,
                    severity=c.severity,
                    previous_severity=c.previous,
                    detected_at=c.detected_at,
                    owner_tag=self._config.owner_tag,
                    rules=self._rules,
                    text=c.text,
                )
                channels = self._config.route(subject.tags) or (STDOUT,)
                rows += [self._row(c, subject, payload, ch, now, mute) for ch in channels]
            return claim_new(s, rows)

    def _row(
        self,
        c: Claim,
        subject: Subject,
        payload: dict[str, Any],
        channel: str,
        now: datetime,
        mute: Mute | None,
    ) -> dict[str, Any]:
        key, source, kind, scan_id, severity = c.key, c.source, c.kind, c.scan_id, c.severity
        aid = alert_id(key, channel)
        body = for_channel(payload, alert_id=aid, channel=channel)
        if mute is not None:
            body["muted"] = {"mute_id": mute.id, "until": mute.expires_at.isoformat()}
        return {
            "alert_id": aid,
            "key": key,
            "source": source,
            "kind": kind,
            "scope": subject.scope,
            "scan_id": scan_id,
            "finding_id": subject.finding_id,
            "rule": subject.finding.rule_id if subject.finding is not None else "",
            "channel": channel,
            "severity": severity,
            "status": MUTED if mute is not None else CLAIMED,
            "attempts": 0 if mute is not None else 1,
            "worker": self.worker,
            "lease_until": None if mute is not None else now + self._config.lease,
            "next_attempt_at": None,
            "created_at": now,
            "change_time": subject.change_time,
            "received_at": subject.received_at,
            "sent_at": None,
            "error": "",
            "mute_id": None if mute is None else mute.id,
            "payload": body,
        }

    def _take_over_due(self) -> list[AlertDeliveryRow]:
        now = self._clock()
        taken: list[AlertDeliveryRow] = []
        with self._store.transaction("find due deliveries") as s:
            seqs = due_seqs(s, now, BATCH)
        for seq in seqs:
            with self._store.transaction("take over a delivery") as s:
                row = take_over(
                    s,
                    seq,
                    worker=self.worker,
                    now=now,
                    lease=self._config.lease,
                    limit=self._config.retry_limit,
                )
            if row is not None:
                taken.append(row)
        return taken

    # -- sending ---------------------------------------------------------------------------

    def _send_all(self, rows: list[AlertDeliveryRow]) -> list[AlertRecord]:
        """Send the rows this worker claimed, up to ``send_workers`` at once (a paced channel's
        rows one after another), then record every result in one transaction."""
        out: list[AlertRecord] = []
        mine: list[AlertDeliveryRow] = []
        for row in rows:
            if row.status == CLAIMED and row.worker == self.worker:
                mine.append(row)
            else:  # muted, or given up on while being taken over: settled already
                out.append(self._settled(record(row), dict(row.payload)))
        if not mine:
            return out
        # Tasks: one per row, except that a paced channel's rows form one sequential task.
        tasks: list[list[AlertDeliveryRow]] = []
        paced: dict[str, list[AlertDeliveryRow]] = {}
        for row in mine:
            if row.channel != STDOUT and self._is_paced(row.channel):
                if row.channel not in paced:
                    paced[row.channel] = []
                    tasks.append(paced[row.channel])
                paced[row.channel].append(row)
            else:
                tasks.append([row])
        attempts: dict[int, tuple[datetime, dict[str, Any], str] | None] = {}

        def run(task: list[AlertDeliveryRow]) -> None:
            for row in task:
                attempts[row.seq] = self._attempt(row)

        workers = min(self._send_workers, len(tasks))
        if workers <= 1:
            for task in tasks:
                run(task)
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="andon-alert") as pool:
                for future in [pool.submit(run, t) for t in tasks]:
                    future.result()
        results: list[tuple[AlertDeliveryRow, datetime, dict[str, Any], str, bool, str]] = []
        with self._store.transaction("record alert deliveries") as s:
            for row in mine:
                attempt = attempts.get(row.seq)
                if attempt is None:
                    continue  # the claim was taken over before the send
                started, payload, error = attempt
                ok = settle(
                    s,
                    row,
                    worker=self.worker,
                    now=started,
                    error=error,
                    limit=self._config.retry_limit,
                    backoff=self._config.retry_backoff,
                )
                holder = "" if ok else current_worker(s, row.seq)
                results.append((row, started, payload, error, ok, holder))
        for row, _started, payload, error, ok, holder in results:
            if not ok:
                log.warning(
                    "alert %s to %s: the claim's lease ran out during the send and %s took the "
                    "delivery over (this attempt %s)",
                    row.alert_id,
                    row.channel,
                    holder,
                    "failed" if error else "was sent too: receivers dedupe on the alert id",
                )
                continue
            if error:
                payload.pop("sent_at", None)
            out.append(self._settled(record(row), payload))
        return out

    def _is_paced(self, channel: str) -> bool:
        if channel not in self._paced:
            self._paced[channel] = self._sender.paced(channel)
        return self._paced[channel]

    def _attempt(self, row: AlertDeliveryRow) -> tuple[datetime, dict[str, Any], str] | None:
        """Send one claimed row (in a worker thread); None when its claim was lost."""
        started = self._clock()
        if row.lease_until is not None and started >= row.lease_until:
            # Sends before this one took the whole lease: renew it, unless it was taken over.
            with self._store.transaction("renew an alert claim") as s:
                if not renew(s, row, worker=self.worker, until=started + self._config.lease):
                    return None
        payload = {**row.payload, "sent_at": started.isoformat(), "attempt": row.attempts}
        error = "" if row.channel == STDOUT else self._sender.send(row.channel, payload)
        return started, payload, error

    def _settled(self, rec: AlertRecord, payload: dict[str, Any]) -> AlertRecord:
        if rec.status == RETRY:  # not final: one line per alert, when it is settled
            log.warning(
                "alert %s to %s failed (attempt %d of %d, will retry): %s",
                rec.id,
                rec.channel,
                rec.attempts,
                self._config.retry_limit,
                rec.error,
            )
            return rec
        line = {"type": "andon.alert", **rec.to_dict(), "alert": payload}
        self._out.write(json_dumps(line, indent=None) + "\n")
        self._out.flush()
        if self._on_delivered is not None:
            self._on_delivered(rec)
        return rec

    # -- reminders -------------------------------------------------------------------------

    def remind(self) -> list[AlertRecord]:
        """Remind about findings open longer than ``reminder_after``, at most once per
        ``reminder_every`` (across processes); muted findings get a ``muted`` journal entry
        instead. Returns every delivery settled by this call."""
        after, every = self._config.reminder_after, self._config.reminder_every
        if after is None or not self._severities:
            return []
        now = self._clock()
        fs, sc = FindingStateRow, ScanRow
        query = (
            sa.select(fs, sc.finished_at)
            .join(sc, sc.id == fs.opened_in)
            .where(
                fs.status == "open",
                fs.severity.in_(self._severities),
                sc.finished_at <= now - after,
            )
            .order_by(fs.scope, fs.finding_id)
        )
        with self._store.transaction("find findings to remind about") as s:
            due = []
            for state, opened_at in s.execute(query):
                if opened_at is None:
                    continue
                slot = int((now - opened_at - after) / every)
                key = f"reminder:{state.scope}:{state.finding_id}:{state.opened_in}:{slot}"
                due.append((key, state, opened_at))
            seen = existing_keys(s, [k for k, _, _ in due])
        claims = [
            Claim(
                key=key,
                source="reminder",
                kind="reminder",
                finding_id=state.finding_id,
                scope=state.scope,
                scan_id=None,
                severity=state.severity,
                previous=None,
                detected_at=opened_at,
                subject_scan=state.last_scan_id,
                keep_times=False,
            )
            for key, state, opened_at in due
            if key not in seen
        ]
        settled: list[AlertRecord] = []
        for i in range(0, len(claims), BATCH):
            settled.extend(self._send_all(self._claim(claims[i : i + BATCH])))
        return settled

    # -- changes made by Andon -------------------------------------------------------------

    def notify_change(
        self,
        finding_id: str,
        text: str,
        *,
        key: str,
        scope: str | None = None,
        severity: Severity | str | None = None,
    ) -> list[AlertRecord]:
        """Tell the finding's owners that Andon changed its resource (an automatic fix).

        ``text`` says what was done (untrusted parts are escaped, long text is cut); ``key``
        makes the notice idempotent: a second call with the same key sends nothing and returns
        ``[]``. Routed like the finding's alerts; mutes do not apply (a mute silences reports
        about an exposure, not changes Andon makes). :class:`NotFound` if the store never
        recorded the finding. Returns the settled deliveries.
        """
        if not key:
            raise ValueError("notify_change needs a key (e.g. the change's id)")
        sev = severity
        if sev is None:
            with self._store.transaction("read finding severity") as s:
                sev = s.scalar(
                    sa.select(FindingStateRow.severity)
                    .where(FindingStateRow.finding_id == finding_id)
                    .limit(1)
                )
        claimed = self._claim(
            [
                Claim(
                    key=f"change:{key}",
                    source="change",
                    kind="change",
                    finding_id=finding_id,
                    scope=scope or "",
                    scan_id=None,
                    severity=Severity(sev or Severity.INFO).value,
                    previous=None,
                    detected_at=self._clock(),
                    mutable=False,
                    text=text,
                    keep_times=False,
                )
            ]
        )
        return self._send_all(claimed)


def list_alerts(
    store: Store,
    *,
    limit: int = 100,
    finding_id: str | None = None,
    status: str | None = None,
    channel: str | None = None,
) -> list[AlertRecord]:
    """The delivery journal, newest first."""
    with store.transaction("read the alert journal") as s:
        return journal(s, limit=limit, finding_id=finding_id, status=status, channel=channel)


def send_test(
    config: AlertConfig,
    *,
    out: TextIO,
    clock: Callable[[], datetime],
    channels: Iterable[str] | None = None,
    send_timeout: float = 0.0,
) -> list[AlertRecord]:
    """Send a test alert to each channel (or to ``channels``); nothing is journaled."""
    sender = Sender(config, timeout=send_timeout)
    now = clock()
    results = []
    for channel in channels if channels is not None else list(config.channels):
        if channel not in config.channels:
            raise NotFound(f"no channel {channel!r} in [alerts.channels]")
        key = f"test:{now.isoformat()}"
        aid = alert_id(key, channel)
        payload = {
            "alert_id": aid,
            "channel": channel,
            "kind": "test",
            "headline": "test alert",
            "key": key,
            "finding_id": "",
            "severity": "info",
            "rule": {"id": "", "title": "Andon test alert"},
            "resource": {"name": "", "uid": ""},
            "text": "If you read this, Andon can reach this channel.",
            "sent_at": now.isoformat(),
        }
        error = sender.send(channel, payload)
        rec = AlertRecord(
            id=aid,
            finding_id="",
            key=key,
            kind="test",
            channel=channel,
            severity="info",
            change_time=None,
            received_at=None,
            sent_at=None if error else now,
            ok=not error,
            error=error,
            status="sent" if not error else "failed",
            attempts=1,
            source="test",
            created_at=now,
        )
        line = {"type": "andon.alert", **rec.to_dict(), "alert": payload}
        out.write(json_dumps(line, indent=None) + "\n")
        out.flush()
        results.append(rec)
    return results
