"""Two ``andon watch`` processes on one queue and one PostgreSQL store: every exposure is
alerted exactly once, though every event arrives twice and out of order."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from tests.watch.conftest import Daemon, Webhook, cloudtrail_event, public_policy, write_config

from andon.store import Store
from andon.watch import ledger

pytestmark = pytest.mark.postgres

BUCKETS = [f"fleet-{i:02d}" for i in range(8)]


def test_two_consumers_one_queue_one_postgres_store_no_duplicate_no_lost_alert(
    moto_url: str,
    aws_env: dict[str, str],
    tmp_path: Path,
    webhook: Webhook,
    daemon: Callable[..., Daemon],
    pg_schema_url: str,
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    url = sqs.create_queue(QueueName="andon-watch")["QueueUrl"]
    for name in BUCKETS:
        s3.create_bucket(Bucket=name)
    with Store(pg_schema_url):
        pass  # migrate once, before two processes race to open the store
    config = write_config(tmp_path / "andon.toml", queue_url=url, hook=webhook.url("org"))
    args = ("--config", str(config), "--db", pg_schema_url, "--endpoint-url", moto_url)
    a, b = daemon(*args), daemon(*args)
    a.wait_line("started", timeout=60)
    b.wait_line("started", timeout=60)

    now = datetime.now(UTC)
    bodies = []
    for i, name in enumerate(BUCKETS):
        s3.put_bucket_policy(Bucket=name, Policy=public_policy(name))
        event = cloudtrail_event(
            "PutBucketPolicy", name, event_id=f"ev-{name}", event_time=now - timedelta(seconds=i)
        )
        bodies += [event, event]  # EventBridge may deliver twice
    random.Random(7).shuffle(bodies)  # and in any order
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(n), "MessageBody": body}
                for n, body in enumerate(bodies[start : start + 10])
            ],
        )

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if all(webhook.about(name) for name in BUCKETS):
            break
        time.sleep(0.2)
    time.sleep(1.0)  # room for a duplicate to show up
    per_bucket = Counter(name for name in BUCKETS for _ in webhook.about(f'{name}"'))
    assert per_bucket == Counter({name: 1 for name in BUCKETS}), (a.lines[-15:], b.lines[-15:])
    assert a.terminate() == 0
    assert b.terminate() == 0
    with Store(pg_schema_url) as store:
        assert ledger.processed(store, [f"ev-{n}" for n in BUCKETS]) == {f"ev-{n}" for n in BUCKETS}
        done = {c.id: c for c in ledger.consumers(store)}
        assert len(done) == 2
        assert {c.state for c in done.values()} == {"stopped"}
        assert sum(c.events for c in done.values()) == len(BUCKETS)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert json.dumps(webhook.posts)  # every body was JSON
