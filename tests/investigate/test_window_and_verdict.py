"""Pure rules: the exposure window from the facts, principals, the access verdict, impact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.investigate.builders import (
    ACCOUNT,
    FOREIGN,
    OWNER_CANONICAL,
    PUBLIC_POLICY,
    T0,
    classified,
    log_line,
    trail_record,
)

from andon.investigate.access import (
    Coverage,
    OutsideAccess,
    Principal,
    Verdict,
    decide,
    requester_kind,
)
from andon.investigate.cloudtrail import effect, from_record
from andon.investigate.impact import impact_of
from andon.investigate.s3logs import parse_line
from andon.investigate.timeline import AndonFacts, Change, exposure_window

H = timedelta(hours=1)


def change(name: str, hours: float, **request: object) -> Change:
    e = from_record(trail_record(name, T0 + hours * H, "b", request=dict(request)))
    assert e is not None
    return Change(e, *effect(e))


def facts(
    clean: float | None = None, status: str = "open", resolved: float | None = None
) -> AndonFacts:
    return AndonFacts(
        first_seen=T0 + 10 * H,
        last_seen=T0 + 12 * H,
        status=status,
        resolved_at=T0 + resolved * H if resolved is not None else None,
        clean_before=T0 + clean * H if clean is not None else None,
    )


OPEN_POLICY = {"bucketPolicy": PUBLIC_POLICY}


def test_start_established_after_a_clean_scan() -> None:
    w = exposure_window(facts(clean=1), [change("PutBucketPolicy", 5, **OPEN_POLICY)], T0)
    assert w.established and w.start == T0 + 5 * H and w.not_before == T0 + H
    assert w.access_start() == T0 + 5 * H and w.open


def test_start_established_after_creation_and_the_last_opening_after_a_closing() -> None:
    changes = [
        change("CreateBucket", 0),
        change("PutBucketPolicy", 2, **OPEN_POLICY),
        change("DeleteBucketPolicy", 3),
        change("DeleteBucketPublicAccessBlock", 6),
        change("PutBucketPolicy", 7, **OPEN_POLICY),
    ]
    w = exposure_window(facts(), changes, T0)
    assert w.established and w.start == T0 + 6 * H
    assert "DeleteBucketPublicAccessBlock" in w.start_statement


def test_an_opening_without_an_earlier_boundary_is_only_a_bound() -> None:
    w = exposure_window(facts(), [change("PutBucketPolicy", 5, **OPEN_POLICY)], T0 + 4 * H)
    assert not w.established and w.exposed_since_at_least == T0 + 5 * H
    assert w.access_start() is None and "may have been public before" in w.start_statement


def test_no_opening_in_the_trail_gives_the_trail_start_as_earliest_bound() -> None:
    w = exposure_window(facts(), [change("PutBucketWebsite", 5)], T0 + 2 * H)
    assert not w.established and w.start is None
    assert w.exposed_since_at_least == T0 + 2 * H and "already exposed" in w.start_statement


def test_no_evidence_at_all_bounds_the_start_by_the_detection() -> None:
    w = exposure_window(facts(), [], None)
    assert w.exposed_since_at_least == T0 + 10 * H and not w.established


def test_between_a_clean_scan_and_detection_without_change_events() -> None:
    w = exposure_window(facts(clean=4), [], T0)
    assert not w.established and w.not_before == T0 + 4 * H and w.access_start() == T0 + 4 * H
    assert "began after" in w.start_statement


def test_end_from_a_closing_change_or_the_resolving_scan() -> None:
    closing = change("DeleteBucketPolicy", 13)
    w = exposure_window(facts(status="resolved", resolved=20), [closing], T0)
    assert w.end == T0 + 13 * H and not w.open
    w = exposure_window(facts(status="resolved", resolved=20), [], T0)
    assert w.end == T0 + 20 * H and "upper bound" in w.end_statement


def test_failed_changes_are_ignored() -> None:
    e = from_record(
        trail_record("PutBucketPolicy", T0 + 5 * H, "b", request=OPEN_POLICY, error="X")
    )
    assert e is not None
    w = exposure_window(facts(clean=1), [Change(e, *effect(e))], T0)
    assert not w.established


@pytest.mark.parametrize(
    "requester, kind",
    [
        ("-", Principal.ANONYMOUS),
        (OWNER_CANONICAL, Principal.OWN),
        ("a" * 64, Principal.FOREIGN),
        (f"arn:aws:iam::{ACCOUNT}:user/alice", Principal.OWN),
        (f"arn:aws:sts::{FOREIGN}:assumed-role/r/s", Principal.FOREIGN),
        ("arn:aws:iam::111111111111:user/partner", Principal.TRUSTED),
        ("svc:logging.s3.amazonaws.com", Principal.SERVICE),
        ("somebody", Principal.UNRECOGNIZED),
    ],
)
def test_requester_kinds(requester: str, kind: Principal) -> None:
    assert requester_kind(requester, OWNER_CANONICAL, ACCOUNT, frozenset({"111111111111"})) is kind


def _outside(start_h: float | None, end_h: float | None) -> OutsideAccess:
    return OutsideAccess(
        T0 + start_h * H if start_h is not None else None,
        T0 + end_h * H if end_h is not None else None,
    )


def test_verdict_needs_a_complete_source_over_the_whole_window() -> None:
    full = Coverage("logs", T0, T0 + 30 * H, True)
    assert decide(_outside(5, 20), [full], [])[0] is Verdict.NO_OUTSIDE_ACCESS
    late = Coverage("logs", T0 + 6 * H, T0 + 30 * H, True)
    verdict, _, missing = decide(_outside(5, 20), [late], [])
    assert verdict is Verdict.UNDETERMINED and missing[0]["why"] == "before the first record"
    broken = Coverage("logs", T0, T0 + 30 * H, False, ("1 log file(s) could not be read",))
    assert decide(_outside(5, 20), [broken], [])[0] is Verdict.UNDETERMINED
    assert decide(_outside(None, 20), [full], [])[0] is Verdict.UNDETERMINED  # start unknown
    assert decide(_outside(5, None), [full], [])[0] is Verdict.UNDETERMINED  # still open
    assert decide(_outside(5, 20), [], ["s3_server_access_logs"])[0] is Verdict.UNDETERMINED


@given(st.integers(min_value=0, max_value=40), st.sampled_from(["-", "a" * 64, OWNER_CANONICAL]))
def test_only_successful_outside_requests_in_the_window_mean_accessed(hour: int, who: str) -> None:
    out = _outside(5, 20)
    out.add_record(
        parse_line(log_line("b", T0 + hour * H, requester=who)),
        requester_kind(who, OWNER_CANONICAL, ACCOUNT),
    )
    refused = parse_line(log_line("b", T0 + 10 * H, status=403))
    out.add_record(refused, Principal.ANONYMOUS)
    verdict = decide(out, [Coverage("logs", T0, T0 + 40 * H, True)], [])[0]
    inside = 5 <= hour <= 20 and who != OWNER_CANONICAL
    assert (verdict is Verdict.ACCESSED) == inside
    assert out.denied == 1


def test_distinct_sets_are_bounded() -> None:
    out = OutsideAccess(None, None, max_distinct=3)
    for i in range(5):
        rec = parse_line(log_line("b", T0, ip=f"192.0.2.{i}", key=f"k{i}"))
        out.add_record(rec, Principal.ANONYMOUS)
    d = out.to_dict()
    assert d["distinct_ips"] == 3 and d["distinct_ips_at_least"] and d["distinct_objects_at_least"]
    assert d["succeeded"] == 5


def test_impact_reads_the_classification_on_the_finding() -> None:
    imp = impact_of({"data": classified(1001, complete=False, cards=3)})
    assert imp.classified and imp.persons_seen == 1001 and not imp.complete
    assert [i.type for i in imp.financial] == ["payment_card"]
    assert imp.items[0].label_ja == "メールアドレス"
    assert impact_of({}).classified is False
    assert impact_of({"data": {"classified": False, "reason": "budget"}}).reason == "budget"
