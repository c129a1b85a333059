"""Documented-behaviour table for resource policies of every service (beyond S3).

Each case is one policy on one resource with the verdict AWS's documentation implies: level,
access for the audience the level names (the public for PUBLIC, accounts outside the trusted
set for CROSS_ACCOUNT), access Andon cannot decide, and phrases a reason must contain.
``source`` names the passage (document, file in the public ``awsdocs`` repositories or page,
section). Where the policy comes from AWS's own example, the case says "example" and keeps
AWS's text, with the resource owner renamed to ``OWNER`` when needed.

Trust defaults: the owner's account ``OWNER``; organization ``ORG``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from andon.core.model import Access, Level

OWNER = "111122223333"
OTHER = "444455556666"
THIRD = "777788889999"
ORG = "o-a1b2c3d4e5"
OTHER_ORG = "o-zz99zz99zz"

R, L, W, RA, WA = Access.READ, Access.LIST, Access.WRITE, Access.READ_ACL, Access.WRITE_ACL
ALL = frozenset(Access)
NONE: frozenset[Access] = frozenset()

QUEUE = f"arn:aws:sqs:us-east-2:{OWNER}:queue1"
TOPIC = f"arn:aws:sns:us-east-1:{OWNER}:My-Topic"
KEY = f"arn:aws:kms:us-west-2:{OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SECRET = f"arn:aws:secretsmanager:us-west-2:{OWNER}:secret:prod/db-AbCdEf"
REPO = f"arn:aws:ecr:us-west-2:{OWNER}:repository/app"
FS = f"arn:aws:elasticfilesystem:us-east-2:{OWNER}:file-system/fs-12345678"
FN = f"arn:aws:lambda:us-east-1:{OWNER}:function:my-function"
DOMAIN = f"arn:aws:es:us-west-1:{OWNER}:domain/test-domain"
VAULT = f"arn:aws:glacier:us-west-2:{OWNER}:vaults/examplevault"
BVAULT = f"arn:aws:backup:us-east-1:{OWNER}:backup-vault:vault1"
API = f"arn:aws:execute-api:us-east-1:{OWNER}:a1b2c3d4e5"
TABLE = f"arn:aws:dynamodb:us-west-2:{OWNER}:table/books"


def kinds(*access: Access) -> frozenset[Access]:
    return frozenset(access)


def policy(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def st(
    principal: Any = "*",
    action: Any = "sqs:ReceiveMessage",
    resource: Any = QUEUE,
    condition: Mapping[str, Any] | None = None,
    effect: str = "Allow",
    sid: str | None = None,
    **elements: Any,
) -> dict[str, Any]:
    """One statement; ``principal=None``/``resource=None`` leave the element out."""
    s: dict[str, Any] = {}
    if sid:
        s["Sid"] = sid
    s["Effect"] = effect
    if principal is not None:
        s["Principal"] = principal
    s["Action"] = action
    if resource is not None:
        s["Resource"] = resource
    if condition is not None:
        s["Condition"] = condition
    s.update(elements)
    return s


def deny(**kw: Any) -> dict[str, Any]:
    return st(effect="Deny", **kw)


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


# --- where the expectations come from ----------------------------------------------------
SQS_EXAMPLES = (
    "Amazon SQS Developer Guide, 'Basic examples of Amazon SQS policies' "
    "(awsdocs/amazon-sqs-developer-guide doc_source/sqs-basic-examples-of-sqs-policies.md)"
)
SNS_CASES = (
    "Amazon SNS Developer Guide, 'Example cases for Amazon SNS access control' "
    "(awsdocs/amazon-sns-developer-guide doc_source/AccessPolicyLanguage_UseCases_Sns.md)"
)
KMS_KEYS = (
    "AWS KMS Developer Guide, 'AWS KMS condition keys' "
    "(awsdocs/aws-kms-developer-guide doc_source/conditions-kms.md)"
)
KMS_DEFAULT = (
    "AWS KMS Developer Guide, 'Default key policy' (doc_source/key-policy-default.md) → "
    "allows access to the AWS account and enables IAM policies"
)
KMS_EXTERNAL = (
    "AWS KMS Developer Guide, 'Allowing users in other accounts to use a KMS key' "
    "(doc_source/key-policy-modifying-external-accounts.md)"
)
SECRETS_XACCT = (
    "AWS Secrets Manager User Guide, 'Access AWS Secrets Manager secrets from a different "
    "account' (awsdocs/aws-secrets-manager-docs doc_source/auth-and-access_examples_cross.md)"
)
ECR_EXAMPLES = (
    "Amazon ECR User Guide, 'Private repository policy examples' "
    "(docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html)"
)
EFS_PUBLIC = (
    "Amazon EFS User Guide, 'Blocking public access' → 'The meaning of public' "
    "(awsdocs/amazon-efs-user-guide doc_source/access-control-block-public-access.md)"
)
EFS_IAM = (
    "Amazon EFS User Guide, 'Using IAM to control file system data access' "
    "(awsdocs/amazon-efs-user-guide doc_source/iam-access-control-nfs-efs.md)"
)
LAMBDA_URLS = (
    "AWS Lambda Developer Guide, 'Security and auth model for Lambda function URLs' "
    "(awsdocs/aws-lambda-developer-guide doc_source/urls-auth.md)"
)
LAMBDA_POLICIES = (
    "AWS Lambda Developer Guide, 'Using resource-based policies for AWS Lambda' "
    "(awsdocs/aws-lambda-developer-guide doc_source/access-control-resource-based.md)"
)
OPENSEARCH_AC = (
    "Amazon OpenSearch Service Developer Guide, 'Identity and Access Management in Amazon "
    "OpenSearch Service' (docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.md) "
    "→ Resource-based policies (trailing /*; es:* equals es:ESHttp*), IP-based policies"
)
GLACIER_POLICIES = (
    "Amazon S3 Glacier Developer Guide, 'Vault access policies' "
    "(awsdocs/amazon-glacier-developer-guide doc_source/vault-access-policy.md)"
)
BACKUP_POLICIES = (
    "AWS Backup Developer Guide, 'Vault access policies' "
    "(docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html)"
)
APIGW_FLOW = (
    "API Gateway Developer Guide, 'How API Gateway resource policies affect authorization "
    "workflow' (awsdocs/amazon-api-gateway-developer-guide "
    "doc_source/apigateway-authorization-flow.md)"
)
APIGW_EXAMPLES = (
    "API Gateway Developer Guide, 'API Gateway resource policy examples' "
    "(doc_source/apigateway-resource-policies-examples.md) → execute-api:/ shorthand"
)
DDB_POLICIES = (
    "Amazon DynamoDB Developer Guide, 'Using resource-based policies for DynamoDB' "
    "(docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html)"
)
AA_CONCEPTS = (
    "IAM User Guide, 'How Access Analyzer works' (awsdocs/iam-user-guide "
    "doc_source/access-analyzer-concepts.md) → zone of trust; service principals not reported"
)
AA_KEYS = (
    "IAM User Guide, 'Access Analyzer filter keys' (awsdocs/iam-user-guide "
    "doc_source/access-analyzer-reference-filter-keys.md) → condition.aws:SourceIp, "
    "condition.aws:SourceVpc, condition.kms:CallerAccount"
)
IAM_KEYS = (
    "IAM User Guide, 'AWS global condition context keys' (awsdocs/iam-user-guide "
    "doc_source/reference_policies_condition-keys.md)"
)
IAM_OPS = (
    "IAM User Guide, 'IAM JSON policy elements: Condition operators' "
    "(doc_source/reference_policies_elements_condition_operators.md) → key absent"
)
IAM_EVAL = (
    "IAM User Guide, 'Policy evaluation logic' (doc_source/reference_policies_evaluation-logic"
    ".md) → an explicit Deny overrides any Allow"
)
IAM_NOTPRINCIPAL = (
    "IAM User Guide, 'AWS JSON policy elements: NotPrincipal' "
    "(doc_source/reference_policies_elements_notprincipal.md)"
)
S3_PUBLIC = (
    "Amazon S3 User Guide, 'Blocking public access' → 'The meaning of public' "
    "(awsdocs/amazon-s3-userguide doc_source/access-control-block-public-access.md)"
)


@dataclass(frozen=True)
class PolicyCase:
    id: str
    source: str
    service: str
    arn: str
    policy: str
    level: Level
    access: frozenset[Access] = NONE
    unknown: frozenset[Access] = NONE
    reasons: tuple[str, ...] = ()
    trusted: frozenset[str] = frozenset()
    org_id: str | None = ORG
    networks: frozenset[str] = frozenset()
    known: Mapping[str, str] = field(default_factory=dict)
    note: str = ""


def _sqs(
    cid: str, source: str, pol: str, level: Level, access: frozenset[Access] = NONE, **kw: Any
) -> PolicyCase:
    return PolicyCase(cid, source, "sqs", QUEUE, pol, level, access, **kw)


_PUB, _X, _PRIV, _UNK = Level.PUBLIC, Level.CROSS_ACCOUNT, Level.PRIVATE, Level.UNKNOWN
_SQS_ALL = kinds(R, L, W, RA, WA)
_IP_192 = {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}
_NOT_VPCE = {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}

SQS_CASES = [
    _sqs(
        "sqs-example-1-one-account-send",
        SQS_EXAMPLES + " → Example 1",
        policy(st({"AWS": [OTHER]}, "sqs:SendMessage", sid="Queue1_SendMessage")),
        _X,
        kinds(W),
        reasons=(f"account {OTHER}", "`Queue1_SendMessage`"),
    ),
    _sqs(
        "sqs-example-2-send-and-receive",
        SQS_EXAMPLES + " → Example 2 (Resource with a Region wildcard)",
        policy(
            st(
                {"AWS": [OTHER]},
                ["sqs:SendMessage", "sqs:ReceiveMessage"],
                f"arn:aws:sqs:*:{OWNER}:queue1",
            )
        ),
        _X,
        kinds(R, W),
    ),
    _sqs(
        "sqs-example-3-two-accounts-all-actions",
        SQS_EXAMPLES + " → Example 3",
        policy(st({"AWS": [OTHER, OWNER]}, "sqs:*")),
        _X,
        _SQS_ALL,
        reasons=(
            "trusted: statement #1 grants read, list, write, read-acl, write-acl to account "
            f"{OWNER}",
        ),
    ),
    _sqs(
        "sqs-example-3-other-account-trusted",
        SQS_EXAMPLES + " → Example 3; " + AA_CONCEPTS,
        policy(st({"AWS": [OTHER, OWNER]}, "sqs:*")),
        _PRIV,
        trusted=frozenset({OTHER}),
    ),
    _sqs(
        "sqs-example-4-role-and-user",
        SQS_EXAMPLES + " → Example 4 (cross-account role and user)",
        policy(
            st(
                {
                    "AWS": [
                        f"arn:aws:iam::{OTHER}:role/role1",
                        f"arn:aws:iam::{OTHER}:user/username1",
                    ]
                },
                "sqs:*",
            )
        ),
        _X,
        _SQS_ALL,
    ),
    _sqs(
        "sqs-example-5-anonymous-receive",
        SQS_EXAMPLES + " → Example 5",
        policy(st("*", "sqs:ReceiveMessage", f"arn:aws:sqs:*:{OWNER}:queue1")),
        _PUB,
        kinds(R),
        reasons=('Principal "*"',),
    ),
    _sqs(
        "sqs-example-6-time-limited-still-public",
        SQS_EXAMPLES + " → Example 6; " + IAM_KEYS + " → aws:CurrentTime (any caller meets it)",
        policy(
            st(
                condition={
                    "DateGreaterThan": {"aws:CurrentTime": "2009-01-31T12:00Z"},
                    "DateLessThan": {"aws:CurrentTime": "2009-01-31T15:00Z"},
                }
            )
        ),
        _PUB,
        kinds(R),
    ),
    _sqs(
        "sqs-example-7-cidr-range",
        SQS_EXAMPLES + " → Example 7; " + S3_PUBLIC + " (fixed /24: not public); " + AA_KEYS,
        policy(st(action="sqs:*", condition=_IP_192)),
        _X,
        _SQS_ALL,
        reasons=("any account (limited to fixed aws:SourceIp (192.0.2.0/24))",),
    ),
    _sqs(
        "sqs-example-7-cidr-trusted-network",
        SQS_EXAMPLES + " → Example 7; the range is one of the owner's networks",
        policy(st(action="sqs:*", condition=_IP_192)),
        _PRIV,
        networks=frozenset({"192.0.0.0/16"}),
        reasons=("callers inside trusted networks",),
    ),
    _sqs(
        "sqs-example-8-allow-range-deny-other-range",
        SQS_EXAMPLES + " → Example 8; " + IAM_OPS,
        policy(
            st(
                action="sqs:SendMessage",
                condition={
                    "IpAddress": {"aws:SourceIp": "192.0.2.0/24"},
                    "NotIpAddress": {"aws:SourceIp": "192.0.2.188/32"},
                },
            ),
            deny(action="sqs:*", condition={"IpAddress": {"aws:SourceIp": "12.148.72.0/23"}}),
        ),
        _X,
        kinds(W),
    ),
    _sqs(
        "sqs-sns-topic-same-account",
        SNS_CASES + " → Publishing to an Amazon SQS Queue (aws:SourceArn of one's own topic)",
        policy(
            st(
                action="sqs:SendMessage",
                condition={
                    "ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{OWNER}:MyTopic"}
                },
            )
        ),
        _PRIV,
        reasons=("limited to fixed aws:SourceArn",),
    ),
    _sqs(
        "sqs-sns-topic-other-account",
        SNS_CASES + " → Publishing to an Amazon SQS Queue; " + IAM_KEYS + " → aws:SourceArn",
        policy(
            st(
                action="sqs:SendMessage",
                condition={
                    "ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{OTHER}:MyTopic"}
                },
            )
        ),
        _X,
        kinds(W),
        reasons=(f"account {OTHER} through an AWS service",),
    ),
    _sqs(
        "sqs-statement-for-another-queue",
        "IAM User Guide, 'IAM JSON policy elements: Resource' "
        "(doc_source/reference_policies_elements_resource.md)",
        policy(st(resource=f"arn:aws:sqs:us-east-2:{OWNER}:queue2")),
        _PRIV,
    ),
    _sqs(
        "sqs-deny-all-takes-back",
        IAM_EVAL,
        policy(st(), deny(action="sqs:*")),
        _PRIV,
        reasons=("taken back from the public",),
    ),
    _sqs(
        "sqs-deny-outside-org-takes-back-account",
        IAM_EVAL + "; " + IAM_KEYS + " → aws:PrincipalOrgID",
        policy(
            st({"AWS": OTHER}, "sqs:*"),
            deny(action="sqs:*", condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}}),
        ),
        _PRIV,
        reasons=("taken back by Deny statement #2",),
        note="The account is either in the trusted organization (trusted) or denied.",
    ),
    _sqs(
        "sqs-deny-outside-other-org-keeps-account",
        IAM_EVAL + "; " + IAM_KEYS + " → aws:PrincipalOrgID",
        policy(
            st({"AWS": OTHER}, "sqs:*"),
            deny(action="sqs:*", condition={"StringNotEquals": {"aws:PrincipalOrgID": OTHER_ORG}}),
        ),
        _X,
        _SQS_ALL,
        note="Members of the other organization escape the Deny, and they are not trusted.",
    ),
    _sqs(
        "sqs-allow-own-organization",
        IAM_KEYS + " → aws:PrincipalOrgID; " + AA_CONCEPTS,
        policy(st(action="sqs:*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})),
        _PRIV,
        reasons=(
            "trusted: statement #1 grants read, list, write, read-acl, write-acl to members of "
            f"organization {ORG}",
        ),
    ),
    _sqs(
        "sqs-allow-other-organization",
        IAM_KEYS + " → aws:PrincipalOrgID; " + AA_CONCEPTS,
        policy(st(action="sqs:*", condition={"StringEquals": {"aws:PrincipalOrgID": OTHER_ORG}})),
        _X,
        _SQS_ALL,
        reasons=(f"members of organization {OTHER_ORG}",),
    ),
    _sqs(
        "sqs-allow-organization-none-configured",
        IAM_KEYS + " → aws:PrincipalOrgID; " + AA_CONCEPTS + " (no organization: account zone)",
        policy(st(action="sqs:*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})),
        _X,
        _SQS_ALL,
        org_id=None,
    ),
    _sqs(
        "sqs-principal-account-condition-other",
        IAM_KEYS + " → aws:PrincipalAccount",
        policy(st(condition={"StringEquals": {"aws:PrincipalAccount": OTHER}})),
        _X,
        kinds(R),
        reasons=(f"account {OTHER}",),
    ),
    _sqs(
        "sqs-principal-account-condition-owner",
        IAM_KEYS + " → aws:PrincipalAccount",
        policy(st(condition={"StringEquals": {"aws:PrincipalAccount": OWNER}})),
        _PRIV,
    ),
    _sqs(
        "sqs-principal-arn-like-other-roles",
        S3_PUBLIC + " (values must be fixed: no wildcard; only s3:DataAccessPointArn has an "
        "exception for a fixed account); " + IAM_KEYS + " → aws:PrincipalArn",
        policy(st(condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/*"}})),
        _PUB,
        kinds(R),
        reasons=("has a wildcard",),
        note="AWS's definition makes any wildcard value public; the account is also named.",
    ),
    _sqs(
        "sqs-principal-arn-equals-other-role",
        IAM_KEYS + " → aws:PrincipalArn; " + AA_KEYS + " (condition.aws:PrincipalArn)",
        policy(st(condition={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/r"}})),
        _X,
        kinds(R),
        reasons=(f"account {OTHER}",),
    ),
    _sqs(
        "sqs-principal-arn-any-account-is-public",
        S3_PUBLIC + " (a wildcard value does not restrict)",
        policy(st(condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}})),
        _PUB,
        kinds(R),
    ),
    _sqs(
        "sqs-unknown-condition-key",
        "Andon's rule: a key it does not know leaves the grant undecided (never private)",
        policy(st(condition={"StringEquals": {"sqs:SomeFutureKey": "x"}})),
        _UNK,
        unknown=kinds(R),
        reasons=("not known to Andon",),
    ),
    _sqs(
        "sqs-unreadable-policy",
        "Andon's rule: an unreadable policy is UNKNOWN",
        "{not json",
        _UNK,
        unknown=ALL,
    ),
    _sqs(
        "sqs-notprincipal-allow-is-public",
        IAM_NOTPRINCIPAL + " (Allow with NotPrincipal grants everyone else)",
        policy(st(None, NotPrincipal={"AWS": root(OTHER)})),
        _PUB,
        kinds(R),
    ),
    _sqs(
        "sqs-deny-notprincipal-owner-takes-back",
        IAM_NOTPRINCIPAL + " (Deny with NotPrincipal denies everyone else); " + IAM_EVAL,
        policy(
            st({"AWS": OTHER}, "sqs:*"),
            deny(principal=None, action="sqs:*", NotPrincipal={"AWS": root(OWNER)}),
        ),
        _PRIV,
    ),
    _sqs(
        "sqs-service-principal-unscoped",
        AA_CONCEPTS + "; " + IAM_KEYS + " → aws:SourceArn (confused deputy)",
        policy(st({"Service": "sns.amazonaws.com"}, "sqs:SendMessage")),
        _PRIV,
        reasons=("confused deputy",),
    ),
    _sqs(
        "sqs-service-principal-other-account-topic",
        IAM_KEYS + " → aws:SourceArn, aws:SourceAccount",
        policy(
            st(
                {"Service": "sns.amazonaws.com"},
                "sqs:SendMessage",
                condition={"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{OTHER}:t"}},
            )
        ),
        _X,
        kinds(W),
        reasons=(f"account {OTHER} through sns.amazonaws.com",),
    ),
    _sqs(
        "sqs-sourceaccount-ifexists-does-not-restrict",
        IAM_OPS + " → ...IfExists matches requests without the key",
        policy(st(condition={"StringEqualsIfExists": {"aws:SourceAccount": OTHER}})),
        _PUB,
        kinds(R),
    ),
    _sqs(
        "sqs-account-principal-with-source-condition-grants-nothing",
        IAM_OPS + " (a principal's own request lacks aws:SourceAccount: StringEquals is false)",
        policy(st({"AWS": OTHER}, condition={"StringEquals": {"aws:SourceAccount": OTHER}})),
        _PRIV,
    ),
    _sqs(
        "sqs-deny-unless-listed-accounts-keeps-listed-outsider",
        IAM_EVAL + "; " + IAM_KEYS + " → aws:PrincipalAccount",
        policy(
            st(action="sqs:*"),
            deny(
                action="sqs:*",
                condition={"StringNotEquals": {"aws:PrincipalAccount": [OWNER, OTHER]}},
            ),
        ),
        _X,
        _SQS_ALL,
        reasons=(f"account {OTHER} (within what Deny statement #2 allows)",),
        note="Not public (outsiders cannot escape the Deny) but the listed outside account can.",
    ),
    _sqs(
        "sqs-deny-unless-owner-account",
        IAM_EVAL + "; " + IAM_KEYS + " → aws:PrincipalAccount",
        policy(
            st(action="sqs:*"),
            deny(action="sqs:*", condition={"StringNotEquals": {"aws:PrincipalAccount": OWNER}}),
        ),
        _PRIV,
    ),
    _sqs(
        "sqs-deny-takes-back-one-kind-only",
        IAM_EVAL + " (a Deny on some actions leaves the others)",
        policy(
            st({"AWS": OTHER}, ["sqs:SendMessage", "sqs:ReceiveMessage"]),
            deny(action="sqs:ReceiveMessage"),
        ),
        _X,
        kinds(W),
    ),
    _sqs(
        "sqs-deny-unless-vpce-keeps-account",
        AA_CONCEPTS + " (a network condition does not tell accounts apart)",
        policy(
            st({"AWS": OTHER}, "sqs:*"),
            deny(
                action="sqs:*", condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}
            ),
        ),
        _X,
        _SQS_ALL,
    ),
    _sqs(
        "sqs-deny-unless-trusted-vpce-keeps-named-account",
        AA_CONCEPTS + " (a grant naming an outside account is external by intent, whatever "
        "network it must come through)",
        policy(st({"AWS": OTHER}, "sqs:*"), deny(action="sqs:*", condition=_NOT_VPCE)),
        _X,
        _SQS_ALL,
        networks=frozenset({"vpce-1a2b3c4d"}),
    ),
    _sqs(
        "sqs-public-grant-deny-unless-trusted-vpce",
        IAM_EVAL + "; " + AA_CONCEPTS + "; the endpoint is one of the owner's trusted networks",
        policy(st(action="sqs:*"), deny(action="sqs:*", condition=_NOT_VPCE)),
        _PRIV,
        networks=frozenset({"vpce-1a2b3c4d"}),
    ),
    _sqs(
        "sqs-public-grant-deny-unless-untrusted-vpce",
        IAM_EVAL + "; " + AA_KEYS + " (condition.aws:SourceVpce: external access)",
        policy(st(action="sqs:*"), deny(action="sqs:*", condition=_NOT_VPCE)),
        _X,
        _SQS_ALL,
        reasons=("any account (within what Deny statement #2 allows)",),
    ),
    _sqs(
        "sqs-account-with-trusted-vpce-condition-stays-outside",
        AA_CONCEPTS + " (a named outside account is external by intent)",
        policy(st({"AWS": OTHER}, condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})),
        _X,
        kinds(R),
        networks=frozenset({"vpce-1a2b3c4d"}),
    ),
    _sqs(
        "sqs-malformed-allow-statement",
        "Andon's rule: a statement it cannot read may grant anything",
        policy(st({"AWS": OTHER}, "sqs:SendMessage"), {"Effect": "Allow", "Principal": "*"}),
        _X,
        kinds(W),
        unknown=kinds(R, L, RA, WA),
    ),
]

SNS_CASES_TABLE = [
    PolicyCase(
        "sns-case-1-addpermission-account",
        SNS_CASES + " → Allowing AWS account Access to a Topic",
        "sns",
        TOPIC,
        policy(st({"AWS": OTHER}, ["sns:Publish"], TOPIC, sid="give-1234-publish")),
        _X,
        kinds(W),
        reasons=("`give-1234-publish`",),
    ),
    PolicyCase(
        "sns-case-2-https-subscribe",
        SNS_CASES + " → Limiting Subscriptions to HTTPS (sns:Protocol is the subscriber's choice)",
        "sns",
        TOPIC,
        policy(
            st(
                {"AWS": OTHER},
                ["sns:Subscribe"],
                TOPIC,
                {"StringEquals": {"sns:Protocol": "https"}},
            )
        ),
        _X,
        kinds(R),
    ),
    PolicyCase(
        "sns-case-4-any-resource-of-account",
        SNS_CASES + " → Allowing Any AWS Resource to Publish to a Topic",
        "sns",
        TOPIC,
        policy(st("*", "sns:Publish", TOPIC, {"StringEquals": {"AWS:SourceAccount": OTHER}})),
        _X,
        kinds(W),
        reasons=(f"account {OTHER} through an AWS service",),
    ),
    PolicyCase(
        "sns-case-5-s3-bucket-of-account",
        SNS_CASES + " → Allowing an Amazon S3 Bucket to Publish to a Topic",
        "sns",
        TOPIC,
        policy(
            st(
                "*",
                "sns:Publish",
                TOPIC,
                {
                    "StringEquals": {"AWS:SourceAccount": OTHER},
                    "ArnLike": {"AWS:SourceArn": "arn:aws:s3:*:*:*"},
                },
            )
        ),
        _X,
        kinds(W),
    ),
    PolicyCase(
        "sns-default-topic-policy",
        SNS_CASES
        + " → default policy limited to the owner's resources; "
        + IAM_KEYS
        + " → aws:SourceOwner",
        "sns",
        TOPIC,
        policy(
            st(
                {"AWS": "*"},
                [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:AddPermission",
                    "SNS:RemovePermission",
                    "SNS:DeleteTopic",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish",
                ],
                TOPIC,
                {"StringEquals": {"AWS:SourceOwner": OWNER}},
                sid="__default_statement_ID",
            )
        ),
        _PRIV,
    ),
    PolicyCase(
        "sns-public-subscribe",
        S3_PUBLIC + " (Principal * with no restricting condition); " + SNS_CASES,
        "sns",
        TOPIC,
        policy(st("*", "SNS:Subscribe", TOPIC)),
        _PUB,
        kinds(R),
    ),
    PolicyCase(
        "sns-s3-service-unscoped-bucket-arn",
        AA_CONCEPTS + " (service principals); an S3 ARN names no account",
        "sns",
        TOPIC,
        policy(
            st(
                {"Service": "s3.amazonaws.com"},
                "SNS:Publish",
                TOPIC,
                {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:*:my-bucket"}},
            )
        ),
        _PRIV,
    ),
]

TRAILS = f"arn:aws:cloudtrail:*:{OWNER}:trail/*"
EFS_AP = "arn:aws:elasticfilesystem:us-east-2:555555555555:access-point/fsap-12345678"

_KMS_EBS_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:CreateGrant",
    "kms:DescribeKey",
]

KMS_CASES = [
    PolicyCase(
        "kms-default-key-policy",
        KMS_DEFAULT,
        "kms",
        KEY,
        policy(st({"AWS": root(OWNER)}, "kms:*", "*", sid="Enable IAM User Permissions")),
        _PRIV,
    ),
    PolicyCase(
        "kms-caller-account-ebs-example",
        KMS_KEYS + " → kms:CallerAccount (the AWS managed key for Amazon EBS example)",
        "kms",
        KEY,
        policy(
            st(
                {"AWS": "*"},
                _KMS_EBS_ACTIONS,
                "*",
                {
                    "StringEquals": {
                        "kms:CallerAccount": OWNER,
                        "kms:ViaService": "ec2.us-west-2.amazonaws.com",
                    }
                },
            )
        ),
        _PRIV,
    ),
    PolicyCase(
        "kms-caller-account-other",
        KMS_KEYS + " → kms:CallerAccount; " + AA_KEYS,
        "kms",
        KEY,
        policy(
            st({"AWS": "*"}, _KMS_EBS_ACTIONS, "*", {"StringEquals": {"kms:CallerAccount": OTHER}})
        ),
        _X,
        kinds(R, L, W, WA),
        reasons=(f"account {OTHER}",),
    ),
    PolicyCase(
        "kms-viaservice-alone-is-public",
        KMS_KEYS + " → kms:ViaService (limits the path a request takes, not who makes it)",
        "kms",
        KEY,
        policy(
            st(
                {"AWS": "*"},
                "kms:Decrypt",
                "*",
                {"StringEquals": {"kms:ViaService": "secretsmanager.us-west-2.amazonaws.com"}},
            )
        ),
        _PUB,
        kinds(R),
    ),
    PolicyCase(
        "kms-external-account-root",
        KMS_EXTERNAL,
        "kms",
        KEY,
        policy(
            st(
                {"AWS": root(OTHER)},
                [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "*",
                sid="Allow use of the key",
            )
        ),
        _X,
        kinds(R, L, W),
    ),
    PolicyCase(
        "kms-encryption-context-is-the-callers-choice",
        KMS_KEYS + " → kms:EncryptionContext:context-key (a request parameter)",
        "kms",
        KEY,
        policy(
            st(
                {"AWS": "*"},
                "kms:Decrypt",
                "*",
                {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": TRAILS}},
            )
        ),
        _PUB,
        kinds(R),
    ),
    PolicyCase(
        "kms-cloudtrail-decrypt-in-account",
        KMS_KEYS + " → kms:CallerAccount with kms:EncryptionContext",
        "kms",
        KEY,
        policy(
            st(
                {"AWS": "*"},
                ["kms:Decrypt", "kms:ReEncryptFrom"],
                "*",
                {
                    "StringEquals": {"kms:CallerAccount": OWNER},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": TRAILS},
                },
            )
        ),
        _PRIV,
    ),
    PolicyCase(
        "kms-grant-to-other-account",
        KMS_EXTERNAL + " (CreateGrant changes who may use the key)",
        "kms",
        KEY,
        policy(st({"AWS": root(OTHER)}, "kms:CreateGrant", "*")),
        _X,
        kinds(WA),
    ),
]

SECRETS_CASES = [
    PolicyCase(
        "secret-other-account-role",
        SECRETS_XACCT,
        "secretsmanager",
        SECRET,
        policy(
            st(
                {"AWS": f"arn:aws:iam::{OTHER}:role/SecretReader"},
                "secretsmanager:GetSecretValue",
                "*",
            )
        ),
        _X,
        kinds(R),
    ),
    PolicyCase(
        "secret-public",
        S3_PUBLIC + " (same meaning applied to a secret's resource policy)",
        "secretsmanager",
        SECRET,
        policy(st("*", "secretsmanager:GetSecretValue", "*")),
        _PUB,
        kinds(R),
    ),
    PolicyCase(
        "secret-own-organization",
        IAM_KEYS + " → aws:PrincipalOrgID",
        "secretsmanager",
        SECRET,
        policy(st("*", "secretsmanager:*", "*", {"StringEquals": {"aws:PrincipalOrgID": ORG}})),
        _PRIV,
    ),
    PolicyCase(
        "secret-deny-outside-org-over-public",
        IAM_EVAL + "; " + IAM_KEYS + " → aws:PrincipalOrgID",
        "secretsmanager",
        SECRET,
        policy(
            st("*", "secretsmanager:GetSecretValue", "*"),
            deny(
                principal="*",
                action="secretsmanager:*",
                resource="*",
                condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
            ),
        ),
        _PRIV,
    ),
]

ECR_CASES = [
    PolicyCase(
        "ecr-public-pull-no-resource-element",
        ECR_EXAMPLES + " → Allow all (repository policies omit Resource)",
        "ecr",
        REPO,
        policy(
            st(
                "*",
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:DescribeImages",
                    "ecr:DescribeRepositories",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:ListImages",
                ],
                None,
                sid="Public",
            )
        ),
        _PUB,
        kinds(R, L),
    ),
    PolicyCase(
        "ecr-cross-account-pull",
        ECR_EXAMPLES + " → Allow another account",
        "ecr",
        REPO,
        policy(st({"AWS": root(OTHER)}, ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], None)),
        _X,
        kinds(R),
    ),
    PolicyCase(
        "ecr-cross-account-push",
        ECR_EXAMPLES + " → Allow push for another account",
        "ecr",
        REPO,
        policy(
            st(
                {"AWS": f"arn:aws:iam::{OTHER}:user/push-user"},
                [
                    "ecr:PutImage",
                    "ecr:InitiateLayerUpload",
                    "ecr:UploadLayerPart",
                    "ecr:CompleteLayerUpload",
                ],
                None,
            )
        ),
        _X,
        kinds(W),
    ),
    PolicyCase(
        "ecr-own-account-only",
        ECR_EXAMPLES + " → Allow one or more users (same account)",
        "ecr",
        REPO,
        policy(st({"AWS": [f"arn:aws:iam::{OWNER}:user/push-pull-user-1"]}, "ecr:*", None)),
        _PRIV,
    ),
]

_EFS_CLIENT = [
    "elasticfilesystem:ClientMount",
    "elasticfilesystem:ClientWrite",
    "elasticfilesystem:ClientRootAccess",
]

EFS_CASES = [
    PolicyCase(
        "efs-meaning-of-public-example",
        EFS_PUBLIC + " → the example policy considered public",
        "efs",
        FS,
        policy(
            st(
                {"AWS": "*"},
                _EFS_CLIENT,
                None,
                sid="efs-statement-14a7191c-9401-40e7-a388-6af6cfb7dd9c",
            )
        ),
        _PUB,
        kinds(R, W, WA),
    ),
    PolicyCase(
        "efs-accessed-via-mount-target",
        EFS_PUBLIC
        + " → the same policy made non-public with AccessedViaMountTarget; "
        + EFS_IAM
        + " → Default EFS file system policy (any client of a mount target)",
        "efs",
        FS,
        policy(
            st(
                {"AWS": "*"},
                _EFS_CLIENT,
                None,
                {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
            )
        ),
        _PRIV,
        reasons=("limited to callers with elasticfilesystem:AccessedViaMountTarget = true",),
    ),
    PolicyCase(
        "efs-example-1-user-secure-transport",
        EFS_IAM + " → Example 1 (aws:SecureTransport does not narrow the caller)",
        "efs",
        FS,
        policy(
            st(
                {"AWS": f"arn:aws:iam::{OTHER}:user/CarlosSalazar"},
                ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                FS,
                {"Bool": {"aws:SecureTransport": "true"}},
            )
        ),
        _X,
        kinds(R, W),
    ),
    PolicyCase(
        "efs-example-2-read-only-role",
        EFS_IAM + " → Example 2: Grant read-only access",
        "efs",
        FS,
        policy(
            st(
                {"AWS": f"arn:aws:iam::{OWNER}:role/EfsReadOnly"},
                ["elasticfilesystem:ClientMount"],
                FS,
            )
        ),
        _PRIV,
    ),
    PolicyCase(
        "efs-example-3-access-point-other-account",
        EFS_IAM + " → Example 3: Grant access to an EFS Access Point",
        "efs",
        FS,
        policy(
            st(
                {"AWS": "arn:aws:iam::555555555555:role/EfsAccessPointFullAccess"},
                "elasticfilesystem:Client*",
                FS,
                {"StringEquals": {"elasticfilesystem:AccessPointArn": EFS_AP}},
            )
        ),
        _X,
        kinds(R, W, WA),
    ),
    PolicyCase(
        "efs-secure-transport-only-still-public",
        EFS_PUBLIC + " (aws:SecureTransport is not among the restricting keys)",
        "efs",
        FS,
        policy(st({"AWS": "*"}, _EFS_CLIENT, FS, {"Bool": {"aws:SecureTransport": "true"}})),
        _PUB,
        kinds(R, W, WA),
    ),
]

LAMBDA_CASES = [
    PolicyCase(
        "lambda-url-none-public-policy-example",
        LAMBDA_URLS + " → Using the NONE auth type (the policy statement AWS creates)",
        "lambda",
        FN,
        policy(
            st(
                "*",
                "lambda:InvokeFunctionUrl",
                FN,
                {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
            )
        ),
        _PUB,
        kinds(R, W),
        known={"lambda:FunctionUrlAuthType": "NONE"},
    ),
    PolicyCase(
        "lambda-url-policy-none-but-url-is-iam",
        LAMBDA_URLS + " → 'allows access only when your function URL's auth type is also NONE'",
        "lambda",
        FN,
        policy(
            st(
                "*",
                "lambda:InvokeFunctionUrl",
                FN,
                {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
            )
        ),
        _PRIV,
        known={"lambda:FunctionUrlAuthType": "AWS_IAM"},
    ),
    PolicyCase(
        "lambda-url-policy-without-url-config",
        LAMBDA_URLS + " (auth type not known: the grant is read as written)",
        "lambda",
        FN,
        policy(
            st(
                "*",
                "lambda:InvokeFunctionUrl",
                FN,
                {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
            )
        ),
        _PUB,
        kinds(R, W),
    ),
    PolicyCase(
        "lambda-url-cross-account-iam-example",
        LAMBDA_URLS + " → Using the AWS_IAM auth type (cross-account invoke policy)",
        "lambda",
        FN,
        policy(
            st(
                {"AWS": f"arn:aws:iam::{OTHER}:role/example"},
                "lambda:InvokeFunctionUrl",
                FN,
                {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
            )
        ),
        _X,
        kinds(R, W),
        known={"lambda:FunctionUrlAuthType": "AWS_IAM"},
    ),
    PolicyCase(
        "lambda-invoke-from-s3-other-account",
        LAMBDA_POLICIES + " → Granting function access to AWS services (aws:SourceAccount)",
        "lambda",
        FN,
        policy(
            st(
                {"Service": "s3.amazonaws.com"},
                "lambda:InvokeFunction",
                FN,
                {
                    "StringEquals": {"AWS:SourceAccount": OTHER},
                    "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::lambda-bucket"},
                },
            )
        ),
        _X,
        kinds(R, W),
    ),
    PolicyCase(
        "lambda-alias-qualified-grant",
        LAMBDA_POLICIES + " (a version or alias is a qualified ARN under the function)",
        "lambda",
        FN,
        policy(st({"AWS": root(OTHER)}, "lambda:InvokeFunction", f"{FN}:prod")),
        _X,
        kinds(R, W),
    ),
    PolicyCase(
        "lambda-get-function-downloads-code",
        LAMBDA_POLICIES + "; Lambda API Reference, GetFunction (returns a link to the code)",
        "lambda",
        FN,
        policy(st("*", "lambda:GetFunction", FN)),
        _PUB,
        kinds(R),
    ),
]

OPENSEARCH_CASES = [
    PolicyCase(
        "opensearch-user-full-access-example",
        OPENSEARCH_AC + " → test-user full access",
        "opensearch",
        DOMAIN,
        policy(st({"AWS": [f"arn:aws:iam::{OTHER}:user/test-user"]}, ["es:*"], f"{DOMAIN}/*")),
        _X,
        kinds(R, W),
    ),
    PolicyCase(
        "opensearch-domain-without-trailing-star",
        OPENSEARCH_AC + " (without /* the policy covers the domain, not its sub-resources)",
        "opensearch",
        DOMAIN,
        policy(st({"AWS": "*"}, ["es:*"], DOMAIN)),
        _PRIV,
    ),
    PolicyCase(
        "opensearch-open-access-policy",
        OPENSEARCH_AC + "; " + S3_PUBLIC,
        "opensearch",
        DOMAIN,
        policy(st({"AWS": "*"}, "es:*", f"{DOMAIN}/*")),
        _PUB,
        kinds(R, W),
    ),
    PolicyCase(
        "opensearch-ip-based-policy",
        OPENSEARCH_AC + " → IP-based policies; " + AA_KEYS,
        "opensearch",
        DOMAIN,
        policy(
            st(
                {"AWS": "*"},
                ["es:ESHttp*"],
                f"{DOMAIN}/*",
                {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}},
            )
        ),
        _X,
        kinds(R, W),
        reasons=("any account (limited to fixed aws:SourceIp",),
    ),
    PolicyCase(
        "opensearch-get-only-one-index",
        OPENSEARCH_AC + " → es:ESHttpGet on one index",
        "opensearch",
        DOMAIN,
        policy(st({"AWS": "*"}, ["es:ESHttpGet"], f"{DOMAIN}/commerce-data/*")),
        _PUB,
        kinds(R),
    ),
]

GLACIER_CASES = [
    PolicyCase(
        "glacier-cross-account-read",
        GLACIER_POLICIES + " → Example: granting cross-account permissions",
        "glacier",
        VAULT,
        policy(
            st(
                {"AWS": [root(OTHER), root(THIRD)]},
                ["glacier:InitiateJob", "glacier:GetJobOutput"],
                VAULT,
            )
        ),
        _X,
        kinds(R),
    ),
    PolicyCase(
        "glacier-deny-delete-archive",
        GLACIER_POLICIES + " → Example: deny archive deletion",
        "glacier",
        VAULT,
        policy(deny(principal="*", action="glacier:DeleteArchive", resource=VAULT)),
        _PRIV,
    ),
]

BACKUP_CASES = [
    PolicyCase(
        "backup-copy-into-vault-from-other-account",
        BACKUP_POLICIES + " → Allow access to a backup vault from another account",
        "backup",
        BVAULT,
        policy(st({"AWS": root(OTHER)}, "backup:CopyIntoBackupVault", "*")),
        _X,
        kinds(W),
    ),
    PolicyCase(
        "backup-deny-delete-recovery-points",
        BACKUP_POLICIES + " → Deny access to delete recovery points",
        "backup",
        BVAULT,
        policy(
            deny(
                principal={"AWS": "*"},
                action=["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                resource="*",
            )
        ),
        _PRIV,
    ),
    PolicyCase(
        "backup-public-restore",
        S3_PUBLIC + "; " + BACKUP_POLICIES + " (recovery points are their own resources)",
        "backup",
        BVAULT,
        policy(
            st("*", "backup:StartRestoreJob", f"arn:aws:backup:us-east-1:{OWNER}:recovery-point:*")
        ),
        _PUB,
        kinds(R),
    ),
]

APIGW_CASES = [
    PolicyCase(
        "apigw-resource-policy-only-ip-example",
        APIGW_FLOW + " → API Gateway resource policy only (IP allowlist); " + AA_KEYS,
        "apigateway",
        API,
        policy(
            st(
                "*",
                "execute-api:Invoke",
                f"{API}/*",
                {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "198.51.100.0/24"]}},
            )
        ),
        _X,
        kinds(R, W),
        note="The guide writes 'api-id/'; a method ARN is api-id/stage/METHOD/path, hence /*.",
    ),
    PolicyCase(
        "apigw-resource-literally-api-root-matches-no-method",
        APIGW_FLOW + " (the example's literal 'api-id/'); IAM User Guide, 'IAM JSON policy "
        "elements: Resource' (doc_source/reference_policies_elements_resource.md)",
        "apigateway",
        API,
        policy(st("*", "execute-api:Invoke", f"{API}/")),
        _PRIV,
    ),
    PolicyCase(
        "apigw-shorthand-public",
        APIGW_EXAMPLES,
        "apigateway",
        API,
        policy(st("*", "execute-api:Invoke", "execute-api:/*")),
        _PUB,
        kinds(R, W),
    ),
    PolicyCase(
        "apigw-deny-on-one-path-leaves-the-others",
        IAM_EVAL + " (a Deny reaches only its own resources)",
        "apigateway",
        API,
        policy(
            st("*", "execute-api:Invoke", "execute-api:/*"),
            deny(action="execute-api:Invoke", resource=[f"{API}/prod/POST/admin"]),
        ),
        _PUB,
        kinds(R, W),
    ),
    PolicyCase(
        "apigw-deny-unless-vpce-all-paths",
        APIGW_FLOW + "; " + IAM_EVAL,
        "apigateway",
        API,
        policy(
            st("*", "execute-api:Invoke", "execute-api:/*"),
            deny(
                action="execute-api:Invoke",
                resource="execute-api:/*",
                condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
            ),
        ),
        _X,
        kinds(R, W),
        reasons=("any account (within what Deny statement #2 allows)",),
    ),
    PolicyCase(
        "apigw-cross-account-iam",
        APIGW_FLOW + " → IAM authentication and resource policy (Table B)",
        "apigateway",
        API,
        policy(st({"AWS": root(OTHER)}, "execute-api:Invoke", f"{API}/*")),
        _X,
        kinds(R, W),
    ),
]

DYNAMODB_CASES = [
    PolicyCase(
        "dynamodb-cross-account-read",
        DDB_POLICIES + " → cross-account access",
        "dynamodb",
        TABLE,
        policy(
            st(
                {"AWS": f"arn:aws:iam::{OTHER}:role/Reader"},
                ["dynamodb:GetItem", "dynamodb:Query"],
                TABLE,
            )
        ),
        _X,
        kinds(R),
    ),
    PolicyCase(
        "dynamodb-index-query-public",
        DDB_POLICIES + " (indexes are sub-resources: table/name/index/*)",
        "dynamodb",
        TABLE,
        policy(st("*", "dynamodb:Query", f"{TABLE}/index/*")),
        _PUB,
        kinds(R),
    ),
    PolicyCase(
        "dynamodb-write-other-table-only",
        DDB_POLICIES + " (a statement for another table does not apply)",
        "dynamodb",
        TABLE,
        policy(st("*", "dynamodb:PutItem", f"arn:aws:dynamodb:us-west-2:{OWNER}:table/other")),
        _PRIV,
    ),
    PolicyCase(
        "dynamodb-stream-records-cross-account",
        DDB_POLICIES + " (streams: table/name/stream/*)",
        "dynamodb",
        TABLE,
        policy(
            st(
                {"AWS": root(OTHER)},
                ["dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                f"{TABLE}/stream/*",
            )
        ),
        _X,
        kinds(R),
    ),
]

POLICY_CASES: list[PolicyCase] = [
    *SQS_CASES,
    *SNS_CASES_TABLE,
    *KMS_CASES,
    *SECRETS_CASES,
    *ECR_CASES,
    *EFS_CASES,
    *LAMBDA_CASES,
    *OPENSEARCH_CASES,
    *GLACIER_CASES,
    *BACKUP_CASES,
    *APIGW_CASES,
    *DYNAMODB_CASES,
]
