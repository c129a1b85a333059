"""The SQS consumer against moto's server: long poll, visibility kept while working, delete,
and retries with backoff (and a fresh client) when the endpoint is gone."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config

from andon.watch.queue import Backoff, SqsQueue


def _factory(url: str, built: list[int] | None = None) -> Any:
    def make() -> Any:
        if built is not None:
            built.append(1)
        return boto3.client(
            "sqs",
            endpoint_url=url,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 0}, connect_timeout=1, read_timeout=5),
        )

    return make


@pytest.fixture
def queue(moto_url: str, aws_env: dict[str, str]) -> tuple[SqsQueue, Any]:
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    return SqsQueue(_factory(moto_url), url, wait_time=1, visibility_timeout=1), sqs


def test_receive_reports_lag_and_delete_removes(queue: tuple[SqsQueue, Any]) -> None:
    q, sqs = queue
    sqs.send_message(QueueUrl=q.url, MessageBody="one")
    got = q.receive(10)
    assert [m.body for m in got] == ["one"]
    assert got[0].sent_at is not None and got[0].lag >= 0
    assert q.delete(got) == 1
    time.sleep(1.2)
    assert q.receive(10, wait_time=0) == []
    assert q.depth() == 0


def test_hidden_keeps_a_slow_batch_invisible_beyond_its_timeout(
    queue: tuple[SqsQueue, Any],
) -> None:
    q, sqs = queue
    sqs.send_message(QueueUrl=q.url, MessageBody="slow")
    got = q.receive(10)
    with q.hidden(got):
        time.sleep(2.5)  # 2.5 x the visibility timeout
        assert q.receive(10, wait_time=0) == []  # still ours
    time.sleep(1.3)
    assert [m.body for m in q.receive(10, wait_time=0)] == ["slow"]  # ours no more


def test_a_dead_endpoint_is_retried_with_backoff_and_clear_log_lines(
    aws_env: dict[str, str], moto_process: Any, caplog: pytest.LogCaptureFixture
) -> None:
    cloud = moto_process()
    sqs = boto3.client("sqs", endpoint_url=cloud.url, region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    built: list[int] = []
    stop = threading.Event()
    errors: list[str] = []
    q = SqsQueue(
        _factory(cloud.url, built),
        url,
        wait_time=0,
        backoff=Backoff(0.05, 0.2),
        stop=stop,
        on_error=errors.append,
    )
    assert q.receive() == []
    cloud.kill()
    threading.Timer(1.0, stop.set).start()
    with caplog.at_level(logging.WARNING, logger="andon.watch.queue"):
        assert q.receive() == []  # retried until stopped, never raised
    assert not q.healthy
    assert len(errors) >= 3
    assert len(built) >= 3  # a fresh client after every failure
    assert "queue endpoint cannot be reached" in caplog.text
    assert "retrying in" in caplog.text


def test_a_missing_queue_says_what_to_do(
    moto_url: str, aws_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    stop = threading.Event()
    q = SqsQueue(
        _factory(moto_url),
        f"{moto_url}/123456789012/absent",
        wait_time=0,
        backoff=Backoff(0.05, 0.1),
        stop=stop,
    )
    threading.Timer(0.5, stop.set).start()
    with caplog.at_level(logging.WARNING, logger="andon.watch.queue"):
        assert q.receive() == []
    assert "andon watch setup" in caplog.text


def test_backoff_grows_caps_and_resets() -> None:
    import random

    b = Backoff(1.0, 8.0, rng=random.Random(1))
    waits = [b.next() for _ in range(8)]
    assert all(0.5 <= w <= 8.0 for w in waits)
    assert max(waits[4:]) > max(waits[:1])
    b.reset()
    assert b.next() <= 1.0
