"""The incident report as one self-contained HTML page with an inline SVG timeline.

No external assets, no scripts: styles are inline, the picture is inline SVG. Every string that
comes from the cloud or the user (names, ARNs, user agents, statements quoting them) goes
through :func:`esc` (control characters made visible by :func:`andon.report.safe.plain`, then
HTML-escaped, quotes included), so a hostile bucket name stays text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from andon.report.safe import plain

WIDTH, LEFT, RIGHT = 960, 150, 30
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}
td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;font-size:13px;text-align:left}
th{background:#f3f3f3}.todo{background:#fff4d6}.verdict{font-size:1.2em;font-weight:bold}
.accessed{color:#b00}.undetermined{color:#a60}.no_outside_access{color:#070}
"""


def esc(value: object) -> str:
    return html.escape(plain(value), quote=True)


def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def timeline_svg(report: dict[str, Any]) -> str:
    """The picture: exposure window, change events, outside accesses, detection, fix."""
    w, acc = report["window"], report.get("access") or {}
    out = acc.get("outside") or {}
    generated = _t(report["generated_at"]) or datetime.now(UTC)
    start = _t(w.get("start")) or _t(w.get("exposed_since_at_least"))
    not_before = _t(w.get("not_before"))
    detected = _t(w.get("detected"))
    end = _t(w.get("end"))
    events = [(e, _t(e["at"])) for e in report["timeline"]]
    times = [t for t in (start, not_before, detected, end, generated) if t is not None]
    times += [t for _, t in events if t is not None]
    times += [t for t in (_t(out.get("first")), _t(out.get("last"))) if t is not None]
    t0, t1 = min(times), max(times)
    span = max((t1 - t0).total_seconds(), 1.0)

    def x(t: datetime) -> float:
        return LEFT + (t - t0).total_seconds() / span * (WIDTH - LEFT - RIGHT)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="230" '
        'role="img" aria-label="exposure timeline">',
        "<style>text{font:12px sans-serif}</style>",
    ]
    labels = ("Exposure / 公開", "Changes / 変更", "Outside access / 外部アクセス", "Andon")
    for i, label in enumerate(labels):
        parts.append(f'<text x="5" y="{45 + 45 * i}">{esc(label)}</text>')
    if start is not None:
        stop = end or generated
        if not_before is not None and not w.get("start_established"):
            parts.append(
                f'<rect x="{x(not_before):.1f}" y="32" '
                f'width="{max(x(start) - x(not_before), 1):.1f}" height="18" fill="#f4b4b4" '
                'opacity="0.6"><title>possible start (not established)</title></rect>'
            )
        parts.append(
            f'<rect x="{x(start):.1f}" y="32" width="{max(x(stop) - x(start), 2):.1f}" '
            f'height="18" fill="#d33"><title>exposed {esc(start.isoformat())} – '
            f"{esc(end.isoformat() if end else 'still open')}</title></rect>"
        )
    colors = {"opens": "#d33", "closes": "#2a2", "created": "#555"}
    for e, t in events:
        if t is None or e.get("source") != "cloudtrail" or e.get("effect") == "failed":
            continue  # a failed call changed nothing (it is in the table)
        color = colors.get(e.get("effect", ""), "#888")
        cx = x(t)
        parts.append(
            f'<path d="M{cx:.1f},78 l-6,12 h12 z" fill="{color}"><title>'
            f"{esc(e['what'])} by {esc(e.get('actor', ''))} at {esc(e['at'])}: "
            f"{esc(e.get('detail', ''))}</title></path>"
        )
    first, last = _t(out.get("first")), _t(out.get("last"))
    if first is not None and last is not None:
        parts.append(
            f'<rect x="{x(first):.1f}" y="122" width="{max(x(last) - x(first), 3):.1f}" '
            f'height="18" fill="#e80"><title>{esc(out.get("succeeded"))} successful outside '
            f"request(s), {esc(first.isoformat())} – {esc(last.isoformat())}</title></rect>"
        )
        parts.append(
            f'<text x="{x(first):.1f}" y="155">{esc(out.get("succeeded"))} request(s)</text>'
        )
    for label, t, color in (("detected", detected, "#06c"), ("fixed", end, "#2a2")):
        if t is not None:
            parts.append(
                f'<line x1="{x(t):.1f}" y1="165" x2="{x(t):.1f}" y2="185" stroke="{color}" '
                f'stroke-width="3"><title>{label} {esc(t.isoformat())}</title></line>'
                f'<text x="{x(t) + 4:.1f}" y="182">{label}</text>'
            )
    parts.append(f'<line x1="{LEFT}" y1="205" x2="{WIDTH - RIGHT}" y2="205" stroke="#444"/>')
    for t, anchor in ((t0, "start"), (t1, "end")):
        parts.append(
            f'<text x="{x(t):.1f}" y="222" text-anchor="{anchor}">'
            f"{esc(t.strftime('%Y-%m-%d %H:%M UTC'))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(head: Sequence[str], rows: Sequence[Sequence[object]], todo: str = "") -> str:
    out = ["<table><tr>", *(f"<th>{esc(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        cls = ' class="todo"' if todo and any(todo in str(c) for c in row) else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def to_html(report: dict[str, Any]) -> str:
    f, aw, appi, gdpr = report["finding"], report["awareness"], report["appi"], report["gdpr"]
    acc, imp, w = report.get("access") or {}, report["impact"], report["window"]
    todo = report["to_fill_marker"]
    o = acc.get("outside") or {}
    verdict = str(acc.get("verdict", "undetermined"))
    body = [
        f"<h1>Incident report / インシデント報告: {esc(f['resource'].get('name'))}</h1>",
        f"<p>Finding <code>{esc(f['id'])}</code> ({esc(f['rule'])}, {esc(f['severity'])}, "
        f"{esc(f['status'])}); resource {esc(f['resource'].get('uid'))}. Generated "
        f"{esc(report['generated_at'])}.</p>",
        f"<p><b>Awareness / 認知時刻</b>: {esc(aw['at_jst'])} = {esc(aw['at_utc'])} — "
        f"{esc(aw['source'])}</p>",
        "<h2>Timeline / 経緯</h2>",
        timeline_svg(report),
        f"<p>Start / 開始: {esc(w['start_statement'])}<br>End / 終了: "
        f"{esc(w['end_statement'])}</p>",
        _table(
            ("When (UTC)", "Source", "What", "Effect", "Who", "From", "User agent", "Detail"),
            [
                (
                    e["at"],
                    e["source"],
                    e["what"],
                    e.get("effect", ""),
                    e.get("actor", ""),
                    e.get("source_ip", ""),
                    e.get("user_agent", ""),
                    e.get("detail", ""),
                )
                for e in report["timeline"]
            ],
        ),
        "<h2>Access evidence / アクセスの証跡</h2>",
        f'<p class="verdict {esc(verdict)}">{esc(verdict)}</p><p>{esc(acc.get("statement"))}</p>',
    ]
    if o:
        body.append(
            _table(
                (
                    "Requests",
                    "Succeeded",
                    "Refused",
                    "By principal",
                    "IPs (masked)",
                    "Objects",
                    "Bytes",
                ),
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
        )
    body += [
        "<h3>Evidence sources and gaps / 証跡の範囲と欠落</h3>",
        _table(
            ("Source", "From", "To", "Complete", "Problems"),
            [
                (c["source"], c.get("from"), c.get("to"), c["complete"], "; ".join(c["problems"]))
                for c in acc.get("coverage", [])
            ],
        ),
        _table(
            ("Missing or incomplete", "From", "To", "Why"),
            [(m["source"], m.get("from"), m.get("to"), m["why"]) for m in acc.get("missing", [])],
        ),
        "<h2>Data impact / 影響を受けたデータ</h2>",
        _table(
            ("Item / 項目", "Count", "Estimated total"),
            [
                (f"{i['label_ja']} / {i['label_en']}", i["count"], i.get("estimated_total") or "")
                for i in imp["data_items"]
            ],
        ),
        f"<p>Persons (at least) / 本人の数 (下限): {esc(imp['persons_seen'])}; inspected "
        f"fraction {esc(imp.get('inspected_fraction'))}; complete {esc(imp.get('complete'))}. "
        f"{esc(imp.get('reason', ''))}</p>",
        "<h2>APPI / 個人情報保護法: report to the PPC / 個人情報保護委員会への報告</h2>",
        f"<p><b>{esc(appi['report_required'])}</b> — {esc(appi['report_required_why'])}</p>",
        f"<p>Leak / 漏えい: {esc(appi['leak'])} — {esc(appi['leak_why'])}</p>",
        _table(
            ("Situation (Rule 7) / 報告対象事態", "State", "Why"),
            [(f"{t['ja']} / {t['en']}", t["state"], t["why"]) for t in appi["triggers"]],
        ),
        _table(
            ("Deadline / 期限", "Due (JST)", "Due (UTC)", "Note"),
            [
                (f"{d['name_ja']} / {d['name_en']}", d["due_jst"], d["due_utc"], d["note"])
                for d in appi["deadlines"]
            ],
        ),
        "<h3>Rule 8(1) items / 規則第8条第1項の報告事項</h3>",
        _table(
            ("No.", "項目 / Item", "Content", "Filled by"),
            [(i["no"], f"{i['ja']} / {i['en']}", i["text"], i["filled_by"]) for i in appi["items"]],
            todo,
        ),
        "<h2>GDPR Art. 33</h2>",
        f"<p>Deadline (72 h): {esc(gdpr['deadline_utc'])} = {esc(gdpr['deadline_jst'])}"
        + (" — <b>OVERDUE</b>" if gdpr["overdue"] else "")
        + "</p>",
        _table(
            ("Art.", "Field", "Content"),
            [(x["article"], x["en"], x["text"]) for x in gdpr["fields"]],
            todo,
        ),
        f"<p>{esc(gdpr['art34'])}</p>",
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Incident report {esc(f['id'])}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
