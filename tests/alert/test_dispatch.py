"""The dispatcher over real scans into a store, delivering to a webhook receiver on loopback."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from tests.alert.helpers import ManualClock, Receiver, bucket, scan

from andon.alert import AlertDispatcher, AlertRecord, add_mute, lift_mute, list_alerts
from andon.alert.config import AlertConfig, load_alert_config
from andon.core.errors import NotFound
from andon.core.model import Severity, finding_id
from andon.store import Store

RULE = "s3.bucket.public_read"


def config(receiver: Receiver, **extra: Any) -> AlertConfig:
    doc: dict[str, Any] = {
        "channels": {
            "ops": receiver.url("ops"),
            "data": receiver.url("data"),
            "chat": receiver.url("chat", scheme="form"),
        },
        "default": ["ops"],
        "routes": {"team-data": ["data", "chat"]},
        "retry_backoff": "10s",
        "lease": "60s",
    }
    doc.update(extra)
    return load_alert_config(doc)


def dispatcher(
    store: Store, cfg: AlertConfig, clock: ManualClock, **kw: Any
) -> tuple[AlertDispatcher, io.StringIO]:
    out = io.StringIO()
    return AlertDispatcher(store, cfg, out=out, clock=clock, **kw), out


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def fid(name: str, rule: str = RULE) -> str:
    return finding_id(rule, f"arn:aws:s3:::{name}")


def test_opened_alert_carries_the_rule_resource_and_times(
    store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    meta = {
        "watch": {
            "changes": {
                "arn:aws:s3:::open-data": {
                    "event_time": "2026-11-29T11:59:58Z",
                    "received_at": "2026-11-29T11:59:59.500000+00:00",
                }
            }
        }
    }
    scan(store, [bucket("open-data", tags={"owner": "team-x"})], meta=meta)
    seen: list[AlertRecord] = []
    d, out = dispatcher(store, config(receiver), clock, on_delivered=seen.append)
    clock.advance(seconds=1)
    records = d.deliver_pending()

    assert [(r.kind, r.channel, r.status, r.ok) for r in records] == [
        ("opened", "ops", "sent", True)
    ]
    (hit,) = receiver.ok("ops")
    alert = hit.alert
    assert alert["alert_id"] == records[0].id and len(alert["alert_id"]) == 32
    assert alert["kind"] == "opened" and alert["finding_id"] == fid("open-data")
    assert alert["rule"]["id"] == RULE
    assert alert["severity"] == "critical"
    assert alert["resource"]["name"] == "open-data"
    assert alert["resource"]["uid"] == "arn:aws:s3:::open-data"
    assert alert["resource"]["owner"] == "team-x"  # no route for team-x: the default route
    assert alert["exposure"]["level"] == "PUBLIC"
    assert "policy" in alert["fix"]["summary"].lower() or alert["fix"]["cli"]
    assert alert["fix"]["explain"] == f"andon explain {RULE}"
    assert len(alert["explanation"]) > 40
    assert alert["change_time"] == "2026-11-29T11:59:58+00:00"
    assert alert["received_at"] == "2026-11-29T11:59:59.500000+00:00"
    assert alert["sent_at"] == clock.now.isoformat()
    assert records[0].change_time is not None and records[0].sent_at == clock.now
    assert records[0].received_at is not None
    assert records[0].sent_at - records[0].change_time == timedelta(seconds=3)

    (line,) = lines(out)  # one JSON line per alert, the same alert as the channel got
    assert line["type"] == "andon.alert" and line["id"] == alert["alert_id"]
    assert line["alert"]["resource"] == alert["resource"] and line["status"] == "sent"
    assert seen == records
    assert [r.id for r in list_alerts(store)] == [alert["alert_id"]]


def test_alerts_fire_on_transitions_not_on_every_scan(
    store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    d, out = dispatcher(store, config(receiver), clock)
    scan(store, [bucket("a"), bucket("b", public=False)])
    assert [r.kind for r in d.deliver_pending()] == ["opened"]
    for _ in range(3):  # still open: nothing new
        scan(store, [bucket("a"), bucket("b", public=False)])
        assert d.deliver_pending() == []
    scan(store, [bucket("a", public=False), bucket("b", public=False)])
    assert [r.kind for r in d.deliver_pending()] == ["resolved"]
    scan(store, [bucket("a"), bucket("b", public=False)])
    assert [r.kind for r in d.deliver_pending()] == ["reopened"]
    kinds = [h.alert["kind"] for h in receiver.ok("ops")]
    assert kinds == ["opened", "resolved", "reopened"]
    assert len(lines(out)) == 3


def test_kinds_and_min_severity_filter(
    sqlite_store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    quiet = config(receiver, kinds=["opened"], min_severity="critical")
    d, _ = dispatcher(sqlite_store, quiet, clock)
    scan(sqlite_store, [bucket("a")])
    assert [r.kind for r in d.deliver_pending()] == ["opened"]
    scan(sqlite_store, [bucket("a", public=False)])
    assert d.deliver_pending() == []  # resolved is not a configured kind
    too_high = config(receiver, min_severity="critical", kinds=["reopened"])
    scan(sqlite_store, [bucket("a")])
    d2, _ = dispatcher(sqlite_store, too_high, clock)
    assert [r.kind for r in d2.deliver_pending()] == ["reopened"]
    assert len(receiver.ok()) == 2


def test_routing_by_owner_tag(sqlite_store: Store, receiver: Receiver, clock: ManualClock) -> None:
    scan(
        sqlite_store,
        [
            bucket("data-lake", tags={"owner": "team-data"}),
            bucket("orphan"),
            bucket("other", tags={"owner": "team-unknown", "Owner": "team-data"}),
        ],
    )
    d, _ = dispatcher(sqlite_store, config(receiver), clock)
    records = d.deliver_pending()
    by_channel = sorted((r.channel, r.finding_id) for r in records)
    assert by_channel == sorted(
        [
            ("data", fid("data-lake")),
            ("chat", fid("data-lake")),
            ("ops", fid("orphan")),
            ("ops", fid("other")),  # tag keys are case-sensitive: "Owner" is not "owner"
        ]
    )
    assert {h.alert["resource"]["name"] for h in receiver.ok("ops")} == {"orphan", "other"}
    (data,) = receiver.ok("data")
    (chat,) = receiver.ok("chat")
    chat_id = next(r.id for r in records if r.channel == "chat")
    assert data.alert["alert_id"] != chat_id  # one alert id per (transition, channel)
    assert "data\\-lake" in chat.body["message"]  # Markdown channel: escaped text body
    assert f"alert {chat_id}" in chat.body["message"]
    assert "How to fix" in chat.body["message"] and "Why it matters" in chat.body["message"]

    owner_key = config(receiver, owner_tag="Owner")
    scan(sqlite_store, [bucket("x", tags={"Owner": "team-data"})], scope="aws:other")
    d2, _ = dispatcher(sqlite_store, owner_key, clock)
    assert sorted(r.channel for r in d2.deliver_pending()) == ["chat", "data"]


def test_no_channel_at_all_still_alerts_to_stdout_once(
    sqlite_store: Store, clock: ManualClock
) -> None:
    scan(sqlite_store, [bucket("a")])
    d, out = dispatcher(sqlite_store, load_alert_config({}), clock)
    (rec,) = d.deliver_pending()
    assert (rec.channel, rec.status, rec.ok) == ("stdout", "sent", True)
    assert d.deliver_pending() == []
    assert [line["channel"] for line in lines(out)] == ["stdout"]


def test_a_restarted_dispatcher_sends_nothing_twice(
    store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    scan(store, [bucket("a"), bucket("b", tags={"owner": "team-data"})])
    first, _ = dispatcher(store, config(receiver), clock)
    assert len(first.deliver_pending()) == 3
    again, out = dispatcher(store, config(receiver), clock, worker="restarted:1")
    assert again.deliver_pending() == []
    clock.advance(days=1)
    assert again.deliver_pending() == []
    assert out.getvalue() == ""
    assert len(receiver.hits) == 3
    assert sorted(h.path for h in receiver.ok()) == ["/chat", "/data", "/ops"]


def test_failing_receiver_is_retried_with_backoff_then_recorded_failed(
    store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    secret_url = f"json://user:hunter2secret@127.0.0.1:{receiver.port}/ops/tok3nSECRET"
    cfg = load_alert_config(
        {"channels": {"ops": secret_url}, "retry_limit": 3, "retry_backoff": "10s"}
    )
    receiver.fail.add("ops/tok3nSECRET")
    scan(store, [bucket("a")])
    d, out = dispatcher(store, cfg, clock)
    (first,) = d.deliver_pending()
    assert (first.status, first.ok, first.attempts) == ("retry", False, 1)
    assert "500" in first.error
    for text in (first.error, out.getvalue(), *(r.error for r in list_alerts(store))):
        assert "hunter2secret" not in text and "tok3nSECRET" not in text
    assert d.deliver_pending() == []  # not due yet
    clock.advance(seconds=9)
    assert d.deliver_pending() == []
    clock.advance(seconds=1)  # first retry after 10 s
    (second,) = d.deliver_pending()
    assert (second.status, second.attempts) == ("retry", 2)
    clock.advance(seconds=19)  # the backoff doubles: 20 s
    assert d.deliver_pending() == []
    clock.advance(seconds=1)
    (third,) = d.deliver_pending()
    assert (third.status, third.attempts, third.ok) == ("failed", 3, False)
    clock.advance(hours=2)
    assert d.deliver_pending() == []
    assert len(receiver.on("ops/tok3nSECRET")) == 3
    assert first.id == second.id == third.id
    assert {h.alert["alert_id"] for h in receiver.on("ops/tok3nSECRET")} == {first.id}
    assert [h.alert["attempt"] for h in receiver.on("ops/tok3nSECRET")] == [1, 2, 3]
    (journaled,) = list_alerts(store)
    assert (journaled.status, journaled.attempts) == ("failed", 3)
    (line,) = lines(out)  # one line per alert, when it is settled
    assert (line["status"], line["attempts"], line["ok"]) == ("failed", 3, False)


def test_a_receiver_that_recovers_gets_the_alert_on_retry(
    sqlite_store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    receiver.fail.add("ops")
    scan(sqlite_store, [bucket("a")])
    d, _ = dispatcher(sqlite_store, config(receiver), clock)
    assert [r.status for r in d.deliver_pending()] == ["retry"]
    receiver.fail.clear()
    clock.advance(seconds=10)
    (rec,) = d.deliver_pending()
    assert (rec.status, rec.ok, rec.error, rec.sent_at) == ("sent", True, "", clock.now)
    assert len(receiver.ok("ops")) == 1


def test_exempt_findings_do_not_alert_as_opened(
    sqlite_store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    scan(sqlite_store, [bucket("public-on-purpose", tags={"andon:public": "open data set"})])
    d, _ = dispatcher(sqlite_store, config(receiver), clock)
    assert d.deliver_pending() == []
    assert receiver.hits == []
    # Removing the exemption makes it an exposure: that alerts.
    scan(sqlite_store, [bucket("public-on-purpose")])
    assert [r.kind for r in d.deliver_pending()] == ["reopened"]


def test_mutes_suppress_alerts_and_reminders_and_show_in_the_journal(
    store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    cfg = config(receiver, reminder_after="1h", reminder_every="1h")
    scan(store, [bucket("noisy")])
    d, out = dispatcher(store, cfg, clock)
    assert len(d.deliver_pending()) == 1
    scan(store, [bucket("noisy", public=False)])
    mute = add_mute(
        store,
        fid("noisy"),
        reason="migration in progress",
        expires_at=clock.now + timedelta(hours=3),
        created_by="alice",
    )
    assert [(r.kind, r.status, r.ok, r.mute_id) for r in d.deliver_pending()] == [
        ("resolved", "muted", True, mute.id)
    ]
    scan(store, [bucket("noisy")])
    (muted,) = d.deliver_pending()
    assert (muted.kind, muted.status) == ("reopened", "muted")
    assert lines(out)[-1]["status"] == "muted" and lines(out)[-1]["mute_id"] == mute.id
    clock.advance(hours=1, minutes=1)
    assert [(r.kind, r.status) for r in d.remind()] == [("reminder", "muted")]
    assert d.remind() == []  # one journal entry per reminder slot
    assert len(receiver.hits) == 1
    lift_mute(store, mute.id, by="bob")
    clock.advance(hours=1)
    (reminder,) = d.remind()
    assert (reminder.kind, reminder.status) == ("reminder", "sent")
    assert receiver.ok("ops")[-1].alert["kind"] == "reminder"
    statuses = [r.status for r in list_alerts(store, finding_id=fid("noisy"))]
    assert statuses.count("muted") == 3


def test_reminders_for_findings_left_open(
    store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    cfg = config(receiver, reminder_after="24h", reminder_every="12h")
    scan(store, [bucket("left-open", tags={"owner": "team-data"}), bucket("ok", public=False)])
    d, _ = dispatcher(store, cfg, clock)
    assert len(d.deliver_pending()) == 2
    clock.advance(hours=23)
    assert d.remind() == []
    clock.advance(hours=1)
    first = d.remind()
    assert sorted(r.channel for r in first) == ["chat", "data"]
    assert {r.kind for r in first} == {"reminder"}
    other, _ = dispatcher(store, cfg, clock, worker="other:2")
    assert other.remind() == [] and d.remind() == []
    clock.advance(hours=11)
    assert d.remind() == []
    clock.advance(hours=1)
    assert len(d.remind()) == 2
    clock.advance(days=3)  # the daemon was down: one reminder now, not the missed ones
    assert len(d.remind()) == 2
    reminder = receiver.ok("data")[-1].alert
    assert reminder["kind"] == "reminder" and reminder["headline"] == "still exposed"
    assert reminder["change_time"] is None and reminder["detected_at"] is not None
    scan(store, [bucket("left-open", public=False), bucket("ok", public=False)])
    d.deliver_pending()
    clock.advance(days=2)
    assert d.remind() == []  # resolved: no more reminders
    off = config(receiver, reminder_after="off")
    scan(store, [bucket("left-open")])
    clock.advance(days=2)
    d_off, _ = dispatcher(store, off, clock)
    assert d_off.remind() == []


def test_severity_raised_alerts_and_lowered_does_not_by_default(
    sqlite_store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    real = scan(sqlite_store, [bucket("a")], scope="aws:elsewhere")  # a real finding to vary
    (found,) = real.findings

    def recorded(severity: Severity) -> None:
        scan_id = sqlite_store.start_scan("aws:test")
        sqlite_store.add_resource(scan_id, bucket("a"))
        sqlite_store.add_findings(scan_id, [replace(found, severity=severity)])
        sqlite_store.finish_scan(scan_id, "complete")

    recorded(Severity.MEDIUM)
    d, _ = dispatcher(sqlite_store, config(receiver), clock)
    assert sorted(r.kind for r in d.deliver_pending()) == ["opened", "opened"]
    scan(sqlite_store, [bucket("a")])  # critical now
    (raised,) = d.deliver_pending()
    assert (raised.kind, raised.severity) == ("severity_raised", "critical")
    assert receiver.ok("ops")[-1].alert["previous_severity"] == "medium"
    recorded(Severity.LOW)
    assert d.deliver_pending() == []
    lowered_too = config(receiver, kinds=["severity_lowered"])
    d2, _ = dispatcher(sqlite_store, lowered_too, clock)
    assert [r.kind for r in d2.deliver_pending()] == ["severity_lowered"]


def test_notify_change_is_sent_once_per_key_and_ignores_mutes(
    sqlite_store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    scan(sqlite_store, [bucket("fixed", tags={"owner": "team-data"})])
    d, _ = dispatcher(sqlite_store, config(receiver), clock)
    d.deliver_pending()
    add_mute(
        sqlite_store,
        fid("fixed"),
        reason="known",
        expires_at=clock.now + timedelta(days=1),
        created_by="alice",
    )
    text = "Andon turned on Block Public Access for <b>fixed</b> (change 7)."
    records = d.notify_change(fid("fixed"), text, key="change-7")
    assert sorted((r.kind, r.channel, r.status) for r in records) == [
        ("change", "chat", "sent"),
        ("change", "data", "sent"),
    ]
    assert d.notify_change(fid("fixed"), text, key="change-7") == []
    alert = receiver.ok("data")[-1].alert
    assert alert["kind"] == "change" and alert["text"] == text
    assert "<b>" not in receiver.ok("chat")[-1].body["message"]
    with pytest.raises(NotFound):
        d.notify_change("0" * 20, "x", key="k")


def test_hostile_names_and_tags_are_escaped_and_cut(
    sqlite_store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    evil = "x\x1b[31m<script>alert(1)</script>**[click](http://evil.example)**\n@channel"
    evil += "A" * 5000
    res = replace(bucket("evil"), name=evil, tags={"owner": evil})
    cfg = config(receiver, default=["ops", "chat"])
    scan(sqlite_store, [res])
    d, out = dispatcher(sqlite_store, cfg, clock)
    assert len(d.deliver_pending()) == 2
    alert = receiver.ok("ops")[0].alert
    assert alert["resource"]["name"].startswith("x\\x1b[31m<script>")  # visible, not live
    assert len(alert["resource"]["name"]) < 300 and "more characters" in alert["resource"]["name"]
    assert "<" not in receiver.ok("ops")[0].body["message"]  # the JSON text escapes < > &
    body = receiver.ok("chat")[0].body["message"]
    title = receiver.ok("chat")[0].body["title"]
    for text in (body, title, out.getvalue()):
        assert "<script>" not in text and "\x1b" not in text
    assert "&lt;script&gt;" in body and "\\*\\*\\[click\\]" in body
    assert "\n@channel" not in body
    assert len(body) < 9000


def test_old_transitions_do_not_alert_and_the_watermark_keeps_new_ones(
    sqlite_store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    scan(sqlite_store, [bucket("old")])
    clock.advance(days=8)  # older than max_age (7 days by default)
    d, _ = dispatcher(sqlite_store, config(receiver), clock, watermark_lag=0.0)
    assert d.deliver_pending() == []
    scan(sqlite_store, [bucket("old"), bucket("new")])  # above the watermark the pass left
    assert [(r.kind, r.finding_id) for r in d.deliver_pending()] == [("opened", fid("new"))]
    assert d.deliver_pending() == []
    assert [h.alert["resource"]["name"] for h in receiver.ok()] == ["new"]


def test_a_batch_is_sent_concurrently_each_alert_once_and_journaled_sent(
    store: Store, receiver: Receiver, clock: ManualClock
) -> None:
    d, out = dispatcher(store, config(receiver), clock, send_workers=6)
    names = [f"bulk-{i:02d}" for i in range(30)]
    scan(store, [bucket(n) for n in names])
    settled = d.deliver_pending()
    assert sorted(r.kind for r in settled) == ["opened"] * 30
    hits = receiver.ok("ops")
    assert sorted(h.alert["resource"]["name"] for h in hits) == names  # each once
    journal = list_alerts(store, limit=100)
    assert len(journal) == 30 and {r.status for r in journal} == {"sent"}
    assert len(lines(out)) == 30
    assert d.deliver_pending() == []  # all recorded: nothing is sent again
    assert len(receiver.ok("ops")) == 30


def test_paced_channels_are_told_apart_from_unpaced_ones(receiver: Receiver) -> None:
    from andon.alert.send import Sender

    cfg = load_alert_config(
        {"channels": {"hook": receiver.url("ops"), "slack": "slack://T000/B000/XXXX"}}
    )
    sender = Sender(cfg)
    assert sender.paced("slack") is True  # apprise's Slack plugin spaces its requests
    assert sender.paced("hook") is False
    assert sender.paced("nope") is False
