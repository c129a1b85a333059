"""``andon scan --classify``: read what a scan found exposed, and rate findings by what it holds.

After the exposure scan, :class:`ExposedDataClassifier` classifies the content of exposed
buckets - publicly readable ones first (open findings, then exempt ones), then buckets whose
public read is latent (held back only by Block Public Access) while the total budget lasts -
each within a per-bucket budget (:class:`~andon.core.context.ClassifySettings`). Every finding
on a classified bucket gains ``evidence["data"]`` (counts per data type, distinct subjects,
inspected fraction, coverage; never a value), and :func:`rate` adjusts its severity by
exposure × sensitivity × volume:

=================================  ===========  =============================================
finding                            sensitivity  severity
=================================  ===========  =============================================
readable now (public_read,         critical     critical
public_website)                    high         critical above 1,000 subjects, else at least
                                                high
                                   low          the rule's
                                   none         complete inspection: one step down (never
                                                below medium); partial: the rule's
latent read (latent_exposure)      critical     critical above 1,000 subjects, else the rule's
                                   none         complete inspection: one step down (never
                                                below medium); else the rule's
any other rule (write, ACL change, any          the rule's (never changed)
ACL read, list, account)
=================================  ===========  =============================================

Sensitivity (:func:`sensitivity`): *critical* - My Number, payment cards, driver's licences,
AWS secret keys, private keys, API tokens, or coordinates together with an identifier of a
vehicle, device or person (the connected-car leak: locations tied to VINs); *high* - vehicle
and device identifiers, e-mail, phone numbers, names, addresses, AWS access key ids, GPS
traces; *low* - IP addresses, postal codes, isolated coordinates; *none* - nothing found.
1,000 subjects is the APPI threshold above which a leak must be reported to the PPC; subjects
are distinct identifiers *seen* (a lower bound when sampled).

Reading content needs :data:`CLASSIFY_OPERATIONS` on top of the collector's
:data:`~andon.collect.aws.s3.S3_OPERATIONS` (which never reads object data).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from andon.classify.engine import LISTING_CUT, ClassifyContext, S3Spec, Sampling, classify_source
from andon.classify.formats import describe
from andon.classify.model import SUBJECT_OF, ClassifyLimits, DataType
from andon.classify.results import ClassifyReport
from andon.classify.sources import S3Source
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import ClassifySettings, Context
from andon.core.errors import AndonError
from andon.core.model import Access, Finding, Level, Severity, Status

log = logging.getLogger(__name__)

CLASSIFY_OPERATIONS: tuple[Operation, ...] = (
    Operation("s3", "ListObjectsV2", "s3:ListBucket"),
    Operation("s3", "GetObject", "s3:GetObject"),
)
"""What ``--classify`` adds: listing keys and reading object *content* (ranged GetObject)."""

READ_RULES = frozenset({"s3.bucket.public_read", "s3.bucket.public_website"})
LATENT_RULES = frozenset({"s3.bucket.latent_exposure"})
LARGE_VOLUME = 1000  # subjects: APPI's threshold for reporting a leak to the PPC
WHERE_PER_TYPE = 3

D = DataType


class Sensitivity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    LOW = "low"
    NONE = "none"


CRITICAL_TYPES = frozenset(
    {D.JP_MY_NUMBER, D.PAYMENT_CARD, D.JP_DRIVERS_LICENSE}
    | {D.AWS_SECRET_KEY, D.PRIVATE_KEY, D.API_TOKEN}
)
HIGH_TYPES = frozenset(
    {D.VIN, D.JP_CHASSIS_NUMBER, D.IMEI, D.ICCID, D.EMAIL, D.PHONE_NUMBER, D.PERSON_NAME}
    | {D.ADDRESS, D.AWS_ACCESS_KEY}
)
_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


def sensitivity(report: ClassifyReport) -> Sensitivity:
    """How sensitive what was found is (see the module docstring)."""
    found = {t for t, tally in report.tallies.items() if tally.count}
    if found & CRITICAL_TYPES:
        return Sensitivity.CRITICAL
    if D.GEO_COORDINATES in found and found & set(SUBJECT_OF):
        return Sensitivity.CRITICAL
    if found & HIGH_TYPES or report.gps_traces:
        return Sensitivity.HIGH
    return Sensitivity.LOW if found else Sensitivity.NONE


def volume(report: ClassifyReport) -> int:
    """Distinct subjects seen of the most numerous kind (vehicles, devices or persons)."""
    return max(report.subjects.by_kind().values(), default=0)


def _step(severity: Severity, by: int) -> Severity:
    return _ORDER[max(0, min(len(_ORDER) - 1, _ORDER.index(severity) + by))]


def _at_least(severity: Severity, floor: Severity) -> Severity:
    return severity if severity.rank >= floor.rank else floor


@dataclass(frozen=True)
class BucketData:
    """What classifying one bucket found, as findings carry it."""

    evidence: Mapping[str, Any]
    sensitivity: Sensitivity = Sensitivity.NONE
    subjects: int = 0
    complete: bool = False
    classified: bool = True

    @classmethod
    def from_report(cls, report: ClassifyReport) -> BucketData:
        summary = report.to_dict()
        types = summary["data_types"]
        level = sensitivity(report)
        evidence: dict[str, Any] = {
            "classified": True,
            "sensitivity": level.value,
            "types": {t: e["count"] for t, e in types.items()},
        }
        estimated = {t: e["estimated_total"] for t, e in types.items() if "estimated_total" in e}
        if estimated:
            evidence["estimated_total"] = estimated
        evidence |= {
            "subjects": summary["subjects"],
            "gps_traces": summary["gps_traces"],
            "where": {
                t: sorted({loc["object"] for loc in e["locations"]})[:WHERE_PER_TYPE]
                for t, e in types.items()
            },
            "objects_listed": summary["objects_listed"],
            "objects_inspected": summary["objects_inspected"],
            "bytes_inspected": summary["bytes_inspected"],
            "inspected_fraction": summary["inspected_fraction"],
            "complete": summary["complete"],
            "listing_complete": LISTING_CUT not in report.limits_hit,
            "coverage": summary["coverage"],
        }
        return cls(evidence, level, volume(report), report.complete)

    @classmethod
    def skipped(cls, reason: str) -> BucketData:
        return cls({"classified": False, "reason": reason}, classified=False)


def rate(finding: Finding, data: BucketData) -> tuple[Severity, str]:
    """The severity of ``finding`` given what its bucket holds, and why (the module's table)."""
    base = finding.severity
    if not data.classified:
        return base, "not classified: the rule's severity"
    level, many = data.sensitivity, data.subjects > LARGE_VOLUME
    if finding.rule_id in READ_RULES:
        if level is Sensitivity.CRITICAL:
            return Severity.CRITICAL, "publicly readable, with critical data"
        if level is Sensitivity.HIGH and many:
            return Severity.CRITICAL, f"publicly readable, identifying > {LARGE_VOLUME} subjects"
        if level is Sensitivity.HIGH:
            return _at_least(base, Severity.HIGH), "publicly readable, with identifying data"
    elif finding.rule_id in LATENT_RULES and Access.READ in finding.exposure.latent_access:
        if level is Sensitivity.CRITICAL and many:
            return (
                Severity.CRITICAL,
                f"latent public read of critical data, > {LARGE_VOLUME} subjects",
            )
    else:
        return base, "the rule's severity (not about reading content)"
    if level is Sensitivity.NONE and data.complete:
        lowered = _at_least(_step(base, -1), Severity.MEDIUM)
        if lowered.rank < base.rank:
            return lowered, "nothing recognizable found in a complete inspection"
    return base, "the rule's severity"


def enrich(finding: Finding, data: BucketData) -> Finding:
    """``finding`` with ``evidence["data"]`` and its rated severity."""
    severity, reason = rate(finding, data)
    part = {
        **data.evidence,
        "severity": {"base": finding.severity.value, "rated": severity.value, "reason": reason},
    }
    return replace(finding, severity=severity, evidence={**finding.evidence, "data": part})


def _priority(finding: Finding) -> int | None:
    """0 readable now (open), 1 readable now (exempt), 2 latent read; None: not to read."""
    if finding.resource.get("kind") != "storage.bucket":
        return None
    exposure = finding.exposure
    if exposure.level is Level.PUBLIC and Access.READ in exposure.access:
        return 0 if finding.status is Status.OPEN else 1
    if Access.READ in exposure.latent_access:
        return 2
    return None


@dataclass(frozen=True)
class _Bucket:
    priority: int
    name: str
    uid: str
    region: str


def exposed_buckets(findings: Sequence[Finding]) -> list[_Bucket]:
    """The buckets to classify, in the order to classify them."""
    best: dict[str, _Bucket] = {}
    for f in findings:
        priority = _priority(f)
        if priority is None:
            continue
        uid = f.resource.get("uid", "")
        bucket = _Bucket(priority, f.resource.get("name", ""), uid, f.resource.get("region", ""))
        if uid not in best or priority < best[uid].priority:
            best[uid] = bucket
    return sorted(best.values(), key=lambda b: (b.priority, b.name, b.uid))


class ExposedDataClassifier:
    """Classifies exposed buckets after a scan and returns the findings with their data part.

    Use as ``run_scan(..., enrich=classifier)``: it is called once with every finding of the
    scan and returns the list with the enriched ones replaced (others unchanged, same
    objects). Reading uses the scan's own clients, in this process.
    """

    def __init__(
        self, settings: ClassifySettings, ctx: ClassifyContext, clients: AwsClients, scan: Context
    ) -> None:
        self.settings = settings
        self.ctx = ctx
        self.clients = clients
        self.scan = scan
        self.spent = 0

    @classmethod
    def for_scan(cls, scan: Context, clients: AwsClients) -> ExposedDataClassifier:
        """Built from ``scan.classify``; raises ConfigError for an unusable key file."""
        settings = scan.classify or ClassifySettings()
        per_object = min(ClassifyLimits().max_bytes_per_object, settings.bucket_bytes)
        ctx = ClassifyContext.build(
            key_file=Path(settings.key_file) if settings.key_file else None,
            limits=ClassifyLimits(max_bytes_per_object=per_object),
            sampling=Sampling(
                byte_budget=settings.bucket_bytes,
                object_budget=settings.bucket_objects,
                max_listed=settings.max_listed,
            ),
        )
        return cls(settings, ctx, clients, scan)

    def classify_bucket(self, bucket: _Bucket, budget: int) -> BucketData:
        spec = S3Spec(self.scan.aws, bucket.name, "", bucket.region or None, self.scan.limits)
        ctx = replace(self.ctx, sampling=replace(self.ctx.sampling, byte_budget=budget))
        source = S3Source(self.clients, bucket.name, region=bucket.region or None)
        try:
            report = classify_source(spec, ctx, source=source)
        except AndonError as exc:
            log.warning("classifying bucket %s failed: %s", bucket.name, exc)
            return BucketData.skipped(f"classification failed: {exc}")
        except Exception as exc:  # a bug must not cost the exposure scan its findings
            # no traceback: an exception's message may quote the content it choked on
            log.warning("classifying bucket %s failed: %s", bucket.name, describe(exc))
            return BucketData.skipped(f"classification failed: {describe(exc)}")
        self.spent += report.stored_bytes_covered
        data = BucketData.from_report(report)
        log.info(
            "bucket %s: %s sensitivity, %d subjects, %.1f %% inspected",
            bucket.name,
            data.sensitivity.value,
            data.subjects,
            report.inspected_fraction * 100,
        )
        return data

    def __call__(self, findings: list[Finding]) -> list[Finding]:
        found: dict[str, BucketData] = {}
        for bucket in exposed_buckets(findings):
            room = self.settings.total_bytes - self.spent
            if room <= 0:
                found[bucket.uid] = BucketData.skipped(
                    f"the scan's classification budget ({self.settings.total_bytes} bytes) was "
                    "spent on buckets read before this one"
                )
                continue
            found[bucket.uid] = self.classify_bucket(bucket, min(self.settings.bucket_bytes, room))
        return [
            enrich(f, found[uid]) if (uid := f.resource.get("uid", "")) in found else f
            for f in findings
        ]
