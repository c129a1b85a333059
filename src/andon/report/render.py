"""Findings as JSON (the documented contract), CSV, or a terminal table.

JSON contract (``andon scan --format json``; documented in ``docs/output.md``)::

    {
      "schema": "andon.scan/v1",
      "scan": {"id", "scope", "status", "started_at", "finished_at", "resources", "error"},
      "findings": [
        {"id", "rule", "title", "severity", "status",
         "resource": {"uid", "type", "kind", "account", "region", "name"},
         "exposure": {"level", "access", "latent", "latent_access", "unknown_access", "reasons"},
         "evidence", "remediation", "exemption"}
      ],
      "gaps": [{"service", "operation", "code", "reason", "resource", "region"}],
      "coverage": [{"account", "region", "service", "status", "reason", "resources"}],
      "summary": {"open", "exempt", "by_severity", "gaps", "exit_code", "coverage"}
    }

``coverage`` (and ``summary.coverage``, cells per status) appear for ``andon scan``, which
reads every (account, region, service) cell; ``status`` is ``complete``, ``partial`` or
``failed``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from andon.core.model import Finding, Gap, Severity, Status, sorted_access
from andon.report.safe import csv_cell, json_dumps, plain

SCHEMA = "andon.scan/v1"

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first; open before exempt; then by resource and rule for a stable order."""
    return sorted(
        findings,
        key=lambda f: (
            -f.severity.rank,
            f.status is not Status.OPEN,
            f.resource.get("uid", ""),
            f.rule_id,
        ),
    )


def summary(
    findings: Sequence[Finding], gaps: Sequence[Gap], exit_code: int | None = None
) -> dict[str, Any]:
    by_sev: dict[str, int] = {}
    for f in findings:
        if f.status is Status.OPEN:
            by_sev[f.severity.value] = by_sev.get(f.severity.value, 0) + 1
    out: dict[str, Any] = {
        "open": sum(1 for f in findings if f.status is Status.OPEN),
        "exempt": sum(1 for f in findings if f.status is Status.EXEMPT),
        "by_severity": by_sev,
        "gaps": len(gaps),
    }
    if exit_code is not None:
        out["exit_code"] = exit_code
    return out


def to_json(
    findings: Sequence[Finding],
    gaps: Sequence[Gap],
    scan: dict[str, Any] | None = None,
    exit_code: int | None = None,
    coverage: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """The JSON document; ``coverage`` (the estate scan's cells) adds a ``coverage`` list
    and per-status counts under ``summary.coverage``."""
    ordered = sort_findings(findings)
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "scan": scan or {},
        "findings": [f.to_dict() for f in ordered],
        "gaps": [g.to_dict() for g in gaps],
        "summary": summary(ordered, gaps, exit_code),
    }
    if coverage is not None:
        doc["coverage"] = [dict(c) for c in coverage]
        doc["summary"]["coverage"] = coverage_counts(coverage)
    return json_dumps(doc) + "\n"


def coverage_counts(coverage: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Cells per status: ``complete``, ``partial``, ``failed``."""
    counts = {"complete": 0, "partial": 0, "failed": 0}
    for cell in coverage:
        status = str(cell.get("status", ""))
        counts[status] = counts.get(status, 0) + 1
    return counts


COVERAGE_ROWS_PER_ACCOUNT = 20


def coverage_table(coverage: Sequence[Mapping[str, Any]]) -> Table:
    """The coverage summary: per account, every cell that is not complete (with its reason,
    at most :data:`COVERAGE_ROWS_PER_ACCOUNT`), then one line counting the complete ones."""
    table = Table(title="Coverage: the (account, region, service) cells Andon read")
    for col in ("Account", "Region", "Service", "Status"):
        table.add_column(col)
    table.add_column("Reason", overflow="fold")
    accounts: dict[str, list[Mapping[str, Any]]] = {}
    for cell in coverage:
        accounts.setdefault(str(cell.get("account", "")), []).append(cell)
    for account, cells in sorted(accounts.items()):
        bad = [c for c in cells if c.get("status") != "complete"]
        for c in bad[:COVERAGE_ROWS_PER_ACCOUNT]:
            status = str(c.get("status", ""))
            table.add_row(
                _t(account),
                _t(c.get("region", "")),
                _t(c.get("service", "")),
                _t(status, "bold red" if status == "failed" else "yellow"),
                _t(c.get("reason", "")),
            )
        if len(bad) > COVERAGE_ROWS_PER_ACCOUNT:
            more = len(bad) - COVERAGE_ROWS_PER_ACCOUNT
            table.add_row(_t(account), "", "", "", _t(f"and {more} more (--format json)"))
        done = len(cells) - len(bad)
        regions = len({c.get("region") for c in cells if c.get("status") == "complete"})
        services = len({c.get("service") for c in cells if c.get("status") == "complete"})
        table.add_row(
            _t(account),
            _t(f"{regions} regions" if not bad else "others"),
            _t(f"{services} services" if not bad else "others"),
            _t("complete", "green"),
            _t(f"{done} of {len(cells)} cells"),
        )
    return table


CSV_COLUMNS = [
    "id",
    "rule",
    "severity",
    "status",
    "resource_uid",
    "resource_type",
    "account",
    "region",
    "name",
    "level",
    "access",
    "latent_access",
    "reasons",
    "exemption",
]


def to_csv(findings: Sequence[Finding]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in sort_findings(findings):
        e = f.exposure.to_dict()
        row = [
            f.id,
            f.rule_id,
            f.severity.value,
            f.status.value,
            f.resource.get("uid", ""),
            f.resource.get("type", ""),
            f.resource.get("account", ""),
            f.resource.get("region", ""),
            f.resource.get("name", ""),
            e["level"],
            " ".join(e["access"]),
            " ".join(e["latent_access"]),
            " | ".join(e["reasons"]),
            f.exemption,
        ]
        writer.writerow([csv_cell(c) for c in row])
    return buf.getvalue()


def _t(text: object, style: str = "") -> Text:
    """A rich Text from untrusted data: never parsed as markup, controls made visible."""
    return Text(plain(text), style=style)


def findings_table(findings: Sequence[Finding]) -> Table:
    table = Table(title="Findings")
    table.add_column("Severity")
    table.add_column("Rule", overflow="fold")
    table.add_column("Resource", overflow="fold")
    table.add_column("Access")
    table.add_column("Status", overflow="fold")
    for f in sort_findings(findings):
        e = f.exposure
        access = " ".join(a.value for a in sorted_access(e.access))
        if not access and e.latent:
            access = "latent: " + " ".join(a.value for a in sorted_access(e.latent_access))
        status = f.status.value + (f" ({f.exemption})" if f.exemption else "")
        table.add_row(
            _t(f.severity.value, _SEVERITY_STYLE[f.severity]),
            _t(f.rule_id),
            _t(f.resource.get("name", "")),
            _t(access),
            _t(status, "green" if f.status is Status.EXEMPT else ""),
        )
    return table


def data_line(data: dict[str, Any]) -> str:
    """One line for what ``andon scan --classify`` found in a bucket (counts, never values)."""
    if not data.get("classified", False):
        return f"not classified ({data.get('reason', '')})"
    types = data.get("types") or {}
    found = ", ".join(f"{t} {n:,}" for t, n in sorted(types.items(), key=lambda kv: -kv[1]))
    subjects = data.get("subjects") or {}
    who = ", ".join(f"~{n:,} {k}s" for k, n in subjects.items() if n)
    share = data.get("inspected_fraction")
    seen = f"{share:.0%} inspected" if isinstance(share, int | float) else ""
    sev = data.get("severity") or {}
    rated = f"severity {sev.get('base')} → {sev.get('rated')}" if sev else ""
    parts = [found or "nothing recognizable", who, seen, rated]
    return "; ".join(p for p in parts if p)


def print_reasons(console: Console, findings: Sequence[Finding]) -> None:
    """Each exposed resource once, with the reasons of its verdict."""
    seen: set[str] = set()
    for f in sort_findings(findings):
        uid = f.resource.get("uid", "")
        if uid in seen:
            continue
        seen.add(uid)
        e = f.exposure
        head = Text()
        head.append(plain(f.resource.get("name", "")), style="bold")
        head.append(f"  {e.level.value}")
        if e.access:
            head.append(": " + ", ".join(a.value for a in sorted_access(e.access)))
        if e.latent:
            head.append("  latent: " + ", ".join(a.value for a in sorted_access(e.latent_access)))
        head.append(f"  ({plain(uid)})", style="dim")
        console.print(head)
        for r in e.reasons:
            console.print(_t(f"  - {r}"))
        data = f.evidence.get("data")
        if isinstance(data, dict):
            console.print(_t(f"  data: {data_line(data)}"))


def gaps_table(gaps: Sequence[Gap]) -> Table:
    table = Table(title="Coverage gaps: what Andon could not read (verdicts there are UNKNOWN)")
    table.add_column("Resource", overflow="fold")
    table.add_column("Operation")
    table.add_column("Reason", overflow="fold")
    for g in gaps:
        table.add_row(
            _t(g.resource_uid or "(scope)"), _t(f"{g.service}:{g.operation}"), _t(g.reason)
        )
    return table


def print_table(console: Console, findings: Sequence[Finding], gaps: Sequence[Gap]) -> None:
    if findings:
        console.print(findings_table(findings))
        console.print(Text("Why", style="bold underline"))
        print_reasons(console, findings)
    elif gaps:
        console.print(
            "No findings in what Andon could read. It could not read everything: the parts "
            "listed below are UNKNOWN, not private."
        )
    else:
        console.print("No findings.")
    if gaps:
        console.print(gaps_table(gaps))
