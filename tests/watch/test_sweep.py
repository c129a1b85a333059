"""Reconciliation sweeps: the schedule in the store (one consumer per interval, take-over of
a dead holder), the sweep itself on moto's server, and stopping mid-sweep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from andon.core.context import AwsTarget, Context
from andon.rules import default_registry
from andon.store import ScanStatus, Store
from andon.watch import ledger
from andon.watch.metrics import WatchMetrics
from andon.watch.sweep import Sweeper


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 's.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


def test_one_consumer_sweeps_per_interval_and_a_dead_holder_is_taken_over(db: str) -> None:
    clock = Clock()
    with Store(db, clock=clock) as store:
        assert ledger.claim(store, "a", interval=900, hold=120)
        assert not ledger.claim(store, "b", interval=900, hold=120)  # a holds it
        ledger.finish(store, "a", "complete", None)
        assert not ledger.claim(store, "b", interval=900, hold=120)  # not due yet
        clock.advance(900)
        assert ledger.claim(store, "b", interval=900, hold=120)  # b's turn; b dies holding it
        clock.advance(60)
        assert not ledger.claim(store, "a", interval=900, hold=120)  # b's claim is live
        clock.advance(900)
        assert ledger.claim(store, "a", interval=900, hold=120)  # expired and due: taken over
        state = ledger.schedule(store)
        assert state is not None and state.owner == "a"


def test_make_due_asks_for_a_sweep_now(db: str) -> None:
    clock = Clock()
    with Store(db, clock=clock) as store:
        assert ledger.claim(store, "a", interval=900, hold=120)
        ledger.finish(store, "a", "complete", None)
        assert not ledger.claim(store, "a", interval=900, hold=120)
        ledger.make_due(store)
        assert ledger.claim(store, "a", interval=900, hold=120)


@pytest.fixture
def sweep_rig(
    moto_url: str, aws_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[Store, Context]]:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket="one")
    ctx = Context(aws=AwsTarget(regions=("us-east-1",), endpoint_url=moto_url))
    with Store(f"sqlite:///{tmp_path / 'sweep.db'}") as store:
        yield store, ctx


def _sweeper(store: Store, ctx: Context, stop: threading.Event, metrics: WatchMetrics) -> Sweeper:
    from andon.collect.aws.registry import select_services
    from andon.collect.aws.scope import ScanConfig

    return Sweeper(
        ctx=ctx,
        store=store,
        rules=default_registry().all(),
        owner="me",
        interval=900,
        stop=stop,
        metrics=metrics,
        scan_config=ScanConfig(regions=("us-east-1",), services=("s3",)),
        services=select_services(("s3",)),
        clock=lambda: 1234.0,
    )


def test_a_due_sweep_runs_the_estate_scan_and_records_it(sweep_rig: tuple[Store, Context]) -> None:
    store, ctx = sweep_rig
    metrics = WatchMetrics()
    sweeper = _sweeper(store, ctx, threading.Event(), metrics)
    result = sweeper.run_if_due()
    assert result is not None and result.complete
    assert result.outcome is not None and result.outcome.resources >= 1
    record = store.scan(result.outcome.scan_id)  # type: ignore[arg-type]
    assert record.meta["watch"] == {"trigger": "sweep", "consumer": "me"}
    assert sweeper.run_if_due() is None  # not due again within the interval
    state = ledger.schedule(store)
    assert state is not None and state.last_status == "complete"
    assert state.last_scan_id == result.outcome.scan_id
    assert metrics.last_sweep._value.get() == 1234.0
    assert "andon_watch_sweep_duration_seconds_count 1.0" in metrics.render().decode()


def test_a_stopping_daemon_ends_its_sweep_as_incomplete(sweep_rig: tuple[Store, Context]) -> None:
    store, ctx = sweep_rig
    stop = threading.Event()
    sweeper = _sweeper(store, ctx, stop, WatchMetrics())
    assert ledger.claim(store, "me", interval=900, hold=120)
    stop.set()
    result = sweeper.run()
    assert not result.complete
    assert "interrupted" in result.error
    scans = store.scans(limit=5)
    assert scans and scans[0].status is ScanStatus.INCOMPLETE
    assert ledger.schedule(store).last_status == "incomplete"  # type: ignore[union-attr]
