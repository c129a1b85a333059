"""Transitions across consecutive scans, scopes, recovery and the record() context manager."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from store_helpers import Clock, bucket, finding

from andon.core.errors import NotFound, StoreError
from andon.core.model import Finding, Gap, Severity, Status
from andon.store import ScanStatus, Store, Transition, TransitionKind

K = TransitionKind
SCOPE = "aws:123456789012:s3:all-regions"


def run_scan(
    store: Store,
    findings: list[Finding],
    status: ScanStatus = ScanStatus.COMPLETE,
    scope: str = SCOPE,
) -> list[Transition]:
    scan_id = store.start_scan(scope, {"andon": "test"})
    store.add_findings(scan_id, findings)
    return store.finish_scan(scan_id, status)


def kinds(transitions: list[Transition]) -> dict[str, TransitionKind]:
    return {t.finding_id: t.kind for t in transitions}


def test_opened_still_open_resolved_reopened(store: Store) -> None:
    a, b = finding("a"), finding("b")
    first = run_scan(store, [a, b])
    assert kinds(first) == {a.id: K.OPENED, b.id: K.OPENED}
    assert all(t.previous_severity is None and t.severity is Severity.HIGH for t in first)

    assert kinds(run_scan(store, [a, b])) == {a.id: K.STILL_OPEN, b.id: K.STILL_OPEN}
    assert kinds(run_scan(store, [a])) == {a.id: K.STILL_OPEN, b.id: K.RESOLVED}
    assert kinds(run_scan(store, [a, b])) == {a.id: K.STILL_OPEN, b.id: K.REOPENED}

    history = store.finding_history(b.id)
    assert [t.kind for t in history] == [K.OPENED, K.STILL_OPEN, K.RESOLVED, K.REOPENED]
    assert [t.at for t in history] == sorted(t.at for t in history)
    scans = store.scans(SCOPE)
    assert [t.scan_id for t in history] == [s.id for s in reversed(scans)]
    resolving = scans[1]  # newest first: the third scan
    assert kinds(store.transitions(resolving.id)) == {a.id: K.STILL_OPEN, b.id: K.RESOLVED}


def test_finding_state_tracks_first_seen_opened_and_resolved(store: Store) -> None:
    a = finding("a")
    run_scan(store, [a])
    first = store.latest_scan(SCOPE)
    run_scan(store, [])
    resolving = store.latest_scan(SCOPE)
    run_scan(store, [a])
    reopening = store.latest_scan(SCOPE)
    assert first and resolving and reopening
    [state] = store.finding_states(SCOPE)
    assert state.status is Status.OPEN
    assert state.first_seen == first.started_at
    assert state.last_seen == reopening.started_at
    assert state.opened_in == reopening.id
    assert state.resolved_in is None
    run_scan(store, [])
    [state] = store.finding_states(SCOPE, status="resolved")
    assert state.resolved_in == store.scans(SCOPE, limit=1)[0].id
    assert state.last_scan_id == reopening.id
    assert store.finding_states(SCOPE, status=Status.OPEN) == []


def test_incomplete_and_failed_scans_never_resolve_but_open_new_findings(store: Store) -> None:
    a, b, c = finding("a"), finding("b"), finding("c")
    run_scan(store, [a, b])
    assert kinds(run_scan(store, [b, c], ScanStatus.INCOMPLETE)) == {
        b.id: K.STILL_OPEN,
        c.id: K.OPENED,
    }
    assert kinds(run_scan(store, [], ScanStatus.FAILED)) == {}
    open_ids = {s.finding_id for s in store.finding_states(SCOPE, status=Status.OPEN)}
    assert open_ids == {a.id, b.id, c.id}
    # the incomplete scan's findings are recorded like any other
    incomplete = store.scans(SCOPE)[1]
    assert incomplete.status is ScanStatus.INCOMPLETE
    assert {f.id for f in store.findings(incomplete.id)} == {b.id, c.id}
    # the next complete scan resolves what it no longer sees
    assert kinds(run_scan(store, [c])) == {a.id: K.RESOLVED, b.id: K.RESOLVED, c.id: K.STILL_OPEN}


def test_scopes_are_independent(store: Store) -> None:
    a = finding("a")
    other = "aws:210987654321:s3:all-regions"
    assert kinds(run_scan(store, [a])) == {a.id: K.OPENED}
    assert kinds(run_scan(store, [a], scope=other)) == {a.id: K.OPENED}
    assert kinds(run_scan(store, [], scope=other)) == {a.id: K.RESOLVED}
    assert [s.status for s in store.finding_states(SCOPE)] == [Status.OPEN]
    assert kinds(run_scan(store, [a])) == {a.id: K.STILL_OPEN}
    assert [t.kind for t in store.finding_history(a.id, scope=other)] == [K.OPENED, K.RESOLVED]
    assert store.scopes() == sorted([SCOPE, other])
    assert store.latest_scan(other) == store.scans(other, limit=1)[0]


def test_severity_change_and_exemption(store: Store) -> None:
    a = finding("a", severity=Severity.MEDIUM)
    run_scan(store, [a])
    [t] = run_scan(store, [finding("a", severity=Severity.CRITICAL)])
    assert (t.kind, t.previous_severity, t.severity) == (
        K.SEVERITY_CHANGED,
        Severity.MEDIUM,
        Severity.CRITICAL,
    )
    exempt = finding("a", severity=Severity.CRITICAL, status=Status.EXEMPT)
    assert kinds(run_scan(store, [exempt])) == {a.id: K.EXEMPTED}
    assert kinds(run_scan(store, [exempt])) == {}  # still exempt: nothing to say
    assert [s.status for s in store.finding_states(SCOPE)] == [Status.EXEMPT]
    assert kinds(run_scan(store, [a])) == {a.id: K.REOPENED}  # the exemption was removed
    assert kinds(run_scan(store, [exempt])) == {a.id: K.EXEMPTED}
    assert kinds(run_scan(store, [])) == {a.id: K.RESOLVED}
    assert kinds(run_scan(store, [exempt])) == {a.id: K.EXEMPTED}


def test_finish_records_status_gaps_error_and_meta(store: Store) -> None:
    scan_id = store.start_scan(SCOPE, {"endpoint": "http://localhost:5000", "regions": ["a"]})
    gap = Gap("s3", "GetBucketPolicy", "AccessDenied on GetBucketPolicy", "AccessDenied", "arn:b")
    store.finish_scan(scan_id, "incomplete", [gap], "region b timed out", {"buckets": 3})
    record = store.scan(scan_id)
    assert record.status is ScanStatus.INCOMPLETE and record.finished
    assert record.gaps == (gap,)
    assert record.error == "region b timed out"
    assert record.meta == {"endpoint": "http://localhost:5000", "regions": ["a"], "buckets": 3}
    assert record.finished_at is not None and record.finished_at > record.started_at
    assert record.started_at.tzinfo is not None and record.started_at.utcoffset() == timedelta(0)


def test_a_finished_scan_takes_no_more_data(store: Store) -> None:
    scan_id = store.start_scan(SCOPE)
    store.finish_scan(scan_id, ScanStatus.COMPLETE)
    with pytest.raises(StoreError, match="already complete"):
        store.finish_scan(scan_id, ScanStatus.INCOMPLETE)
    with pytest.raises(StoreError, match="takes no more data"):
        store.add_findings(scan_id, [finding("a")])
    with pytest.raises(StoreError, match="takes no more data"):
        store.add_resource(scan_id, bucket("a"), None)
    with pytest.raises(ValueError):
        store.finish_scan(store.start_scan(SCOPE), ScanStatus.RUNNING)
    with pytest.raises(ValueError):
        store.add_findings(store.start_scan(SCOPE), [finding("r", status=Status.RESOLVED)])


def test_unknown_ids_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.scan("nope")
    with pytest.raises(NotFound):
        store.findings("nope")
    with pytest.raises(NotFound):
        store.transitions("nope")
    with pytest.raises(NotFound):
        store.resources("nope")
    with pytest.raises(NotFound):
        store.finish_scan("nope", ScanStatus.COMPLETE)
    with pytest.raises(NotFound):
        store.add_findings("nope", [finding("a")])
    with pytest.raises(NotFound):
        store.finding_history("0" * 20)
    assert store.latest_scan() is None
    assert store.findings() == []


def test_recover_marks_abandoned_scans_incomplete(store: Store, clock: Clock) -> None:
    a, b = finding("a"), finding("b")
    run_scan(store, [a])
    abandoned = store.start_scan(SCOPE)
    store.add_findings(abandoned, [b])
    cutoff = clock.now + timedelta(microseconds=1)
    alive = store.start_scan(SCOPE)
    assert store.recover(started_before=cutoff) == [abandoned]
    record = store.scan(abandoned)
    assert record.status is ScanStatus.INCOMPLETE
    assert "abandoned" in record.error
    assert kinds(store.transitions(abandoned)) == {b.id: K.OPENED}  # a is not resolved
    assert store.scan(alive).status is ScanStatus.RUNNING
    assert store.recover(scope="another scope") == []
    assert store.recover() == [alive]


def test_record_context_manager_never_leaves_a_clean_result(store: Store) -> None:
    a = finding("a")
    with store.record(SCOPE) as run:
        run.add_findings([a])
        run.add_resource(bucket("a"), None)
        assert kinds(run.finish(ScanStatus.COMPLETE)) == {a.id: K.OPENED}
    assert store.scan(run.id).status is ScanStatus.COMPLETE

    with store.record(SCOPE) as forgot:
        forgot.add_resources([(bucket("x"), None)])
    record = store.scan(forgot.id)
    assert record.status is ScanStatus.INCOMPLETE and "without a verdict" in record.error

    with pytest.raises(RuntimeError, match="boom"), store.record(SCOPE) as crashed:
        raise RuntimeError("boom")
    record = store.scan(crashed.id)
    assert (record.status, record.error) == (ScanStatus.FAILED, "RuntimeError: boom")
    assert kinds(store.transitions(crashed.id)) == {}  # failed: a stays open
    assert [s.status for s in store.finding_states(SCOPE)] == [Status.OPEN]


def test_concurrent_finishes_in_one_scope_are_serialized(db_url: str) -> None:
    a = finding("a")
    with Store(db_url) as first, Store(db_url) as second:
        ids = [s.start_scan(SCOPE) for s in (first, second)]
        for s, scan_id in zip((first, second), ids, strict=True):
            s.add_findings(scan_id, [a])
        results: list[list[Transition]] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def finish(s: Store, scan_id: str) -> None:
            barrier.wait()
            try:
                results.append(s.finish_scan(scan_id, ScanStatus.COMPLETE))
            except BaseException as e:
                errors.append(e)

        threads = [
            threading.Thread(target=finish, args=(s, i))
            for s, i in zip((first, second), ids, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(t.kind for r in results for t in r) == [K.OPENED, K.STILL_OPEN]
