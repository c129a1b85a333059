"""What goes in comes out: streaming writes, crashes, hostile strings, database errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.pool import NullPool
from store_helpers import bucket, finding

from andon.core.errors import StoreError
from andon.core.model import Access, Exposure, Finding, Gap, Level, Resource, Severity, Status
from andon.store import ScanStatus, Store, normalize_url

SCOPE = "aws:123456789012:s3:all-regions"

HOSTILE = [
    "",
    "<script>alert('x')</script>",
    "'; DROP TABLE andon_scan; --",
    "\x00",
    "a\x00b",
    '\x1bandon:json:"not really"',
    "\x1b[31mred\x1b[0m\x07\x08\x0b\x0c\x7f",
    "line\r\nbreak\u2028\u2029",
    "\u202egnp.exe",
    "\U0001f600 café 東京 \ufeff\ufffd",
    "\\u0000 \\n \\\\",
    '{"json": "inside"}',
    "%(interpolation)s %% {braces}",
]

text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**62), max_value=2**62)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def test_streamed_data_survives_a_crash_and_stays_running(db_url: str) -> None:
    """A process adds in batches, then dies without finishing: what it added is readable."""
    script = textwrap.dedent(
        """
        import os, sys
        sys.path.insert(0, sys.argv[2])
        from store_helpers import bucket, finding
        from andon.store import Store

        store = Store(sys.argv[1], batch_size=2)
        scan_id = store.start_scan("crash-scope", {"regions": ["eu-west-1"]})
        print(scan_id, flush=True)
        for i in range(5):
            store.add_resource(scan_id, bucket(f"b{i}"), None)
        store.add_findings(scan_id, (finding(f"b{i}") for i in range(5)))
        os._exit(9)  # no finish, no close, no cleanup
        """
    )
    here = str(Path(__file__).parent)
    done = subprocess.run(
        [sys.executable, "-c", script, db_url, here],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr
    scan_id = done.stdout.strip()
    with Store(db_url) as store:
        record = store.scan(scan_id)
        assert record.status is ScanStatus.RUNNING
        assert (record.resource_count, record.finding_count) == (5, 5)
        assert [r.resource for r in store.resources(scan_id)] == [bucket(f"b{i}") for i in range(5)]
        assert store.findings(scan_id) == [finding(f"b{i}") for i in range(5)]
        assert store.findings() == []  # a running scan is never "the latest result"
        assert store.recover("crash-scope") == [scan_id]
        assert store.scan(scan_id).status is ScanStatus.INCOMPLETE


def test_batches_committed_before_a_failing_iterable_are_kept(store: Store) -> None:
    def findings() -> Iterator[Finding]:
        for i in range(7):  # batch_size is 3: two batches commit, the third never does
            if i == 6:
                raise RuntimeError("collector died")
            yield finding(f"b{i}")

    scan_id = store.start_scan(SCOPE)
    with pytest.raises(RuntimeError, match="collector died"):
        store.add_findings(scan_id, findings())
    assert [f.resource["name"] for f in store.findings(scan_id)] == [f"b{i}" for i in range(6)]


def test_duplicates_within_a_scan_keep_the_last_version(store: Store) -> None:
    scan_id = store.start_scan(SCOPE)
    store.add_resources(scan_id, [(bucket("a"), None), (bucket("a", account="2"), None)])
    store.add_resource(scan_id, bucket("a", account="3"), Exposure(Level.UNKNOWN))
    store.add_findings(scan_id, [finding("a", severity=Severity.LOW)] * 4)
    store.add_findings(scan_id, [finding("a", severity=Severity.CRITICAL)])
    [snap] = store.resources(scan_id)
    assert (snap.resource.account, snap.exposure) == ("3", Exposure(Level.UNKNOWN))
    assert [f.severity for f in store.findings(scan_id)] == [Severity.CRITICAL]


def test_findings_filters_and_latest(store: Store) -> None:
    first = store.start_scan(SCOPE)
    store.finish_scan(first, "complete")
    scan_id = store.start_scan(SCOPE)
    made = [
        finding("a", severity=Severity.HIGH),
        finding("b", severity=Severity.LOW, rule="s3.acl"),
        finding("c", severity=Severity.HIGH, status=Status.EXEMPT),
    ]
    store.add_findings(scan_id, made)
    assert store.findings() == []  # the newest finished scan is the empty first one
    store.finish_scan(scan_id, "complete")
    assert store.findings() == made
    assert store.findings(scope="elsewhere") == []
    assert store.findings(severity="high") == [made[0], made[2]]
    assert store.findings(rule="s3.acl") == [made[1]]
    assert store.findings(status=Status.EXEMPT) == [made[2]]
    assert store.findings(first) == []
    assert store.resources(scan_id, kind="storage.bucket") == []
    latest = store.latest_scan(SCOPE, complete_only=True)
    assert latest is not None and latest.id == scan_id and latest.finding_count == 3
    assert store.latest_scan("elsewhere") is None


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    strings=st.lists(text, min_size=12, max_size=12),
    attributes=st.dictionaries(text, json_values, max_size=4),
    tags=st.dictionaries(text, text, max_size=4),
    evidence=st.dictionaries(text, json_values, max_size=4),
    meta=st.dictionaries(text, json_values, max_size=4),
)
def test_hostile_strings_round_trip(
    store: Store,
    strings: list[str],
    attributes: dict[str, Any],
    tags: dict[str, str],
    evidence: dict[str, Any],
    meta: dict[str, Any],
) -> None:
    uid, name, account, region, kind, scope, rule, title, remediation, exemption, err, reason = (
        strings
    )
    resource = Resource(
        uid=uid,
        cloud="aws",
        account=account,
        region=region,
        kind=kind,
        native_type=title,
        name=name,
        origin=reason,
        attributes=attributes,
        tags=tags,
        gaps=(Gap(reason, err, name, title, uid, region),),
    )
    exposure = Exposure(
        Level.PUBLIC, frozenset({Access.READ}), frozenset(Access), (reason, err, title)
    )
    found = Finding(
        rule_id=rule,
        title=title,
        severity=Severity.CRITICAL,
        resource=resource.ref(),
        exposure=exposure,
        evidence=evidence,
        remediation=remediation,
        exemption=exemption,
    )
    scope = f"{scope}-{uuid.uuid4()}"  # examples share the database, not the scope
    scan_id = store.start_scan(scope, meta)
    store.add_resource(scan_id, resource, exposure)
    store.add_findings(scan_id, [found])
    [transition] = store.finish_scan(scan_id, "complete", [resource.gaps[0]], err)
    assert transition.rule_id == rule
    record = store.scan(scan_id)
    assert (record.scope, record.meta, record.error, record.gaps) == (
        scope,
        meta,
        err,
        resource.gaps,
    )
    [snap] = store.resources(scan_id, kind=kind)
    assert (snap.resource, snap.exposure) == (resource, exposure)
    assert store.findings(scan_id, rule=rule) == [found]
    assert store.findings(scope=scope) == [found]
    assert store.finding_states(scope)[0].rule_id == rule


def test_values_that_are_not_json_raise_store_error(store: Store) -> None:
    scan_id = store.start_scan(SCOPE)
    odd = Finding(
        rule_id="r",
        title="t",
        severity=Severity.LOW,
        resource=bucket("a").ref(),
        exposure=Exposure(Level.PUBLIC),
        evidence={"when": {1, 2}},
    )
    with pytest.raises(StoreError, match="JSON serializable"):
        store.add_findings(scan_id, [odd])
    with pytest.raises(StoreError):
        store.start_scan(SCOPE, {"ratio": float("nan")})
    with pytest.raises(StoreError, match="encode"):
        store.start_scan("lone surrogate \ud800")
    assert store.findings(scan_id) == []


def test_database_failures_become_store_errors(db_url: str) -> None:
    """Tables dropped under the store's feet: a database error, reported as StoreError."""
    with Store(db_url) as store:
        scan_id = store.start_scan(SCOPE)
        engine = sa.create_engine(normalize_url(db_url), poolclass=NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE andon_transition"))
        finally:
            engine.dispose()
        store.add_findings(scan_id, [finding("a")])
        with pytest.raises(StoreError, match=f"finish scan {scan_id}"):
            store.finish_scan(scan_id, "complete")
        assert store.scan(scan_id).status is ScanStatus.RUNNING  # rolled back
