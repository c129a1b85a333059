"""Japan's APPI: whether a leak must be reported to the PPC, the deadlines, Rule 8(1) items.

Sources (see ``/work/shared/REFERENCE.md`` and ``docs/investigate.md``): APPI Art. 26; PPC
Enforcement Rules Art. 7 (reportable situations), Art. 8 (preliminary and final report,
items of paragraph 1), Art. 10 (notice to the persons); PPC guidelines (general rules) 3-5.

* Reportable (Rule 7): actual *or possible* leakage of (1) special-care-required personal
  information, (2) data whose misuse could cause financial harm (e.g. payment card numbers),
  (3) leakage possibly for an unlawful purpose, (4) personal data of **more than 1,000**
  persons (1,000 is not reportable on this ground; 1,001 is).
* A misconfiguration that made personal data viewable on the internet is a leak unless access
  logs confirm no third party viewed it (PPC FAQ). So the access verdict decides between "leak"
  (accessed), "possible leak" (cannot be determined) and "no leak" (no outside access in
  complete logs).
* Deadlines run from the time the business became aware: the preliminary report "promptly"
  (guidance: about 3-5 days), the final report within 30 days (60 days for unlawful purpose).
  Days are counted in Japan time with the day of awareness as day 1 (PPC guidelines 3-5-3-4,
  as we read them: verify with counsel); a deadline on a weekend or holiday is not moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

from andon.investigate.impact import Impact

JST = timezone(timedelta(hours=9), "JST")
THRESHOLD = 1000  # "more than 1,000 persons" (Rule 7 item 4)
PRELIMINARY_DAYS = (3, 5)
FINAL_DAYS = 30
FINAL_DAYS_UNLAWFUL = 60
TO_FILL = "[TO BE FILLED BY A PERSON / 要記入]"


def day_end(aware: datetime, day: int) -> datetime:
    """The end (23:59:59 JST) of day ``day`` counting the day of awareness (JST) as day 1."""
    first = aware.astimezone(JST).date()
    last = first + timedelta(days=day - 1)
    return datetime.combine(last, time(23, 59, 59), tzinfo=JST)


@dataclass(frozen=True)
class Deadline:
    name_en: str
    name_ja: str
    due: datetime
    note: str

    def to_dict(self) -> dict[str, str]:
        return {
            "name_en": self.name_en,
            "name_ja": self.name_ja,
            "due_jst": self.due.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST"),
            "due_utc": self.due.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "due": self.due.astimezone(UTC).isoformat(),
            "note": self.note,
        }


def deadlines(aware: datetime, unlawful: bool) -> list[Deadline]:
    final = FINAL_DAYS_UNLAWFUL if unlawful else FINAL_DAYS
    lo, hi = PRELIMINARY_DAYS
    return [
        Deadline(
            "Preliminary report (target)",
            "速報 (目安)",
            day_end(aware, lo),
            f"promptly; the guidance says about {lo}-{hi} days: day {lo}",
        ),
        Deadline(
            "Preliminary report (outer guidance)",
            "速報 (目安の上限)",
            day_end(aware, hi),
            f"day {hi} of the guidance's {lo}-{hi} days",
        ),
        Deadline(
            "Final report",
            "確報",
            day_end(aware, final),
            f"within {final} days"
            + (" (leak possibly for an unlawful purpose)" if unlawful else "")
            + "; the day of awareness is day 1; weekends and holidays do not move it",
        ),
    ]


@dataclass(frozen=True)
class Trigger:
    key: str
    en: str
    ja: str
    state: str  # yes, possible, no, unknown
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "en": self.en, "ja": self.ja, "state": self.state, "why": self.why}


def leak_state(verdict: str, access: list[str]) -> tuple[str, str]:
    """(``leak``, ``possible_leak``, ``no_leak``) and why, from the access verdict."""
    if "read" not in access and "list" not in access:
        return "no_leak", "the resource was not readable by outsiders (no public read or list)"
    if verdict == "accessed":
        return "leak", "access logs show outside principals read the resource"
    if verdict == "no_outside_access":
        return (
            "no_leak",
            "complete access logs confirm no third party accessed it during the exposure "
            "(PPC FAQ: then it is not a leak)",
        )
    return (
        "possible_leak",
        "personal data was viewable on the internet and the access logs cannot confirm that no "
        "third party viewed it: a possible leak (漏えいのおそれ) under the PPC FAQ",
    )


def triggers(
    impact: Impact, *, sensitive: bool | None, unlawful: bool | None, persons: int | None
) -> list[Trigger]:
    out = []
    if sensitive is None:
        out.append(
            Trigger(
                "sensitive",
                "Special-care-required personal information",
                "要配慮個人情報",
                "unknown",
                "Andon does not recognize these categories (race, creed, social status, medical "
                "history, criminal record, ...): a person must decide (--sensitive)",
            )
        )
    else:
        out.append(
            Trigger(
                "sensitive",
                "Special-care-required personal information",
                "要配慮個人情報",
                "yes" if sensitive else "no",
                "given by the user",
            )
        )
    fin = impact.financial
    out.append(
        Trigger(
            "financial",
            "Data whose misuse may cause financial harm",
            "財産的被害が生じるおそれがある個人データ",
            "yes" if fin else ("unknown" if not impact.classified else "no"),
            (
                "found: " + ", ".join(f"{i.label_en} ({i.count})" for i in fin)
                if fin
                else (
                    "the data was not classified"
                    if not impact.classified
                    else "no payment card numbers found (bank credentials are not detected)"
                )
            ),
        )
    )
    out.append(
        Trigger(
            "unlawful",
            "Leak possibly for an unlawful purpose",
            "不正の目的をもって行われたおそれがある漏えい等",
            "unknown" if unlawful is None else ("yes" if unlawful else "no"),
            "given by the user"
            if unlawful is not None
            else "a person must decide (--unlawful-purpose), in light of the access evidence",
        )
    )
    out.append(_volume(impact, persons))
    return out


def _volume(impact: Impact, persons: int | None) -> Trigger:
    en, ja = f"More than {THRESHOLD:,} persons", f"本人の数が{THRESHOLD:,}人を超える"
    if persons is not None:
        state = "yes" if persons > THRESHOLD else "no"
        return Trigger("volume", en, ja, state, f"{persons:,} persons, given by the user")
    if not impact.classified:
        return Trigger("volume", en, ja, "unknown", "the data was not classified")
    seen = impact.persons_seen
    if seen > THRESHOLD:
        return Trigger(
            "volume", en, ja, "yes", f"at least {seen:,} distinct persons/vehicles/devices seen"
        )
    if impact.complete:
        return Trigger(
            "volume", en, ja, "no", f"{seen:,} distinct subjects in a complete inspection"
        )
    extrapolated = max((i.estimated_total or 0 for i in impact.items), default=0)
    fraction = impact.inspected_fraction
    share = f"{fraction:.1%}" if fraction is not None else "part"
    if extrapolated > THRESHOLD:
        return Trigger(
            "volume",
            en,
            ja,
            "possible",
            f"{seen:,} seen in the inspected {share}; extrapolated about {extrapolated:,} "
            "identifier occurrences: more than 1,000 persons cannot be excluded",
        )
    return Trigger(
        "volume",
        en,
        ja,
        "unknown",
        f"{seen:,} seen in the inspected {share} only: inspect fully to decide",
    )


def decision(leak: str, found: list[Trigger]) -> tuple[str, str]:
    """(``required``, ``not_required``, ``to_decide``) and why."""
    if leak == "no_leak":
        return "not_required", "no leak (or possible leak) of personal data"
    hits = [t for t in found if t.state in ("yes", "possible")]
    if hits:
        return "required", "reportable: " + "; ".join(f"{t.en} ({t.state})" for t in hits)
    unknown = [t for t in found if t.state == "unknown"]
    if unknown:
        return "to_decide", "a person must decide: " + "; ".join(t.en for t in unknown)
    return "not_required", "none of the reportable situations of Rule 7 applies"


def appi_section(
    facts: dict[str, Any],
    impact: Impact,
    aware: datetime,
    *,
    sensitive: bool | None,
    unlawful: bool | None,
    persons: int | None,
) -> dict[str, Any]:
    """The APPI part of the incident report."""
    leak, leak_why = leak_state(facts["verdict"], facts["access"])
    found = triggers(impact, sensitive=sensitive, unlawful=unlawful, persons=persons)
    required, why = decision(leak, found)
    return {
        "leak": leak,
        "leak_why": leak_why,
        "triggers": [t.to_dict() for t in found],
        "report_required": required,
        "report_required_why": why,
        "deadlines": [d.to_dict() for d in deadlines(aware, bool(unlawful))],
        "notify_persons": "promptly (Rule 10): overview, data items, cause, secondary damage "
        "or risk, other"
        if required == "required"
        else "",
        "items": rule8_items(facts, impact, persons),
    }


def rule8_items(facts: dict[str, Any], impact: Impact, persons: int | None) -> list[dict[str, str]]:
    """The items of Rule 8(1), pre-filled from the facts; person-only parts marked TO_FILL."""
    data = (
        "; ".join(f"{i.label_ja} / {i.label_en}: {i.count:,}" for i in impact.items)
        if impact.items
        else ("none recognized" if impact.classified else f"{TO_FILL} (not classified)")
    )
    fraction = impact.inspected_fraction
    share = f"{fraction:.1%}" if fraction is not None else "unknown"
    count = (
        f"{persons:,} (given)"
        if persons is not None
        else (
            f"at least {impact.persons_seen:,} (distinct persons/vehicles/devices seen; "
            f"{share} of the data inspected" + ("" if impact.complete else "; a lower bound") + ")"
            if impact.classified
            else TO_FILL
        )
    )
    return [
        _item(1, "概要", "Overview", facts["overview"], "andon"),
        _item(
            2,
            "漏えい等が発生し、又は発生したおそれがある個人データの項目",
            "Data items",
            data,
            "andon",
        ),
        _item(3, "個人データに係る本人の数", "Number of persons", count, "andon"),
        _item(4, "原因", "Cause", facts["cause"] + f" {TO_FILL}: confirm why it happened.", "both"),
        _item(
            5,
            "二次被害又はそのおそれの有無及びその内容",
            "Secondary damage or risk",
            facts["risk"] + f" {TO_FILL}: confirm.",
            "both",
        ),
        _item(6, "本人への対応の実施状況", "Response to the persons", TO_FILL, "person"),
        _item(7, "公表の実施状況", "Publication", TO_FILL, "person"),
        _item(
            8,
            "再発防止のための措置",
            "Measures against recurrence",
            facts["fix"] + f" {TO_FILL}: organizational measures.",
            "both",
        ),
        _item(9, "その他参考となる事項", "Other", facts["other"], "andon"),
    ]


def _item(no: int, ja: str, en: str, text: str, by: str) -> dict[str, str]:
    return {"no": str(no), "ja": ja, "en": en, "text": text, "filled_by": by}
