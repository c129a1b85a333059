"""The estate orchestrator: cells, coverage, bounded concurrency, streaming, failures.

Real collectors run against the moto server over HTTP; scheduling and failure handling are
also driven with small fake services (a :class:`Service` is plain data: name, collect,
operations, kinds), which is how a throttling storm, a crashing collector or a dying endpoint
are produced on demand.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from tests.aws_estate import count_of, organization, seed_region

from andon.collect.aws.estate import ALL, CellStatus, Estate, EstateLimits, GatedClients
from andon.collect.aws.registry import Service, kind_table, select_services
from andon.collect.aws.scope import AccountSpec, ScanConfig
from andon.collect.aws.transport import AwsClients
from andon.core.context import AwsTarget, Context, Limits
from andon.core.errors import EndpointError, Throttled
from andon.core.model import Exposure, Gap, Level, Resource
from andon.exposure.dispatch import NO_TRUST, evaluate_kind
from andon.rules import default_registry
from andon.scan import scan_estate
from andon.store.records import ScanStatus

ACCOUNT = "123456789012"
OUTSIDE = "999988887777"


def ctx_for(url: str | None, *regions: str, concurrency: int = 4) -> Context:
    return Context(
        aws=AwsTarget(endpoint_url=url, regions=regions),
        limits=Limits(concurrency=concurrency, max_attempts=1, connect_timeout=1, read_timeout=5),
    )


def resource(account: str, region: str, service: str, i: int, gap: bool = False) -> Resource:
    uid = f"arn:aws:{service}:{region}:{account}:thing/{i}"
    gaps = (Gap(service, "GetThing", "AccessDenied on GetThing", resource_uid=uid),) if gap else ()
    return Resource(
        uid, "aws", account, region, "test.thing", "AWS::Test::Thing", str(i), gaps=gaps
    )


def fake(
    name: str, collect: Callable[[Context, AwsClients, str, str], Iterator[Resource]]
) -> Service:
    return Service(
        name, collect, (), {"test.thing": ("AWS::Test::Thing", lambda a: Exposure(Level.PRIVATE))}
    )


def moto_estate(url: str, services: list[Service], *regions: str, **kw: Any) -> Estate:
    ctx = ctx_for(url, *regions)
    base = GatedClients(ctx.aws, ctx.limits)
    return Estate(ctx, [AccountSpec(ACCOUNT)], services, lambda spec: base, regions=regions, **kw)


# -- real collectors on moto -------------------------------------------------------------


def test_every_cell_ends_with_a_status_and_resources_carry_account_and_region(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    session = boto3.Session(region_name="us-east-1")
    seed_region(session, moto_url, "us-east-1", 1, services=("sqs", "sns", "dynamodb"))
    seed_region(session, moto_url, "eu-west-1", 1, services=("sqs",), prefix="eu")
    services = select_services(["s3", "sqs", "sns", "dynamodb"])
    ctx = ctx_for(moto_url, "us-east-1", "eu-west-1", "ap-east-1", "xx-nowhere-1")
    outcome = scan_estate(
        ctx,
        rules=default_registry(),
        config=ScanConfig(regions=ctx.aws.regions),
        services=services,
    )
    cells = {(c["account"], c["region"], c["service"]): c for c in outcome.coverage}
    for region in ("us-east-1", "eu-west-1"):
        for service in ("sqs", "sns", "dynamodb"):
            assert cells[(ACCOUNT, region, service)]["status"] == "complete"
    assert cells[(ACCOUNT, "global", "s3")]["status"] == "complete"
    assert cells[(ACCOUNT, "eu-west-1", "sqs")]["resources"] == 1
    # a disabled (opt-in) region and an unknown one: failed cells with the reason, and gaps
    assert cells[(ACCOUNT, "ap-east-1", ALL)]["status"] == "failed"
    assert "not enabled" in cells[(ACCOUNT, "ap-east-1", ALL)]["reason"]
    assert "not offered" in cells[(ACCOUNT, "xx-nowhere-1", ALL)]["reason"]
    assert any("ap-east-1" in g.reason and not g.resource_uid for g in outcome.gaps)
    assert outcome.status is ScanStatus.INCOMPLETE
    assert len(outcome.coverage) == 1 + 2 * 3 + 2
    # 1 queue + 1 topic + 1 table in us-east-1, 1 queue in eu-west-1, the account settings
    assert outcome.resources == 5
    assert outcome.open_findings  # the seeded public queue


def test_all_enabled_regions_by_default(moto_url: str, aws_env: dict[str, str]) -> None:
    services = select_services(["sqs"])
    ctx = ctx_for(moto_url)
    outcome = scan_estate(ctx, rules=default_registry(), services=services)
    regions = {c["region"] for c in outcome.coverage}
    enabled = {
        r["RegionName"]
        for r in boto3.client("ec2", endpoint_url=moto_url).describe_regions(AllRegions=True)[
            "Regions"
        ]
        if r["OptInStatus"] != "not-opted-in"
    }
    assert regions == enabled and "ap-east-1" not in regions
    assert all(c["status"] == "complete" for c in outcome.coverage)
    assert outcome.exit_code() == 0  # nothing exposed, and everything was read


def test_collector_kinds_agree_with_the_trust_aware_dispatch(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    """With an empty trust zone, the pipeline's dispatch gives every collector's own answer."""
    seed_region(boto3.Session(region_name="us-east-1"), moto_url, "us-east-1", 3)
    services = select_services()
    estate = moto_estate(moto_url, services, "us-east-1")
    kinds = kind_table(services)
    seen: Counter[str] = Counter()
    for r in estate.resources():
        own = kinds[r.kind](r.attributes)
        assert evaluate_kind(r.kind, r.attributes, NO_TRUST, kinds) == own or r.kind in (
            "storage.bucket",
            "account.settings",
        )
        seen[r.kind] += 1
    assert set(seen) == set(kinds)  # every kind of every collector was seen
    assert sum(seen.values()) == count_of(3) + 1  # and the account's S3 settings


def test_org_scan_assumes_the_role_in_each_account_and_trusts_the_organization(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    sessions = organization(moto_url, 2)
    members = [
        s.client("sts", endpoint_url=moto_url).get_caller_identity()["Account"]
        for s in sessions[1:]
    ]
    sqs = sessions[1].client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    for name, principal in (("to-sibling", members[1]), ("to-stranger", OUTSIDE)):
        sqs.create_queue(
            QueueName=name,
            Attributes={
                "Policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{principal}:root"},
                                "Action": "sqs:SendMessage",
                                "Resource": f"arn:aws:sqs:us-east-1:{members[0]}:{name}",
                            }
                        ]
                    }
                )
            },
        )
    calls: list[dict[str, Any]] = []

    def instrument(session: boto3.Session) -> None:
        def record(params: dict[str, Any], **_: Any) -> None:
            calls.append(dict(params))

        session.events.register("before-parameter-build.sts.AssumeRole", record)

    ctx = ctx_for(moto_url, "us-east-1")
    config = ScanConfig(regions=("us-east-1",)).with_flags(
        org=True, role_name="AuditRole", external_id="ext-1234"
    )
    outcome = scan_estate(
        ctx,
        rules=default_registry(),
        config=config,
        services=select_services(["sqs"]),
        instrument=instrument,
    )
    accounts = {c["account"] for c in outcome.coverage}
    assert accounts == {ACCOUNT, *members}
    assert all(c["status"] == "complete" for c in outcome.coverage)
    assert {c["RoleArn"] for c in calls} == {f"arn:aws:iam::{m}:role/AuditRole" for m in members}
    assert {c["ExternalId"] for c in calls} == {"ext-1234"}
    by_rule = {(f.rule_id, f.resource["name"]) for f in outcome.open_findings}
    assert ("sqs.queue.cross_account", "to-stranger") in by_rule
    assert ("sqs.queue.cross_account", "to-sibling") not in by_rule  # same organization
    assert outcome.scope.startswith("aws:org-o-")


def test_a_role_that_cannot_be_assumed_is_a_failed_cell_and_the_rest_completes(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    sessions = organization(moto_url, 1)
    member = sessions[1].client("sts", endpoint_url=moto_url).get_caller_identity()["Account"]
    key, secret = moto_iam_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "sqs:*",
                        "ec2:Describe*",
                        "organizations:*",
                        "sts:GetCallerIdentity",
                    ],
                    "Resource": "*",
                },
                {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"},
            ],
        }
    )
    ctx = Context(
        aws=AwsTarget(endpoint_url=moto_url, access_key_id=key, secret_access_key=secret),
        limits=Limits(concurrency=2, max_attempts=1),
    )
    outcome = scan_estate(
        ctx,
        rules=default_registry(),
        config=ScanConfig(regions=("us-east-1",), org=True),
        services=select_services(["sqs"]),
    )
    failed = [c for c in outcome.coverage if c["status"] == "failed"]
    assert [(c["account"], c["region"], c["service"]) for c in failed] == [(member, ALL, ALL)]
    assert "cannot reach the account" in failed[0]["reason"]
    assert "AssumeRole" in failed[0]["reason"]
    own = [c for c in outcome.coverage if c["account"] != member]
    assert own and all(c["status"] == "complete" for c in own)
    assert outcome.status is ScanStatus.INCOMPLETE and outcome.exit_code() == 2


def test_a_denied_listing_fails_its_cells_only(
    moto_url: str, moto_iam_user: Callable[[dict[str, Any]], tuple[str, str]]
) -> None:
    seed_region(
        boto3.Session(region_name="us-east-1"), moto_url, "us-east-1", 1, services=("sqs", "sns")
    )
    key, secret = moto_iam_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "sns:ListTopics", "Resource": "*"},
            ],
        }
    )
    ctx = Context(
        aws=AwsTarget(
            endpoint_url=moto_url,
            access_key_id=key,
            secret_access_key=secret,
            regions=("us-east-1", "eu-west-1"),
        ),
        limits=Limits(concurrency=2, max_attempts=1),
    )
    outcome = scan_estate(ctx, rules=default_registry(), services=select_services(["sqs", "sns"]))
    status = {(c["region"], c["service"]): c for c in outcome.coverage}
    for region in ("us-east-1", "eu-west-1"):
        assert status[(region, "sqs")]["status"] == "complete"
        assert status[(region, "sns")]["status"] == "failed"
        assert "AccessDenied" in status[(region, "sns")]["reason"]
    scope_gaps = [g for g in outcome.gaps if not g.resource_uid]
    assert {(g.service, g.operation, g.region) for g in scope_gaps} == {
        ("sns", "ListTopics", "us-east-1"),
        ("sns", "ListTopics", "eu-west-1"),
    }
    assert outcome.exit_code() == 1  # the seeded public queue is certain


# -- scheduling and failures, with fake services -----------------------------------------


def test_failures_are_recorded_and_the_rest_of_the_scan_completes(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    def ok(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
        yield resource(account, region, "ok", 1)
        yield resource(account, region, "ok", 2, gap=True)

    def throttled(
        ctx: Context, clients: AwsClients, account: str, region: str
    ) -> Iterator[Resource]:
        raise Throttled(
            "Throttling on ListThings: Rate exceeded",
            service="th",
            operation="ListThings",
            code="Throttling",
        )
        yield  # pragma: no cover

    def stops(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
        yield resource(account, region, "stops", 1)
        raise Throttled(
            "Throttling on ListThings: page 2",
            service="stops",
            operation="ListThings",
            code="Throttling",
        )

    def crashes(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
        raise KeyError("Policy")
        yield  # pragma: no cover

    estate = moto_estate(
        moto_url,
        [fake("ok", ok), fake("th", throttled), fake("stops", stops), fake("crash", crashes)],
        "us-east-1",
        "eu-west-1",
    )
    got = list(estate.resources())
    assert len(got) == 2 * 2 + 2 * 1
    cells = {(c.region, c.service): c for c in estate.coverage}
    for region in ("us-east-1", "eu-west-1"):
        assert cells[(region, "ok")].status is CellStatus.PARTIAL
        assert "1 of 2 resources partly unreadable" in cells[(region, "ok")].reason
        assert cells[(region, "ok")].gap() is None  # its resource carries the gap
        assert cells[(region, "th")].status is CellStatus.FAILED
        assert "Rate exceeded" in cells[(region, "th")].reason
        assert cells[(region, "stops")].status is CellStatus.PARTIAL
        assert cells[(region, "stops")].reason.startswith("stopped after 1 resources")
        assert cells[(region, "crash")].status is CellStatus.FAILED
        assert "collector failed: KeyError" in cells[(region, "crash")].reason
    gaps = estate.gaps()
    assert len(gaps) == 6 and all(g.region in ("us-east-1", "eu-west-1") for g in gaps)
    assert all(f"account {ACCOUNT}" in g.reason for g in gaps)


def test_concurrency_is_bounded_per_account_region_and_service(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    lock = threading.Lock()
    now: Counter[str] = Counter()
    peak: Counter[str] = Counter()

    def slow(name: str) -> Service:
        def collect(
            ctx: Context, clients: AwsClients, account: str, region: str
        ) -> Iterator[Resource]:
            keys = ("all", f"r:{region}", f"s:{name}")
            with lock:
                for k in keys:
                    now[k] += 1
                    peak[k] = max(peak[k], now[k])
            time.sleep(0.05)
            with lock:
                for k in keys:
                    now[k] -= 1
            yield resource(account, region, name, 0)

        return fake(name, collect)

    regions = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1")
    limits = EstateLimits(accounts=1, per_account=6, per_region=2, per_service=3)
    estate = moto_estate(moto_url, [slow(f"svc{i}") for i in range(4)], *regions, limits=limits)
    assert len(list(estate.resources())) == 4 * len(regions)
    assert peak["all"] == 6
    assert max(v for k, v in peak.items() if k.startswith("r:")) == 2
    assert max(v for k, v in peak.items() if k.startswith("s:")) == 3


def test_api_calls_in_flight_per_account_are_bounded(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    ctx = ctx_for(moto_url, concurrency=3)
    clients = GatedClients(ctx.aws, ctx.limits)
    inside: list[int] = []
    lock = threading.Lock()
    current = 0

    def track(**_: Any) -> None:
        nonlocal current
        with lock:
            current += 1
            inside.append(current)

    def untrack(**_: Any) -> None:
        nonlocal current
        with lock:
            current -= 1

    clients.session.events.register("before-call", track)
    clients.session.events.register("after-call", untrack)

    def many(ctx: Context, c: AwsClients, account: str, region: str) -> Iterator[Resource]:
        c.call(c.client("sqs", region), "ListQueues")
        yield resource(account, region, "q", 0)

    estate = Estate(
        ctx,
        [AccountSpec(ACCOUNT)],
        [fake(f"q{i}", many) for i in range(8)],
        lambda spec: clients,
        regions=("us-east-1", "us-west-2"),
    )
    assert len(list(estate.resources())) == 16
    assert max(inside) <= 3


def test_resources_stream_through_a_bounded_queue(moto_url: str, aws_env: dict[str, str]) -> None:
    produced = 0

    def flood(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
        nonlocal produced
        for i in range(5000):
            produced += 1
            yield resource(account, region, "flood", i)

    limits = EstateLimits(accounts=1, per_account=2, per_region=2, per_service=2)
    estate = moto_estate(moto_url, [fake("flood", flood)], "us-east-1", limits=limits)
    stream = estate.resources()
    ahead = []
    for n, _ in enumerate(stream, 1):
        if n % 500 == 0:
            time.sleep(0.02)  # a slow consumer (the store)
            ahead.append(produced - n)
    assert produced == 5000
    assert max(ahead) <= 2 * 2 + 2  # the queue (2 x workers) and what the worker holds


def test_a_consumer_that_stops_stops_the_workers(moto_url: str, aws_env: dict[str, str]) -> None:
    stopped = threading.Event()

    def endless(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
        try:
            i = 0
            while True:
                i += 1
                yield resource(account, region, "endless", i)
        finally:
            stopped.set()

    estate = moto_estate(moto_url, [fake("endless", endless)], "us-east-1")
    stream = estate.resources()
    for _ in range(10):
        next(stream)
    stream.close()
    assert stopped.wait(5)


def test_a_dead_endpoint_fails_the_cells_not_yet_read(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    def dies(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
        raise EndpointError(
            "EndpointConnectionError on ListThings: connection refused",
            service="dies",
            operation="ListThings",
        )
        yield  # pragma: no cover

    regions = tuple(f"us-{d}-{n}" for d in ("east", "west") for n in (1, 2))
    limits = EstateLimits(accounts=1, per_account=1, per_region=1, per_service=1)
    estate = moto_estate(moto_url, [fake("dies", dies)], *regions, limits=limits)
    assert list(estate.resources()) == []
    assert estate.dead is not None
    assert [c.status for c in estate.coverage] == [CellStatus.FAILED] * 4
    assert sum("not read: the endpoint stopped answering" in c.reason for c in estate.coverage) == 3


def test_a_service_not_offered_in_a_region_is_skipped_there(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    """Without a custom endpoint the estate asks botocore's endpoint data (the clients still
    reach moto: only the decision is under test)."""
    session = boto3.Session()
    glacier = set(session.get_available_regions("glacier"))
    enabled = [
        r["RegionName"]
        for r in boto3.client("ec2", endpoint_url=moto_url).describe_regions(AllRegions=True)[
            "Regions"
        ]
        if r["OptInStatus"] != "not-opted-in"
    ]
    missing = sorted(r for r in enabled if r not in glacier)
    if not missing:
        pytest.skip("botocore offers glacier in every region moto enables")
    target = ctx_for(moto_url)
    clients = GatedClients(target.aws, target.limits)
    ctx = ctx_for(None, "us-east-1", missing[0])
    collected: list[str] = []

    def collect(ctx: Context, c: AwsClients, account: str, region: str) -> Iterator[Resource]:
        collected.append(region)
        return iter(())

    svc = Service("glacier", collect, (), {}, endpoint="glacier")
    estate = Estate(ctx, [AccountSpec(ACCOUNT)], [svc], lambda s: clients, regions=ctx.aws.regions)
    list(estate.resources())
    assert collected == ["us-east-1"]
    cell = next(c for c in estate.coverage if c.region == missing[0])
    assert cell.status is CellStatus.COMPLETE and "not offered" in cell.reason
