"""GDPR Art. 33: the notification to the supervisory authority, and its 72-hour deadline.

Art. 33(1): notify without undue delay and, where feasible, not later than 72 hours after
having become aware of the breach; a later notification gives the reasons for the delay.
Art. 33(3): (a) the nature of the breach including, where possible, the categories and
approximate number of data subjects and of personal data records concerned; (b) the DPO or
other contact point; (c) the likely consequences; (d) the measures taken or proposed.
Art. 34: the data subjects are told without undue delay when the risk to them is high.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from andon.investigate.impact import Impact
from andon.report.incident_appi import JST, TO_FILL

HOURS = 72
_KINDS = {"person": "customers (persons)", "vehicle": "vehicle owners", "device": "device users"}


def gdpr_section(
    facts: dict[str, Any], impact: Impact, aware: datetime, now: datetime
) -> dict[str, Any]:
    due = aware + timedelta(hours=HOURS)
    kinds = [_KINDS.get(k, k) for k, n in sorted(impact.subjects.items()) if n]
    records = sum(i.count for i in impact.items)
    late = now > due
    fields = [
        ("33(3)(a)", "Nature of the breach", facts["overview"]),
        (
            "33(3)(a)",
            "Categories of data subjects",
            ", ".join(kinds) if kinds else (TO_FILL if not impact.classified else "none found"),
        ),
        (
            "33(3)(a)",
            "Approximate number of data subjects",
            f"at least {impact.persons_seen:,}" if impact.classified else TO_FILL,
        ),
        (
            "33(3)(a)",
            "Categories of personal data records",
            ", ".join(i.label_en for i in impact.items) or TO_FILL,
        ),
        (
            "33(3)(a)",
            "Approximate number of personal data records",
            f"{records:,} values found in the inspected part" if impact.classified else TO_FILL,
        ),
        ("33(3)(b)", "Name and contact details of the DPO or other contact point", TO_FILL),
        ("33(3)(c)", "Likely consequences", facts["risk"] + f" {TO_FILL}: assess."),
        ("33(3)(d)", "Measures taken or proposed", facts["fix"] + f" {TO_FILL}: complete."),
        (
            "33(1)",
            "Reasons for the delay",
            f"{TO_FILL}: the 72 hours have passed" if late else "not applicable (within 72 hours)",
        ),
    ]
    return {
        "deadline_utc": due.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "deadline_jst": due.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST"),
        "deadline": due.astimezone(UTC).isoformat(),
        "hours": HOURS,
        "overdue": late,
        "fields": [{"article": a, "en": en, "text": text} for a, en, text in fields],
        "art34": "Tell the data subjects without undue delay if the breach is likely to result "
        f"in a high risk to their rights and freedoms. {TO_FILL}: assess the risk.",
    }
