"""The scan pipeline: streaming into the store, exit codes, early endings kept as incomplete."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from andon.core.errors import EndpointError
from andon.core.model import Exposure, Level, Resource, Status
from andon.exposure.s3_model import ALL_USERS, Bpa, Grant, S3BucketState
from andon.rules import default_registry
from andon.scan import aws_scope, evaluate_resource, run_scan
from andon.store import Store
from andon.store.records import ScanStatus, TransitionKind

PUBLIC_POLICY = json.dumps(
    {
        "Statement": [
            {
                "Sid": "Open",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::open/*",
            }
        ]
    }
)


def bucket(name: str, tags: dict[str, str] | None = None, **state: object) -> Resource:
    s = S3BucketState(name=name, account="123456789012", region="us-east-1", **state)  # type: ignore[arg-type]
    return Resource(
        uid=f"arn:aws:s3:::{name}",
        cloud="aws",
        account="123456789012",
        region="us-east-1",
        kind="storage.bucket",
        native_type="AWS::S3::Bucket",
        name=name,
        attributes=s.to_dict(),
        tags=tags or {},
    )


def account(bpa: Bpa | None) -> Resource:
    return Resource(
        uid="arn:aws:s3::123456789012:account-public-access-block",
        cloud="aws",
        account="123456789012",
        region="global",
        kind="account.settings",
        native_type="AWS::S3::AccountPublicAccessBlock",
        name="123456789012",
        attributes={"public_access_block": bpa.to_dict() if bpa else None},
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'andon.db'}") as s:
        yield s


def test_evaluate_dispatches_on_kind() -> None:
    assert evaluate_resource(bucket("open", policy=PUBLIC_POLICY)).level is Level.PUBLIC
    assert evaluate_resource(account(None)).level is Level.PRIVATE
    odd = Resource("x", "aws", "1", "r", "queue", "AWS::SQS::Queue", "x")
    assert evaluate_resource(odd).level is Level.UNKNOWN


def test_scan_streams_into_store_and_tracks_transitions(store: Store) -> None:
    rules = default_registry()
    first = run_scan(
        iter([account(Bpa(True, True, True, True)), bucket("open", policy=PUBLIC_POLICY)]),
        scope="aws:test",
        rules=rules,
        store=store,
    )
    assert first.status is ScanStatus.COMPLETE
    assert first.exit_code() == 1
    assert {f.rule_id for f in first.findings} == {"s3.bucket.public_read"}
    assert [t.kind for t in first.transitions] == [TransitionKind.OPENED]
    stored = store.findings(first.scan_id)
    assert [f.id for f in stored] == [f.id for f in first.findings]

    second = run_scan(
        iter([account(Bpa(True, True, True, True)), bucket("open")]),
        scope="aws:test",
        rules=rules,
        store=store,
    )
    assert second.exit_code() == 0
    assert [t.kind for t in second.transitions] == [TransitionKind.RESOLVED]


def test_exemption_tag_marks_findings_exempt_and_exit_code_zero(store: Store) -> None:
    out = run_scan(
        iter([bucket("open", tags={"andon:public": "open data set"}, policy=PUBLIC_POLICY)]),
        scope="aws:test",
        rules=default_registry(),
        store=store,
    )
    assert [f.status for f in out.findings] == [Status.EXEMPT]
    assert out.findings[0].exemption == "open data set"
    assert out.exit_code() == 0


def test_endpoint_dying_mid_scan_keeps_what_was_collected(store: Store) -> None:
    def resources() -> Iterator[Resource]:
        yield bucket("open", policy=PUBLIC_POLICY)
        yield bucket("acl", acl=(Grant("Group", ALL_USERS, "READ"),))
        raise EndpointError("connection refused", service="s3", operation="GetBucketAcl")

    out = run_scan(resources(), scope="aws:test", rules=default_registry(), store=store)
    assert out.status is ScanStatus.INCOMPLETE
    assert out.resources == 2
    assert out.exit_code() == 1  # exposure found wins over incomplete
    assert "connection refused" in out.error
    record = store.scan(out.scan_id or "")
    assert record.status is ScanStatus.INCOMPLETE
    assert record.resource_count == 2
    assert {f.resource["name"] for f in store.findings(out.scan_id)} == {"open", "acl"}


def test_incomplete_scan_never_resolves(store: Store) -> None:
    rules = default_registry()
    run_scan(iter([bucket("open", policy=PUBLIC_POLICY)]), scope="s", rules=rules, store=store)

    def dies() -> Iterator[Resource]:
        raise EndpointError("gone", service="s3")
        yield  # pragma: no cover

    out = run_scan(dies(), scope="s", rules=rules, store=store)
    assert out.status is ScanStatus.INCOMPLETE
    assert out.transitions == []
    assert out.exit_code() == 2


def test_unknown_verdict_without_exposure_exits_two() -> None:
    from andon.exposure.s3_model import Unknown

    out = run_scan(
        iter([bucket("hidden", policy=Unknown("AccessDenied on GetBucketPolicy"))]),
        scope="s",
        rules=default_registry(),
    )
    assert out.levels == {"UNKNOWN": 1}
    assert out.findings == []
    assert out.exit_code() == 2  # UNKNOWN is never reported as "nothing exposed"


def test_scope_names_target() -> None:
    assert aws_scope("123456789012", (), None) == "aws:123456789012:s3:all-regions"
    assert aws_scope("1", ("us-east-1", "eu-west-1"), "http://127.0.0.1:5000") == (
        "aws:1:s3:eu-west-1,us-east-1@127.0.0.1"
    )


class CountingStore(Store):
    """A real store that records the size of every resource batch it is given."""

    batches: list[int]

    def add_resources(self, scan_id: str, items: Iterable[tuple[Resource, Exposure | None]]) -> int:
        batch = list(items)
        self.batches.append(len(batch))
        return super().add_resources(scan_id, batch)


def test_store_writes_are_batched_and_a_dying_scan_keeps_every_resource(tmp_path: Path) -> None:
    from andon.scan import STORE_BATCH

    total = STORE_BATCH * 2 + 7

    def resources() -> Iterator[Resource]:
        for i in range(total):
            name = f"b{i:04d}"
            policy = PUBLIC_POLICY.replace(":::open/", f":::{name}/") if i % 50 == 0 else None
            yield bucket(name, policy=policy)
        raise EndpointError("connection refused", service="s3", operation="GetBucketAcl")

    with CountingStore(f"sqlite:///{tmp_path / 'andon.db'}") as store:
        store.batches = []
        out = run_scan(resources(), scope="aws:test", rules=default_registry(), store=store)
        assert out.status is ScanStatus.INCOMPLETE
        assert store.batches == [STORE_BATCH, STORE_BATCH, 7]  # the tail is written on the way out
        record = store.scan(out.scan_id or "")
        assert record.resource_count == total
        assert len(store.findings(out.scan_id)) == len(out.findings) == 5


def test_interrupted_scan_keeps_the_pending_batch(store: Store) -> None:
    def resources() -> Iterator[Resource]:
        yield bucket("open", policy=PUBLIC_POLICY)
        yield bucket("private")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_scan(resources(), scope="aws:test", rules=default_registry(), store=store)
    record = store.latest_scan()
    assert record is not None
    assert record.status is ScanStatus.INCOMPLETE
    assert record.resource_count == 2
    assert [f.resource["name"] for f in store.findings(record.id)] == ["open"]


def test_after_collect_adds_coverage_and_scope_gaps_before_the_scan_is_stored(
    store: Store,
) -> None:
    from andon.core.model import Gap

    cell = {
        "account": "123456789012",
        "region": "eu-west-1",
        "service": "sqs",
        "status": "failed",
        "reason": "AccessDenied on ListQueues",
        "resources": 0,
    }

    def after(outcome: object) -> None:
        outcome.coverage = [cell]  # type: ignore[attr-defined]
        outcome.gaps.append(Gap("sqs", "ListQueues", "AccessDenied on ListQueues"))  # type: ignore[attr-defined]

    out = run_scan(
        iter([bucket("private")]),
        scope="aws:test",
        rules=default_registry(),
        store=store,
        after_collect=after,
    )
    assert out.coverage == [cell]
    assert out.status is ScanStatus.INCOMPLETE and out.exit_code() == 2
    record = store.scan(out.scan_id or "")
    assert record.status is ScanStatus.INCOMPLETE
    assert [g.operation for g in record.gaps] == ["ListQueues"]
    unstored = run_scan(iter([]), scope="s", rules=default_registry(), after_collect=after)
    assert unstored.status is ScanStatus.INCOMPLETE  # a scope gap, with or without a store


def test_evaluator_sees_the_trust_zone() -> None:
    from functools import partial

    from andon.exposure.aws_models import ResourcePolicyState
    from andon.exposure.dispatch import TrustZone

    arn = "arn:aws:sqs:us-east-1:123456789012:q"
    policy = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                }
            ]
        }
    )
    queue = Resource(
        arn,
        "aws",
        "123456789012",
        "us-east-1",
        "messaging.queue",
        "AWS::SQS::Queue",
        "q",
        attributes=ResourcePolicyState("sqs", arn, "123456789012", policy).to_dict(),
    )
    assert evaluate_resource(queue).level is Level.CROSS_ACCOUNT
    trusted = partial(evaluate_resource, trust=TrustZone(accounts=frozenset({"444455556666"})))
    out = run_scan(iter([queue]), scope="s", rules=default_registry(), evaluator=trusted)
    assert out.levels == {"PRIVATE": 1} and out.findings == []
