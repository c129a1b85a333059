"""``analyze_policy``: per access kind, does a policy give it to the public?"""

from __future__ import annotations

import json

import pytest

from andon.core.model import Access
from andon.exposure.policy import PolicyTarget, analyze_policy
from andon.exposure.tri import Tri

from .builders import (
    AP_ARN,
    AP_OBJECTS,
    BUCKET,
    BUCKET_ARN,
    OBJECTS,
    OTHER,
    OWNER,
    RA,
    WA,
    L,
    R,
    W,
    deny,
    kinds,
    policy,
    stmt,
)

TARGET = PolicyTarget.bucket(BUCKET, OWNER)


def yes(text: str, target: PolicyTarget = TARGET) -> frozenset[Access]:
    return analyze_policy(text, target).kinds(Tri.YES)


def maybe(text: str, target: PolicyTarget = TARGET) -> frozenset[Access]:
    return analyze_policy(text, target).kinds(Tri.MAYBE)


def test_targets() -> None:
    assert TARGET.resource_arn == BUCKET_ARN
    assert TARGET.object_prefix == f"{BUCKET_ARN}/"
    ap = PolicyTarget.access_point(AP_ARN, OWNER)
    assert ap.object_prefix == f"{AP_ARN}/object/"
    assert ap.kind.access_point_policy


def test_single_statement_object_is_accepted() -> None:
    # Source: IAM User Guide, policy grammar: "Statement" is a statement or a list of them.
    text = json.dumps({"Version": "2012-10-17", "Statement": stmt()})
    assert yes(text) == kinds(R)


def test_every_kind_has_a_verdict() -> None:
    analysis = analyze_policy(policy(stmt()), TARGET)
    assert set(analysis.access) == set(Access)
    assert analysis.kinds(Tri.NO) == frozenset(Access) - {R}


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("s3:GetObject", kinds(R)),
        ("s3:GetObjectVersion", kinds(R)),
        ("s3:ListBucket", kinds(L)),
        ("s3:ListBucketVersions", kinds(L)),
        ("s3:PutObject", kinds(W)),
        ("s3:DeleteObject", kinds(W)),
        ("s3:DeleteBucket", kinds(W)),
        ("s3:GetBucketAcl", kinds(RA)),
        ("s3:GetBucketPolicy", kinds(RA)),
        ("s3:GetObjectAcl", kinds(RA)),
        ("s3:PutBucketPolicy", kinds(WA)),
        ("s3:PutBucketAcl", kinds(WA)),
        ("s3:PutObjectAcl", kinds(WA)),
        ("s3:GetBucketLocation", kinds()),  # exposes no data
        ("sqs:SendMessage", kinds()),
        ("s3:List*", kinds(L)),
        ("s3:Put*Acl", kinds(WA)),
        ("s3:?etObject", kinds(R)),
        ("S3:gEtObJeCt", kinds(R)),
    ],
)
def test_action_to_access(action: str, expected: frozenset[Access]) -> None:
    """Source: Service Authorization Reference, actions for Amazon S3; IAM User Guide, Action
    element (wildcards, case-insensitive)."""
    assert yes(policy(stmt(action=action, resource=[BUCKET_ARN, OBJECTS]))) == expected


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("*", kinds(R, L)),
        (BUCKET_ARN, kinds(L)),
        (OBJECTS, kinds(R)),
        (f"{BUCKET_ARN}/reports/2024/*", kinds(R)),
        (f"{BUCKET_ARN}/exact-key.csv", kinds(R)),
        (f"{BUCKET_ARN}*", kinds(R, L)),
        ("arn:aws:s3:::*", kinds(R, L)),
        ("arn:aws:s3:::example-?ucket/*", kinds(R)),
        (f"{BUCKET_ARN}-logs/*", kinds()),
        ("arn:aws:s3:::EXAMPLE-BUCKET/*", kinds()),  # resource ARNs are case-sensitive
        (f"{BUCKET_ARN}/", kinds()),  # the bare prefix is no object key
    ],
)
def test_resource_scope(resource: str, expected: frozenset[Access]) -> None:
    """Source: IAM User Guide, Resource element (wildcards in ARNs)."""
    assert (
        yes(policy(stmt(action=["s3:GetObject", "s3:ListBucket"], resource=resource))) == expected
    )


@pytest.mark.parametrize(
    ("not_resource", "expected"),
    [
        (OBJECTS, kinds(L)),  # every object excluded, the bucket itself is not
        (BUCKET_ARN, kinds(R)),
        ("*", kinds()),
        (f"{BUCKET_ARN}/private/*", kinds(R, L)),
        ([BUCKET_ARN, OBJECTS], kinds()),
    ],
)
def test_not_resource(not_resource: object, expected: frozenset[Access]) -> None:
    """Source: IAM User Guide, NotResource element (matches everything except the list)."""
    text = policy(
        stmt(action=["s3:GetObject", "s3:ListBucket"], resource=None, NotResource=not_resource)
    )
    assert yes(text) == expected


@pytest.mark.parametrize(
    ("allow_resource", "deny_resource", "expected"),
    [
        (OBJECTS, OBJECTS, kinds()),
        (OBJECTS, "*", kinds()),
        (OBJECTS, f"{BUCKET_ARN}/*.csv", kinds(R)),
        (f"{BUCKET_ARN}/public/*", f"{BUCKET_ARN}/public/*", kinds()),
        (f"{BUCKET_ARN}/public/a.txt", f"{BUCKET_ARN}/public/*", kinds()),
        (f"{BUCKET_ARN}/public/*", f"{BUCKET_ARN}/p*", kinds()),
        (f"{BUCKET_ARN}/public/*", f"{BUCKET_ARN}/private/*", kinds(R)),
        ("*", OBJECTS, kinds()),
        ([f"{BUCKET_ARN}/a/*", f"{BUCKET_ARN}/b/*"], f"{BUCKET_ARN}/a/*", kinds(R)),
    ],
)
def test_deny_must_cover_every_granted_object(
    allow_resource: object, deny_resource: object, expected: frozenset[Access]
) -> None:
    """Source: IAM User Guide, Policy evaluation logic (an explicit Deny wins where it applies)."""
    text = policy(stmt(resource=allow_resource), deny(resource=deny_resource))
    assert yes(text) == expected


def test_deny_with_not_resource_covering_the_bucket() -> None:
    text = policy(stmt(), deny(resource=None, NotResource="arn:aws:s3:::other-bucket/*"))
    assert yes(text) == kinds()


def test_deny_in_a_malformed_statement_makes_public_grants_undecided() -> None:
    text = policy(stmt(), {"Effect": "Deny", "Principal": "*", "Action": "s3:*"})
    analysis = analyze_policy(text, TARGET)
    assert analysis.kinds(Tri.YES) == kinds()
    assert analysis.kinds(Tri.MAYBE) == kinds(R)
    assert any("no valid Resource" in r for r in analysis.reasons)


def test_malformed_allow_makes_everything_undecided() -> None:
    text = policy(stmt(), {"Effect": "Allow", "Principal": "*", "Action": 7, "Resource": "*"})
    analysis = analyze_policy(text, TARGET)
    assert analysis.kinds(Tri.YES) == kinds(R)
    assert analysis.kinds(Tri.MAYBE) == frozenset(Access) - {R}


@pytest.mark.parametrize(
    "principal",
    [None, {}, {"AWS": 12}, {"Unheard": "x"}, ["*"]],
    ids=["missing", "empty", "not-a-string", "unknown-type", "list"],
)
def test_unreadable_principal_is_undecided(principal: object) -> None:
    assert maybe(policy(stmt(principal=principal))) == kinds(R)


@pytest.mark.parametrize(
    ("principal", "public"),
    [
        ("*", True),
        ({"AWS": "*"}, True),
        ({"AWS": ["arn:aws:iam::111122223333:root", "*"]}, True),
        ({"AWS": "arn:aws:iam::*:role/reader"}, True),
        ({"Federated": "cognito-identity.amazonaws.com"}, True),
        ({"Federated": f"arn:aws:iam::{OWNER}:saml-provider/corp"}, False),
        ({"AWS": OTHER}, False),
        ({"AWS": f"arn:aws:iam::{OTHER}:role/reader"}, False),
        ({"Service": "logging.s3.amazonaws.com"}, False),
        (
            {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
            False,
        ),
    ],
)
def test_principals(principal: object, public: bool) -> None:
    """Source: S3 User Guide, "The meaning of public" (fixed principals; the Federated
    graph.facebook.com example is public)."""
    assert yes(policy(stmt(principal=principal))) == (kinds(R) if public else kinds())


@pytest.mark.parametrize(
    ("not_principal", "public"),
    [({"AWS": f"arn:aws:iam::{OWNER}:root"}, True), ("*", False), ({"AWS": "*"}, False)],
)
def test_not_principal_in_allow(not_principal: object, public: bool) -> None:
    """Source: IAM User Guide, NotPrincipal with Allow: granted to all principals except."""
    text = policy(stmt(principal=None, NotPrincipal=not_principal))
    assert yes(text) == (kinds(R) if public else kinds())


def test_reasons_name_sid_or_index() -> None:
    text = policy(
        stmt(sid="ReadAll"),
        stmt(action="s3:PutObject", condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}),
        deny(action="s3:GetObject", resource=f"{BUCKET_ARN}/x/*", sid="NoX"),
    )
    reasons = analyze_policy(text, TARGET).reasons
    assert any(r.startswith("public grant: statement `ReadAll` grants read") for r in reasons)
    assert any(r.startswith("not public: statement #2 grants to Principal") for r in reasons)


def test_external_accounts_and_owner() -> None:
    text = policy(
        stmt(principal={"AWS": [f"arn:aws:iam::{OTHER}:root", f"arn:aws:iam::{OWNER}:root"]})
    )
    assert analyze_policy(text, TARGET).external_accounts == frozenset({OTHER})
    # Without an owner account nothing counts as external.
    assert analyze_policy(text, PolicyTarget.bucket(BUCKET)).external_accounts == frozenset()


def test_policy_status_counts_public_grants_of_actions_without_data() -> None:
    """S3 calls a policy public for any public grant (S3 User Guide, "The meaning of
    public"), even of s3:GetBucketLocation, which exposes no data."""
    located = analyze_policy(
        policy(stmt(action="s3:GetBucketLocation", resource=BUCKET_ARN)), TARGET
    )
    assert located.is_public == Tri.YES
    assert located.kinds(Tri.YES) == kinds()
    taken = policy(stmt(), deny(action="s3:GetObject"))
    assert analyze_policy(taken, TARGET).is_public == Tri.NO
    private = policy(stmt(principal={"AWS": OTHER}))
    assert analyze_policy(private, TARGET).is_public == Tri.NO


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", '"text"', '{"Statement": 3}', '{"Statement": "Allow"}'],
)
def test_unparseable_policy_is_undecided_everywhere(text: str) -> None:
    analysis = analyze_policy(text, TARGET)
    assert analysis.kinds(Tri.MAYBE) == frozenset(Access)
    assert analysis.is_public == Tri.MAYBE
    assert analysis.error


def test_access_point_policy_resources() -> None:
    """An access point policy names ``<access point ARN>/object/<key>`` for objects (S3 User
    Guide, "Configuring IAM policies for using access points", examples)."""
    target = PolicyTarget.access_point(AP_ARN, OWNER)
    assert yes(policy(stmt(resource=AP_OBJECTS)), target) == kinds(R)
    assert yes(policy(stmt(action="s3:ListBucket", resource=AP_ARN)), target) == kinds(L)
    assert yes(policy(stmt(resource=OBJECTS)), target) == kinds()
