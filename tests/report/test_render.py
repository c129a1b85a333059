"""Rendering: ordering, the data line of classified findings, inert untrusted text."""

from __future__ import annotations

import io

from rich.console import Console

from andon.core.model import Access, Exposure, Finding, Level, Severity, Status
from andon.report.render import data_line, print_table, sort_findings


def finding(rule: str, sev: Severity, status: Status = Status.OPEN, **evidence: object) -> Finding:
    return Finding(
        rule_id=rule,
        title=rule,
        severity=sev,
        resource={"uid": f"arn:aws:s3:::{rule}", "name": "b\x1b[31m", "region": "r"},
        exposure=Exposure(Level.PUBLIC, frozenset({Access.READ}), reasons=("why <b>",)),
        status=status,
        evidence=evidence,
    )


def test_most_severe_first_open_before_exempt() -> None:
    fs = [
        finding("a", Severity.LOW),
        finding("b", Severity.CRITICAL, Status.EXEMPT),
        finding("c", Severity.CRITICAL),
    ]
    assert [f.rule_id for f in sort_findings(fs)] == ["c", "b", "a"]


def test_data_line_states_counts_subjects_and_rating() -> None:
    data = {
        "classified": True,
        "types": {"vin": 1200, "geo_coordinates": 5000},
        "subjects": {"vehicle": 1100, "person": 0},
        "inspected_fraction": 0.25,
        "severity": {"base": "high", "rated": "critical"},
    }
    assert data_line(data) == (
        "geo_coordinates 5,000, vin 1,200; ~1,100 vehicles; 25% inspected; severity high → critical"
    )
    assert data_line({"classified": False, "reason": "AccessDenied"}) == (
        "not classified (AccessDenied)"
    )
    assert data_line({"classified": True}) == "nothing recognizable"


def test_table_shows_data_and_keeps_controls_inert() -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=200, force_terminal=False)
    f = finding("s3.bucket.public_read", Severity.CRITICAL, data={"classified": True})
    print_table(console, [f], [])
    out = buf.getvalue()
    assert "data: nothing recognizable" in out
    assert "\x1b" not in out and "\\x1b" in out
