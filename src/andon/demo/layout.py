"""The layout of the connected-car estate: which buckets, configured how, holding what.

:func:`plan_estate` is pure: it generates the synthetic data (:mod:`andon.demo.telemetry`) and
returns one :class:`BucketPlan` per bucket, with the configuration steps to run through a boto3
S3 client and the bytes of every object. :mod:`andon.demo.estate` carries the plan out.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from andon.core.model import Access
from andon.demo import telemetry as tm
from andon.demo.manifest import BucketManifest, Verdict

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
EXEMPTION_TAG = "andon:public"
EXEMPTION_REASON = "static marketing site, owner web-team, until 2027-06-30"
GAP_BUCKET = "driver-score-exports"
GAP_DENIED_ACTIONS = ("s3:GetBucketPolicy",)
FIRMWARE_REGION = "us-east-1"
BPA_ALL_ON = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
BPA_ALL_OFF = dict.fromkeys(BPA_ALL_ON, False)


@dataclass
class BucketPlan:
    """A bucket to create: its configuration steps and its objects."""

    manifest: BucketManifest
    configure: list[Callable[[Any, str], None]] = field(default_factory=list)
    objects: dict[str, bytes] = field(default_factory=dict)
    object_acl: str = ""  # canned ACL for every object ("public-read"), or none
    content_types: dict[str, str] = field(default_factory=dict)


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _public_read_policy(bucket: str, sid: str, *, list_bucket: bool) -> str:
    statements: list[dict[str, Any]] = [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
    ]
    if list_bucket:
        statements.append(
            {
                "Sid": f"{sid}List",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
            }
        )
    return policy_document(*statements)


def _tags(tags: dict[str, str]) -> Callable[[Any, str], None]:
    tag_set = [{"Key": k, "Value": v} for k, v in tags.items()]
    return lambda s3, b: s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": tag_set})


def _bucket_policy(policy: str) -> Callable[[Any, str], None]:
    return lambda s3, b: s3.put_bucket_policy(Bucket=b, Policy=policy)


def _bpa(config: dict[str, bool]) -> Callable[[Any, str], None]:
    return lambda s3, b: s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=config)


def _ownership(rule: str) -> Callable[[Any, str], None]:
    return lambda s3, b: s3.put_bucket_ownership_controls(
        Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": rule}]}
    )


def _acl_all_users_read(s3: Any, bucket: str) -> None:
    """Owner FULL_CONTROL plus READ for AllUsers, granted explicitly (not a canned ACL)."""
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]
    s3.put_bucket_acl(
        Bucket=bucket,
        AccessControlPolicy={
            "Owner": owner,
            "Grants": [
                {
                    "Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]},
                    "Permission": "FULL_CONTROL",
                },
                {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
            ],
        },
    )


def _website(s3: Any, bucket: str) -> None:
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "ErrorDocument": {"Key": "error.html"},
        },
    )


def _encryption(s3: Any, bucket: str) -> None:
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def _versioning(s3: Any, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def _trip_key(trip: tm.Trip, ext: str) -> str:
    return f"trips/{trip.started_at:%Y/%m/%d}/{trip.trip_id}.{ext}"


def _subjects(rows: Iterable[dict[str, Any]]) -> tuple[int, int]:
    vins: set[str] = set()
    customers: set[str] = set()
    for r in rows:
        if r.get("vin"):
            vins.add(str(r["vin"]))
        if r.get("customer_id"):
            customers.add(str(r["customer_id"]))
    return len(vins), len(customers)


_WEBSITE_INDEX = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>Connected Drive (demo)</title>
<link rel="stylesheet" href="assets/site.css"></head>
<body><h1>Connected Drive</h1>
<p>つながるクルマのサービス。This is the public marketing site of a made-up carmaker,
published on purpose (andon:public). It holds no personal data.</p></body></html>
"""
_WEBSITE_ERROR = "<!doctype html><title>Not found</title><p>ページが見つかりません。</p>\n"
_WEBSITE_CSS = "body { font-family: sans-serif; margin: 3em; color: #222; }\n"


def plan_estate(
    seed: int, region: str, *, vehicles: int, customers: int, trips: int, gap: bool
) -> tuple[list[BucketPlan], tuple[int, int]]:
    """Every bucket with its configuration and object bytes; also (trips, trip points)."""
    rng = random.Random(seed)
    fleet = tm.make_fleet(tm.new_faker(seed), rng, customers=customers, vehicles=vehicles)
    prod_trips = tm.make_trips(
        rng, fleet.vehicles, count=trips, start=tm.EPOCH, days=90, prefix="T"
    )
    staging_trips = tm.make_trips(
        rng,
        fleet.vehicles[: max(1, vehicles // 10)],
        count=max(2, trips // 8),
        start=tm.EPOCH,
        days=30,
        prefix="S",
    )
    old_cars = [v for v in fleet.vehicles if v.model_year <= 2015] or list(fleet.vehicles[:1])
    archive_trips = tm.make_trips(
        rng, old_cars, count=max(4, trips // 4), start=tm.ARCHIVE_EPOCH, days=365, prefix="A"
    )
    notice = {"_SYNTHETIC_DATA.txt": tm.SYNTHETIC_NOTICE}
    plans: list[BucketPlan] = []

    # 1. The incident bucket: trip logs, public through a bucket ACL and public-read objects.
    objs: dict[str, bytes] = dict(notice)
    for i, trip in enumerate(prod_trips):
        rows = tm.trip_rows([trip])
        if i == 0:
            objs[_trip_key(trip, "csv.gz")] = tm.gzip_bytes(tm.render_csv(tm.TRIP_COLUMNS, rows))
        elif i % 3 == 2:
            objs[_trip_key(trip, "jsonl")] = tm.render_jsonl(rows)
        else:
            objs[_trip_key(trip, "csv")] = tm.render_csv(tm.TRIP_COLUMNS, rows)
    vins, _ = _subjects(tm.trip_rows(prod_trips))
    name = "telematics-trips-prod"
    plans.append(
        BucketPlan(
            BucketManifest(
                name,
                region,
                Verdict.PUBLIC_ACL,
                "trip logs of the connected-car service; bucket ACL grants READ to AllUsers "
                "(anyone can list) and every object is public-read (anyone can read)",
                access=frozenset({Access.READ, Access.LIST}),
                data=("location", "vin", "chassis_no", "imei"),
                vehicles=vins,
            ),
            [
                _ownership("ObjectWriter"),
                _acl_all_users_read,
                _tags({"owner": "telematics-team", "env": "prod", "data": "vehicle-location"}),
            ],
            objs,
            object_acl="public-read",
        )
    )

    # 2. Customer export: public through a bucket policy with Principal "*".
    cust_rows = tm.customer_rows(fleet)
    veh_rows = tm.vehicle_rows(fleet.vehicles)
    name = "connected-customer-export"
    objs = {
        **notice,
        "exports/2025-11-30/customers.csv": tm.render_csv(tm.CUSTOMER_COLUMNS, cust_rows),
        "exports/2025-11-30/vehicles.jsonl": tm.render_jsonl(veh_rows),
    }
    vins, custs = _subjects([*cust_rows, *veh_rows])
    plans.append(
        BucketPlan(
            BucketManifest(
                name,
                region,
                Verdict.PUBLIC_POLICY,
                "nightly customer and vehicle export for a call-centre vendor; bucket policy "
                'allows s3:GetObject and s3:ListBucket to Principal "*"',
                access=frozenset({Access.READ, Access.LIST}),
                data=("name", "phone", "email", "address", "vin", "chassis_no", "imei"),
                vehicles=vins,
                customers=custs,
            ),
            [
                _bucket_policy(_public_read_policy(name, "CallCentreVendorRead", list_bucket=True)),
                _tags({"owner": "crm-team", "env": "prod", "data": "customer-pii"}),
            ],
            objs,
        )
    )

    # 3. The 2015 archive: its public policy is still there, held back only by bucket BPA.
    arch_rows = tm.trip_rows(archive_trips)
    old_owners = {v.customer_id for v in old_cars}
    old_customers = tm.customer_rows(
        tm.Fleet(tuple(c for c in fleet.customers if c.customer_id in old_owners), tuple(old_cars))
    )
    name = "telematics-archive-2015"
    objs = {
        **notice,
        "archive/2015/trips-2015.csv.gz": tm.gzip_bytes(tm.render_csv(tm.TRIP_COLUMNS, arch_rows)),
        "archive/2015/customers-2015.csv": tm.render_csv(tm.CUSTOMER_COLUMNS, old_customers),
    }
    vins, custs = _subjects([*arch_rows, *old_customers])
    plans.append(
        BucketPlan(
            BucketManifest(
                name,
                region,
                Verdict.LATENT,
                "2015 archive once shared with a map partner; its policy still allows "
                's3:GetObject and s3:ListBucket to Principal "*", held back only by the '
                "bucket's Block Public Access (RestrictPublicBuckets): one switch from public",
                latent_access=frozenset({Access.READ, Access.LIST}),
                data=("location", "vin", "chassis_no", "imei", "name", "phone", "email", "address"),
                vehicles=vins,
                customers=custs,
            ),
            [
                _bucket_policy(_public_read_policy(name, "LegacyMapPartnerRead", list_bucket=True)),
                _bpa(BPA_ALL_ON),
                _tags({"owner": "telematics-team", "env": "archive"}),
            ],
            objs,
        )
    )

    # 4. The marketing website: public on purpose, and says so with the exemption tag.
    name = "connected-drive-www"
    objs = {
        "index.html": _WEBSITE_INDEX.encode(),
        "error.html": _WEBSITE_ERROR.encode(),
        "assets/site.css": _WEBSITE_CSS.encode(),
        "robots.txt": b"User-agent: *\nAllow: /\n",
    }
    plans.append(
        BucketPlan(
            BucketManifest(
                name,
                region,
                Verdict.EXEMPT_WEBSITE,
                "static marketing website: website hosting and a public-read policy, tagged "
                f"{EXEMPTION_TAG} with the reason, the owner and an end date",
                access=frozenset({Access.READ}),
                exemption=EXEMPTION_REASON,
                data=("web",),
            ),
            [
                _website,
                _bucket_policy(_public_read_policy(name, "PublicWebsite", list_bucket=False)),
                _tags({"owner": "web-team", "env": "prod", EXEMPTION_TAG: EXEMPTION_REASON}),
            ],
            objs,
            content_types={
                "index.html": "text/html",
                "error.html": "text/html",
                "assets/site.css": "text/css",
                "robots.txt": "text/plain",
            },
        )
    )

    # 5-7. Private buckets: one with nothing configured, two locked down.
    name = "telematics-trips-staging"
    objs = dict(notice)
    for trip in staging_trips:
        objs[_trip_key(trip, "jsonl")] = tm.render_jsonl(tm.trip_rows([trip]))
    vins, _ = _subjects(tm.trip_rows(staging_trips))
    plans.append(
        BucketPlan(
            BucketManifest(
                name,
                region,
                Verdict.PRIVATE,
                "staging trip logs; no Block Public Access configuration, but no public grant",
                data=("location", "vin", "chassis_no", "imei"),
                vehicles=vins,
            ),
            [_tags({"owner": "telematics-team", "env": "staging"})],
            objs,
        )
    )
    name = "vehicle-registry-prod"
    objs = {**notice, "registry/vehicles.csv": tm.render_csv(tm.VEHICLE_COLUMNS, veh_rows)}
    vins, custs = _subjects(veh_rows)
    plans.append(
        BucketPlan(
            BucketManifest(
                name,
                region,
                Verdict.PRIVATE,
                "vehicle registry; Block Public Access on, ACLs disabled (BucketOwnerEnforced), "
                "default encryption",
                data=("vin", "chassis_no", "imei"),
                vehicles=vins,
                customers=custs,
            ),
            [
                _bpa(BPA_ALL_ON),
                _ownership("BucketOwnerEnforced"),
                _encryption,
                _tags({"owner": "vehicle-platform", "env": "prod"}),
            ],
            objs,
        )
    )
    name = "dcm-firmware-builds"
    firmware = random.Random(seed + 1).randbytes(4096)
    objs = {
        "dcm/firmware-4.2.1.bin": firmware,
        "dcm/manifest.json": json.dumps(
            {"version": "4.2.1", "sha256": hashlib.sha256(firmware).hexdigest(), "synthetic": True}
        ).encode(),
    }
    plans.append(
        BucketPlan(
            BucketManifest(
                name,
                FIRMWARE_REGION,
                Verdict.PRIVATE,
                "firmware builds of the in-car terminal (random bytes); Block Public Access "
                f"on, versioned, in {FIRMWARE_REGION}",
                data=("firmware",),
            ),
            [
                _bpa(BPA_ALL_ON),
                _ownership("BucketOwnerEnforced"),
                _versioning,
                _tags({"owner": "dcm-team", "env": "prod"}),
            ],
            objs,
        )
    )

    # 8. The coverage gap: the scanner may not read this bucket's policy (which is public).
    if gap:
        name = GAP_BUCKET
        score_rows = [
            {
                "customer_id": v.customer_id,
                "vin": v.vin,
                "safety_score": rng.randint(40, 100),
                "night_driving_ratio": round(rng.uniform(0, 0.6), 2),
                "hard_braking_per_100km": round(rng.uniform(0, 4), 1),
            }
            for v in fleet.vehicles
        ]
        objs = {
            **notice,
            "scores/2025-11.csv": tm.render_csv(
                tuple(score_rows[0]) if score_rows else (), score_rows
            ),
        }
        vins, custs = _subjects(score_rows)
        plans.append(
            BucketPlan(
                BucketManifest(
                    name,
                    region,
                    Verdict.GAP,
                    "driver scores for an insurance partner; the scanner is denied "
                    "s3:GetBucketPolicy here, so its exposure is UNKNOWN (the hidden policy "
                    'allows s3:GetObject to Principal "*")',
                    hidden_access=frozenset({Access.READ}),
                    denied_actions=GAP_DENIED_ACTIONS,
                    data=("vin", "driving-behaviour"),
                    vehicles=vins,
                    customers=custs,
                ),
                [
                    _bucket_policy(_public_read_policy(name, "InsurerRead", list_bucket=False)),
                    _tags({"owner": "data-platform", "env": "prod"}),
                ],
                objs,
            )
        )

    points = sum(len(t.points) for t in (*prod_trips, *staging_trips, *archive_trips))
    counted = len(prod_trips) + len(staging_trips) + len(archive_trips)
    for plan in plans:
        plan.manifest = replace(plan.manifest, objects=len(plan.objects))
    return plans, (counted, points)


_CONTENT_TYPES = {
    ".csv": "text/csv",
    ".jsonl": "application/x-ndjson",
    ".json": "application/json",
    ".gz": "application/gzip",
    ".txt": "text/plain",
    ".bin": "application/octet-stream",
}


def content_type(key: str) -> str:
    for suffix, kind in _CONTENT_TYPES.items():
        if key.endswith(suffix):
            return kind
    return "application/octet-stream"


def content_digest(plans: Iterable[BucketPlan]) -> str:
    h = hashlib.sha256()
    for plan in plans:
        for key in sorted(plan.objects):
            h.update(f"{plan.manifest.name}/{key}\0".encode())
            h.update(hashlib.sha256(plan.objects[key]).digest())
    return h.hexdigest()
