"""The incident report: APPI thresholds and deadlines at their edges, GDPR's 72 hours, the
awareness time, escaping of hostile names, the SVG timeline."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from andon.investigate.impact import impact_of
from andon.investigate.records import Awareness
from andon.report.incident import IncidentOptions, build_incident, mask_ip, to_json, to_markdown
from andon.report.incident_appi import JST, day_end, deadlines, decision, triggers
from andon.report.incident_html import to_html

DETECTED = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 2, 0, 0, tzinfo=UTC)


def data(persons: int, complete: bool = True, cards: int = 0) -> dict[str, Any]:
    types = {"vin": persons, "email": persons} | ({"payment_card": cards} if cards else {})
    return {
        "classified": True,
        "types": types,
        "subjects": {"person": persons, "vehicle": persons},
        "inspected_fraction": 1.0 if complete else 0.1,
        "complete": complete,
        "objects_listed": 5,
        "objects_inspected": 5,
        "sensitivity": "high",
        **({} if complete else {"estimated_total": {"vin": persons * 10}}),
    }


def inv(
    persons: int = 1500,
    verdict: str = "accessed",
    name: str = "telematics",
    complete: bool = True,
    cards: int = 0,
) -> dict[str, Any]:
    return {
        "generated_at": NOW.isoformat(),
        "finding": {
            "id": "f" * 20,
            "rule": "s3.bucket.public_read",
            "title": "Bucket readable by anyone",
            "severity": "critical",
            "status": "resolved",
            "resource": {
                "uid": f"arn:aws:s3:::{name}",
                "name": name,
                "kind": "storage.bucket",
                "type": "AWS::S3::Bucket",
                "account": "123456789012",
                "region": "ap-northeast-1",
            },
            "exposure": {"level": "PUBLIC", "access": ["read"], "reasons": [f"policy on {name}"]},
        },
        "window": {
            "start": "2026-03-30T00:00:00+00:00",
            "start_established": True,
            "exposed_since_at_least": "2026-03-30T00:00:00+00:00",
            "not_before": "2026-03-29T00:00:00+00:00",
            "start_statement": f"Established: made public by PutBucketPolicy on {name}",
            "detected": DETECTED.isoformat(),
            "end": "2026-04-01T06:00:00+00:00",
            "open": False,
            "end_statement": "Closed by DeleteBucketPolicy",
        },
        "timeline": [
            {
                "at": "2026-03-30T00:00:00+00:00",
                "source": "cloudtrail",
                "what": "PutBucketPolicy",
                "effect": "opens",
                "detail": "public",
                "actor": f"arn:aws:iam::123456789012:user/{name}",
                "source_ip": "198.51.100.7",
                "user_agent": name,
            },
            {
                "at": DETECTED.isoformat(),
                "source": "andon",
                "what": "scan: opened",
                "effect": "detected",
                "detail": "",
            },
        ],
        "access": {
            "verdict": verdict,
            "statement": "statement",
            "outside": {
                "requests": 3,
                "succeeded": 2,
                "denied_or_failed": 1,
                "by_principal": {"anonymous": 3},
                "bytes_sent": 10,
                "distinct_ips": 2,
                "ips": ["203.0.113.9", "2001:db8::1"],
                "distinct_objects": 1,
                "objects": ["customers/taro@example.com.csv"],
                "first": "2026-03-31T00:00:00+00:00",
                "last": "2026-03-31T01:00:00+00:00",
            },
            "coverage": [],
            "missing": [{"source": "logs", "from": None, "to": None, "why": "no records"}],
        },
        "impact": impact_of({"data": data(persons, complete, cards)}).to_dict(),
    }


def report(
    i: dict[str, Any], recorded: list[Awareness] | None = None, **opts: Any
) -> dict[str, Any]:
    return build_incident(i, recorded or [], IncidentOptions(**opts), NOW)


def volume_state(r: dict[str, Any]) -> str:
    return next(t["state"] for t in r["appi"]["triggers"] if t["key"] == "volume")


def test_more_than_1000_persons_is_the_threshold() -> None:
    assert volume_state(report(inv(persons=1000))) == "no"
    assert volume_state(report(inv(persons=1001))) == "yes"
    assert report(inv(persons=1001))["appi"]["report_required"] == "required"
    r = report(inv(persons=1000), sensitive=False, unlawful=False)
    assert r["appi"]["report_required"] == "not_required"
    assert volume_state(report(inv(persons=5), persons=1001)) == "yes"
    assert volume_state(report(inv(persons=5000), persons=1000)) == "no"


def test_a_partial_inspection_cannot_exclude_more_than_1000() -> None:
    # 200 seen in 10 %, 2,000 VIN occurrences extrapolated: more than 1,000 is possible
    assert volume_state(report(inv(persons=200, complete=False))) == "possible"
    # 20 seen, 200 extrapolated: nothing says more than 1,000, but nothing excludes it
    assert volume_state(report(inv(persons=20, complete=False))) == "unknown"


def test_payment_cards_make_one_person_reportable() -> None:
    r = report(inv(persons=1, cards=1), sensitive=False, unlawful=False)
    assert r["appi"]["report_required"] == "required"
    assert "financial" in r["appi"]["report_required_why"].lower()


def test_no_outside_access_in_complete_logs_is_no_leak() -> None:
    r = report(inv(persons=50_000, verdict="no_outside_access"))
    assert r["appi"]["leak"] == "no_leak" and r["appi"]["report_required"] == "not_required"
    r = report(inv(persons=50_000, verdict="undetermined"))
    assert r["appi"]["leak"] == "possible_leak" and r["appi"]["report_required"] == "required"


def test_unknowns_only_leave_the_decision_to_a_person() -> None:
    found = triggers(impact_of({"data": data(10)}), sensitive=None, unlawful=None, persons=None)
    assert decision("leak", found)[0] == "to_decide"


def _final(aware: datetime, unlawful: bool = False) -> datetime:
    return deadlines(aware, unlawful)[-1].due


def test_deadlines_count_days_in_japan_time_from_the_day_of_awareness() -> None:
    # 14:59:59 UTC is 23:59:59 JST on April 1: day 1 is April 1 (JST)
    late_utc = datetime(2026, 4, 1, 14, 59, 59, tzinfo=UTC)
    assert _final(late_utc) == datetime(2026, 4, 30, 23, 59, 59, tzinfo=JST)
    # one second later it is April 2 in Japan: every deadline moves a day
    next_day = late_utc + timedelta(seconds=1)
    assert _final(next_day) == datetime(2026, 5, 1, 23, 59, 59, tzinfo=JST)
    assert deadlines(next_day, False)[0].due == datetime(2026, 4, 4, 23, 59, 59, tzinfo=JST)
    assert deadlines(next_day, False)[1].due == datetime(2026, 4, 6, 23, 59, 59, tzinfo=JST)
    assert _final(next_day, unlawful=True) == datetime(2026, 5, 31, 23, 59, 59, tzinfo=JST)


def test_weekends_do_not_move_a_deadline() -> None:
    aware = datetime(2026, 4, 5, 1, 0, tzinfo=JST)  # day 30 is Monday May 4 (a holiday)
    due = _final(aware)
    assert due.date().isoformat() == "2026-05-04"
    saturday = day_end(datetime(2026, 4, 2, 9, 0, tzinfo=JST), 3)
    assert saturday.weekday() == 5 and saturday.day == 4  # day 3 on a Saturday stays there


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    )
)
def test_final_deadline_is_the_end_of_day_30_in_jst(aware: datetime) -> None:
    due = _final(aware)
    first = aware.astimezone(JST).date()
    assert (due.date() - first).days == 29 and due.astimezone(JST).hour == 23
    assert due > aware + timedelta(days=29)


def test_gdpr_72_hours_and_both_zones_shown() -> None:
    aware = datetime(2026, 4, 1, 20, 30, tzinfo=UTC)
    r = report(inv(), aware_at=aware)
    g = r["gdpr"]
    assert g["deadline"] == (aware + timedelta(hours=72)).isoformat()
    assert (
        g["deadline_utc"] == "2026-04-04 20:30:00 UTC"
        and g["deadline_jst"] == "2026-04-05 05:30:00 JST"
    )
    assert not g["overdue"]
    assert report(inv(), aware_at=NOW - timedelta(hours=73))["gdpr"]["overdue"]


def test_awareness_given_then_recorded_then_assumed_detection() -> None:
    recorded = [Awareness(DETECTED + timedelta(hours=2), NOW, "ops", "alert", "")]
    given_at = DETECTED + timedelta(hours=5)
    assert report(inv(), recorded, aware_at=given_at)["awareness"]["at"] == given_at.isoformat()
    r = report(inv(), recorded)
    assert r["awareness"]["at"] == (DETECTED + timedelta(hours=2)).isoformat()
    assert "ops" in r["awareness"]["source"] and not r["awareness"]["assumed"]
    r = report(inv())
    assert r["awareness"]["assumed"] and r["awareness"]["at"] == DETECTED.isoformat()
    assert r["awareness"]["at_jst"] == "2026-04-01 12:00:00 JST"


def test_rule_8_items_are_all_there_and_person_only_ones_marked() -> None:
    items = report(inv())["appi"]["items"]
    assert [i["no"] for i in items] == [str(n) for n in range(1, 10)]
    marker = report(inv())["to_fill_marker"]
    by_person = {i["no"] for i in items if i["filled_by"] == "person"}
    assert by_person == {"6", "7"} and all(marker in items[int(n) - 1]["text"] for n in by_person)
    assert "1,500" in items[2]["text"] and "車台番号" in items[1]["text"]


def test_ips_are_masked_and_object_keys_never_listed() -> None:
    r = report(inv())
    assert r["access"]["outside"]["ips"] == ["2001:…", "203.x.x.x"]
    assert "objects" not in r["access"]["outside"]
    for text in (to_json(r), to_markdown(r), to_html(r)):
        assert "203.0.113.9" not in text and "taro@example.com" not in text
    assert mask_ip("garbage") == "x"


HOSTILE = '<script>alert(1)</script>"\x1b[31m|*[x](javascript:y)'


def test_hostile_names_are_inert_in_every_format() -> None:
    r = report(inv(name=HOSTILE))
    page = to_html(r)
    assert "<script>" not in page and "\x1b" not in page and "&lt;script&gt;" in page
    assert page.count("<svg") == 1 and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "https://" not in page and "<link" not in page and "<img" not in page
    md = to_markdown(r)
    assert "<script>" not in md and "\x1b" not in md
    assert re.search(r"(?<!\\)\]\(", md) is None  # no live link: every ] is escaped
    text = to_json(r)
    assert "<script>" not in text
    assert json.loads(text)["finding"]["resource"]["name"] == HOSTILE


def test_the_svg_shows_window_changes_accesses_detection_and_fix() -> None:
    page = to_html(report(inv()))
    svg = re.search(r"<svg.*</svg>", page, re.S)
    assert svg is not None
    body = svg.group(0)
    assert 'fill="#d33"' in body  # the exposure window and the opening change
    assert 'fill="#e80"' in body  # outside accesses
    assert ">detected<" in body and ">fixed<" in body


@pytest.mark.parametrize("fmt", [to_json, to_markdown, to_html])
def test_every_format_carries_labels_in_both_languages(fmt: Any) -> None:
    text = fmt(report(inv()))
    if fmt is to_json:
        text = json.loads(text).__repr__()
    for label in ("概要", "Overview", "再発防止", "Measures against recurrence", "確報"):
        assert label in text
