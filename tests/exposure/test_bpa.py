"""Block Public Access: which setting is in force given the account, bucket and access-point
levels, and how each setting acts on ACLs and policies.

Source: S3 User Guide, "Blocking public access to your Amazon S3 storage" (introduction: the
most restrictive combination applies; settings table; "Important": removing a setting makes a
stored public ACL or policy public again).
"""

from __future__ import annotations

import pytest

from andon.core.model import Level
from andon.exposure.s3 import evaluate_bucket, setting
from andon.exposure.s3_model import Bpa, BpaOrUnknown, Unknown
from andon.exposure.tri import Tri

from .builders import (
    ALL_ON,
    PUBLIC_READ_POLICY,
    L,
    R,
    bucket,
    grant,
    kinds,
    obj,
)

SETTINGS = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]
ATTRS = [
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
]


def only(attr: str) -> Bpa:
    return Bpa(**{attr: True})


@pytest.mark.parametrize(("name", "attr"), list(zip(SETTINGS, ATTRS, strict=True)))
@pytest.mark.parametrize(
    ("account", "bucket_level", "expected", "phrase"),
    [
        (None, None, Tri.NO, "is off at the account and bucket level"),
        ("on", None, Tri.YES, "is on at the account level"),
        (None, "on", Tri.YES, "is on at the bucket level"),
        ("on", "on", Tri.YES, "is on at the account and bucket level"),
        (Bpa(), Bpa(), Tri.NO, "is off"),
        ("unknown", None, Tri.MAYBE, "could not be read (account level: denied)"),
        ("unknown", "on", Tri.YES, "is on at the bucket level"),
        ("unknown", "unknown", Tri.MAYBE, "account level: denied; bucket level: denied"),
    ],
)
def test_most_restrictive_level_wins(
    name: str, attr: str, account: object, bucket_level: object, expected: Tri, phrase: str
) -> None:
    def level(v: object) -> BpaOrUnknown:
        if v == "on":
            return only(attr)
        if v == "unknown":
            return Unknown("denied")
        assert v is None or isinstance(v, Bpa)
        return v

    state, why = setting(name, [("account", level(account)), ("bucket", level(bucket_level))])
    assert state == expected
    assert name in why
    assert phrase in why


def test_other_settings_do_not_count() -> None:
    others = Bpa(block_public_acls=True, block_public_policy=True, restrict_public_buckets=True)
    assert setting("IgnorePublicAcls", [("account", others), ("bucket", others)])[0] == Tri.NO


def test_bpa_model() -> None:
    assert ALL_ON.all_on
    assert not Bpa(True, True, True, False).all_on
    d = ALL_ON.to_dict()
    assert d == dict.fromkeys(SETTINGS, True)
    assert Bpa.from_dict(d) == ALL_ON
    assert Bpa.from_dict({}) == Bpa()


@pytest.mark.parametrize(
    ("attr", "level", "latent"),
    [
        # Only IgnorePublicAcls holds a stored public ACL back; BlockPublicAcls rejects new ones.
        ("block_public_acls", Level.PUBLIC, kinds()),
        ("ignore_public_acls", Level.PRIVATE, kinds(L, R)),
        ("block_public_policy", Level.PUBLIC, kinds()),
        ("restrict_public_buckets", Level.PUBLIC, kinds()),
    ],
)
def test_each_setting_on_public_acls(attr: str, level: Level, latent: frozenset[object]) -> None:
    state = bucket(
        acl=(grant("READ"),), object_acls=(obj("k", grant("READ")),), bucket_bpa=only(attr)
    )
    e = evaluate_bucket(state)
    assert e.level == level
    assert e.latent_access == latent


@pytest.mark.parametrize(
    ("attr", "level", "latent"),
    [
        # Only RestrictPublicBuckets holds a stored public policy back; BlockPublicPolicy rejects
        # new ones.
        ("block_public_acls", Level.PUBLIC, kinds()),
        ("ignore_public_acls", Level.PUBLIC, kinds()),
        ("block_public_policy", Level.PUBLIC, kinds()),
        ("restrict_public_buckets", Level.PRIVATE, kinds(R)),
    ],
)
def test_each_setting_on_public_policy(attr: str, level: Level, latent: frozenset[object]) -> None:
    e = evaluate_bucket(bucket(policy=PUBLIC_READ_POLICY, account_bpa=only(attr)))
    assert e.level == level
    assert e.latent_access == latent


def test_removing_bpa_reactivates_stored_grants() -> None:
    """ "Removing a block public access setting causes a bucket or object with a public policy
    or ACL to again be publicly accessible" - the latent access becomes live access."""
    stored = {"acl": (grant("READ"),), "policy": PUBLIC_READ_POLICY}
    held = evaluate_bucket(bucket(account_bpa=ALL_ON, **stored))
    released = evaluate_bucket(bucket(account_bpa=None, **stored))
    assert held.level == Level.PRIVATE and held.latent
    assert released.level == Level.PUBLIC
    assert released.access == held.latent_access
