"""Property: after any sequence of scans, state and transitions equal a simple model."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import finding

from andon.core.model import Severity, Status
from andon.store import ScanStatus, Store, TransitionKind
from andon.store.lifecycle import Entry, plan

K = TransitionKind
NAMES = ["a", "b", "c", "d"]
SCOPES = ["one", "two"]

produced_findings = st.dictionaries(
    st.sampled_from(NAMES),
    st.tuples(
        st.sampled_from([Severity.LOW, Severity.HIGH]),
        st.sampled_from([Status.OPEN, Status.OPEN, Status.EXEMPT]),
    ),
    max_size=len(NAMES),
)
scans = st.lists(
    st.tuples(
        st.sampled_from(SCOPES),
        st.sampled_from([ScanStatus.COMPLETE, ScanStatus.INCOMPLETE, ScanStatus.FAILED]),
        produced_findings,
    ),
    min_size=1,
    max_size=8,
)

Model = dict[str, tuple[Status, Severity]]  # finding name -> (status, severity), one scope


def model_step(
    state: Model, status: ScanStatus, produced: dict[str, tuple[Severity, Status]]
) -> dict[str, TransitionKind]:
    """The semantics, spelled out naively."""
    expected: dict[str, TransitionKind] = {}
    before = dict(state)
    for name, (severity, seen_as) in produced.items():
        prev = before.get(name)
        if seen_as is Status.EXEMPT:
            if prev is None or prev[0] is not Status.EXEMPT:
                expected[name] = K.EXEMPTED
        elif prev is None:
            expected[name] = K.OPENED
        elif prev[0] is Status.OPEN:
            expected[name] = K.STILL_OPEN if prev[1] is severity else K.SEVERITY_CHANGED
        else:
            expected[name] = K.REOPENED
        state[name] = (seen_as, severity)
    if status is ScanStatus.COMPLETE:
        for name, (was, severity) in before.items():
            if name not in produced and was is not Status.RESOLVED:
                expected[name] = K.RESOLVED
                state[name] = (Status.RESOLVED, severity)
    return expected


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=scans)
def test_store_follows_the_model(
    store: Store,
    sequence: list[tuple[str, ScanStatus, dict[str, tuple[Severity, Status]]]],
) -> None:
    run = uuid.uuid4().hex[:8]  # each example gets its own scopes in the shared database
    models: dict[str, Model] = {scope: {} for scope in SCOPES}
    ids = {finding(name).id: name for name in NAMES}
    for scope, status, produced in sequence:
        scan_id = store.start_scan(f"{run}:{scope}")
        store.add_findings(
            scan_id,
            [finding(n, severity=sev, status=seen_as) for n, (sev, seen_as) in produced.items()],
        )
        transitions = store.finish_scan(scan_id, status)

        expected = model_step(models[scope], status, produced)
        assert {ids[t.finding_id]: t.kind for t in transitions} == expected
        assert len(transitions) == len(expected)
        assert store.transitions(scan_id) == transitions
        if status is not ScanStatus.COMPLETE:
            assert K.RESOLVED not in expected.values()
        for other in SCOPES:
            states = store.finding_states(f"{run}:{other}")
            assert {ids[s.finding_id]: (s.status, s.severity) for s in states} == models[other]


@settings(max_examples=300, deadline=None)
@given(sequence=scans)
def test_lifecycle_plan_follows_the_model(
    sequence: list[tuple[str, ScanStatus, dict[str, tuple[Severity, Status]]]],
) -> None:
    models: dict[str, Model] = {scope: {} for scope in SCOPES}
    for scope, status, produced in sequence:
        state = {n: Entry(st_, sev, "rule") for n, (st_, sev) in models[scope].items()}
        now = {n: Entry(seen_as, sev, "rule") for n, (sev, seen_as) in produced.items()}
        changes = plan(state, now, status)
        expected = model_step(models[scope], status, produced)
        assert {c.finding_id: c.kind for c in changes if c.kind is not None} == expected
        after = {**{n: (e.status, e.severity) for n, e in state.items()}}
        after.update({c.finding_id: (c.after.status, c.after.severity) for c in changes})
        assert after == models[scope]
