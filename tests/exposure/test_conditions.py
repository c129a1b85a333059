"""Condition blocks: can the public satisfy an Allow's conditions, or escape a Deny's?"""

from __future__ import annotations

from typing import Any

import pytest

from andon.exposure.conditions import (
    PolicyKind,
    evaluate_condition,
    key_class,
    parse_operator,
)
from andon.exposure.tri import Tri

YES, MAYBE, NO = Tri.YES, Tri.MAYBE, Tri.NO
BUCKET_POLICY = PolicyKind()
AP_POLICY = PolicyKind(access_point_policy=True)
AP = "arn:aws:s3:us-west-2:111122223333:accesspoint/reports"


@pytest.mark.parametrize(
    ("name", "family", "negated", "if_exists", "qualifier"),
    [
        ("StringEquals", "string", False, False, ""),
        ("stringnotequalsignorecase", "string", True, False, ""),
        ("StringLikeIfExists", "like", False, True, ""),
        ("ForAnyValue:StringLike", "like", False, False, "foranyvalue"),
        ("ForAllValues:StringNotEqualsIfExists", "string", True, True, "forallvalues"),
        ("IpAddress", "ip", False, False, ""),
        ("NotIpAddressIfExists", "ip", True, True, ""),
        ("ArnEquals", "like", False, False, ""),
        ("ArnNotLike", "like", True, False, ""),
        ("Bool", "bool", False, False, ""),
        ("Null", "null", False, False, ""),
        ("NumericLessThanEquals", "other", False, False, ""),
        ("DateNotEquals", "other", True, False, ""),
    ],
)
def test_parse_operator(
    name: str, family: str, negated: bool, if_exists: bool, qualifier: str
) -> None:
    op = parse_operator(name)
    assert op is not None
    assert (op.family, op.negated, op.if_exists, op.qualifier) == (
        family,
        negated,
        if_exists,
        qualifier,
    )
    assert op.name == name


@pytest.mark.parametrize(
    "name", ["NullIfExists", "StringMaybe", "ForSomeValues:StringEquals", "", "IfExists"]
)
def test_parse_operator_unknown(name: str) -> None:
    # Source: IAM User Guide, Condition operators → "...IfExists" (any operator except Null).
    assert parse_operator(name) is None


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("aws:SourceIp", "restricting"),
        ("AWS:SOURCEVPCE", "restricting"),
        ("aws:PrincipalOrgID", "restricting"),
        ("s3:DataAccessPointAccount", "restricting"),
        ("s3:x-amz-server-side-encryption-aws-kms-key-id", "restricting"),
        ("aws:SecureTransport", "open"),
        ("aws:Referer", "open"),
        ("aws:PrincipalTag/team", "open"),
        ("s3:ExistingObjectTag/class", "open"),
        ("aws:NoSuchKey", "unknown"),
        ("ec2:InstanceType", "unknown"),
    ],
)
def test_key_class(key: str, expected: str) -> None:
    assert key_class(key) == expected


def _allow(block: Any, kind: PolicyKind = BUCKET_POLICY) -> Tri:
    return evaluate_condition(block, deny=False, kind=kind).value


def _escape(block: Any, kind: PolicyKind = BUCKET_POLICY) -> Tri:
    return evaluate_condition(block, deny=True, kind=kind).value


# (id, condition block, can the public satisfy it in an Allow?)
ALLOW_TABLE: list[tuple[str, Any, Tri]] = [
    ("none", None, YES),
    ("empty", {}, YES),
    ("fixed-vpce", {"StringEquals": {"aws:SourceVpce": "vpce-1"}}, NO),
    ("fixed-vpce-ignorecase", {"StringEqualsIgnoreCase": {"aws:SourceVpce": "VPCE-1"}}, NO),
    ("like-no-wildcard", {"StringLike": {"aws:SourceVpc": "vpc-1"}}, NO),
    ("like-star", {"StringLike": {"aws:SourceVpc": "vpc-*"}}, YES),
    ("like-question-mark", {"StringLike": {"aws:SourceVpc": "vpc-?"}}, YES),
    ("equals-literal-star", {"StringEquals": {"aws:SourceVpc": "vpc-*"}}, NO),
    ("variable", {"StringEquals": {"aws:SourceVpce": "${aws:SourceVpce}"}}, YES),
    # ${*} is the escape for a literal "*" (IAM User Guide, policy variables → special
    # characters), so the value is fixed; whether S3's policy status agrees is not documented,
    # and the engine keeps the conservative answer (treated like a wildcard).
    ("variable-escape-star", {"StringLike": {"aws:userid": "AIDA${*}X"}}, YES),
    ("variable-escape-dollar", {"StringEquals": {"aws:SourceVpce": "vpce-${$}1"}}, NO),
    ("ifexists", {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, YES),
    ("ipaddress-ifexists", {"IpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}, YES),
    ("forallvalues", {"ForAllValues:StringEquals": {"aws:SourceVpce": "vpce-1"}}, YES),
    ("forallvalues-ip", {"ForAllValues:IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, YES),
    ("foranyvalue", {"ForAnyValue:StringEquals": {"aws:SourceVpce": "vpce-1"}}, NO),
    ("foranyvalue-like-star", {"ForAnyValue:StringLike": {"aws:SourceVpce": "*"}}, YES),
    ("negated", {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, YES),
    ("notipaddress", {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, YES),
    ("notipaddress-all", {"NotIpAddress": {"aws:SourceIp": ["0.0.0.0/0", "::/0"]}}, NO),
    ("null-false", {"Null": {"aws:SourceVpce": "false"}}, YES),
    ("null-true", {"Null": {"aws:SourceVpce": "true"}}, YES),
    ("ip-24", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, NO),
    ("ip-single-address", {"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, NO),
    ("ip-8", {"IpAddress": {"aws:SourceIp": "52.0.0.0/8"}}, NO),
    ("ip-7", {"IpAddress": {"aws:SourceIp": "52.0.0.0/7"}}, YES),
    ("ip-0", {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, YES),
    ("ip6-32", {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, NO),
    ("ip6-31", {"IpAddress": {"aws:SourceIp": "2001:db8::/31"}}, YES),
    ("ip-not-a-range", {"IpAddress": {"aws:SourceIp": "office"}}, YES),
    ("arnequals-wildcard", {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:*:t"}}, YES),
    ("arnlike-fixed", {"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"}}, NO),
    ("userid-role-sessions", {"StringLike": {"aws:userid": "AROAEXAMPLE:*"}}, NO),
    ("userid-wildcard", {"StringLike": {"aws:userid": "*:alice"}}, YES),
    ("principal-is-service", {"Bool": {"aws:PrincipalIsAWSService": "true"}}, NO),
    ("principal-is-service-false", {"Bool": {"aws:PrincipalIsAWSService": "false"}}, YES),
    ("numeric-on-restricting-key", {"NumericEquals": {"aws:SourceAccount": "1"}}, YES),
    ("open-key", {"Bool": {"aws:SecureTransport": "true"}}, YES),
    ("tag-key", {"StringEquals": {"aws:PrincipalTag/team": "data"}}, YES),
    ("unknown-key", {"StringEquals": {"aws:NoSuchKey": "x"}}, MAYBE),
    ("unknown-operator", {"StringSortOf": {"aws:SourceVpce": "vpce-1"}}, MAYBE),
    ("unknown-and-fixed", {"StringEquals": {"aws:NoSuchKey": "x", "aws:SourceVpce": "v"}}, NO),
    ("malformed-block", ["StringEquals"], MAYBE),
    ("malformed-body", {"StringEquals": "aws:SourceVpce"}, MAYBE),
    ("malformed-values", {"StringEquals": {"aws:SourceVpce": {"a": 1}}}, MAYBE),
    ("empty-values", {"StringEquals": {"aws:SourceVpce": []}}, MAYBE),
    ("bool-value-json-true", {"Bool": {"aws:SecureTransport": True}}, YES),
]


@pytest.mark.parametrize(
    ("block", "expected"), [t[1:] for t in ALLOW_TABLE], ids=[t[0] for t in ALLOW_TABLE]
)
def test_allow_condition(block: Any, expected: Tri) -> None:
    assert _allow(block) == expected


# (id, condition block of a Deny, can the public escape it?)
ESCAPE_TABLE: list[tuple[str, Any, Tri]] = [
    ("none", None, NO),
    ("empty", {}, NO),
    ("unless-fixed-vpce", {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, NO),
    ("unless-fixed-vpce-ifexists", {"StringNotEqualsIfExists": {"aws:SourceVpce": "v"}}, NO),
    ("unless-wildcard-vpc", {"StringNotLike": {"aws:SourceVpc": "vpc-*"}}, YES),
    ("unless-ip-24", {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, NO),
    ("unless-ip-broad", {"NotIpAddress": {"aws:SourceIp": "0.0.0.0/1"}}, YES),
    ("foranyvalue-negated", {"ForAnyValue:StringNotEquals": {"aws:SourceVpce": "v"}}, YES),
    ("forallvalues-negated", {"ForAllValues:StringNotEquals": {"aws:SourceVpce": "v"}}, NO),
    ("when-equal", {"StringEquals": {"aws:SourceVpce": "vpce-1"}}, YES),
    ("insecure-transport", {"Bool": {"aws:SecureTransport": "false"}}, YES),
    ("null-check", {"Null": {"aws:SourceVpce": "true"}}, YES),
    ("not-a-service", {"Bool": {"aws:PrincipalIsAWSService": "false"}}, NO),
    ("unknown-key", {"StringNotEquals": {"aws:NoSuchKey": "x"}}, MAYBE),
    ("unknown-or-escapable", {"StringNotEquals": {"aws:NoSuchKey": "x", "aws:Referer": "r"}}, YES),
    ("variable", {"StringNotEquals": {"aws:SourceVpce": "${aws:SourceVpce}"}}, YES),
]


@pytest.mark.parametrize(
    ("block", "expected"), [t[1:] for t in ESCAPE_TABLE], ids=[t[0] for t in ESCAPE_TABLE]
)
def test_deny_escape(block: Any, expected: Tri) -> None:
    assert _escape(block) == expected


@pytest.mark.parametrize(
    ("block", "kind", "expected"),
    [
        # Source: S3 User Guide, "The meaning of public" → s3:DataAccessPointArn note and the
        # Access points section (the same statement is public in an access point policy).
        ({"StringLike": {"s3:DataAccessPointArn": f"{AP.rsplit('/', 1)[0]}/*"}}, BUCKET_POLICY, NO),
        ({"StringLike": {"s3:DataAccessPointArn": f"{AP.rsplit('/', 1)[0]}/*"}}, AP_POLICY, YES),
        (
            {"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:*:accesspoint/*"}},
            BUCKET_POLICY,
            YES,
        ),
        ({"StringEquals": {"s3:DataAccessPointArn": AP}}, BUCKET_POLICY, NO),
        # Ambiguous: the guide calls a *set* of access points public in an access point policy;
        # the engine treats any s3:DataAccessPointArn there as public (conservative).
        ({"StringEquals": {"s3:DataAccessPointArn": AP}}, AP_POLICY, YES),
        ({"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}, BUCKET_POLICY, NO),
    ],
)
def test_data_access_point_keys(block: Any, kind: PolicyKind, expected: Tri) -> None:
    assert _allow(block, kind) == expected


def test_bucket_policy_evaluated_through_a_known_access_point() -> None:
    """Through a given access point the s3:DataAccessPoint* keys are known values."""
    via = PolicyKind(via_access_point_arn=AP, via_access_point_account="111122223333")
    account = {"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}
    other = {"StringEquals": {"s3:DataAccessPointAccount": "444455556666"}}
    assert _allow(account, via) == YES
    assert _allow(other, via) == NO
    assert _allow({"StringLike": {"s3:DataAccessPointArn": "*:accesspoint/rep*"}}, via) == YES
    assert _allow({"StringNotEquals": {"s3:DataAccessPointArn": AP}}, via) == NO
    assert _allow({"Null": {"s3:DataAccessPointArn": "false"}}, via) == YES
    assert _escape({"StringNotEquals": {"s3:DataAccessPointAccount": "111122223333"}}, via) == YES
    assert _escape({"StringNotEquals": {"s3:DataAccessPointAccount": "444455556666"}}, via) == NO


def test_reasons_name_the_restriction() -> None:
    res = evaluate_condition(
        {"StringEquals": {"aws:SourceVpce": "vpce-1"}}, deny=False, kind=BUCKET_POLICY
    )
    assert res.value == NO
    assert res.reasons == ("limited to fixed aws:SourceVpce (vpce-1)",)
    res = evaluate_condition(
        {"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}, deny=False, kind=BUCKET_POLICY
    )
    assert res.value == YES
    assert any("broader than /8" in r for r in res.reasons)
