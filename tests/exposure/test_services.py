"""The per-service catalogues: access kinds, levels and condition keys, with their sources."""

from __future__ import annotations

import pytest

from andon.core.model import Access
from andon.exposure.conditions import PolicyKind, key_class
from andon.exposure.policy import analyze_policy
from andon.exposure.resource_policy import ResourceTarget
from andon.exposure.s3_actions import S3_ACTIONS
from andon.exposure.services import (
    EFS,
    KMS,
    LAMBDA,
    OPENSEARCH,
    RESOURCE,
    S3,
    SERVICES,
    SUB,
    profile,
    with_actions,
)
from andon.exposure.tri import Tri

from .aws_cases import BVAULT, FN, QUEUE, TABLE, kinds, policy, st

R, L, W, RA, WA = Access.READ, Access.LIST, Access.WRITE, Access.READ_ACL, Access.WRITE_ACL

_SAR = "Service Authorization Reference"


@pytest.mark.parametrize(
    ("service", "action", "expected", "source"),
    [
        ("sqs", "sqs:ReceiveMessage", (R,), _SAR + " (SQS): ReceiveMessage returns messages"),
        ("sqs", "sqs:SendMessage", (W,), _SAR + " (SQS)"),
        ("sqs", "sqs:SetQueueAttributes", (WA,), "SQS API: the Policy is a queue attribute"),
        ("sqs", "sqs:GetQueueAttributes", (RA,), "SQS API: the Policy is a queue attribute"),
        ("sns", "sns:Subscribe", (R,), "SNS: a subscriber receives every message"),
        ("sns", "sns:Publish", (W,), _SAR + " (SNS)"),
        ("kms", "kms:Decrypt", (R,), "KMS Developer Guide: Decrypt returns plaintext"),
        ("kms", "kms:Encrypt", (W,), "KMS Developer Guide"),
        ("kms", "kms:PutKeyPolicy", (WA,), "KMS Developer Guide: key policies"),
        ("kms", "kms:CreateGrant", (WA,), "KMS Developer Guide: grants give use of the key"),
        ("secretsmanager", "secretsmanager:GetSecretValue", (R,), _SAR + " (Secrets Manager)"),
        ("secretsmanager", "secretsmanager:PutResourcePolicy", (WA,), _SAR),
        ("ecr", "ecr:BatchGetImage", (R,), "ECR User Guide: pulling an image"),
        ("ecr", "ecr:GetDownloadUrlForLayer", (R,), "ECR User Guide: pulling an image"),
        ("ecr", "ecr:PutImage", (W,), "ECR User Guide: pushing an image"),
        ("efs", "elasticfilesystem:ClientMount", (R,), "EFS User Guide: read-only access"),
        ("efs", "elasticfilesystem:ClientWrite", (W,), "EFS User Guide: write permissions"),
        ("efs", "elasticfilesystem:ClientRootAccess", (WA,), "EFS User Guide: root user"),
        ("lambda", "lambda:InvokeFunction", (R, W), "Lambda: the caller gets the result"),
        ("lambda", "lambda:InvokeFunctionUrl", (R, W), "Lambda function URLs"),
        ("lambda", "lambda:AddPermission", (WA,), "Lambda: resource-based policies"),
        ("opensearch", "es:ESHttpGet", (R,), "OpenSearch ac.md"),
        ("opensearch", "es:ESHttpPost", (R, W), "OpenSearch: _search is a POST"),
        ("opensearch", "es:ESHttpDelete", (W,), "OpenSearch ac.md"),
        ("glacier", "glacier:InitiateJob", (R,), "S3 Glacier: retrieval jobs"),
        ("glacier", "glacier:DeleteArchive", (W,), _SAR + " (S3 Glacier)"),
        ("backup", "backup:CopyIntoBackupVault", (W,), "AWS Backup: vault access policies"),
        ("backup", "backup:StartRestoreJob", (R,), "AWS Backup: restore"),
        ("apigateway", "execute-api:Invoke", (R, W), "API Gateway resource policies"),
        ("dynamodb", "dynamodb:GetItem", (R,), _SAR + " (DynamoDB)"),
        ("dynamodb", "dynamodb:Query", (R,), _SAR + " (DynamoDB)"),
        ("dynamodb", "dynamodb:Scan", (R,), _SAR + " (DynamoDB)"),
        ("dynamodb", "dynamodb:PutItem", (W,), _SAR + " (DynamoDB)"),
        ("dynamodb", "dynamodb:PutResourcePolicy", (WA,), _SAR + " (DynamoDB)"),
    ],
)
def test_action_kinds(service: str, action: str, expected: tuple[Access, ...], source: str) -> None:
    assert source
    assert profile(service).actions[action][0] == expected


def test_every_action_is_namespaced_and_levelled() -> None:
    for name, p in SERVICES.items():
        for action, (ks, levels) in p.actions.items():
            assert action.split(":")[0] in p.namespaces, (name, action)
            assert ks and levels and set(levels) <= {RESOURCE, SUB}, (name, action)


def test_s3_profile_is_the_s3_catalogue() -> None:
    assert {a: (ks[0], lv[0]) for a, (ks, lv) in S3.actions.items()} == dict(S3_ACTIONS)


def test_opensearch_actions_apply_to_sub_resources_only() -> None:
    # OpenSearch Service Developer Guide, ac.md: the trailing /* is significant.
    assert all(levels == (SUB,) for _, levels in OPENSEARCH.actions.values())


def test_lambda_actions_apply_to_the_function_and_its_qualifiers() -> None:
    assert LAMBDA.actions["lambda:InvokeFunction"][1] == (RESOURCE, SUB)
    assert LAMBDA.sub_prefix(FN) == f"{FN}:"


def test_backup_recovery_points_are_not_under_the_vault_arn() -> None:
    assert (
        profile("backup").sub_prefix(BVAULT)
        == "arn:aws:backup:us-east-1:111122223333:recovery-point:"
    )


def test_dynamodb_sub_resources_are_indexes_and_streams() -> None:
    assert profile("dynamodb").sub_prefix(TABLE) == f"{TABLE}/"


@pytest.mark.parametrize(
    ("service", "key", "expected"),
    [
        # EFS User Guide, 'The meaning of public': AccessedViaMountTarget pins the caller.
        ("efs", "elasticfilesystem:AccessedViaMountTarget", "restricting"),
        # IAM Access Analyzer filter keys: condition.kms:CallerAccount.
        ("kms", "kms:CallerAccount", "restricting"),
        # KMS conditions-kms.md: ViaService limits the path, not the caller.
        ("kms", "kms:ViaService", "open"),
        ("kms", "kms:EncryptionContext:aws:cloudtrail:arn", "open"),
        # Lambda urls-auth.md: the URL's auth type (a fact, or the caller's path when unknown).
        ("lambda", "lambda:FunctionUrlAuthType", "open"),
        ("sns", "sns:Protocol", "open"),
        ("sqs", "kms:CallerAccount", "unknown"),
        ("s3", "elasticfilesystem:AccessedViaMountTarget", "unknown"),
    ],
)
def test_service_keys(service: str, key: str, expected: str) -> None:
    target = ResourceTarget(service, QUEUE).policy_target()
    assert key_class(key, target.kind) == expected


def test_key_class_without_kind_is_unchanged() -> None:
    assert key_class("kms:CallerAccount") == "unknown"
    assert key_class("aws:SourceIp") == "restricting"
    assert key_class("kms:CallerAccount", PolicyKind()) == "unknown"


def test_wildcard_actions_match_the_service_only() -> None:
    target = ResourceTarget("sqs", QUEUE).policy_target()
    assert analyze_policy(policy(st(action="s3:*")), target).kinds(Tri.YES) == frozenset()
    everything = analyze_policy(policy(st(action="*")), target).kinds(Tri.YES)
    assert everything == kinds(R, L, W, RA, WA)
    gets = analyze_policy(policy(st(action="SQS:Get*")), target).kinds(Tri.YES)
    assert gets == kinds(RA)


def test_with_actions_limits_the_catalogue() -> None:
    one = with_actions(LAMBDA, ("lambda:InvokeFunctionUrl",))
    assert set(one.actions) == {"lambda:InvokeFunctionUrl"}
    assert one.name == "lambda"


def test_profiles_name_their_sources() -> None:
    for p in SERVICES.values():
        assert p.source and p.title
    assert EFS.resource_optional and profile("ecr").resource_optional
    assert "kms:calleraccount" in KMS.restricting_keys
