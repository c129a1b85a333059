"""The synthetic connected-car estate the demo scans, seeded with boto3 on an emulator.

The estate re-tells the incident Andon was born from: a carmaker's connected-car cloud that
kept vehicle locations, chassis numbers and in-car terminal ids of its customers public for
years because of one setting. :func:`seed_estate` builds it on a loopback moto server and
returns an :class:`EstateManifest`: every bucket with the verdict a correct scan must reach,
so the demo and the tests can check themselves.

====================================  ==================  ===================================
bucket                                verdict             why
====================================  ==================  ===================================
``telematics-trips-prod``             ``public-acl``      bucket ACL grants READ to AllUsers
                                                          (list); objects are public-read
``connected-customer-export``         ``public-policy``   policy: ``Principal: "*"``,
                                                          s3:GetObject and s3:ListBucket
``telematics-archive-2015``           ``latent``          public policy stored, held back
                                                          by the bucket's Block Public Access
``connected-drive-www``               ``exempt-website``  static website, public policy,
                                                          tagged ``andon:public = <reason>``
``telematics-trips-staging``          ``private``         no BPA configuration, no grants
``vehicle-registry-prod``             ``private``         BPA on, ACLs disabled, encrypted
``dcm-firmware-builds``               ``private``         BPA on, versioned, in us-east-1
``driver-score-exports``              ``gap``             the scanner may not read its policy
====================================  ==================  ===================================

Account-level Block Public Access is left off (never configured), as in the incident.
Two access points: ``archive-partner-ap`` (Internet origin, public policy, on the latent
bucket: latent as well) and ``staging-analytics-vpc-ap`` (VPC origin: private).

**The coverage gap.** moto checks IAM only when its process-wide switch is on, and then for
every request. The seeding runs with the switch off and dummy keys, creates two IAM users,
then turns the switch on through moto's ``/moto-api/reset-auth`` endpoint:

* ``andon-demo-admin`` may do anything (use it to remediate);
* ``andon-scanner`` may Get/List/Describe, except ``s3:GetBucketPolicy`` on
  ``driver-score-exports``, which is denied explicitly. The scan must answer ``UNKNOWN`` for
  that bucket (its hidden policy in fact makes it public), never ``PRIVATE``.

From then on only those two users' keys work, and unsigned requests fail (see
:mod:`andon.demo.server`). ``coverage_gap=False`` skips all of this: no gap bucket, no
enforcement, and the dummy keys stay valid for everyone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from andon.core.errors import ConfigError
from andon.core.model import Access
from andon.demo.layout import (
    BPA_ALL_OFF,
    GAP_BUCKET,
    GAP_DENIED_ACTIONS,
    BucketPlan,
    content_digest,
    content_type,
    plan_estate,
    policy_document,
)
from andon.demo.manifest import (
    AccessPointManifest,
    BucketManifest,
    DataCounts,
    EstateManifest,
    Verdict,
)
from andon.demo.server import (
    DEFAULT_REGION,
    DUMMY_CREDENTIALS,
    Credentials,
    loopback_url,
    make_client,
    moto_api,
    new_session,
)

SCANNER_USER = "andon-scanner"
ADMIN_USER = "andon-demo-admin"

__all__ = [
    "ADMIN_USER",
    "SCANNER_USER",
    "AccessPointManifest",
    "BucketManifest",
    "DataCounts",
    "EstateManifest",
    "Verdict",
    "seed_estate",
]


def seed_estate(
    endpoint_url: str,
    region: str = DEFAULT_REGION,
    *,
    seed: int = 42,
    trips: int = 48,
    vehicles: int = 120,
    customers: int = 100,
    coverage_gap: bool = True,
    credentials: Credentials = DUMMY_CREDENTIALS,
    workers: int = 4,
) -> EstateManifest:
    """Build the connected-car estate on the moto server at ``endpoint_url`` (loopback only).

    The server must be fresh (no estate bucket yet) and must not enforce IAM yet; an
    :class:`~andon.demo.server.EmulatedCloud` just started is. ``trips`` is the number of trip
    files in the incident bucket (staging and archive get an eighth and a quarter of it).
    With ``coverage_gap`` the server enforces IAM afterwards and only
    :attr:`EstateManifest.scanner` and :attr:`EstateManifest.admin` keys work.
    """
    loopback_url(endpoint_url)
    if min(trips, vehicles, customers) < 1:
        raise ConfigError("trips, vehicles and customers must each be at least 1")
    if workers < 1:
        raise ConfigError("workers must be at least 1")

    session = new_session(credentials)  # one session: API models are loaded once

    def client(service: str, where: str = region) -> Any:
        return make_client(service, endpoint_url, where, session=session)

    try:
        from botocore.exceptions import ClientError
    except ImportError as e:  # pragma: no cover - boto3 is part of the demo extra
        raise ConfigError("install andon[demo] to seed the demo estate") from e

    try:
        account_id = str(client("sts").get_caller_identity()["Account"])
        s3 = client("s3")
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    except ClientError as e:
        raise ConfigError(
            f"cannot seed the estate with these credentials ({e}); seed a freshly started "
            "emulator, before IAM enforcement is on"
        ) from e

    plans, (trip_count, points) = plan_estate(
        seed, region, vehicles=vehicles, customers=customers, trips=trips, gap=coverage_gap
    )
    clash = sorted(existing & {p.manifest.name for p in plans})
    if clash:
        raise ConfigError(f"the emulator already holds {', '.join(clash)}; seed a fresh one")

    clients = {r: client("s3", r) for r in {p.manifest.region for p in plans}}
    for plan in plans:
        s3 = clients[plan.manifest.region]
        if plan.manifest.region == "us-east-1":
            s3.create_bucket(Bucket=plan.manifest.name)
        else:
            s3.create_bucket(
                Bucket=plan.manifest.name,
                CreateBucketConfiguration={"LocationConstraint": plan.manifest.region},
            )
        for step in plan.configure:
            step(s3, plan.manifest.name)

    def put(job: tuple[BucketPlan, str]) -> None:
        plan, key = job
        extra: dict[str, str] = {}
        if plan.object_acl:
            extra["ACL"] = plan.object_acl
        clients[plan.manifest.region].put_object(
            Bucket=plan.manifest.name,
            Key=key,
            Body=plan.objects[key],
            ContentType=plan.content_types.get(key) or content_type(key),
            **extra,
        )

    jobs = [(p, k) for p in plans for k in sorted(p.objects)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(put, jobs))  # list(): re-raise the first failure here

    access_points = _seed_access_points(client("s3control"), account_id, region)

    scanner = admin = credentials
    gap_note = "no coverage gap requested: IAM is not enforced and any credentials work"
    if coverage_gap:
        scanner, admin = _seed_identities(client("iam"), account_id)
        moto_api(endpoint_url, "reset-auth", b"0")
        gap_note = (
            f"{SCANNER_USER} is denied {', '.join(GAP_DENIED_ACTIONS)} on {GAP_BUCKET} by an "
            "explicit Deny in its IAM policy; moto enforces IAM for every request from now on"
        )

    return EstateManifest(
        seed=seed,
        region=region,
        account_id=account_id,
        buckets=tuple(p.manifest for p in plans),
        access_points=access_points,
        counts=DataCounts(
            vehicles=vehicles,
            customers=customers,
            trips=trip_count,
            trip_points=points,
            objects=len(jobs),
        ),
        content_digest=content_digest(plans),
        coverage_gap=coverage_gap,
        iam_enforced=coverage_gap,
        gap_note=gap_note,
        scanner=scanner,
        admin=admin,
    )


ARCHIVE_AP = "archive-partner-ap"
STAGING_AP = "staging-analytics-vpc-ap"


def _seed_access_points(
    s3control: Any, account_id: str, region: str
) -> tuple[AccessPointManifest, ...]:
    archive = "telematics-archive-2015"
    s3control.create_access_point(
        AccountId=account_id,
        Name=ARCHIVE_AP,
        Bucket=archive,
        PublicAccessBlockConfiguration=BPA_ALL_OFF,
    )
    s3control.put_access_point_policy(
        AccountId=account_id,
        Name=ARCHIVE_AP,
        Policy=policy_document(
            {
                "Sid": "MapPartnerReadThroughAccessPoint",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:{region}:{account_id}:accesspoint/{ARCHIVE_AP}/object/*",
            }
        ),
    )
    s3control.create_access_point(
        AccountId=account_id,
        Name=STAGING_AP,
        Bucket="telematics-trips-staging",
        VpcConfiguration={"VpcId": "vpc-0a1b2c3d4e5f60718"},
    )
    return (
        AccessPointManifest(
            ARCHIVE_AP,
            archive,
            "Internet",
            Verdict.LATENT,
            latent_access=frozenset({Access.READ}),
        ),
        AccessPointManifest(STAGING_AP, "telematics-trips-staging", "VPC", Verdict.PRIVATE),
    )


SCANNER_POLICY_ACTIONS = (
    "s3:Get*",
    "s3:List*",
    "s3:HeadBucket",  # moto names HEAD on a bucket s3:HeadBucket (AWS checks s3:ListBucket)
    "iam:Get*",
    "iam:List*",
    "sts:GetCallerIdentity",
    "ec2:Describe*",
    "rds:Describe*",
    "config:Describe*",
    "config:Get*",
    "config:List*",
    "cloudtrail:Describe*",
    "cloudtrail:Get*",
    "cloudtrail:LookupEvents",
    "organizations:Describe*",
    "organizations:List*",
)


def _seed_identities(iam: Any, account_id: str) -> tuple[Credentials, Credentials]:
    """The admin and the read-only scanner (denied the gap call); returns their keys."""
    iam.create_user(UserName=ADMIN_USER, Tags=[{"Key": "purpose", "Value": "andon demo admin"}])
    iam.put_user_policy(
        UserName=ADMIN_USER,
        PolicyName="DemoAdministrator",
        PolicyDocument=policy_document({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )
    iam.create_user(UserName=SCANNER_USER, Tags=[{"Key": "purpose", "Value": "andon scans"}])
    iam.put_user_policy(
        UserName=SCANNER_USER,
        PolicyName="AndonReadOnlyAudit",
        PolicyDocument=policy_document(
            {
                "Sid": "ReadConfiguration",
                "Effect": "Allow",
                "Action": list(SCANNER_POLICY_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "DataPlatformKeepsDriverScorePolicyPrivate",
                "Effect": "Deny",
                "Action": list(GAP_DENIED_ACTIONS),
                "Resource": f"arn:aws:s3:::{GAP_BUCKET}",
            },
        ),
    )

    def keys(user: str) -> Credentials:
        key = iam.create_access_key(UserName=user)["AccessKey"]
        arn = f"arn:aws:iam::{account_id}:user/{user}"
        return Credentials(str(key["AccessKeyId"]), str(key["SecretAccessKey"]), arn)

    return keys(SCANNER_USER), keys(ADMIN_USER)
