"""Each S3 rule fires, or does not, on crafted Resource + Exposure inputs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon.core.model import Access, Exposure, Level, Severity, Status, finding_id
from andon.rules import Registry, default_registry

R, L, W, RA, WA = Access.READ, Access.LIST, Access.WRITE, Access.READ_ACL, Access.WRITE_ACL
PUB, XACC, UNK, PRIV = Level.PUBLIC, Level.CROSS_ACCOUNT, Level.UNKNOWN, Level.PRIVATE

BUCKET_CASES: list[tuple[str, Level, set[Access], set[Access], Any, bool]] = [
    # rule id, level, access, latent_access, website attribute, fires?
    ("s3.bucket.public_read", PUB, {R}, set(), False, True),
    ("s3.bucket.public_read", PUB, {R, L, W}, set(), False, True),
    ("s3.bucket.public_read", PUB, {L}, set(), False, False),
    ("s3.bucket.public_read", XACC, {R}, set(), False, False),
    ("s3.bucket.public_read", UNK, {R}, set(), False, False),
    ("s3.bucket.public_read", PRIV, set(), set(), False, False),
    ("s3.bucket.public_read", PRIV, set(), {R}, False, False),
    ("s3.bucket.public_list", PUB, {L}, set(), False, True),
    ("s3.bucket.public_list", PUB, {R}, set(), False, False),
    ("s3.bucket.public_list", XACC, {L}, set(), False, False),
    ("s3.bucket.public_write", PUB, {W}, set(), False, True),
    ("s3.bucket.public_write", PUB, {R, L, RA, WA}, set(), False, False),
    ("s3.bucket.public_write", UNK, {W}, set(), False, False),
    ("s3.bucket.public_acl_change", PUB, {WA}, set(), False, True),
    ("s3.bucket.public_acl_change", PUB, {RA}, set(), False, False),
    ("s3.bucket.public_acl_change", PRIV, set(), {WA}, False, False),
    ("s3.bucket.public_acl_read", PUB, {RA}, set(), False, True),
    ("s3.bucket.public_acl_read", PUB, {WA}, set(), False, False),
    ("s3.bucket.latent_exposure", PRIV, set(), {R}, False, True),
    ("s3.bucket.latent_exposure", UNK, set(), {L}, False, True),
    ("s3.bucket.latent_exposure", PUB, {R}, {R, W}, False, True),
    ("s3.bucket.latent_exposure", PUB, {R}, {R}, False, False),
    ("s3.bucket.latent_exposure", PUB, {R, L}, set(), False, False),
    ("s3.bucket.latent_exposure", PRIV, set(), set(), False, False),
    ("s3.bucket.public_website", PUB, {R}, set(), True, True),
    ("s3.bucket.public_website", PUB, {R}, set(), False, False),
    ("s3.bucket.public_website", PUB, {R}, set(), {"unknown": "AccessDenied"}, False),
    ("s3.bucket.public_website", PUB, {R}, set(), "true", False),
    ("s3.bucket.public_website", PUB, {L}, set(), True, False),
    ("s3.bucket.public_website", PRIV, set(), {R}, True, False),
    ("s3.bucket.public_website", XACC, {R}, set(), True, False),
]


@pytest.mark.parametrize(
    ("rule_id", "level", "access", "latent", "website", "fires"),
    BUCKET_CASES,
    ids=[f"{c[0].split('.')[-1]}-{c[1].value}-{i}" for i, c in enumerate(BUCKET_CASES)],
)
def test_bucket_rule_table(
    registry: Registry,
    rule_id: str,
    level: Level,
    access: set[Access],
    latent: set[Access],
    website: Any,
    fires: bool,
    build: Any,
) -> None:
    rule = registry.get(rule_id)
    finding = rule.check(build.bucket(website=website), build.exposure(level, access, latent))
    assert (finding is not None) is fires


ACCOUNT_CASES: list[tuple[Any, list[str] | None]] = [
    # public_access_block attribute, expected "off" list (None: no finding)
    (None, ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]),
    (
        {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
        None,
    ),
    (
        {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
        ["RestrictPublicBuckets"],
    ),
    (
        {"BlockPublicAcls": True, "BlockPublicPolicy": True},
        ["IgnorePublicAcls", "RestrictPublicBuckets"],
    ),
    ({}, ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]),
    (
        {
            "block_public_acls": True,
            "ignore_public_acls": True,
            "block_public_policy": True,
            "restrict_public_buckets": True,
        },
        None,
    ),
    (
        {
            "BlockPublicAcls": "true",  # not a bool: not on
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
        ["BlockPublicAcls"],
    ),
    ({"unknown": "AccessDenied on GetPublicAccessBlock"}, None),
    ("garbage", None),
]


@pytest.mark.parametrize(("pab", "off"), ACCOUNT_CASES)
def test_account_bpa_off_table(
    registry: Registry, pab: Any, off: list[str] | None, build: Any
) -> None:
    finding = registry.get("s3.account.bpa_off").check(build.account(pab), build.exposure(PRIV))
    if off is None:
        assert finding is None
    else:
        assert finding is not None
        assert finding.evidence["off"] == off
        assert finding.severity is Severity.MEDIUM


def test_account_bpa_off_evidence_shows_config(registry: Registry, build: Any) -> None:
    rule = registry.get("s3.account.bpa_off")
    finding = rule.check(build.account({"BlockPublicAcls": True}), build.exposure(PRIV))
    assert finding is not None
    assert finding.evidence["public_access_block"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    none = rule.check(build.account(None), build.exposure(PRIV))
    assert none is not None and none.evidence["public_access_block"] is None


def test_account_rule_needs_the_attribute(registry: Registry, build: Any) -> None:
    """A resource on which the setting was not collected gets no finding (not 'all off')."""
    assert registry.get("s3.account.bpa_off").check(build.account(), build.exposure(PRIV)) is None


def test_rules_ignore_other_kinds_and_clouds(registry: Registry, build: Any) -> None:
    everything = build.exposure(PUB, set(Access), set(Access))
    for rule in registry.for_kind("storage.bucket"):
        assert rule.check(build.account(None), everything) is None
        assert rule.check(build.bucket(cloud="gcp", website=True), everything) is None
        assert (
            rule.check(build.bucket(kind="storage.access_point", website=True), everything) is None
        )
    bpa = registry.get("s3.account.bpa_off")
    assert bpa.check(build.bucket(), everything) is None
    assert bpa.check(build.account(None, cloud="azure"), everything) is None
    assert bpa.check(build.account(None, cloud="AWS"), everything) is not None


def test_finding_carries_meta_evidence_and_exposure(registry: Registry, build: Any) -> None:
    rule = registry.get("s3.bucket.public_read")
    res = build.bucket()
    exp = build.exposure(PUB, {R, L}, {R, L, W})
    finding = rule.check(res, exp)
    assert finding is not None
    assert finding.rule_id == "s3.bucket.public_read"
    assert finding.title == rule.meta.title
    assert finding.severity is Severity.CRITICAL
    assert finding.status is Status.OPEN
    assert finding.remediation == rule.meta.remediation.summary
    assert finding.exposure is exp
    assert finding.resource == res.ref()
    assert finding.evidence == {
        "matched": "read",
        "level": "PUBLIC",
        "access": ["read", "list"],
        "latent_access": ["read", "list", "write"],
    }
    json.dumps(finding.to_dict())  # evidence is JSON-serializable


def test_website_and_latent_evidence(registry: Registry, build: Any) -> None:
    web = registry.get("s3.bucket.public_website").check(
        build.bucket(website=True), build.exposure(PUB, {R})
    )
    assert web is not None and web.evidence["website"] is True
    assert web.evidence["access"] == ["read"]
    latent = registry.get("s3.bucket.latent_exposure").check(
        build.bucket(), build.exposure(PUB, {R}, {R, L, WA})
    )
    assert latent is not None
    assert latent.evidence["latent_only"] == ["list", "write-acl"]
    assert latent.evidence["latent_access"] == ["read", "list", "write-acl"]


def test_finding_id_is_stable_hash_of_rule_and_resource(registry: Registry, build: Any) -> None:
    rule = registry.get("s3.bucket.public_read")
    a = rule.check(build.bucket(), build.exposure(PUB, {R}))
    b = (
        default_registry()
        .get("s3.bucket.public_read")
        .check(build.bucket(website=True, tags={"team": "x"}), build.exposure(PUB, {R, W}, {R}))
    )
    assert a is not None and b is not None
    assert a.id == b.id == finding_id("s3.bucket.public_read", "arn:aws:s3:::carmaker-telemetry")
    expected = hashlib.sha256(
        b"s3.bucket.public_read\x00arn:aws:s3:::carmaker-telemetry"
    ).hexdigest()[:20]
    assert a.id == expected
    other = rule.check(build.bucket(uid="arn:aws:s3:::other"), build.exposure(PUB, {R}))
    assert other is not None and other.id != a.id
    list_finding = registry.get("s3.bucket.public_list").check(
        build.bucket(), build.exposure(PUB, {L})
    )
    assert list_finding is not None and list_finding.id != a.id


PUBLIC_RULES = {
    "s3.bucket.public_read": Access.READ,
    "s3.bucket.public_list": Access.LIST,
    "s3.bucket.public_write": Access.WRITE,
    "s3.bucket.public_acl_read": Access.READ_ACL,
    "s3.bucket.public_acl_change": Access.WRITE_ACL,
}
access_sets = st.frozensets(st.sampled_from(list(Access)))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # builders are stateless
@given(
    level=st.sampled_from(list(Level)),
    access=access_sets,
    latent=access_sets,
    website=st.sampled_from([True, False, None, {"unknown": "x"}, "yes"]),
)
def test_rules_agree_with_their_definition(
    level: Level, access: frozenset[Access], latent: frozenset[Access], website: Any, build: Any
) -> None:
    registry = default_registry()
    exp = Exposure(level=level, access=access, latent_access=latent)
    res = build.bucket(website=website)
    for rule_id, kind in PUBLIC_RULES.items():
        fired = registry.get(rule_id).check(res, exp) is not None
        assert fired == (level is Level.PUBLIC and kind in access)
    latent_fired = registry.get("s3.bucket.latent_exposure").check(res, exp) is not None
    assert latent_fired == bool(latent - access)
    web_fired = registry.get("s3.bucket.public_website").check(res, exp) is not None
    assert web_fired == (website is True and level is Level.PUBLIC and Access.READ in access)
