"""The resource-policy table (``aws_cases.POLICY_CASES``) and unit tests of the engine."""

from __future__ import annotations

import pytest

from andon.core.model import Access, Exposure, Level
from andon.exposure.aws_models import ResourcePolicyState
from andon.exposure.resource_policy import (
    ResourceTarget,
    analyze_resource_policy,
    evaluate_resource,
    evaluate_resource_policy,
)
from andon.exposure.s3_model import Unknown
from andon.exposure.services import SERVICES
from andon.exposure.tri import Tri

from .aws_cases import (
    FN,
    ORG,
    OTHER,
    OWNER,
    POLICY_CASES,
    QUEUE,
    PolicyCase,
    R,
    W,
    deny,
    kinds,
    policy,
    root,
    st,
)


def _run(case: PolicyCase) -> Exposure:
    target = ResourceTarget(case.service, case.arn, known=dict(case.known))
    return evaluate_resource_policy(
        case.policy,
        target,
        trusted_accounts=case.trusted,
        org_id=case.org_id,
        trusted_networks=case.networks,
    )


def test_table_is_large_unique_sourced_and_covers_every_service() -> None:
    assert len(POLICY_CASES) >= 60
    ids = [c.id for c in POLICY_CASES]
    assert len(ids) == len(set(ids))
    for c in POLICY_CASES:
        assert ".md" in c.source or ".html" in c.source or "Andon's rule" in c.source, c.id
    assert {c.service for c in POLICY_CASES} == set(SERVICES) - {"s3"}


@pytest.mark.parametrize("case", POLICY_CASES, ids=[c.id for c in POLICY_CASES])
def test_case(case: PolicyCase) -> None:
    exposure = _run(case)
    summary = (exposure.level, exposure.access, exposure.unknown_access)
    assert summary == (case.level, case.access, case.unknown), "\n".join(exposure.reasons)
    for phrase in case.reasons:
        assert any(phrase in r for r in exposure.reasons), (phrase, exposure.reasons)
    assert exposure.reasons, "every verdict explains itself"
    if case.access:
        assert case.level in (Level.PUBLIC, Level.CROSS_ACCOUNT)


@pytest.mark.parametrize("case", POLICY_CASES, ids=[c.id for c in POLICY_CASES])
def test_case_survives_the_stored_form(case: PolicyCase) -> None:
    state = ResourcePolicyState(case.service, case.arn, OWNER, case.policy, dict(case.known))
    again = ResourcePolicyState.from_dict(state.to_dict())
    assert again == state
    got = evaluate_resource(
        again, trusted_accounts=case.trusted, org_id=case.org_id, trusted_networks=case.networks
    )
    assert got == _run(case)


def test_stored_form_without_or_with_unreadable_policy() -> None:
    none = evaluate_resource(ResourcePolicyState("sqs", QUEUE, OWNER, None))
    assert none.level == Level.PRIVATE and "no resource policy" in none.reasons[0]
    unreadable = ResourcePolicyState("kms", QUEUE, OWNER, Unknown("AccessDenied on GetKeyPolicy"))
    e = evaluate_resource(ResourcePolicyState.from_dict(unreadable.to_dict()))
    assert e.level == Level.UNKNOWN and e.unknown_access == frozenset(Access)
    assert "AccessDenied" in e.reasons[0]


def test_owner_from_arn_or_given() -> None:
    assert ResourceTarget("sqs", QUEUE).owner == OWNER
    assert ResourceTarget("sqs", "arn:aws:sqs:us-east-1:notanacct:q").owner == ""
    assert ResourceTarget("sqs", QUEUE, account=OTHER).owner == OTHER


def test_owner_account_is_always_trusted() -> None:
    text = policy(st({"AWS": OWNER}, "sqs:*"))
    assert evaluate_resource_policy(text, ResourceTarget("sqs", QUEUE)).level == Level.PRIVATE


def test_analysis_names_parties_per_kind() -> None:
    text = policy(
        st({"AWS": OTHER}, "sqs:SendMessage"),
        st("*", "sqs:ReceiveMessage", condition={"StringEquals": {"aws:PrincipalOrgID": "o-x"}}),
    )
    a = analyze_resource_policy(text, ResourceTarget("sqs", QUEUE), org_id=ORG)
    assert a.cross_kinds() == kinds(R, W)
    assert {p.describe() for p in a.parties[W]} == {f"account {OTHER}"}
    assert {p.describe() for p in a.parties[R]} == {"members of organization o-x"}
    assert a.public_kinds() == frozenset()
    assert a.level == Level.CROSS_ACCOUNT


def test_public_level_keeps_cross_account_in_reasons() -> None:
    text = policy(st("*", "sqs:ReceiveMessage"), st({"AWS": OTHER}, "sqs:SendMessage"))
    e = evaluate_resource_policy(text, ResourceTarget("sqs", QUEUE))
    assert (e.level, e.access) == (Level.PUBLIC, kinds(R))
    assert any("cross-account" in r and OTHER in r for r in e.reasons)


def test_trusting_the_account_removes_it() -> None:
    text = policy(st({"AWS": [OTHER, "999999999999"]}, "sqs:SendMessage"))
    t = ResourceTarget("sqs", QUEUE)
    assert evaluate_resource_policy(text, t).level == Level.CROSS_ACCOUNT
    only_one = evaluate_resource_policy(text, t, trusted_accounts=frozenset({OTHER}))
    assert only_one.level == Level.CROSS_ACCOUNT
    both = frozenset({OTHER, "999999999999"})
    assert evaluate_resource_policy(text, t, trusted_accounts=both).level == Level.PRIVATE


def test_deny_with_malformed_condition_leaves_account_undecided() -> None:
    text = policy(st({"AWS": OTHER}, "sqs:SendMessage"), deny(action="sqs:*", condition="oops"))
    e = evaluate_resource_policy(text, ResourceTarget("sqs", QUEUE))
    assert e.level == Level.UNKNOWN
    assert Access.WRITE in e.unknown_access


def test_org_paths_pin_to_the_organization() -> None:
    # IAM User Guide, 'AWS global condition context keys' → aws:PrincipalOrgPaths
    path = f"{ORG}/r-ab12/ou-ab12-11111111/"
    text = policy(
        st("*", "sqs:SendMessage", condition={"StringEquals": {"aws:PrincipalOrgPaths": path}})
    )
    a = analyze_resource_policy(text, ResourceTarget("sqs", QUEUE), org_id=ORG)
    assert a.level == Level.PRIVATE
    other = analyze_resource_policy(text, ResourceTarget("sqs", QUEUE), org_id="o-other00000")
    assert other.level == Level.CROSS_ACCOUNT


def test_org_path_with_wildcard_is_public_as_s3_defines_it() -> None:
    # S3 User Guide, 'The meaning of public': only fixed values (no wildcard) restrict. The
    # shared public rule is S3's and stays unchanged; the organization is still named.
    cond = {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/*"]}}
    text = policy(st("*", "sqs:SendMessage", condition=cond))
    a = analyze_resource_policy(text, ResourceTarget("sqs", QUEUE), org_id=ORG)
    assert a.level == Level.PUBLIC
    assert a.cross[W] == Tri.NO  # the party is the trusted organization


def test_principal_is_aws_service_only_is_not_cross_account() -> None:
    # IAM User Guide, 'AWS global condition context keys' → aws:PrincipalIsAWSService
    cond = {"Bool": {"aws:PrincipalIsAWSService": "true"}}
    text = policy(st("*", "sqs:SendMessage", condition=cond))
    assert evaluate_resource_policy(text, ResourceTarget("sqs", QUEUE)).level == Level.PRIVATE


def test_federated_provider_of_other_account() -> None:
    text = policy(st({"Federated": f"arn:aws:iam::{OTHER}:saml-provider/corp"}, "sqs:*"))
    e = evaluate_resource_policy(text, ResourceTarget("sqs", QUEUE))
    assert e.level == Level.CROSS_ACCOUNT


def test_unknown_principal_type_is_undecided() -> None:
    text = policy(st({"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}, "sqs:SendMessage"))
    e = evaluate_resource_policy(text, ResourceTarget("sqs", QUEUE))
    assert e.level == Level.UNKNOWN
    assert e.unknown_access == kinds(W)


def test_lambda_url_known_auth_type_is_exact() -> None:
    cond = {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    text = policy(st("*", "lambda:InvokeFunctionUrl", FN, cond))
    none = ResourceTarget("lambda", FN, known={"lambda:FunctionUrlAuthType": "NONE"})
    iam = ResourceTarget("lambda", FN, known={"lambda:FunctionUrlAuthType": "AWS_IAM"})
    assert analyze_resource_policy(text, none).public[R] == Tri.YES
    assert analyze_resource_policy(text, iam).public[R] == Tri.NO


def test_every_service_profile_has_a_read_or_write_action() -> None:
    for name, p in SERVICES.items():
        all_kinds = {k for ks, _ in p.actions.values() for k in ks}
        assert all_kinds & {Access.READ, Access.WRITE}, name


def test_the_same_engine_serves_s3_bucket_policies() -> None:
    # S3 User Guide, 'Bucket policy examples' → granting cross-account permissions; the
    # S3 catalogue is one profile among the others.
    bucket = "arn:aws:s3:::example-bucket"
    text = policy(st({"AWS": root(OTHER)}, "s3:GetObject", f"{bucket}/*"))
    e = evaluate_resource_policy(text, ResourceTarget("s3", bucket, account=OWNER))
    assert (e.level, e.access) == (Level.CROSS_ACCOUNT, kinds(R))
