"""Rules for resource policies, networks and shared copies (``andon.rules.aws_services`` and
``aws_network``): each fires on its kind and level only, end to end through the pipeline's
trust-aware dispatch (``andon.scan.evaluate_resource``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from andon.core.model import Access, Exposure, Level, Resource, Status
from andon.exposure.aws_models import (
    ApiMethod,
    ApiState,
    DatabaseState,
    FunctionUrlState,
    IngressRule,
    InstanceState,
    OpenSearchDomainState,
    ResourcePolicyState,
    SecurityGroup,
    SharedCopyState,
)
from andon.exposure.dispatch import NO_TRUST, RESOURCE_POLICY_KINDS, TrustZone
from andon.rules import Registry, default_registry, evaluate
from andon.rules.aws_network import RULES as NETWORK_RULES
from andon.rules.aws_services import RULES as POLICY_RULES
from andon.rules.aws_services import SPECS
from andon.rules.aws_shares import RULES as SHARE_RULES
from andon.scan import evaluate_resource

OWNER = "111122223333"
PARTNER = "444455556666"
STRANGER = "999988887777"


def res(kind: str, attributes: dict[str, Any], tags: dict[str, str] | None = None) -> Resource:
    return Resource(
        uid=f"arn:aws:test:eu-west-1:{OWNER}:{kind}/x",
        cloud="aws",
        account=OWNER,
        region="eu-west-1",
        kind=kind,
        native_type="AWS::Test::X",
        name="x",
        attributes=attributes,
        tags=tags or {},
    )


def fired(resource: Resource, trust: TrustZone = NO_TRUST) -> set[str]:
    exposure = evaluate_resource(resource, trust=trust)
    return {f.rule_id for f in evaluate(default_registry().all(), resource, exposure)}


def doc(principal: Any, action: str, arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "S", "Effect": "Allow", "Principal": principal,
                           "Action": action, "Resource": arn}],
        }
    )  # fmt: skip


# one action each profile understands, per resource-policy service
ACTIONS = {
    "sqs": "sqs:ReceiveMessage",
    "sns": "sns:Subscribe",
    "kms": "kms:Decrypt",
    "secretsmanager": "secretsmanager:GetSecretValue",
    "ecr": "ecr:BatchGetImage",
    "efs": "elasticfilesystem:ClientMount",
    "lambda": "lambda:InvokeFunction",
    "glacier": "glacier:GetJobOutput",
    "backup": "backup:DescribeBackupVault",
    "dynamodb": "dynamodb:GetItem",
}


@pytest.mark.parametrize("spec", SPECS, ids=[s.service for s in SPECS])
def test_resource_policy_rules(spec: Any) -> None:
    arn = f"arn:aws:{spec.service}:eu-west-1:{OWNER}:thing"

    def state(policy: str | None) -> dict[str, Any]:
        return ResourcePolicyState(spec.service, arn, OWNER, policy).to_dict()

    public = f"{spec.service}.{spec.noun}.public_policy"
    cross = f"{spec.service}.{spec.noun}.cross_account"
    action = ACTIONS[spec.service]
    assert fired(res(spec.kind, state(doc("*", action, arn)))) == {public}
    shared = res(spec.kind, state(doc({"AWS": f"arn:aws:iam::{PARTNER}:root"}, action, arn)))
    assert fired(shared) == {cross}
    # a trusted partner is not cross-account; the config's trust zone reaches the evaluator
    assert fired(shared, TrustZone(accounts=frozenset({PARTNER}))) == set()
    assert fired(res(spec.kind, state(None))) == set()
    assert (
        fired(res(spec.kind, state(doc({"AWS": f"arn:aws:iam::{OWNER}:root"}, action, arn))))
        == set()
    )
    unknown = res(spec.kind, {**state(None), "policy": {"unknown": "AccessDenied on GetPolicy"}})
    assert evaluate_resource(unknown).level is Level.UNKNOWN and fired(unknown) == set()


def test_every_resource_policy_kind_has_a_spec() -> None:
    assert {s.kind for s in SPECS} == set(RESOURCE_POLICY_KINDS)


def test_organization_trust() -> None:
    arn = f"arn:aws:sqs:eu-west-1:{OWNER}:q"
    policy = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}},
                }
            ]
        }
    )
    queue = res("messaging.queue", ResourcePolicyState("sqs", arn, OWNER, policy).to_dict())
    assert fired(queue) == {"sqs.queue.cross_account"}  # another organization, as far as we know
    assert fired(queue, TrustZone(org_id="o-abcdefghij")) == set()


def world(port: int) -> tuple[SecurityGroup, ...]:
    return (SecurityGroup("sg-1", (IngressRule("tcp", port, port, ipv4=("0.0.0.0/0",)),)),)


def closed(port: int) -> tuple[SecurityGroup, ...]:
    return (SecurityGroup("sg-2", (IngressRule("tcp", port, port, ipv4=("10.0.0.0/8",)),)),)


@pytest.mark.parametrize(
    ("kind", "db_kind", "public", "latent"),
    [
        ("database.instance", "rds-instance", "rds.database.public", "rds.database.latent_public"),
        (
            "warehouse.cluster",
            "redshift-cluster",
            "redshift.cluster.public",
            "redshift.cluster.latent_public",
        ),
    ],
)
def test_database_rules(kind: str, db_kind: str, public: str, latent: str) -> None:
    def db(flag: bool, groups: tuple[SecurityGroup, ...]) -> Resource:
        return res(kind, DatabaseState(db_kind, "db", 5432, flag, groups).to_dict())

    assert fired(db(True, world(5432))) == {public}
    assert fired(db(True, closed(5432))) == {latent}
    assert fired(db(False, world(5432))) == set()
    assert fired(db(False, closed(5432))) == set()


def test_aurora_cluster_member_flags() -> None:
    def cluster(*flags: bool) -> Resource:
        members = tuple((f"m{i}", f) for i, f in enumerate(flags))
        state = DatabaseState("aurora-cluster", "c", 5432, False, world(5432), members=members)
        return res("database.cluster", state.to_dict())

    assert fired(cluster(False, True)) == {"rds.database.public"}
    assert fired(cluster(False, False)) == set()


def test_instance_rule() -> None:
    def inst(ip: str | None, port: int) -> Resource:
        return res("compute.instance", InstanceState("i-1", ip, (), world(port)).to_dict())

    assert fired(inst("203.0.113.7", 27017)) == {"ec2.instance.public_data_port"}
    assert fired(inst(None, 27017)) == set()
    assert fired(inst("203.0.113.7", 443)) == set()  # not a data port


def test_opensearch_rules() -> None:
    arn = f"arn:aws:es:eu-west-1:{OWNER}:domain/logs"
    open_ = doc("*", "es:ESHttpGet", arn + "/*")
    partner = doc({"AWS": f"arn:aws:iam::{PARTNER}:root"}, "es:ESHttpGet", arn + "/*")

    def dom(in_vpc: bool, policy: str) -> Resource:
        return res("search.domain", OpenSearchDomainState("logs", arn, in_vpc, policy).to_dict())

    assert fired(dom(False, open_)) == {"opensearch.domain.public"}
    assert fired(dom(True, open_)) == set()
    assert fired(dom(False, partner)) == {"opensearch.domain.cross_account"}


def test_function_url_rule() -> None:
    fn = f"arn:aws:lambda:eu-west-1:{OWNER}:function:web"
    policy = json.dumps(
        {
            "Statement": [
                {"Sid": "Url", "Effect": "Allow", "Principal": "*",
                 "Action": "lambda:InvokeFunctionUrl", "Resource": fn,
                 "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}},
            ]
        }
    )  # fmt: skip

    def url(auth: str) -> Resource:
        state = FunctionUrlState(fn, auth, policy, created="2024-05-01T00:00:00Z")
        return res("compute.function_url", state.to_dict())

    assert fired(url("NONE")) == {"lambda.function_url.public"}
    assert fired(url("AWS_IAM")) == set()


def test_api_rule() -> None:
    arn = "arn:aws:apigateway:eu-west-1::/restapis/a1"

    def api(auth: str, endpoint: str = "REGIONAL") -> Resource:
        state = ApiState("a1", arn, "REST", (endpoint,), None, (ApiMethod("/", "GET", auth),))
        return res("api.rest_api", state.to_dict())

    assert fired(api("NONE")) == {"apigateway.api.unauthenticated"}
    assert fired(api("AWS_IAM")) == set()
    assert fired(api("NONE", "PRIVATE")) == set()


@pytest.mark.parametrize(
    ("kind", "copy_kind", "prefix"),
    [
        ("snapshot.database", "rds-snapshot", "rds.snapshot"),
        ("snapshot.database_cluster", "rds-cluster-snapshot", "rds.snapshot"),
        ("snapshot.volume", "ebs-snapshot", "ec2.snapshot"),
        ("image.machine", "ami", "ec2.image"),
    ],
)
def test_share_rules(kind: str, copy_kind: str, prefix: str) -> None:
    def copy(public: bool, accounts: tuple[str, ...] = ()) -> Resource:
        state = SharedCopyState(
            copy_kind, "c-1", public, accounts, account=OWNER, block_public_access="unblocked"
        )
        return res(kind, state.to_dict())

    assert fired(copy(True)) == {f"{prefix}.public"}
    assert fired(copy(False, (STRANGER,))) == {f"{prefix}.cross_account"}
    assert fired(copy(False, (STRANGER,)), TrustZone(accounts=frozenset({STRANGER}))) == set()
    assert fired(copy(False)) == set()


def test_exemption_tag_applies(registry: Registry) -> None:
    arn = f"arn:aws:sqs:eu-west-1:{OWNER}:intake"
    state = ResourcePolicyState("sqs", arn, OWNER, doc("*", "sqs:SendMessage", arn)).to_dict()
    queue = res("messaging.queue", state, tags={"andon:public": "public intake webhook"})
    findings = evaluate(registry.all(), queue, evaluate_resource(queue))
    assert [(f.rule_id, f.status) for f in findings] == [("sqs.queue.public_policy", Status.EXEMPT)]


def test_rules_fire_on_their_level_only() -> None:
    read = frozenset({Access.READ})
    crafted = {
        lvl: Exposure(lvl, read if lvl is not Level.PRIVATE else frozenset()) for lvl in Level
    }
    for rule in (*POLICY_RULES, *NETWORK_RULES, *SHARE_RULES):
        kind = rule.meta.resource_kinds[0]
        hits = {lvl for lvl, e in crafted.items() if rule.check(res(kind, {}), e) is not None}
        if rule.id.endswith("latent_public"):
            assert hits == set(), rule.id  # needs latent_access
            latent = Exposure(Level.PRIVATE, latent_access=frozenset({Access.READ}))
            assert rule.check(res(kind, {}), latent) is not None
        elif rule.id.endswith("cross_account"):
            assert hits == {Level.CROSS_ACCOUNT}, rule.id
        else:
            assert hits == {Level.PUBLIC}, rule.id


def test_malformed_attributes_are_unknown_not_a_crash() -> None:
    broken = res("database.instance", {"kind": "rds-instance"})  # no identifier
    exposure = evaluate_resource(broken)
    assert exposure.level is Level.UNKNOWN
    assert "could not be read" in exposure.reasons[0]
