"""The seeded estate, read back through boto3 over real HTTP from moto's server."""

from __future__ import annotations

import csv
import gzip
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from andon.core.model import Access
from andon.demo import ADMIN_USER, SCANNER_USER, EmulatedCloud, EstateManifest, Verdict
from andon.demo import telemetry as tm
from andon.demo.layout import ALL_USERS, EXEMPTION_REASON, GAP_BUCKET

SEEDING_BUDGET_S = 10.0  # measured ~1.5 s on the 2-core dev machine; generous for slow CI


@pytest.fixture(scope="module")
def estate() -> Iterator[tuple[EmulatedCloud, EstateManifest, float]]:
    with EmulatedCloud() as cloud:
        started = time.perf_counter()
        manifest = cloud.seed()
        yield cloud, manifest, time.perf_counter() - started


@pytest.fixture(scope="module")
def cloud(estate: tuple[EmulatedCloud, EstateManifest, float]) -> EmulatedCloud:
    return estate[0]


@pytest.fixture(scope="module")
def manifest(estate: tuple[EmulatedCloud, EstateManifest, float]) -> EstateManifest:
    return estate[1]


@pytest.fixture(scope="module")
def admin(cloud: EmulatedCloud, manifest: EstateManifest) -> Any:
    return cloud.client("s3", manifest.admin)


@pytest.fixture(scope="module")
def scanner(cloud: EmulatedCloud, manifest: EstateManifest) -> Any:
    return cloud.client("s3", manifest.scanner)


def error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return str(e.value.response["Error"]["Code"])


def one(manifest: EstateManifest, verdict: Verdict) -> str:
    (bucket,) = manifest.with_verdict(verdict)
    return bucket.name


def policy(s3: Any, bucket: str) -> dict[str, Any]:
    return dict(json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]))


# -- the manifest --------------------------------------------------------------------------


def test_seeding_is_fast(estate: tuple[EmulatedCloud, EstateManifest, float]) -> None:
    assert estate[2] < SEEDING_BUDGET_S


def test_manifest_lists_every_verdict(manifest: EstateManifest) -> None:
    verdicts = [b.verdict for b in manifest.buckets]
    assert sorted(verdicts) == sorted(
        [Verdict.PUBLIC_ACL, Verdict.PUBLIC_POLICY, Verdict.LATENT, Verdict.EXEMPT_WEBSITE,
         Verdict.PRIVATE, Verdict.PRIVATE, Verdict.PRIVATE, Verdict.GAP]
    )  # fmt: skip
    assert manifest.bucket("telematics-trips-prod").access == {Access.READ, Access.LIST}
    assert manifest.bucket("telematics-archive-2015").access == frozenset()
    assert manifest.bucket("telematics-archive-2015").latent_access == {Access.READ, Access.LIST}
    assert manifest.bucket(GAP_BUCKET).denied_actions == ("s3:GetBucketPolicy",)
    assert manifest.regions == ("ap-northeast-1", "us-east-1")
    assert manifest.coverage_gap and manifest.iam_enforced
    assert manifest.account_id == "123456789012"
    with pytest.raises(KeyError):
        manifest.bucket("no-such-bucket")


def test_manifest_counts_match_what_was_stored(
    manifest: EstateManifest, admin: Any, cloud: EmulatedCloud
) -> None:
    assert (manifest.counts.vehicles, manifest.counts.customers) == (120, 100)
    assert manifest.counts.trips == 48 + 48 // 8 + 48 // 4
    total = 0
    for b in manifest.buckets:
        s3 = cloud.client("s3", manifest.admin) if b.region != cloud.region else admin
        listed = s3.list_objects_v2(Bucket=b.name).get("Contents", [])
        assert len(listed) == b.objects, b.name
        total += len(listed)
    assert total == manifest.counts.objects
    assert manifest.bucket("connected-customer-export").customers == 100
    assert manifest.bucket("connected-customer-export").vehicles == 120


def test_manifest_serializes_without_secrets(manifest: EstateManifest) -> None:
    d = manifest.to_dict()
    text = json.dumps(d)
    assert manifest.scanner.secret_access_key not in text
    assert manifest.scanner.secret_access_key not in repr(manifest)
    assert d["scanner"]["identity"].endswith(f":user/{SCANNER_USER}")
    assert d["buckets"][0]["verdict"] == "public-acl"
    assert d["counts"]["objects"] == manifest.counts.objects


# -- each bucket reads back as intended ----------------------------------------------------


def test_public_acl_bucket(manifest: EstateManifest, admin: Any) -> None:
    name = one(manifest, Verdict.PUBLIC_ACL)
    acl = admin.get_bucket_acl(Bucket=name)
    grants = {
        (g["Grantee"].get("URI", g["Grantee"].get("ID")), g["Permission"]) for g in acl["Grants"]
    }
    assert grants == {(acl["Owner"]["ID"], "FULL_CONTROL"), (ALL_USERS, "READ")}
    rules = admin.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "ObjectWriter"}]
    assert error_code(admin.get_public_access_block, Bucket=name) == (
        "NoSuchPublicAccessBlockConfiguration"
    )
    keys = [o["Key"] for o in admin.list_objects_v2(Bucket=name)["Contents"]]
    for key in keys[:5]:
        object_grants = admin.get_object_acl(Bucket=name, Key=key)["Grants"]
        assert any(
            g["Grantee"].get("URI") == ALL_USERS and g["Permission"] == "READ"
            for g in object_grants
        ), key
    assert error_code(admin.get_bucket_policy, Bucket=name) == "NoSuchBucketPolicy"


def test_public_policy_bucket(manifest: EstateManifest, admin: Any) -> None:
    name = one(manifest, Verdict.PUBLIC_POLICY)
    statements = policy(admin, name)["Statement"]
    assert {(s["Principal"], s["Action"], s["Resource"]) for s in statements} == {
        ("*", "s3:GetObject", f"arn:aws:s3:::{name}/*"),
        ("*", "s3:ListBucket", f"arn:aws:s3:::{name}"),
    }
    assert all(s["Effect"] == "Allow" and "Condition" not in s for s in statements)
    assert error_code(admin.get_public_access_block, Bucket=name) == (
        "NoSuchPublicAccessBlockConfiguration"
    )
    grants = admin.get_bucket_acl(Bucket=name)["Grants"]
    assert all("URI" not in g["Grantee"] for g in grants)


def test_latent_bucket_is_held_back_by_bucket_bpa(manifest: EstateManifest, admin: Any) -> None:
    name = one(manifest, Verdict.LATENT)
    bpa = admin.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert bpa["RestrictPublicBuckets"] and bpa["IgnorePublicAcls"]
    statements = policy(admin, name)["Statement"]
    assert {s["Action"] for s in statements if s["Principal"] == "*"} == {
        "s3:GetObject",
        "s3:ListBucket",
    }


def test_exempt_website_bucket(manifest: EstateManifest, admin: Any) -> None:
    name = one(manifest, Verdict.EXEMPT_WEBSITE)
    website = admin.get_bucket_website(Bucket=name)
    assert website["IndexDocument"] == {"Suffix": "index.html"}
    assert website["ErrorDocument"] == {"Key": "error.html"}
    tags = {t["Key"]: t["Value"] for t in admin.get_bucket_tagging(Bucket=name)["TagSet"]}
    assert tags["andon:public"] == EXEMPTION_REASON == manifest.bucket(name).exemption
    (statement,) = policy(admin, name)["Statement"]
    assert (statement["Principal"], statement["Action"]) == ("*", "s3:GetObject")
    page = admin.get_object(Bucket=name, Key="index.html")
    assert page["ContentType"] == "text/html"


def test_private_buckets(manifest: EstateManifest, cloud: EmulatedCloud) -> None:
    staging, registry, firmware = (b.name for b in manifest.with_verdict(Verdict.PRIVATE))
    s3 = cloud.client("s3", manifest.admin)
    assert error_code(s3.get_public_access_block, Bucket=staging) == (
        "NoSuchPublicAccessBlockConfiguration"
    )
    for name in (registry, firmware):
        bpa = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        assert all(bpa.values()) and len(bpa) == 4
        rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
        assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    for name in (staging, registry, firmware):
        assert error_code(s3.get_bucket_policy, Bucket=name) == "NoSuchBucketPolicy"
        grants = s3.get_bucket_acl(Bucket=name)["Grants"]
        assert all("URI" not in g["Grantee"] for g in grants)
    assert s3.get_bucket_location(Bucket=firmware).get("LocationConstraint") in (None, "")
    assert s3.get_bucket_location(Bucket=registry)["LocationConstraint"] == "ap-northeast-1"
    assert s3.get_bucket_versioning(Bucket=firmware)["Status"] == "Enabled"


def test_account_level_bpa_is_left_off(manifest: EstateManifest, cloud: EmulatedCloud) -> None:
    s3control = cloud.client("s3control", manifest.admin)
    code = error_code(s3control.get_public_access_block, AccountId=manifest.account_id)
    assert code == "NoSuchPublicAccessBlockConfiguration"


def test_access_points(manifest: EstateManifest, cloud: EmulatedCloud) -> None:
    s3control = cloud.client("s3control", manifest.scanner)
    listed = s3control.list_access_points(AccountId=manifest.account_id)["AccessPointList"]
    by_name = {ap["Name"]: ap for ap in listed}
    assert set(by_name) == {ap.name for ap in manifest.access_points}
    for ap in manifest.access_points:
        got = s3control.get_access_point(AccountId=manifest.account_id, Name=ap.name)
        assert (got["Bucket"], got["NetworkOrigin"]) == (ap.bucket, ap.network_origin)
        if ap.network_origin == "Internet":
            assert ap.verdict is Verdict.LATENT
            assert not any(got["PublicAccessBlockConfiguration"].values())
            doc = s3control.get_access_point_policy(AccountId=manifest.account_id, Name=ap.name)
            (statement,) = json.loads(doc["Policy"])["Statement"]
            assert statement["Principal"] == "*"
            assert manifest.bucket(ap.bucket).verdict is Verdict.LATENT
        else:
            assert ap.verdict is Verdict.PRIVATE
            assert got["VpcConfiguration"]["VpcId"].startswith("vpc-")


# -- the coverage gap ----------------------------------------------------------------------


def test_scanner_is_denied_exactly_the_gap_call(manifest: EstateManifest, scanner: Any) -> None:
    assert error_code(scanner.get_bucket_policy, Bucket=GAP_BUCKET) == "AccessDenied"
    # everything else about the gap bucket stays readable
    scanner.get_bucket_acl(Bucket=GAP_BUCKET)
    scanner.get_bucket_tagging(Bucket=GAP_BUCKET)
    scanner.get_bucket_location(Bucket=GAP_BUCKET)
    assert error_code(scanner.get_public_access_block, Bucket=GAP_BUCKET) == (
        "NoSuchPublicAccessBlockConfiguration"
    )
    keys = [o["Key"] for o in scanner.list_objects_v2(Bucket=GAP_BUCKET)["Contents"]]
    assert len(keys) == manifest.bucket(GAP_BUCKET).objects
    assert scanner.get_object(Bucket=GAP_BUCKET, Key=keys[0])["Body"].read()
    # and the same call on every other bucket with a policy succeeds
    assert policy(scanner, one(manifest, Verdict.PUBLIC_POLICY))["Statement"]
    assert policy(scanner, one(manifest, Verdict.LATENT))["Statement"]


def test_the_hidden_policy_is_public(manifest: EstateManifest, admin: Any) -> None:
    (statement,) = policy(admin, GAP_BUCKET)["Statement"]
    assert (statement["Principal"], statement["Action"]) == ("*", "s3:GetObject")
    assert manifest.bucket(GAP_BUCKET).hidden_access == {Access.READ}


def test_scanner_is_read_only(manifest: EstateManifest, scanner: Any, cloud: EmulatedCloud) -> None:
    assert error_code(scanner.put_object, Bucket=GAP_BUCKET, Key="x", Body=b"x") == "AccessDenied"
    name = one(manifest, Verdict.PUBLIC_ACL)
    assert error_code(scanner.delete_bucket_policy, Bucket=name) == "AccessDenied"
    iam = cloud.client("iam", manifest.scanner)
    assert iam.get_user(UserName=SCANNER_USER)["User"]["UserName"] == SCANNER_USER
    with pytest.raises(ClientError):
        iam.create_user(UserName="intruder")
    sts = cloud.client("sts", manifest.scanner)
    assert sts.get_caller_identity()["Arn"] == manifest.scanner.identity


def test_admin_may_change_things(
    manifest: EstateManifest, admin: Any, cloud: EmulatedCloud
) -> None:
    admin.put_object(Bucket=GAP_BUCKET, Key="tmp/admin-write.txt", Body=b"ok")
    admin.delete_object(Bucket=GAP_BUCKET, Key="tmp/admin-write.txt")
    arn = cloud.client("sts", manifest.admin).get_caller_identity()["Arn"]
    assert arn == manifest.admin.identity and arn.endswith(ADMIN_USER)


def test_dummy_keys_stop_working_once_iam_is_enforced(cloud: EmulatedCloud) -> None:
    assert error_code(cloud.client("s3").list_buckets) == "InvalidAccessKeyId"


# -- the data ------------------------------------------------------------------------------


def read(s3: Any, bucket: str, key: str) -> str:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return str((gzip.decompress(body) if key.endswith(".gz") else body).decode("utf-8"))


def rows_of(key: str, text: str) -> list[dict[str, Any]]:
    if ".jsonl" in key:
        return [json.loads(line) for line in text.splitlines()]
    return list(csv.DictReader(io.StringIO(text)))


def test_trip_files_hold_valid_identifiers_in_japan(manifest: EstateManifest, scanner: Any) -> None:
    name = one(manifest, Verdict.PUBLIC_ACL)
    keys = [o["Key"] for o in scanner.list_objects_v2(Bucket=name)["Contents"]]
    kinds = {k.split(".", 1)[1] for k in keys if k.startswith("trips/")}
    assert kinds == {"csv", "jsonl", "csv.gz"}
    vins: set[str] = set()
    lat_min, lat_max, lon_min, lon_max = tm.JAPAN_BOUNDS
    for key in keys:
        if not key.startswith("trips/"):
            continue
        for row in rows_of(key, read(scanner, name, key)):
            assert tm.vin_is_valid(row["vin"]), row["vin"]
            assert tm.luhn_is_valid(str(row["terminal_id"])), row["terminal_id"]
            assert lat_min < float(row["lat"]) < lat_max
            assert lon_min < float(row["lon"]) < lon_max
            vins.add(row["vin"])
    assert len(vins) == manifest.bucket(name).vehicles


def test_customer_export_holds_japanese_customers(manifest: EstateManifest, scanner: Any) -> None:
    name = one(manifest, Verdict.PUBLIC_POLICY)
    rows = rows_of("c.csv", read(scanner, name, "exports/2025-11-30/customers.csv"))
    assert len({r["customer_id"] for r in rows}) == 100
    assert len(rows) == 120  # one row per customer and car
    for r in rows:
        assert r["email"].split("@")[1] in {"example.com", "example.net", "example.org"}
        assert tm.vin_is_valid(r["vin"]) and tm.luhn_is_valid(r["terminal_id"])
        assert r["phone"] and r["address"] and r["postal_code"]
    notice = read(scanner, name, "_SYNTHETIC_DATA.txt")
    assert notice.startswith("SYNTHETIC DATA")


def test_archive_holds_2015_trips_of_old_cars(manifest: EstateManifest, scanner: Any) -> None:
    name = one(manifest, Verdict.LATENT)
    rows = rows_of("t.csv", read(scanner, name, "archive/2015/trips-2015.csv.gz"))
    assert rows and all(r["recorded_at"][:4] in ("2015", "2016") for r in rows)
