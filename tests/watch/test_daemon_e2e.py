"""``andon watch`` as a real process against moto's server (S3 and SQS over HTTP), a SQLite
store and a webhook receiver on loopback.

moto's server emits no CloudTrail events, so each test makes the change through the real API
and puts the CloudTrail-shaped EventBridge event on the queue itself.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import boto3
import sqlalchemy as sa
from tests.watch.conftest import Daemon, Webhook, cloudtrail_event, public_policy, write_config

from andon.store import Store
from andon.store.schema_watch import WatchEventRow


def _queue(moto_url: str, name: str = "andon-watch") -> tuple[object, str]:
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    return sqs, sqs.create_queue(QueueName=name)["QueueUrl"]


def _visible(sqs: object, url: str) -> int:
    attrs = sqs.get_queue_attributes(  # type: ignore[attr-defined]
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def test_event_on_the_queue_alerts_the_webhook_and_the_message_is_deleted(
    moto_url: str,
    aws_env: dict[str, str],
    tmp_path: Path,
    webhook: Webhook,
    daemon: Callable[..., Daemon],
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket="trips")
    sqs, url = _queue(moto_url)
    config = write_config(tmp_path / "andon.toml", queue_url=url, hook=webhook.url("hook"))
    db = f"sqlite:///{tmp_path / 'andon.db'}"
    d = daemon("--config", str(config), "--db", db, "--endpoint-url", moto_url)
    d.wait_line("started")
    metrics = d.metrics_url()

    s3.put_bucket_policy(Bucket="trips", Policy=public_policy("trips"))
    sqs.send_message(
        QueueUrl=url, MessageBody=cloudtrail_event("PutBucketPolicy", "trips", event_id="ev-1")
    )  # type: ignore[attr-defined]

    posts = webhook.wait_for(1, timeout=60)
    assert len(posts) == 1, d.lines[-30:]
    path, body = posts[0]
    assert path == "/hook"
    assert "trips" in json.dumps(body)
    d.wait_line("transition(s)")
    deadline = time.monotonic() + 10
    while _visible(sqs, url) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _visible(sqs, url) == 0  # deleted once committed and handed to the dispatcher

    scrape = urllib.request.urlopen(metrics, timeout=5).read().decode()
    assert 'andon_watch_events_total{outcome="processed"} 1.0' in scrape
    assert "andon_detection_latency_seconds_count 1.0" in scrape
    assert 'andon_open_exposures{severity="' in scrape

    assert d.terminate() == 0
    assert any("stopped" in line for line in d.lines)
    alerts = [json.loads(line) for line in d.out if line.startswith("{")]
    assert len(alerts) == 1  # every alert is also one JSON line on stdout
    with Store(db) as store, store.transaction("read") as s:
        assert s.scalars(sa.select(WatchEventRow.event_id)).all() == ["ev-1"]


def test_a_change_with_no_event_is_caught_by_the_sweep(
    moto_url: str,
    aws_env: dict[str, str],
    tmp_path: Path,
    webhook: Webhook,
    daemon: Callable[..., Daemon],
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket="exports")
    config = write_config(
        tmp_path / "andon.toml", queue_url="", hook=webhook.url("sweep"), sweep_interval="2s"
    )
    d = daemon(
        "--config",
        str(config),
        "--db",
        f"sqlite:///{tmp_path / 'a.db'}",
        "--endpoint-url",
        moto_url,
    )
    d.wait_line("sweep complete", timeout=60)  # the first sweep: the bucket is private
    assert webhook.about("exports") == []
    s3.put_bucket_policy(Bucket="exports", Policy=public_policy("exports"))  # no event at all
    hits = webhook.wait_about("exports", 1, timeout=60)
    assert len(hits) == 1, d.lines[-20:]
    d.wait_line("sweep complete", timeout=60, count=3)  # one more sweep: no second alert
    assert len(webhook.about("exports")) == 1
    assert d.terminate() == 0


def test_sigkill_between_receive_and_commit_then_restart_loses_nothing_and_duplicates_nothing(
    moto_url: str,
    aws_env: dict[str, str],
    tmp_path: Path,
    webhook: Webhook,
    daemon: Callable[..., Daemon],
    moto_process: Callable[[], object],
) -> None:
    """The queue lives on one moto server, the resources on another, which the test freezes
    (SIGSTOP) so the daemon is certainly between receiving the message and committing."""
    import os
    import signal

    cloud = moto_process()
    cloud_pid = cloud._proc.pid  # type: ignore[attr-defined]
    s3 = boto3.client("s3", endpoint_url=cloud.url, region_name="us-east-1")  # type: ignore[attr-defined]
    s3.create_bucket(Bucket="vins")
    sqs, url = _queue(moto_url)
    config = write_config(
        tmp_path / "andon.toml",
        queue_url=url,
        hook=webhook.url("kill"),
        queue_endpoint_url=moto_url,
        visibility_timeout=2,
    )
    db = f"sqlite:///{tmp_path / 'k.db'}"
    args = ("--config", str(config), "--db", db, "--endpoint-url", cloud.url)  # type: ignore[attr-defined]
    first = daemon(*args)
    first.wait_line("started")
    s3.put_bucket_policy(Bucket="vins", Policy=public_policy("vins"))
    os.kill(cloud_pid, signal.SIGSTOP)
    try:
        sqs.send_message(
            QueueUrl=url,
            MessageBody=cloudtrail_event("PutBucketPolicy", "vins", event_id="ev-kill"),
        )  # type: ignore[attr-defined]
        first.wait_line("received 1 message(s)")
        time.sleep(0.3)
        first.kill()  # SIGKILL: received, not committed
    finally:
        os.kill(cloud_pid, signal.SIGCONT)
    assert webhook.posts == []
    assert not any("transition(s)" in line for line in first.lines)

    second = daemon(*args)
    posts = webhook.wait_for(1, timeout=60)
    assert len(posts) == 1, second.lines[-20:]
    # A duplicate delivery of the same event changes nothing and is deleted.
    sqs.send_message(
        QueueUrl=url, MessageBody=cloudtrail_event("PutBucketPolicy", "vins", event_id="ev-kill")
    )  # type: ignore[attr-defined]
    deadline = time.monotonic() + 15
    while _visible(sqs, url) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _visible(sqs, url) == 0
    time.sleep(1.0)
    assert len(webhook.posts) == 1
    assert second.terminate() == 0
    with Store(db) as store, store.transaction("read") as s:
        assert s.scalars(sa.select(WatchEventRow.event_id)).all() == ["ev-kill"]
