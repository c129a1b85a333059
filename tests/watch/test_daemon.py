"""The daemon's batch path in-process (real moto server over HTTP, a SQLite store, the
webhook receiver): duplicated, out-of-order and bursty events, malformed messages, and a
resource endpoint that dies mid-batch."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlalchemy as sa
from tests.watch.conftest import Webhook, cloudtrail_event, public_policy

from andon.store import Store
from andon.store.schema import ScanRow
from andon.watch import ledger
from andon.watch.daemon import Watcher
from andon.watch.service import WatchOptions, WatchService, build_service

T0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


def _doc(queue_url: str, hook: str, **watch: Any) -> dict[str, Any]:
    return {
        "regions": ["us-east-1"],
        "services": ["s3"],
        "watch": {
            "queue_url": queue_url,
            "wait_time": 0,
            "visibility_timeout": 5,
            "coalesce_window": "150ms",
            "sweep_interval": 0,
            "metrics": False,
            "backoff_initial": "100ms",
            "backoff_max": "200ms",
            **watch,
        },
        "alerts": {"channels": {"hook": hook}, "reminder_after": "off"},
    }


class Rig:
    def __init__(self, moto_url: str, tmp_path: Path, webhook: Webhook, endpoint: str = "") -> None:
        self.s3 = boto3.client("s3", endpoint_url=endpoint or moto_url, region_name="us-east-1")
        self.sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
        self.url = self.sqs.create_queue(QueueName="andon-watch")["QueueUrl"]
        self.db = f"sqlite:///{tmp_path / 'w.db'}"
        self.out = io.StringIO()
        doc = _doc(self.url, webhook.url("rig"), queue_endpoint_url=moto_url)
        self.service: WatchService = build_service(
            WatchOptions(doc=doc, db=self.db, endpoint_url=endpoint or moto_url, max_attempts=1),
            out=self.out,
        )
        self.watcher: Watcher = self.service.watcher

    def send(self, *bodies: str) -> None:
        for start in range(0, len(bodies), 10):
            self.sqs.send_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "MessageBody": b}
                    for i, b in enumerate(bodies[start : start + 10])
                ],
            )

    def drain(self, rounds: int = 20) -> int:
        """Process batches until the queue gives nothing; returns the number of batches."""
        batches = 0
        for _ in range(rounds):
            messages = self.watcher._receive()
            if not messages:
                return batches
            self.watcher.process(messages)
            batches += 1
        return batches

    def left(self) -> int:
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])[
            "Attributes"
        ]
        return int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"]
        )

    def targeted_scans(self) -> int:
        with self.service.store.transaction("count") as s:
            return len([m for m in s.scalars(sa.select(ScanRow.meta)) if m.get("targets")])

    def metric(self, outcome: str) -> float:
        value = self.watcher.metrics.events.labels(outcome=outcome)._value.get()
        return float(value)


@pytest.fixture
def rig(moto_url: str, aws_env: dict[str, str], tmp_path: Path, webhook: Webhook) -> Iterator[Rig]:
    r = Rig(moto_url, tmp_path, webhook)
    yield r
    r.service.close()


def test_duplicated_events_alert_once_and_are_all_deleted(rig: Rig, webhook: Webhook) -> None:
    rig.s3.create_bucket(Bucket="dup")
    rig.s3.put_bucket_policy(Bucket="dup", Policy=public_policy("dup"))
    event = cloudtrail_event("PutBucketPolicy", "dup", event_id="ev-dup")
    rig.send(event, event, event)
    rig.drain()
    rig.send(event)  # a late redelivery, after the commit
    rig.drain()
    assert len(webhook.wait_about("dup", 1, timeout=30)) == 1
    assert rig.left() == 0
    assert rig.metric("processed") == 1
    assert rig.metric("duplicate") == 3
    assert rig.targeted_scans() == 1
    lines = [json.loads(x) for x in rig.out.getvalue().splitlines() if x.startswith("{")]
    assert len(lines) == 1  # one JSON line on stdout per alert


def test_out_of_order_events_leave_the_current_state(rig: Rig, webhook: Webhook) -> None:
    """The newer event (public) comes first, the older one (policy deleted) after it: the
    daemon re-reads the bucket both times, so the finding stays open and nothing resolves."""
    rig.s3.create_bucket(Bucket="late")
    rig.s3.put_bucket_policy(Bucket="late", Policy=public_policy("late"))
    newer = cloudtrail_event("PutBucketPolicy", "late", event_time=T0 + timedelta(seconds=5))
    older = cloudtrail_event("DeleteBucketPolicy", "late", event_time=T0)
    rig.send(newer)
    rig.drain()
    rig.send(older)
    rig.drain()
    hits = webhook.wait_about("late", 1, timeout=30)
    assert len(hits) == 1
    assert "resolved" not in json.dumps(hits).lower()
    with rig.service.store.transaction("state") as s:
        from andon.store.schema import FindingStateRow as F

        states = s.execute(sa.select(F.rule, F.status)).all()
    assert any(status == "open" for rule, status in states if "bucket" in rule)


def test_a_burst_on_one_bucket_is_one_re_collection(rig: Rig, webhook: Webhook) -> None:
    rig.s3.create_bucket(Bucket="burst")
    rig.s3.put_bucket_policy(Bucket="burst", Policy=public_policy("burst"))
    names = ["PutBucketPolicy", "PutBucketAcl", "DeleteBucketPublicAccessBlock"] * 10
    rig.send(*(cloudtrail_event(n, "burst") for n in names))
    assert rig.drain() >= 1
    assert rig.left() == 0
    assert rig.metric("processed") == 30
    assert rig.targeted_scans() <= 2  # 30 events, one resource: coalesced
    assert len(webhook.wait_about("burst", 1, timeout=30)) == 1


def test_malformed_and_unrelated_messages_are_dropped_and_failed_calls_cost_nothing(
    rig: Rig,
) -> None:
    failed = json.loads(cloudtrail_event("PutBucketPolicy", "nothing", event_id="ev-denied"))
    failed["detail"]["errorCode"] = "AccessDenied"
    failed["detail"]["errorMessage"] = "Access Denied"
    other = json.loads(cloudtrail_event("GetBucketPolicy", "nothing"))
    rig.send("not json", json.dumps({"detail-type": 7}), json.dumps(failed), json.dumps(other))
    rig.drain()
    assert rig.left() == 0
    assert rig.metric("malformed") == 2
    assert rig.metric("ignored") == 1
    assert rig.metric("processed") == 1
    assert rig.targeted_scans() == 0
    assert ledger.processed(rig.service.store, ["ev-denied"]) == {"ev-denied"}


def test_messages_stay_in_the_queue_when_the_resources_cannot_be_read(
    moto_url: str,
    aws_env: dict[str, str],
    tmp_path: Path,
    webhook: Webhook,
    moto_process: Any,
) -> None:
    cloud = moto_process()
    r = Rig(moto_url, tmp_path, webhook, endpoint=cloud.url)
    try:
        r.s3.create_bucket(Bucket="gone")
        assert r.watcher.warm_up is not None
        r.watcher.warm_up()
        cloud.kill()  # the endpoint of the resources dies; the queue stays up
        r.send(cloudtrail_event("PutBucketPolicy", "gone", event_id="ev-gone"))
        r.watcher.process(r.watcher._receive())
        assert r.left() == 1  # not deleted: it comes back after the backoff
        assert ledger.processed(r.service.store, ["ev-gone"]) == set()
        assert webhook.posts == []
    finally:
        r.service.close()
    with Store(r.db) as store:
        assert ledger.processed(store, ["ev-gone"]) == set()


def test_auto_fix_fixes_a_new_exposure_and_tells_the_owners(
    moto_url: str, aws_env: dict[str, str], tmp_path: Path, webhook: Webhook
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    url = sqs.create_queue(QueueName="andon-watch")["QueueUrl"]
    s3.create_bucket(Bucket="fixme")
    s3.put_bucket_policy(Bucket="fixme", Policy=public_policy("fixme"))
    service = build_service(
        WatchOptions(
            doc=_doc(url, webhook.url("fix")),
            db=f"sqlite:///{tmp_path / 'fix.db'}",
            endpoint_url=moto_url,
            auto_fix=("s3.bucket.public_read",),
        ),
        out=io.StringIO(),
    )
    try:
        sqs.send_message(QueueUrl=url, MessageBody=cloudtrail_event("PutBucketPolicy", "fixme"))
        service.watcher.process(service.watcher._receive())
        notices = webhook.wait_about("fixme", 2, timeout=30)
    finally:
        service.close()
    assert len(notices) >= 2, notices  # the exposure, and the change Andon made
    assert any("Andon auto fix" in json.dumps(n) and "applied" in json.dumps(n) for n in notices)
    bpa = s3.get_public_access_block(Bucket="fixme")["PublicAccessBlockConfiguration"]
    assert all(bpa.values())  # the fix turned the bucket's Block Public Access on
