"""The machinery shared by the resource-policy collectors: bounded streaming, a listing that
fails part-way, an endpoint that dies, per-resource reads. No network: items are plain values
(the clients are built but never called)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from andon.collect.aws._kit import Region, partition_of, policy_exposure
from andon.collect.aws.transport import AwsClients
from andon.core import AwsTarget, Context, Limits, Resource
from andon.core.errors import AccessDenied, EndpointError

KINDS = {"messaging.queue": ("AWS::SQS::Queue", policy_exposure)}


def region(concurrency: int = 2) -> Region:
    limits = Limits(concurrency=concurrency)
    clients = AwsClients(AwsTarget(endpoint_url="http://127.0.0.1:9"), limits)
    return Region(
        Context(limits=limits), clients, "123456789012", "eu-west-1", service="sqs", kinds=KINDS
    )


def resource(run: Region, name: str) -> Resource:
    reads = run.reads(run.arn("sqs", name))
    return run.policy_resource(
        reads, "messaging.queue", service="sqs", arn=reads.uid, name=name, policy=None
    )


def test_work_in_flight_is_bounded_and_results_stream() -> None:
    run = region(concurrency=2)
    lock = threading.Lock()
    active = peak = 0

    def work(name: str) -> list[Resource]:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.01)
        with lock:
            active -= 1
        return [resource(run, name)]

    listed: list[str] = []

    def names() -> Iterator[str]:
        for i in range(8):
            listed.append(str(i))
            yield str(i)

    stream = run.stream(names(), work)
    first = next(stream)
    # the listing is consumed only as slots free up: at most two rounds of two ahead
    assert len(listed) <= 4
    rest = list(stream)
    assert sorted(r.name for r in [first, *rest]) == [str(i) for i in range(8)]
    assert peak <= 2


def test_a_listing_that_fails_part_way_raises_after_what_was_collected() -> None:
    run = region()

    def names() -> Iterator[str]:
        yield "a"
        yield "b"
        raise AccessDenied(
            "AccessDenied on ListQueues: page 2", service="sqs", operation="ListQueues"
        )

    got: list[str] = []
    with pytest.raises(AccessDenied):
        for r in run.stream(names(), lambda n: [resource(run, n)]):
            got.append(r.name)
    assert sorted(got) == ["a", "b"]


def test_an_endpoint_error_ends_the_run() -> None:
    run = region()

    def work(name: str) -> list[Resource]:
        if name == "dead":
            raise EndpointError("EndpointConnectionError on GetQueueAttributes", service="sqs")
        return [resource(run, name)]

    with pytest.raises(EndpointError):
        list(run.stream(iter(["ok", "dead", "later-1", "later-2"]), work))
    assert run.abort.is_set()
    with pytest.raises(EndpointError):  # workers still running stop at their next call
        run.check_alive()


def test_partitions_and_arns() -> None:
    assert partition_of("us-east-1") == "aws"
    assert partition_of("cn-north-1") == "aws-cn"
    assert partition_of("us-gov-west-1") == "aws-us-gov"
    run = region()
    assert run.arn("dynamodb", "table/t") == "arn:aws:dynamodb:eu-west-1:123456789012:table/t"
