"""Network exposure: security groups, RDS/Aurora/Redshift, EC2, OpenSearch, Lambda URLs, API
Gateway. Each case cites the passage its expectation comes from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from andon.core.model import Access, Exposure, Level
from andon.exposure.aws_models import (
    ApiMethod,
    ApiState,
    DatabaseState,
    FunctionUrlState,
    IngressRule,
    InstanceState,
    OpenSearchDomainState,
    PrefixList,
    SecurityGroup,
)
from andon.exposure.network import (
    DATA_PORTS,
    classify_cidr,
    evaluate_api,
    evaluate_database,
    evaluate_function_url,
    evaluate_instance,
    evaluate_opensearch,
    reach,
)
from andon.exposure.s3_model import Unknown
from andon.exposure.tri import Tri

from .aws_cases import API, DOMAIN, FN, OTHER, OWNER, deny, policy, root, st

RW = frozenset({Access.READ, Access.WRITE})
NONE: frozenset[Access] = frozenset()

SG_RULES = (
    "Amazon EC2 User Guide, 'Security group rules' (awsdocs/amazon-ec2-user-guide "
    "doc_source/security-group-rules.md); EC2 API Reference, IpPermission (-1 = all protocols "
    "and ports; other protocol numbers: all ports of that protocol)"
)
RDS_HIDING = (
    "Amazon RDS User Guide, 'Working with a DB instance in a VPC' → Hiding a DB instance in a "
    "VPC from the internet (awsdocs/amazon-rds-user-guide "
    "doc_source/USER_VPC.WorkingWithRDSInstanceinaVPC.md): access is ultimately controlled by "
    "the security group; public subnets need an internet gateway"
)
RDS_API = (
    "RDS API Reference, DBInstance.PubliclyAccessible (the endpoint resolves to a public IP; "
    "public access is not permitted if the security group does not permit it)"
)
REDSHIFT = (
    "Amazon Redshift Management Guide, 'Managing clusters in a VPC' → publicly accessible "
    "clusters and VPC security groups (awsdocs/amazon-redshift-management-guide "
    "doc_source/managing-clusters-vpc.md)"
)
S3_SOURCEIP = (
    "Amazon S3 User Guide, 'The meaning of public' → aws:SourceIp broader than /8 (IPv4) or "
    "/32 (IPv6) is public (doc_source/access-control-block-public-access.md)"
)
EC2_IP = (
    "Amazon EC2 User Guide, 'Amazon EC2 instance IP addressing' → public IPv4 addresses; IPv6 "
    "addresses are globally unique (doc_source/using-instance-addressing.md)"
)
OS_VPC = (
    "Amazon OpenSearch Service Developer Guide, 'Launching your domains within a VPC' → "
    "About access policies on VPC domains (vpc.md)"
)
LAMBDA_URLS = (
    "AWS Lambda Developer Guide, 'Security and auth model for Lambda function URLs' "
    "(awsdocs/aws-lambda-developer-guide doc_source/urls-auth.md)"
)
LAMBDA_URLS_2025 = (
    "docs.aws.amazon.com/lambda/latest/dg/urls-auth.html → Note: from October 2025 new "
    "function URLs require both lambda:InvokeFunctionUrl and lambda:InvokeFunction"
)
APIGW_FLOW = (
    "API Gateway Developer Guide, 'How API Gateway resource policies affect authorization "
    "workflow' (doc_source/apigateway-authorization-flow.md)"
)
APIGW_PRIVATE = (
    "API Gateway Developer Guide, 'Private REST APIs' (doc_source/apigateway-private-apis.md): "
    "reachable only through interface VPC endpoints"
)
APIGW_KEYS = (
    "API Gateway Developer Guide, 'Usage plans and API keys' (doc_source/api-gateway-api-usage-"
    "plans.md): don't use API keys for authentication or authorization"
)


def rule(
    protocol: str = "tcp", lo: int | None = 5432, hi: int | None = None, **kw: Any
) -> IngressRule:
    return IngressRule(protocol, lo, lo if hi is None else hi, **kw)


def sg(*rules: IngressRule, gid: str = "sg-0123") -> SecurityGroup:
    return SecurityGroup(gid, tuple(rules))


WORLD4 = rule(ipv4=("0.0.0.0/0",))
WORLD6 = rule(ipv6=("::/0",))


def db(**kw: Any) -> DatabaseState:
    base: dict[str, Any] = {
        "kind": "rds-instance",
        "identifier": "orders",
        "port": 5432,
        "publicly_accessible": True,
        "security_groups": (sg(WORLD4),),
        "engine": "postgres",
    }
    base.update(kw)
    return DatabaseState(**base)


@dataclass(frozen=True)
class NetCase:
    id: str
    source: str
    subject: Any
    level: Level
    access: frozenset[Access] = NONE
    latent: frozenset[Access] = NONE
    unknown: frozenset[Access] = NONE
    reasons: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


_PUB, _X, _PRIV, _UNK = Level.PUBLIC, Level.CROSS_ACCOUNT, Level.PRIVATE, Level.UNKNOWN

DB_CASES = [
    NetCase(
        "rds-public-and-open-v4",
        RDS_HIDING,
        db(),
        _PUB,
        RW,
        reasons=("port 5432 (PostgreSQL)", "0.0.0.0/0"),
    ),
    NetCase(
        "rds-public-and-open-v6",
        RDS_HIDING,
        db(security_groups=(sg(WORLD6),)),
        _PUB,
        RW,
        reasons=("::/0",),
    ),
    NetCase(
        "rds-public-but-closed-is-latent",
        RDS_HIDING,
        db(security_groups=(sg(rule(ipv4=("10.0.0.0/16",))),)),
        _PRIV,
        latent=RW,
        reasons=("latent:", "one rule away"),
    ),
    NetCase(
        "rds-not-public-open-sg",
        RDS_API,
        db(publicly_accessible=False),
        _PRIV,
        reasons=("not publicly accessible", "only the PubliclyAccessible flag keeps it private"),
    ),
    NetCase(
        "rds-open-on-other-port",
        SG_RULES,
        db(security_groups=(sg(rule(lo=3306, ipv4=("0.0.0.0/0",))),)),
        _PRIV,
        latent=RW,
    ),
    NetCase(
        "rds-port-range-covers",
        SG_RULES + " (FromPort..ToPort is a range)",
        db(security_groups=(sg(rule(lo=5000, hi=6000, ipv4=("0.0.0.0/0",))),)),
        _PUB,
        RW,
        reasons=("tcp 5000-6000",),
    ),
    NetCase(
        "rds-protocol-minus-one",
        SG_RULES,
        db(security_groups=(sg(rule("-1", None, None, ipv4=("0.0.0.0/0",))),)),
        _PUB,
        RW,
        reasons=("all traffic (protocol -1)",),
    ),
    NetCase(
        "rds-udp-rule-does-not-open-tcp",
        SG_RULES,
        db(security_groups=(sg(rule("udp", 5432, ipv4=("0.0.0.0/0",))),)),
        _PRIV,
        latent=RW,
    ),
    NetCase(
        "rds-other-protocol-number-not-tcp",
        SG_RULES + " (protocol 50 allows all ports of protocol 50 only)",
        db(security_groups=(sg(rule("50", None, None, ipv4=("0.0.0.0/0",))),)),
        _PRIV,
        latent=RW,
    ),
    NetCase(
        "rds-protocol-number-6-is-tcp",
        SG_RULES + " (IANA protocol number 6 is TCP)",
        db(security_groups=(sg(rule("6", 5432, ipv4=("0.0.0.0/0",))),)),
        _PUB,
        RW,
    ),
    NetCase(
        "rds-broad-range-counts-as-world",
        S3_SOURCEIP,
        db(security_groups=(sg(rule(ipv4=("0.0.0.0/1", "128.0.0.0/1"))),)),
        _PUB,
        RW,
        reasons=("broader than AWS's public threshold",),
    ),
    NetCase(
        "rds-narrow-public-range-noted",
        S3_SOURCEIP + " (narrower ranges are not the world)",
        db(security_groups=(sg(rule(ipv4=("203.0.113.0/24",))),)),
        _PRIV,
        latent=RW,
        reasons=("the public range 203.0.113.0/24",),
    ),
    NetCase(
        "rds-rfc1918-slash-8-is-private",
        S3_SOURCEIP + " (RFC 1918 ranges excluded)",
        db(security_groups=(sg(rule(ipv4=("10.0.0.0/8",))),)),
        _PRIV,
        latent=RW,
    ),
    NetCase(
        "rds-ula-ipv6-is-private",
        "RFC 4193 (fc00::/7 unique local addresses are not routed on the internet)",
        db(security_groups=(sg(rule(ipv6=("fc00::/7",))),)),
        _PRIV,
        latent=RW,
    ),
    NetCase(
        "rds-referenced-group-not-world",
        SG_RULES + " (a referenced security group admits its members only)",
        db(security_groups=(sg(rule(groups=("sg-web",))),)),
        _PRIV,
        latent=RW,
        reasons=("members of security group sg-web",),
    ),
    NetCase(
        "rds-prefix-list-with-world",
        SG_RULES + " (a prefix list stands for its entries)",
        db(security_groups=(sg(rule(prefix_lists=(PrefixList("pl-1", ("0.0.0.0/0",)),))),)),
        _PUB,
        RW,
        reasons=("prefix list pl-1",),
    ),
    NetCase(
        "rds-prefix-list-unresolved",
        "Andon's rule: an unreadable part is UNKNOWN, never PRIVATE",
        db(security_groups=(sg(rule(prefix_lists=(PrefixList("pl-2"),))),)),
        _UNK,
        unknown=RW,
    ),
    NetCase(
        "rds-sg-unreadable",
        "Andon's rule: an unreadable part is UNKNOWN, never PRIVATE",
        db(security_groups=Unknown("AccessDenied on DescribeSecurityGroups")),
        _UNK,
        unknown=RW,
        reasons=("AccessDenied",),
    ),
    NetCase(
        "rds-sg-unreadable-but-not-public",
        RDS_API + " (a private endpoint is private whatever the rules)",
        db(publicly_accessible=False, security_groups=Unknown("AccessDenied")),
        _PRIV,
    ),
    NetCase(
        "rds-flag-unreadable-sg-open",
        "Andon's rule: an unreadable part is UNKNOWN, never PRIVATE",
        db(publicly_accessible=Unknown("AccessDenied on DescribeDBInstances")),
        _UNK,
        unknown=RW,
    ),
    NetCase(
        "rds-no-internet-route-is-latent",
        RDS_HIDING + " (the subnets need a route to an internet gateway)",
        db(internet_route=False),
        _PRIV,
        latent=RW,
        reasons=("no route to an internet gateway",),
    ),
    NetCase(
        "rds-port-unknown-all-traffic-rule",
        SG_RULES,
        db(
            port=Unknown("not returned"),
            security_groups=(sg(rule("-1", None, None, ipv4=("0.0.0.0/0",))),),
        ),
        _PUB,
        RW,
    ),
    NetCase(
        "rds-port-unknown-port-rule",
        "Andon's rule: an unreadable part is UNKNOWN, never PRIVATE",
        db(port=Unknown("not returned")),
        _UNK,
        unknown=RW,
    ),
    NetCase(
        "rds-one-of-two-groups-open",
        SG_RULES + " (rules of all groups are aggregated)",
        db(security_groups=(sg(rule(ipv4=("10.0.0.0/16",)), gid="sg-a"), sg(WORLD4, gid="sg-b"))),
        _PUB,
        RW,
        reasons=("sg-b admits 0.0.0.0/0",),
    ),
    NetCase(
        "aurora-cluster-one-public-member",
        RDS_HIDING + " (Aurora: PubliclyAccessible is set per DB instance)",
        db(
            kind="aurora-cluster",
            publicly_accessible=False,
            members=(("writer", False), ("reader-1", True)),
        ),
        _PUB,
        RW,
        reasons=("reader-1",),
    ),
    NetCase(
        "aurora-cluster-no-public-member",
        RDS_HIDING,
        db(kind="aurora-cluster", publicly_accessible=False, members=(("writer", False),)),
        _PRIV,
    ),
    NetCase(
        "redshift-public-open-5439",
        REDSHIFT,
        db(
            kind="redshift-cluster",
            port=5439,
            security_groups=(sg(rule(lo=5439, ipv4=("0.0.0.0/0",))),),
        ),
        _PUB,
        RW,
        reasons=("Redshift",),
    ),
    NetCase(
        "redshift-public-closed-latent",
        REDSHIFT,
        db(kind="redshift-cluster", port=5439, security_groups=(sg(),)),
        _PRIV,
        latent=RW,
    ),
]


def inst(**kw: Any) -> InstanceState:
    base: dict[str, Any] = {
        "instance_id": "i-0abc",
        "public_ipv4": "198.51.100.7",
        "security_groups": (sg(rule(lo=6379, ipv4=("0.0.0.0/0",))),),
    }
    base.update(kw)
    return InstanceState(**base)


EC2_CASES = [
    NetCase(
        "ec2-redis-open", EC2_IP + "; " + SG_RULES, inst(), _PUB, RW, reasons=("6379 (Redis)",)
    ),
    NetCase(
        "ec2-no-public-ip",
        EC2_IP,
        inst(public_ipv4=None),
        _PRIV,
        reasons=("no public IPv4 and no IPv6 address",),
    ),
    NetCase(
        "ec2-web-ports-only",
        EC2_IP + " (only data ports count)",
        inst(security_groups=(sg(rule(lo=443, ipv4=("0.0.0.0/0",))),)),
        _PRIV,
        reasons=("no data port is open",),
    ),
    NetCase(
        "ec2-ipv6-world-with-ipv6-address",
        EC2_IP,
        inst(
            public_ipv4=None,
            ipv6_addresses=("2001:db8::10",),
            security_groups=(sg(rule(lo=27017, ipv6=("::/0",))),),
        ),
        _PUB,
        RW,
        reasons=("27017 (MongoDB)",),
    ),
    NetCase(
        "ec2-ipv6-world-without-ipv6-address",
        EC2_IP + " (an IPv6 rule reaches only IPv6 addresses)",
        inst(security_groups=(sg(rule(lo=27017, ipv6=("::/0",))),)),
        _PRIV,
    ),
    NetCase(
        "ec2-all-traffic",
        SG_RULES,
        inst(security_groups=(sg(rule("-1", None, None, ipv4=("0.0.0.0/0",))),)),
        _PUB,
        RW,
        reasons=("all traffic (protocol -1)",),
    ),
    NetCase(
        "ec2-port-range-covers-elasticsearch",
        SG_RULES,
        inst(security_groups=(sg(rule(lo=9000, hi=9300, ipv4=("0.0.0.0/0",))),)),
        _PUB,
        RW,
        reasons=("9200 (Elasticsearch / OpenSearch (HTTP))",),
    ),
    NetCase(
        "ec2-custom-port-list",
        "Andon's configuration: DATA_PORTS is a parameter",
        inst(security_groups=(sg(rule(lo=8080, ipv4=("0.0.0.0/0",))),)),
        _PUB,
        RW,
        options={"data_ports": {8080: "custom store"}},
    ),
    NetCase(
        "ec2-ip-unreadable",
        "Andon's rule: an unreadable part is UNKNOWN, never PRIVATE",
        inst(public_ipv4=Unknown("AccessDenied")),
        _UNK,
        unknown=RW,
    ),
]

OPEN_POLICY = policy(st({"AWS": "*"}, "es:*", f"{DOMAIN}/*"))


def dom(**kw: Any) -> OpenSearchDomainState:
    base: dict[str, Any] = {"name": "test-domain", "arn": DOMAIN, "policy": OPEN_POLICY}
    base.update(kw)
    return OpenSearchDomainState(**base)


OPENSEARCH_CASES = [
    NetCase(
        "opensearch-public-endpoint-open-policy",
        OS_VPC + "; OpenSearch 'Identity and Access Management' (ac.md)",
        dom(),
        _PUB,
        RW,
        reasons=("public endpoint",),
    ),
    NetCase(
        "opensearch-vpc-open-policy", OS_VPC, dom(in_vpc=True), _PRIV, reasons=("is in a VPC",)
    ),
    NetCase(
        "opensearch-vpc-cross-account-policy",
        OS_VPC + " (a grant to another account still stands)",
        dom(in_vpc=True, policy=policy(st({"AWS": root(OTHER)}, "es:ESHttpGet", f"{DOMAIN}/*"))),
        _X,
        frozenset({Access.READ}),
    ),
    NetCase("opensearch-no-policy", OS_VPC, dom(policy=None), _PRIV),
    NetCase(
        "opensearch-policy-unreadable",
        "Andon's rule: an unreadable part is UNKNOWN",
        dom(policy=Unknown("AccessDenied")),
        _UNK,
        unknown=RW,
    ),
    NetCase(
        "opensearch-vpc-unknown",
        "Andon's rule: an unreadable part is UNKNOWN",
        dom(in_vpc=Unknown("AccessDenied")),
        _UNK,
        unknown=RW,
    ),
    NetCase(
        "opensearch-fine-grained-still-public",
        "OpenSearch 'Fine-grained access control' (fgac.md): an open domain policy with FGAC "
        "still lets anyone reach the endpoint",
        dom(fine_grained=True),
        _PUB,
        RW,
        reasons=("fine-grained access control is on",),
    ),
]

URL_NONE_POLICY = policy(
    st(
        "*",
        "lambda:InvokeFunctionUrl",
        FN,
        {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
    )
)
INVOKE_VIA_URL = st(
    "*", "lambda:InvokeFunction", FN, {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
)

URL_CASES = [
    NetCase(
        "lambda-url-none-with-public-policy",
        LAMBDA_URLS + " → Using the NONE auth type",
        FunctionUrlState(FN, "NONE", URL_NONE_POLICY, created="2024-05-01T00:00:00Z"),
        _PUB,
        RW,
        reasons=("unauthenticated",),
    ),
    NetCase(
        "lambda-url-none-without-policy-is-latent",
        LAMBDA_URLS + " → 403 Forbidden without lambda:InvokeFunctionUrl",
        FunctionUrlState(FN, "NONE", None, created="2024-05-01T00:00:00Z"),
        _PRIV,
        latent=RW,
        reasons=("403",),
    ),
    NetCase(
        "lambda-url-iam-auth-policy-for-none",
        LAMBDA_URLS + " (the NONE statement does not match an AWS_IAM URL)",
        FunctionUrlState(FN, "AWS_IAM", URL_NONE_POLICY, created="2024-05-01T00:00:00Z"),
        _PRIV,
    ),
    NetCase(
        "lambda-url-iam-cross-account",
        LAMBDA_URLS + " → Using the AWS_IAM auth type",
        FunctionUrlState(
            FN,
            "AWS_IAM",
            policy(
                st(
                    {"AWS": f"arn:aws:iam::{OTHER}:role/example"},
                    "lambda:InvokeFunctionUrl",
                    FN,
                    {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
                )
            ),
            created="2024-05-01T00:00:00Z",
        ),
        _X,
        RW,
    ),
    NetCase(
        "lambda-url-new-needs-invoke-function-too",
        LAMBDA_URLS_2025,
        FunctionUrlState(FN, "NONE", URL_NONE_POLICY, created="2025-11-02T00:00:00Z"),
        _PRIV,
        latent=RW,
        reasons=("also need lambda:InvokeFunction",),
    ),
    NetCase(
        "lambda-url-new-with-both-grants",
        LAMBDA_URLS_2025,
        FunctionUrlState(
            FN,
            "NONE",
            policy(
                st(
                    "*",
                    "lambda:InvokeFunctionUrl",
                    FN,
                    {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
                ),
                INVOKE_VIA_URL,
            ),
            created="2025-11-02T00:00:00Z",
        ),
        _PUB,
        RW,
    ),
    NetCase(
        "lambda-url-creation-unknown-only-url-grant",
        LAMBDA_URLS_2025 + "; Andon's rule: cannot tell → UNKNOWN",
        FunctionUrlState(FN, "NONE", URL_NONE_POLICY),
        _UNK,
        unknown=RW,
    ),
    NetCase(
        "lambda-url-auth-unreadable",
        "Andon's rule: an unreadable part is UNKNOWN",
        FunctionUrlState(FN, Unknown("AccessDenied on GetFunctionUrlConfig"), URL_NONE_POLICY),
        _UNK,
        unknown=RW,
    ),
]


def api(**kw: Any) -> ApiState:
    base: dict[str, Any] = {
        "api_id": "a1b2c3d4e5",
        "arn": API,
        "methods": (ApiMethod("/pets", "GET", "NONE"),),
    }
    base.update(kw)
    return ApiState(**base)


IP_POLICY = policy(
    st("*", "execute-api:Invoke", f"{API}/*", {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}})
)

API_CASES = [
    NetCase("api-open-method-no-policy", APIGW_FLOW, api(), _PUB, RW, reasons=("GET /pets",)),
    NetCase(
        "api-iam-only-no-policy",
        APIGW_FLOW + " → IAM authentication",
        api(methods=(ApiMethod("/pets", "GET", "AWS_IAM"),)),
        _PRIV,
    ),
    NetCase(
        "api-open-method-ip-policy",
        APIGW_FLOW + " → resource policy only",
        api(policy=IP_POLICY),
        _X,
        RW,
    ),
    NetCase(
        "api-open-method-public-policy",
        APIGW_FLOW,
        api(policy=policy(st("*", "execute-api:Invoke", "execute-api:/*"))),
        _PUB,
        RW,
    ),
    NetCase(
        "api-iam-method-public-policy",
        APIGW_FLOW + " (Principal * admits every AWS account that signs)",
        api(
            methods=(ApiMethod("/pets", "GET", "AWS_IAM"),),
            policy=policy(st("*", "execute-api:Invoke", "execute-api:/*")),
        ),
        _PUB,
        RW,
    ),
    NetCase(
        "api-authorizer-open-policy",
        APIGW_FLOW + " → Lambda authorizer and resource policy (the authorizer decides)",
        api(
            methods=(ApiMethod("/pets", "GET", "CUSTOM"),),
            policy=policy(st("*", "execute-api:Invoke", "execute-api:/*")),
        ),
        _PRIV,
    ),
    NetCase(
        "api-private-endpoint",
        APIGW_PRIVATE,
        api(
            endpoint_types=("PRIVATE",),
            policy=policy(st("*", "execute-api:Invoke", "execute-api:/*")),
        ),
        _PRIV,
        reasons=("PRIVATE endpoint",),
    ),
    NetCase(
        "api-private-endpoint-other-account-vpce",
        APIGW_PRIVATE + "; a grant to another account still stands",
        api(
            endpoint_types=("PRIVATE",),
            policy=policy(st({"AWS": root(OTHER)}, "execute-api:Invoke", "execute-api:/*")),
        ),
        _X,
        RW,
    ),
    NetCase(
        "api-key-is-not-authorization",
        APIGW_KEYS,
        api(methods=(ApiMethod("/pets", "GET", "NONE", api_key_required=True),)),
        _PUB,
        RW,
        reasons=("do not authorize them",),
    ),
    NetCase(
        "api-deny-all-policy",
        APIGW_FLOW + " (explicit deny)",
        api(
            policy=policy(
                st("*", "execute-api:Invoke", "execute-api:/*"),
                deny(action="execute-api:Invoke", resource="execute-api:/*"),
            )
        ),
        _PRIV,
    ),
    NetCase("http-api-open-route", APIGW_FLOW, api(api_type="HTTP"), _PUB, RW),
    NetCase(
        "api-methods-unreadable",
        "Andon's rule: an unreadable part is UNKNOWN",
        api(methods=Unknown("AccessDenied on GetResources")),
        _UNK,
        unknown=RW,
    ),
]

CASES = [*DB_CASES, *EC2_CASES, *OPENSEARCH_CASES, *URL_CASES, *API_CASES]


def evaluate(subject: Any, **options: Any) -> Exposure:
    if isinstance(subject, DatabaseState):
        return evaluate_database(subject, **options)
    if isinstance(subject, InstanceState):
        return evaluate_instance(subject, **options)
    if isinstance(subject, OpenSearchDomainState):
        return evaluate_opensearch(subject, **options)
    if isinstance(subject, FunctionUrlState):
        return evaluate_function_url(subject, **options)
    return evaluate_api(subject, **options)


def test_table_is_sourced_and_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 50
    for c in CASES:
        assert (
            ".md" in c.source
            or ".html" in c.source
            or "Andon's" in c.source
            or "RFC" in c.source
            or "Reference" in c.source
        ), c.id


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: NetCase) -> None:
    e = evaluate(case.subject, **case.options)
    got = (e.level, e.access, e.latent_access, e.unknown_access)
    assert got == (case.level, case.access, case.latent, case.unknown), "\n".join(e.reasons)
    for phrase in case.reasons:
        assert any(phrase in r for r in e.reasons), (phrase, e.reasons)
    assert e.reasons


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_survives_the_stored_form(case: NetCase) -> None:
    again = type(case.subject).from_dict(case.subject.to_dict())
    assert again == case.subject
    assert evaluate(again, **case.options) == evaluate(case.subject, **case.options)


@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        ("0.0.0.0/0", ("world", 4)),
        ("::/0", ("world", 6)),
        ("0.0.0.0/1", ("broad", 4)),
        ("2000::/3", ("broad", 6)),
        ("10.0.0.0/8", ("private", 4)),
        ("172.16.0.0/12", ("private", 4)),
        ("100.64.0.0/10", ("private", 4)),
        ("fd00::/8", ("private", 6)),
        ("203.0.113.0/24", ("range", 4)),
        ("2001:db8::/32", ("range", 6)),
        ("not-a-cidr", ("invalid", 0)),
    ],
)
def test_classify_cidr(cidr: str, expected: tuple[str, int]) -> None:
    assert classify_cidr(cidr) == expected


def test_invalid_cidr_is_unknown() -> None:
    r = reach((sg(rule(ipv4=("garbage",))),), 5432)
    assert r.v4 == Tri.MAYBE


def test_from_api_ip_permission() -> None:
    perm = {
        "IpProtocol": "tcp",
        "FromPort": 5432,
        "ToPort": 5432,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
        "PrefixListIds": [{"PrefixListId": "pl-1"}, {"PrefixListId": "pl-2"}],
        "UserIdGroupPairs": [{"GroupId": "sg-9", "UserId": OTHER}],
    }
    r = IngressRule.from_api(perm, {"pl-1": ("10.0.0.0/8",)})
    assert r.ipv4 == ("0.0.0.0/0",) and r.ipv6 == ("::/0",)
    assert r.prefix_lists[0] == PrefixList("pl-1", ("10.0.0.0/8",))
    assert isinstance(r.prefix_lists[1].cidrs, Unknown)
    assert r.groups == (f"{OTHER}/sg-9",)
    all_traffic = IngressRule.from_api({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    assert (all_traffic.from_port, all_traffic.to_port) == (None, None)


def test_default_data_ports_cover_the_issue_list() -> None:
    for port in (5432, 3306, 1433, 1521, 27017, 6379, 11211, 9200, 9042, 9092):
        assert port in DATA_PORTS
    assert OWNER  # shared constants import
