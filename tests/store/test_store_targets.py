"""Targeted scans: they record their targets, resolve only their targets' findings, compose with
full scans in the same scope, and never let an older observation override a newer one.

Every test runs on SQLite and on PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import finding

from andon.core.model import Finding, Severity, Status
from andon.store import ScanStatus, Store, Transition, TransitionKind

K = TransitionKind
SCOPE = "aws:123456789012:all:us-east-1"


def uid(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def scan(
    store: Store,
    findings: list[Finding],
    *,
    targets: list[str] | None = None,
    status: ScanStatus = ScanStatus.COMPLETE,
    scope: str = SCOPE,
) -> list[Transition]:
    scan_id = store.start_scan(scope, {"by": "test"}, targets=targets)
    store.add_findings(scan_id, findings)
    return store.finish_scan(scan_id, status)


def kinds(transitions: list[Transition]) -> dict[str, TransitionKind]:
    return {t.finding_id: t.kind for t in transitions}


def open_ids(store: Store, scope: str = SCOPE) -> set[str]:
    return {s.finding_id for s in store.finding_states(scope, status=Status.OPEN)}


def test_a_targeted_scan_resolves_its_targets_only(store: Store) -> None:
    a, b, c = finding("a"), finding("b"), finding("c")
    a2 = finding("a", rule="s3.public_write")
    scan(store, [a, a2, b, c])
    # a was fixed (both of its findings gone); b is still public but not re-read
    got = scan(store, [], targets=[uid("a")])
    assert kinds(got) == {a.id: K.RESOLVED, a2.id: K.RESOLVED}
    assert open_ids(store) == {b.id, c.id}


def test_a_deleted_target_resolves_and_an_unread_one_does_not(store: Store) -> None:
    a, b = finding("a"), finding("b")
    scan(store, [a, b])
    # target a was deleted: re-collected as nothing, so the complete scan produced nothing
    assert kinds(scan(store, [], targets=[uid("a")])) == {a.id: K.RESOLVED}
    # a target with no findings at all (a new private bucket) changes nothing
    assert kinds(scan(store, [], targets=[uid("new")])) == {}
    assert open_ids(store) == {b.id}


def test_a_targeted_scan_opens_and_keeps_open_like_any_scan(store: Store) -> None:
    a, b = finding("a"), finding("b")
    scan(store, [a])
    worse = finding("a", severity=Severity.CRITICAL)
    got = scan(store, [worse, b], targets=[uid("a"), uid("b")])
    assert kinds(got) == {a.id: K.SEVERITY_CHANGED, b.id: K.OPENED}
    # a finding produced outside the targets is recorded (opened) but nothing else moves
    c = finding("c")
    assert kinds(scan(store, [c], targets=[uid("b")])) == {c.id: K.OPENED, b.id: K.RESOLVED}
    assert open_ids(store) == {a.id, c.id}


@pytest.mark.parametrize("status", [ScanStatus.INCOMPLETE, ScanStatus.FAILED])
def test_an_incomplete_targeted_scan_resolves_nothing(store: Store, status: ScanStatus) -> None:
    a, b = finding("a"), finding("b")
    scan(store, [a])
    got = scan(store, [b], targets=[uid("a"), uid("b")], status=status)
    assert kinds(got) == {b.id: K.OPENED}
    assert open_ids(store) == {a.id, b.id}


def test_targets_are_recorded_and_validated(store: Store) -> None:
    scan_id = store.start_scan(SCOPE, {"watch": {"trigger": "event"}}, targets=["b", "a", "a"])
    record = store.scan(scan_id)
    assert record.targets == ("a", "b") and record.targeted
    assert record.meta["watch"] == {"trigger": "event"}
    store.finish_scan(scan_id, ScanStatus.COMPLETE, meta={"targets": ["forged"]})
    assert store.scan(scan_id).targets == ("a", "b")  # finish meta cannot rewrite targets
    full = store.start_scan(SCOPE)
    assert store.scan(full).targets is None and not store.scan(full).targeted
    assert store.scan(store.start_scan(SCOPE, targets=[])).targets == ()
    with pytest.raises(ValueError, match="reserved"):
        store.start_scan(SCOPE, {"targets": ["x"]})
    with pytest.raises(ValueError, match="not one string"):
        store.start_scan(SCOPE, targets="arn:aws:s3:::a")
    with pytest.raises(ValueError, match="non-empty"):
        store.start_scan(SCOPE, targets=["ok", ""])


def test_record_context_manager_takes_targets(store: Store) -> None:
    a = finding("a")
    scan(store, [a])
    with store.record(SCOPE, targets=[uid("a")]) as run:
        assert kinds(run.finish(ScanStatus.COMPLETE)) == {a.id: K.RESOLVED}
    with store.record(SCOPE, targets=[uid("b")]) as forgot:
        pass
    assert store.scan(forgot.id).status is ScanStatus.INCOMPLETE


def test_latest_scan_and_findings_skip_targeted_scans(store: Store) -> None:
    a, b = finding("a"), finding("b")
    scan(store, [a, b])
    full = store.latest_scan(SCOPE)
    scan(store, [], targets=[uid("a")])
    assert store.latest_scan(SCOPE) == full
    assert store.latest_scan() == full
    assert store.latest_scan(SCOPE, complete_only=True) == full
    latest = store.latest_scan(SCOPE, targeted=True)
    assert latest is not None and latest.targets == (uid("a"),)
    assert {f.id for f in store.findings(scope=SCOPE)} == {a.id, b.id}
    assert store.findings(latest.id) == []


def test_a_sweep_that_read_before_the_event_does_not_undo_the_targeted_verdict(
    store: Store,
) -> None:
    x, y, z = finding("x"), finding("y"), finding("z")
    scan(store, [y])
    sweep = store.start_scan(SCOPE)  # reads x (private) and y (public) and z (public)...
    store.add_findings(sweep, [y, z])
    # ... then an event: x made public, y fixed; their targeted scans finish first
    assert kinds(scan(store, [x], targets=[uid("x")])) == {x.id: K.OPENED}
    assert kinds(scan(store, [], targets=[uid("y")])) == {y.id: K.RESOLVED}
    # the sweep's older observations of x and y are superseded; z is the sweep's own news
    assert kinds(store.finish_scan(sweep, ScanStatus.COMPLETE)) == {z.id: K.OPENED}
    assert open_ids(store) == {x.id, z.id}


def test_a_targeted_scan_overtaken_by_a_full_scan_changes_nothing(store: Store) -> None:
    a, b = finding("a"), finding("b")
    scan(store, [a])
    late = store.start_scan(SCOPE, targets=[uid("a"), uid("b")])
    store.add_findings(late, [b])
    scan(store, [a])  # a full scan started later and finished first
    assert store.finish_scan(late, ScanStatus.COMPLETE) == []
    assert open_ids(store) == {a.id}


def test_an_incomplete_newer_targeted_scan_supersedes_nothing(store: Store) -> None:
    x = finding("x")
    scan(store, [x])
    sweep = store.start_scan(SCOPE)
    scan(store, [], targets=[uid("x")], status=ScanStatus.INCOMPLETE)
    assert kinds(store.finish_scan(sweep, ScanStatus.COMPLETE)) == {x.id: K.RESOLVED}


NAMES = ["a", "b", "c", "d", "e", "f"]
RULES = ["s3.public_read", "s3.public_write"]
FINDINGS = st.sets(st.tuples(st.sampled_from(NAMES), st.sampled_from(RULES)))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=FINDINGS,
    produced=FINDINGS,
    targets=st.sets(st.sampled_from(NAMES)),
    complete=st.booleans(),
)
def test_property_a_targeted_scan_touches_only_its_targets(
    store: Store,
    before: set[tuple[str, str]],
    produced: set[tuple[str, str]],
    targets: set[str],
    complete: bool,
) -> None:
    scope = f"aws:property:{uuid.uuid4().hex}"
    produced = {(n, r) for n, r in produced if n in targets}  # a rescan yields its targets
    old = [finding(n, rule=r) for n, r in sorted(before)]
    new = [finding(n, rule=r) for n, r in sorted(produced)]
    scan(store, old, scope=scope)
    status = ScanStatus.COMPLETE if complete else ScanStatus.INCOMPLETE
    got = kinds(
        scan(
            store,
            new,
            targets=[uid(n) for n in targets],
            status=status,
            scope=scope,
        )
    )
    resolved = {fid for fid, kind in got.items() if kind is K.RESOLVED}
    of_targets = {f.id for f in old if f.resource["uid"] in {uid(n) for n in targets}}
    new_ids = {f.id for f in new}
    if complete:
        assert resolved == of_targets - new_ids
    else:
        assert resolved == set()
    untouched = {f.id for f in old} - of_targets
    assert untouched <= open_ids(store, scope)  # nobody else's finding moved
    assert not (set(got) & untouched)
    assert open_ids(store, scope) == ({f.id for f in old} - resolved) | new_ids
