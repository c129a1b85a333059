"""Data impact: what the exposed data holds, from the classification stored on the finding.

``andon scan --classify`` puts a ``data`` part into a finding's evidence
(:mod:`andon.classify.integrate`): counts per data type, estimated totals when sampled,
distinct subjects seen per kind (vehicle, device, person), the inspected fraction. Nothing
here reads data or imports the classify extra: it reads that evidence, which holds counts and
never a value.

Persons: a vehicle (VIN, chassis number) or a device (IMEI, ICCID) in a customer's data stands
for the customer, so the number of persons concerned is estimated as the largest of the
distinct persons, vehicles and devices (never their sum: one customer has one car and one
terminal). Subjects are *seen* in the inspected part: a lower bound when the inspection was
partial; an ``estimated_total`` of an identifier type extrapolates its occurrences (not
distinct subjects), and is shown as an upper indication only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# (English, Japanese) labels of the data types andon.classify recognizes.
LABELS: dict[str, tuple[str, str]] = {
    "vin": ("vehicle identification number (VIN)", "車台番号 (VIN)"),
    "jp_chassis_number": ("chassis (frame) number", "車台番号"),
    "geo_coordinates": ("location (coordinates)", "位置情報"),
    "imei": ("device id (IMEI)", "端末識別番号 (IMEI)"),
    "iccid": ("SIM id (ICCID)", "SIM識別番号 (ICCID)"),
    "phone_number": ("phone number", "電話番号"),
    "email": ("e-mail address", "メールアドレス"),
    "payment_card": ("payment card number", "クレジットカード番号"),
    "jp_my_number": ("My Number (individual number)", "個人番号 (マイナンバー)"),
    "jp_drivers_license": ("driver's licence number", "運転免許証番号"),
    "jp_postal_code": ("postal code", "郵便番号"),
    "address": ("address", "住所"),
    "person_name": ("name", "氏名"),
    "ip_address": ("IP address", "IPアドレス"),
    "aws_access_key": ("AWS access key id", "AWSアクセスキーID"),
    "aws_secret_key": ("AWS secret key", "AWSシークレットキー"),
    "private_key": ("private key", "秘密鍵"),
    "api_token": ("API token", "APIトークン"),
}
# PPC Rule 7 item 2: data whose misuse may cause financial harm (guidelines: credit card
# numbers; IDs and passwords of internet banking). Secrets that open systems holding payment
# data are listed as a risk, not as this category.
FINANCIAL_TYPES = frozenset({"payment_card"})
SUBJECT_KINDS = ("person", "vehicle", "device")


@dataclass(frozen=True)
class DataItem:
    type: str
    count: int
    estimated_total: int | None

    @property
    def label_en(self) -> str:
        return LABELS.get(self.type, (self.type, self.type))[0]

    @property
    def label_ja(self) -> str:
        return LABELS.get(self.type, (self.type, self.type))[1]


@dataclass(frozen=True)
class Impact:
    classified: bool
    reason: str = ""
    items: tuple[DataItem, ...] = ()
    subjects: Mapping[str, int] = field(default_factory=dict)
    inspected_fraction: float | None = None
    complete: bool = False
    objects_listed: int = 0
    objects_inspected: int = 0
    sensitivity: str = ""

    @property
    def persons_seen(self) -> int:
        """Distinct persons, vehicles or devices seen (the largest): a lower bound."""
        return max((int(self.subjects.get(k, 0)) for k in SUBJECT_KINDS), default=0)

    @property
    def financial(self) -> list[DataItem]:
        return [i for i in self.items if i.type in FINANCIAL_TYPES and i.count]

    @property
    def my_number(self) -> bool:
        return any(i.type == "jp_my_number" and i.count for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "classified": self.classified,
            "reason": self.reason,
            "data_items": [
                {
                    "type": i.type,
                    "label_en": i.label_en,
                    "label_ja": i.label_ja,
                    "count": i.count,
                    "estimated_total": i.estimated_total,
                }
                for i in self.items
            ],
            "subjects": dict(self.subjects),
            "persons_seen": self.persons_seen,
            "persons_are": "largest of distinct persons, vehicles and devices seen "
            "(a lower bound when the inspection was partial)",
            "inspected_fraction": self.inspected_fraction,
            "complete": self.complete,
            "objects_listed": self.objects_listed,
            "objects_inspected": self.objects_inspected,
            "sensitivity": self.sensitivity,
            "financial_harm_types": [i.type for i in self.financial],
            "my_number": self.my_number,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Impact:
        return cls(
            classified=bool(d.get("classified")),
            reason=str(d.get("reason", "")),
            items=tuple(
                DataItem(str(i["type"]), int(i.get("count", 0)), i.get("estimated_total"))
                for i in d.get("data_items", ())
            ),
            subjects={str(k): int(v) for k, v in (d.get("subjects") or {}).items()},
            inspected_fraction=d.get("inspected_fraction"),
            complete=bool(d.get("complete")),
            objects_listed=int(d.get("objects_listed") or 0),
            objects_inspected=int(d.get("objects_inspected") or 0),
            sensitivity=str(d.get("sensitivity", "")),
        )


def _n(value: Any) -> int:
    """A count from stored evidence; anything that is not a number counts 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return int(value)
    return 0


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def impact_of(evidence: Mapping[str, Any]) -> Impact:
    """The impact from a finding's evidence (its ``data`` part, if classified)."""
    data = evidence.get("data")
    if not isinstance(data, Mapping):
        return Impact(
            classified=False,
            reason="the exposed data was not classified (run andon scan --classify)",
        )
    if not data.get("classified"):
        return Impact(classified=False, reason=str(data.get("reason") or "not classified"))
    types = _mapping(data.get("types"))
    estimated = _mapping(data.get("estimated_total"))
    items = tuple(
        DataItem(str(t), _n(n), _n(estimated[t]) if t in estimated else None)
        for t, n in sorted(types.items(), key=lambda kv: (-_n(kv[1]), str(kv[0])))
        if _n(n) > 0
    )
    subjects = _mapping(data.get("subjects"))
    fraction = data.get("inspected_fraction")
    return Impact(
        classified=True,
        items=items,
        subjects={str(k): _n(v) for k, v in subjects.items()},
        inspected_fraction=float(fraction) if isinstance(fraction, int | float) else None,
        complete=bool(data.get("complete")),
        objects_listed=_n(data.get("objects_listed")),
        objects_inspected=_n(data.get("objects_inspected")),
        sensitivity=str(data.get("sensitivity", "")),
    )
