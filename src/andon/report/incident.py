"""The incident report: the facts of an investigation, the APPI and GDPR parts, as JSON,
Markdown or HTML (:mod:`andon.report.incident_html`).

:func:`build_incident` turns a saved investigation (``andon investigate``, see
:mod:`andon.investigate.run`) and the awareness time into one document. It carries no raw
personal data: the data part is counts per type (from the classification on the finding);
requesters' IP addresses are masked to their first octet or group; object keys are counted,
never listed. Every untrusted string (resource names, ARNs, user agents) is escaped by the
renderer of each format (:mod:`andon.report.safe` for JSON, :func:`md` for Markdown).

The awareness time is the one given (``--aware-at``), else the earliest recorded one (``andon
aware``), else Andon's first detection of the finding, marked as an assumption.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from andon.investigate.impact import Impact
from andon.investigate.records import Awareness
from andon.report.incident_appi import JST, TO_FILL, appi_section
from andon.report.incident_gdpr import gdpr_section
from andon.report.safe import json_dumps, plain

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


@dataclass(frozen=True)
class IncidentOptions:
    aware_at: datetime | None = None
    sensitive: bool | None = None
    unlawful: bool | None = None
    persons: int | None = None


def mask_ip(ip: str) -> str:
    """An IP address reduced to its first octet (IPv4) or first group (IPv6)."""
    s = ip.strip()
    head, dot, _ = s.partition(".")
    if dot and head.isdigit() and ":" not in s:
        return head + ".x.x.x"
    head, colon, _ = s.partition(":")
    return (head or "") + ":…" if colon else "x"


def _when(value: str | None) -> str:
    if not value:
        return "unknown"
    t = datetime.fromisoformat(value)
    return (
        f"{t.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')} "
        f"({t.astimezone(JST).strftime('%Y-%m-%d %H:%M JST')})"
    )


def awareness_of(
    given: datetime | None, recorded: Sequence[Awareness], detected: datetime
) -> dict[str, Any]:
    if given is not None:
        at, source = given, "given on the command line (--aware-at)"
    elif recorded:
        first = recorded[0]
        at = first.aware_at
        source = f"recorded by {first.recorded_by} ({first.source})"
    else:
        at = detected
        source = (
            "ASSUMED: Andon's first detection of the finding; record the real time with "
            "`andon aware`"
        )
    return {
        "at": at.astimezone(UTC).isoformat(),
        "at_utc": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "at_jst": at.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST"),
        "source": source,
        "assumed": given is None and not recorded,
    }


def _facts(inv: dict[str, Any], impact: Impact) -> dict[str, Any]:
    f, w, acc = inv["finding"], inv["window"], inv.get("access") or {}
    res = f["resource"]
    verdict = acc.get("verdict", "undetermined")
    opening = [e for e in inv["timeline"] if e.get("effect") == "opens"]
    closing = [e for e in inv["timeline"] if e.get("effect") in ("closes", "fixed")]
    reasons = "; ".join(f["exposure"].get("reasons", [])[:3])
    access = ", ".join(f["exposure"].get("access", []))
    overview = (
        f"The {res.get('type') or res.get('kind')} '{res.get('name')}' (account "
        f"{res.get('account')}, region {res.get('region')}) was exposed: {f['title']} "
        f"(level {f['exposure'].get('level')}, access {access})."
        f" Start: {w['start_statement']} End: {w['end_statement']} First detected by Andon "
        f"{_when(w['detected'])}. Access: {acc.get('statement', 'not investigated')}"
    )
    if opening:
        cause = "Change events that opened the exposure: " + "; ".join(
            f"{e['what']} by {e.get('actor')} from {e.get('source_ip') or '?'} at "
            f"{_when(e['at'])} ({e.get('detail')})"
            for e in opening[:5]
        )
    else:
        cause = "No change event that opened the exposure was found in the evidence read."
    cause += f" The configuration that exposes it: {reasons}." if reasons else ""
    out = acc.get("outside") or {}
    risk = {
        "accessed": f"Outside principals read the resource: {out.get('succeeded', 0)} successful "
        f"request(s), {out.get('distinct_objects', 0)} distinct object(s), "
        f"{out.get('bytes_sent', 0):,} bytes, from {out.get('distinct_ips', 0)} source IP(s).",
        "no_outside_access": "Complete access logs show no outside access during the exposure.",
    }.get(verdict, "Whether anyone outside read the data cannot be determined from the logs.")
    if impact.financial:
        risk += " Payment card numbers were exposed: risk of fraudulent use."
    if impact.my_number:
        risk += " My Numbers were exposed: the My Number Act has its own reporting duty."
    fix = (
        f"The exposure was closed {_when(w['end'])}."
        if w.get("end")
        else "The exposure is STILL OPEN: close it now (andon explain "
        f"{f['rule']}; andon fix if installed)."
    )
    if closing:
        fix += " " + "; ".join(f"{e['what']} at {_when(e['at'])}" for e in closing[-2:]) + "."
    fix += " Andon keeps scanning the account for new exposures."
    missing = acc.get("missing") or []
    other = (
        "Evidence gaps: "
        + "; ".join(
            f"{m['source']} {m.get('from') or '…'} – {m.get('to') or '…'}: {m['why']}"
            for m in missing[:10]
        )
        if missing
        else "No evidence gaps."
    )
    return {
        "overview": overview,
        "cause": cause,
        "risk": risk,
        "fix": fix,
        "other": other,
        "verdict": verdict,
        "access": f["exposure"].get("access", []),
    }


def _redacted_access(acc: dict[str, Any]) -> dict[str, Any]:
    if not acc:
        return {}
    out = dict(acc.get("outside") or {})
    out["ips"] = sorted({mask_ip(ip) for ip in out.get("ips", [])})
    out.pop("objects", None)
    return {**acc, "outside": out}


def build_incident(
    inv: dict[str, Any],
    recorded: Sequence[Awareness],
    options: IncidentOptions,
    now: datetime,
) -> dict[str, Any]:
    """The incident report document (plain JSON types)."""
    impact = Impact.from_dict(inv.get("impact") or {})
    detected = datetime.fromisoformat(inv["window"]["detected"])
    aware = awareness_of(options.aware_at, recorded, detected)
    aware_at = datetime.fromisoformat(aware["at"])
    facts = _facts(inv, impact)
    return {
        "report": "incident",
        "generated_at": now.isoformat(),
        "investigated_at": inv.get("generated_at"),
        "finding": inv["finding"],
        "awareness": aware,
        "window": inv["window"],
        "timeline": inv["timeline"],
        "access": _redacted_access(inv.get("access") or {}),
        "change_sources": inv.get("change_sources", []),
        "impact": impact.to_dict(),
        "appi": appi_section(
            facts,
            impact,
            aware_at,
            sensitive=options.sensitive,
            unlawful=options.unlawful,
            persons=options.persons,
        ),
        "gdpr": gdpr_section(facts, impact, aware_at, now),
        "to_fill_marker": TO_FILL,
    }


def to_json(report: dict[str, Any]) -> str:
    return json_dumps(report) + "\n"


def md(text: object) -> str:
    """Text inert in Markdown: control characters visible, HTML and Markdown syntax escaped."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(plain(text), quote=False)).replace("\n", " ")


def _md_table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def to_markdown(report: dict[str, Any]) -> str:
    f, aw, appi, gdpr = report["finding"], report["awareness"], report["appi"], report["gdpr"]
    acc = report.get("access") or {}
    out = [
        f"# Incident report / インシデント報告: {md(f['resource'].get('name'))}",
        "",
        f"Finding `{md(f['id'])}` ({md(f['rule'])}, {md(f['severity'])}, {md(f['status'])}); "
        f"resource {md(f['resource'].get('uid'))}. Generated {md(report['generated_at'])}.",
        "",
        f"**Awareness / 認知時刻**: {md(aw['at_jst'])} = {md(aw['at_utc'])} — {md(aw['source'])}",
        "",
        "## Exposure window / 公開期間",
        "",
        f"- Start / 開始: {md(report['window']['start_statement'])}",
        f"- End / 終了: {md(report['window']['end_statement'])}",
        "",
        "## Timeline / 経緯",
        "",
        *_md_table(
            ("When (UTC)", "Source", "What", "Effect", "Who", "From", "Detail"),
            [
                (
                    e["at"],
                    e["source"],
                    e["what"],
                    e.get("effect", ""),
                    e.get("actor", ""),
                    e.get("source_ip", ""),
                    e.get("detail", ""),
                )
                for e in report["timeline"]
            ],
        ),
        "## Access evidence / アクセスの証跡",
        "",
        f"**Verdict / 判定: {md(acc.get('verdict', 'not investigated'))}** — "
        f"{md(acc.get('statement', ''))}",
        "",
    ]
    o = acc.get("outside") or {}
    if o:
        out += _md_table(
            ("Requests", "Succeeded", "Refused", "By principal", "IPs", "Objects", "Bytes"),
            [
                (
                    o.get("requests"),
                    o.get("succeeded"),
                    o.get("denied_or_failed"),
                    ", ".join(f"{k} {v}" for k, v in o.get("by_principal", {}).items()),
                    f"{o.get('distinct_ips')} ({', '.join(o.get('ips', []))})",
                    o.get("distinct_objects"),
                    o.get("bytes_sent"),
                )
            ],
        )
    out += ["### Evidence sources and gaps / 証跡の範囲と欠落", ""]
    out += _md_table(
        ("Source", "From", "To", "Complete", "Problems"),
        [
            (c["source"], c.get("from"), c.get("to"), c["complete"], "; ".join(c["problems"]))
            for c in acc.get("coverage", [])
        ],
    )
    out += _md_table(
        ("Missing or incomplete", "From", "To", "Why"),
        [(m["source"], m.get("from"), m.get("to"), m["why"]) for m in acc.get("missing", [])],
    )
    imp = report["impact"]
    out += ["## Data impact / 影響を受けたデータ", ""]
    out += _md_table(
        ("Item / 項目", "Count", "Estimated total"),
        [
            (f"{i['label_ja']} / {i['label_en']}", i["count"], i.get("estimated_total") or "")
            for i in imp["data_items"]
        ],
    )
    out += [
        f"Persons (at least) / 本人の数 (下限): {md(imp['persons_seen'])}; inspected fraction "
        f"{md(imp.get('inspected_fraction'))}; complete: {md(imp.get('complete'))}. "
        f"{md(imp.get('reason', ''))}",
        "",
        "## APPI / 個人情報保護法: report to the PPC / 個人情報保護委員会への報告",
        "",
        f"**{md(appi['report_required'])}** — {md(appi['report_required_why'])}",
        "",
        f"Leak / 漏えい: {md(appi['leak'])} — {md(appi['leak_why'])}",
        "",
    ]
    out += _md_table(
        ("Situation (Rule 7) / 報告対象事態", "State", "Why"),
        [(f"{t['ja']} / {t['en']}", t["state"], t["why"]) for t in appi["triggers"]],
    )
    out += _md_table(
        ("Deadline / 期限", "Due (JST)", "Due (UTC)", "Note"),
        [
            (f"{d['name_ja']} / {d['name_en']}", d["due_jst"], d["due_utc"], d["note"])
            for d in appi["deadlines"]
        ],
    )
    out += ["### Rule 8(1) items / 規則第8条第1項の報告事項", ""]
    out += _md_table(
        ("No.", "項目 / Item", "Content", "Filled by"),
        [(i["no"], f"{i['ja']} / {i['en']}", i["text"], i["filled_by"]) for i in appi["items"]],
    )
    out += [
        "## GDPR Art. 33",
        "",
        f"Deadline (72 h): {md(gdpr['deadline_utc'])} = {md(gdpr['deadline_jst'])}"
        + (" — OVERDUE" if gdpr["overdue"] else ""),
        "",
    ]
    out += _md_table(
        ("Art.", "Field", "Content"), [(x["article"], x["en"], x["text"]) for x in gdpr["fields"]]
    )
    out += [md(gdpr["art34"]), ""]
    return "\n".join(out)
