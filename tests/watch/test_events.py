"""parse_event: CloudTrail events (EventBridge envelope or bare record) to ChangeEvent.

Each row of :data:`CASES` is one event in the shape AWS documents, with its source:

* envelope: EventBridge User Guide, "AWS service events delivered via AWS CloudTrail" and the
  EventBridge event reference "AWS CloudTrail events" (``detail-type`` "AWS API Call via
  CloudTrail", the record in ``detail``);
* record fields (``eventID``, ``eventTime``, ``awsRegion``, ``recipientAccountId``,
  ``userIdentity``, ``errorCode``, ``readOnly``, ``resources``): CloudTrail User Guide,
  "CloudTrail record contents";
* ``requestParameters`` / ``responseElements``: the service's CloudTrail log example where
  one exists (cited per row); otherwise the operation's API Reference request parameters,
  which CloudTrail logs with a lower-case first letter (``BucketName`` → ``bucketName``,
  ``DBSnapshotIdentifier`` → ``dBSnapshotIdentifier``), cited as "API Reference".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from andon.watch.event_map import EVENT_NAMES, LAMBDA_VERSIONED, covered
from andon.watch.events import (
    API_CALL,
    MAX_MESSAGE_BYTES,
    ChangeEvent,
    MalformedEvent,
    ResourceRef,
    event_pattern,
    parse_event,
)
from andon.watch.refs import normalize_name

ACCOUNT = "111122223333"
REGION = "us-west-2"


def record(
    name: str,
    source: str,
    request: Mapping[str, Any] | None = None,
    response: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A CloudTrail record (CloudTrail User Guide, "CloudTrail record contents")."""
    return {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "EX_PRINCIPAL_ID",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/Alice",
            "accountId": ACCOUNT,
            "accessKeyId": "EXAMPLE_KEY_ID",
            "userName": "Alice",
        },
        "eventTime": "2022-09-01T20:06:16Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "192.0.2.0",
        "userAgent": "aws-cli/2.13",
        "requestParameters": dict(request or {}),
        "responseElements": None if response is None else dict(response),
        "requestID": "7bb906fa-dc21-4350-b65c-808ff0f72f55",
        "eventID": "c217db1f-903f-4a2f-8f88-9580182d6313",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        **extra,
    }


def envelope(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The EventBridge event around a CloudTrail record (EventBridge User Guide)."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": API_CALL,
        "source": "aws." + str(detail.get("eventSource", "x")).split(".")[0],
        "account": ACCOUNT,
        "time": "2022-09-01T20:06:17Z",
        "region": REGION,
        "resources": [],
        "detail": dict(detail),
    }


def ref(service: str, kind: str, uid: str, region: str = REGION) -> ResourceRef:
    return ResourceRef(ACCOUNT, region, service, kind, uid)


def arn(service: str, rest: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{rest}"


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    request: Mapping[str, Any]
    refs: tuple[ResourceRef, ...]
    doc: str
    response: Mapping[str, Any] | None = None
    account_wide: tuple[tuple[str, str], ...] = ()
    extra: Mapping[str, Any] | None = None


S3 = "s3.amazonaws.com"
S3_DOC = "Amazon S3 User Guide, 'CloudTrail log file entries for Amazon S3' (bucketName)"
BUCKET = ref("s3", "storage.bucket", "arn:aws:s3:::amzn-s3-demo-bucket")
FN = arn("lambda", "function:my-function")
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/MyQueue"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC = arn("sns", "MyTopic")

CASES: list[Case] = [
    *(
        Case(
            name,
            S3,
            {"bucketName": "amzn-s3-demo-bucket", "Host": "s3.amazonaws.com"},
            (BUCKET,),
            S3_DOC,
        )
        for name in (
            "PutBucketAcl",
            "PutBucketPolicy",
            "DeleteBucketPolicy",
            "PutBucketPublicAccessBlock",
            "DeleteBucketPublicAccessBlock",
            "CreateBucket",
            "DeleteBucket",
            "PutBucketOwnershipControls",
            "PutBucketWebsite",
        )
    ),
    Case(
        "PutAccountPublicAccessBlock",
        S3,
        {"PublicAccessBlockConfiguration": {"BlockPublicAcls": False}, "x-amz-account-id": ACCOUNT},
        (
            ref(
                "s3",
                "account.settings",
                f"arn:aws:s3::{ACCOUNT}:account-public-access-block",
                "global",
            ),
        ),
        "S3 Control API Reference, PutPublicAccessBlock (x-amz-account-id header)",
        account_wide=((ACCOUNT, "s3"),),
    ),
    Case(
        "DeleteAccountPublicAccessBlock",
        "s3control.amazonaws.com",
        {},
        (
            ref(
                "s3",
                "account.settings",
                f"arn:aws:s3::{ACCOUNT}:account-public-access-block",
                "global",
            ),
        ),
        "S3 Control API Reference, DeletePublicAccessBlock",
        account_wide=((ACCOUNT, "s3"),),
    ),
    Case(
        "CreateAccessPoint",
        S3,
        {
            "name": "my-ap",
            "CreateAccessPointRequest": {"Bucket": "amzn-s3-demo-bucket"},
            "x-amz-account-id": ACCOUNT,
        },
        (
            ref("s3", "storage.access_point", arn("s3", "accesspoint/my-ap")),
            BUCKET,
        ),
        "S3 Control API Reference, CreateAccessPoint (name in the URI, Bucket in the body)",
    ),
    Case(
        "PutAccessPointPolicy",
        S3,
        {"name": "my-ap", "x-amz-account-id": ACCOUNT},
        (ref("s3", "storage.access_point", arn("s3", "accesspoint/my-ap")),),
        "S3 Control API Reference, PutAccessPointPolicy",
    ),
    Case(
        "DeleteAccessPoint",
        S3,
        {"name": "my-ap", "x-amz-account-id": ACCOUNT},
        (ref("s3", "storage.access_point", arn("s3", "accesspoint/my-ap")),),
        "S3 Control API Reference, DeleteAccessPoint",
        account_wide=((ACCOUNT, "s3"),),
    ),
    Case(
        "SetQueueAttributes",
        "sqs.amazonaws.com",
        {"queueUrl": QUEUE_URL, "attributes": {"Policy": "{}"}},
        (ref("sqs", "messaging.queue", arn("sqs", "MyQueue")),),
        "Amazon SQS Developer Guide, 'Logging Amazon SQS API calls using CloudTrail'",
    ),
    Case(
        "AddPermission",
        "sqs.amazonaws.com",
        {
            "queueUrl": QUEUE_URL,
            "label": "x",
            "aWSAccountIds": ["444455556666"],
            "actions": ["SendMessage"],
        },
        (ref("sqs", "messaging.queue", arn("sqs", "MyQueue")),),
        "Amazon SQS API Reference, AddPermission",
    ),
    Case(
        "CreateQueue",
        "sqs.amazonaws.com",
        {"queueName": "MyQueue"},
        (ref("sqs", "messaging.queue", arn("sqs", "MyQueue")),),
        "Amazon SQS API Reference, CreateQueue (QueueUrl in the response)",
        response={"queueUrl": QUEUE_URL},
    ),
    Case(
        "SetTopicAttributes",
        "sns.amazonaws.com",
        {"topicArn": TOPIC, "attributeName": "Policy", "attributeValue": "{}"},
        (ref("sns", "messaging.topic", TOPIC),),
        "Amazon SNS API Reference, SetTopicAttributes",
    ),
    Case(
        "AddPermission",
        "sns.amazonaws.com",
        {
            "topicArn": TOPIC,
            "label": "x",
            "aWSAccountId": ["444455556666"],
            "actionName": ["Publish"],
        },
        (ref("sns", "messaging.topic", TOPIC),),
        "Amazon SNS API Reference, AddPermission",
    ),
    Case(
        "PutKeyPolicy",
        "kms.amazonaws.com",
        {
            "keyId": KEY_ID,
            "policyName": "default",
            "policy": "{}",
            "bypassPolicyLockoutSafetyCheck": False,
        },
        (ref("kms", "crypto.key", arn("kms", f"key/{KEY_ID}")),),
        "AWS KMS Developer Guide, CloudTrail example 'PutKeyPolicy'",
        extra={
            "resources": [
                {"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": arn("kms", f"key/{KEY_ID}")}
            ]
        },
    ),
    Case(
        "PutResourcePolicy",
        "secretsmanager.amazonaws.com",
        {"secretId": "MySecret", "resourcePolicy": "{}", "blockPublicPolicy": True},
        (ref("secretsmanager", "secrets.secret", arn("secretsmanager", "secret:MySecret-a1b2c3")),),
        "Secrets Manager API Reference, PutResourcePolicy (response ARN, Name)",
        response={"aRN": arn("secretsmanager", "secret:MySecret-a1b2c3"), "name": "MySecret"},
    ),
    Case(
        "SetRepositoryPolicy",
        "ecr.amazonaws.com",
        {"repositoryName": "my-repo", "policyText": "{}", "force": False},
        (ref("ecr", "registry.repository", arn("ecr", "repository/my-repo")),),
        "Amazon ECR API Reference, SetRepositoryPolicy",
    ),
    Case(
        "PutFileSystemPolicy",
        "elasticfilesystem.amazonaws.com",
        {"fileSystemId": "fs-01234567", "policy": "{}"},
        (ref("efs", "storage.filesystem", arn("elasticfilesystem", "file-system/fs-01234567")),),
        "Amazon EFS API Reference, PutFileSystemPolicy",
    ),
    Case(
        "AddPermission20150331v2",
        "lambda.amazonaws.com",
        {
            "functionName": FN,
            "statementId": "s",
            "action": "lambda:InvokeFunctionUrl",
            "principal": "*",
            "functionUrlAuthType": "NONE",
        },
        (ref("lambda", "compute.function", FN), ref("lambda", "compute.function_url", f"{FN}/url")),
        "AWS Lambda Developer Guide, 'Logging Lambda API calls using CloudTrail' (versioned "
        "event names)",
    ),
    Case(
        "CreateFunctionUrlConfig20211031",
        "lambda.amazonaws.com",
        {"functionName": "my-function", "authType": "NONE", "qualifier": "live"},
        (
            ref("lambda", "compute.function", FN),
            ref("lambda", "compute.function_url", f"{FN}:live/url"),
        ),
        "AWS Lambda API Reference, CreateFunctionUrlConfig (Qualifier)",
    ),
    Case(
        "UpdateFunctionUrlConfig",
        "lambda.amazonaws.com",
        {"functionName": f"{ACCOUNT}:function:my-function", "authType": "NONE"},
        (ref("lambda", "compute.function", FN), ref("lambda", "compute.function_url", f"{FN}/url")),
        "AWS Lambda API Reference, UpdateFunctionUrlConfig (partial ARN form)",
    ),
    Case(
        "UpdateDomainConfig",
        "es.amazonaws.com",
        {"domainName": "my-domain", "accessPolicies": "{}"},
        (ref("opensearch", "search.domain", arn("es", "domain/my-domain")),),
        "Amazon OpenSearch Service API Reference, UpdateDomainConfig",
    ),
    Case(
        "SetVaultAccessPolicy",
        "glacier.amazonaws.com",
        {"accountId": "-", "vaultName": "my-vault", "policy": {"policy": "{}"}},
        (ref("glacier", "storage.archive_vault", arn("glacier", "vaults/my-vault")),),
        "Amazon S3 Glacier Developer Guide, SetVaultAccessPolicy (accountId '-')",
    ),
    Case(
        "PutBackupVaultAccessPolicy",
        "backup.amazonaws.com",
        {"backupVaultName": "my-vault", "policy": "{}"},
        (ref("backup", "backup.vault", arn("backup", "backup-vault:my-vault")),),
        "AWS Backup API Reference, PutBackupVaultAccessPolicy",
    ),
    Case(
        "UpdateRestApi",
        "apigateway.amazonaws.com",
        {"restApiId": "a1b2c3", "patchOperations": [{"op": "replace", "path": "/policy"}]},
        (ref("apigateway", "api.rest_api", f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3"),),
        "Amazon API Gateway REST API Reference, UpdateRestApi",
    ),
    Case(
        "PutResourcePolicy",
        "dynamodb.amazonaws.com",
        {
            "resourceArn": arn("dynamodb", "table/Music/stream/2024-01-01T00:00:00.000"),
            "policy": "{}",
        },
        (ref("dynamodb", "database.table", arn("dynamodb", "table/Music")),),
        "Amazon DynamoDB API Reference, PutResourcePolicy (a stream ARN → its table)",
    ),
    Case(
        "ModifyDBInstance",
        "rds.amazonaws.com",
        {"dBInstanceIdentifier": "MyDB", "publiclyAccessible": True, "applyImmediately": True},
        (ref("rds", "database.instance", arn("rds", "db:mydb")),),
        "Amazon RDS API Reference, ModifyDBInstance (identifiers are stored lowercase)",
    ),
    Case(
        "CreateDBInstance",
        "rds.amazonaws.com",
        {"dBInstanceIdentifier": "mydb", "publiclyAccessible": True},
        (ref("rds", "database.instance", arn("rds", "db:mydb")),),
        "Amazon RDS API Reference, CreateDBInstance (DBInstanceArn in the response)",
        response={"dBInstanceArn": arn("rds", "db:mydb"), "dBInstanceIdentifier": "mydb"},
    ),
    Case(
        "ModifyDBCluster",
        "rds.amazonaws.com",
        {"dBClusterIdentifier": "my-cluster"},
        (ref("rds", "database.cluster", arn("rds", "cluster:my-cluster")),),
        "Amazon RDS API Reference, ModifyDBCluster",
    ),
    Case(
        "ModifyDBSnapshotAttribute",
        "rds.amazonaws.com",
        {
            "dBSnapshotIdentifier": "exfiltration",
            "attributeName": "restore",
            "valuesToAdd": ["all"],
        },
        (ref("rds", "snapshot.database", arn("rds", "snapshot:exfiltration")),),
        "Stratus Red Team, aws.exfiltration.rds-share-snapshot detonation log",
    ),
    Case(
        "ModifyDBClusterSnapshotAttribute",
        "rds.amazonaws.com",
        {"dBClusterSnapshotIdentifier": "snap", "attributeName": "restore", "valuesToAdd": ["all"]},
        (ref("rds", "snapshot.database_cluster", arn("rds", "cluster-snapshot:snap")),),
        "Amazon RDS API Reference, ModifyDBClusterSnapshotAttribute",
    ),
    Case(
        "ModifyCluster",
        "redshift.amazonaws.com",
        {"clusterIdentifier": "My-Cluster", "publiclyAccessible": True},
        (ref("redshift", "warehouse.cluster", arn("redshift", "cluster:my-cluster")),),
        "Amazon Redshift API Reference, ModifyCluster",
    ),
    Case(
        "ModifySnapshotAttribute",
        "ec2.amazonaws.com",
        {
            "attributeType": "CREATE_VOLUME_PERMISSION",
            "snapshotId": "snap-1111",
            "createVolumePermission": {"add": {"items": [{"group": "all"}]}},
        },
        (ref("ec2", "snapshot.volume", f"arn:aws:ec2:{REGION}::snapshot/snap-1111"),),
        "panther-analysis, aws_ec2_snapshot_made_public test log (ModifySnapshotAttribute)",
        response={"_return": True, "requestId": "1111"},
    ),
    Case(
        "ModifyImageAttribute",
        "ec2.amazonaws.com",
        {
            "imageId": "ami-1111",
            "launchPermission": {"add": {"items": [{"group": "all"}]}},
            "attributeType": "launchPermission",
        },
        (ref("ec2", "image.machine", f"arn:aws:ec2:{REGION}::image/ami-1111"),),
        "Amazon EC2 API Reference, ModifyImageAttribute",
    ),
    Case(
        "AuthorizeSecurityGroupIngress",
        "ec2.amazonaws.com",
        {
            "groupId": "sg-0123",
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                    }
                ]
            },
        },
        (ref("ec2", "network.security_group", arn("ec2", "security-group/sg-0123")),),
        "AWS re:Post knowledge center, 'use CloudTrail to see if a security group was "
        "changed' (example event)",
    ),
    Case(
        "ModifyInstanceAttribute",
        "ec2.amazonaws.com",
        {"instanceId": "i-0abc", "groupSet": {"items": [{"groupId": "sg-0123"}]}},
        (ref("ec2", "compute.instance", arn("ec2", "instance/i-0abc")),),
        "Amazon EC2 API Reference, ModifyInstanceAttribute (GroupId.N)",
    ),
    Case(
        "RunInstances",
        "ec2.amazonaws.com",
        {"instancesSet": {"items": [{"imageId": "ami-1", "minCount": 1, "maxCount": 1}]}},
        (ref("ec2", "compute.instance", arn("ec2", "instance/i-0def")),),
        "Amazon EC2 API Reference, RunInstances (instancesSet in the response)",
        response={"instancesSet": {"items": [{"instanceId": "i-0def"}]}},
    ),
    Case(
        "CreateRoute",
        "ec2.amazonaws.com",
        {"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
        (ref("ec2", "network.route_table", arn("ec2", "route-table/rtb-1")),),
        "Amazon EC2 API Reference, CreateRoute",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.source.split('.')[0]}-{c.name}")
def test_documented_events_map_to_the_resources_they_touch(case: Case) -> None:
    detail = record(case.name, case.source, case.request, case.response, **(case.extra or {}))
    for message in (json.dumps(envelope(detail)), json.dumps(detail).encode(), detail):
        event = parse_event(message)
        assert event is not None, case.doc
        assert event.refs == case.refs, case.doc
        assert event.account_wide == case.account_wide
        assert event.event_name == case.name and event.event_source == case.source
        assert event.changed and event.error_code is None
        assert event.account == ACCOUNT and event.region == REGION
        assert event.actor == f"arn:aws:iam::{ACCOUNT}:user/Alice"
        assert event.source_ip == "192.0.2.0"
        assert event.event_time == datetime(2022, 9, 1, 20, 6, 16, tzinfo=UTC)
        assert event.event_id == "c217db1f-903f-4a2f-8f88-9580182d6313"
        assert normalize_name(case.name) in EVENT_NAMES


def test_the_issue_list_is_covered() -> None:
    issue = {
        "PutBucketAcl", "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock", "PutAccountPublicAccessBlock",
        "DeleteAccountPublicAccessBlock", "CreateBucket", "PutBucketOwnershipControls",
        "CreateAccessPoint", "ModifyDBInstance", "CreateDBInstance", "ModifyDBSnapshotAttribute",
        "ModifyDBClusterSnapshotAttribute", "ModifySnapshotAttribute", "ModifyImageAttribute",
        "AuthorizeSecurityGroupIngress", "CreateFunctionUrlConfig", "UpdateFunctionUrlConfig",
        "AddPermission", "SetQueueAttributes", "SetTopicAttributes", "PutKeyPolicy",
        "PutResourcePolicy", "UpdateDomainConfig",
    }  # fmt: skip
    assert issue <= EVENT_NAMES
    assert LAMBDA_VERSIONED <= EVENT_NAMES
    pattern = event_pattern()
    assert pattern["detail-type"] == [API_CALL]
    assert set(pattern["detail"]["eventName"]) == EVENT_NAMES
    assert "s3.amazonaws.com" in pattern["detail"]["eventSource"]
    assert len(covered()) >= 100


def test_failed_calls_change_nothing_but_say_who_tried() -> None:
    detail = record(
        "PutBucketPolicy",
        S3,
        {"bucketName": "amzn-s3-demo-bucket"},
        errorCode="AccessDenied",
        errorMessage="Access Denied",
    )
    event = parse_event(envelope(detail))
    assert event is not None and not event.changed
    assert event.error_code == "AccessDenied"
    assert event.refs == () and event.account_wide == ()
    assert event.actor == f"arn:aws:iam::{ACCOUNT}:user/Alice"


@pytest.mark.parametrize(
    "detail",
    [
        record("GetBucketPolicy", S3, {"bucketName": "b"}),  # not mapped
        record("PutBucketPolicy", S3, {"bucketName": "b"}, readOnly=True),
        record("PutBucketPolicy", S3, {"bucketName": "b"}, eventType="AwsServiceEvent"),
        record("SetQueueAttributes", "sqs.amazonaws.com",
               {"queueUrl": QUEUE_URL, "attributes": {"VisibilityTimeout": "30"}}),
        record("SetTopicAttributes", "sns.amazonaws.com",
               {"topicArn": TOPIC, "attributeName": "DisplayName", "attributeValue": "x"}),
        record("ModifyDBSnapshotAttribute", "rds.amazonaws.com",
               {"dBSnapshotIdentifier": "s", "attributeName": "copy"}),
        record("ModifyImageAttribute", "ec2.amazonaws.com",
               {"imageId": "ami-1", "attributeType": "description"}),
        record("PutBucketPolicy", "unknown.amazonaws.com", {"bucketName": "b"}),
    ],
    ids=["unmapped", "read-only", "service-event", "sqs-timeout", "sns-display-name",
         "rds-other-attribute", "ami-description", "unknown-source"],
)  # fmt: skip
def test_events_that_cannot_change_exposure_are_none(detail: dict[str, Any]) -> None:
    assert parse_event(envelope(detail)) is None
    assert parse_event(detail) is None


def test_other_eventbridge_events_are_none() -> None:
    other = {**envelope(record("PutBucketPolicy", S3, {"bucketName": "b"}))}
    other["detail-type"] = "Object Created"
    assert parse_event(other) is None


def test_an_sns_notification_is_unwrapped_once() -> None:
    inner = json.dumps(envelope(record("PutBucketPolicy", S3, {"bucketName": "b"})))
    event = parse_event({"Type": "Notification", "MessageId": "m", "Message": inner})
    assert event is not None and event.refs[0].uid == "arn:aws:s3:::b"
    twice = json.dumps({"Type": "Notification", "Message": inner})
    with pytest.raises(MalformedEvent, match="inside"):
        parse_event({"Type": "Notification", "Message": twice})


def test_account_and_region_fallbacks() -> None:
    detail = record("PutBucketPolicy", S3, {"bucketName": "b"})
    del detail["recipientAccountId"]
    event = parse_event(envelope(detail))
    assert event is not None and event.account == ACCOUNT  # from userIdentity.accountId
    del detail["userIdentity"]
    del detail["awsRegion"]
    event = parse_event(envelope(detail))  # from the envelope
    assert event is not None and (event.account, event.region) == (ACCOUNT, REGION)
    assert event.actor is None
    with pytest.raises(MalformedEvent, match="account"):
        parse_event(detail)  # a bare record has no envelope to fall back on


def test_an_arn_overrides_the_event_account_and_region() -> None:
    other = "arn:aws:sns:eu-west-1:444455556666:Shared"
    event = parse_event(record("AddPermission", "sns.amazonaws.com", {"topicArn": other}))
    assert event is not None
    assert event.refs == (ResourceRef("444455556666", "eu-west-1", "sns", "messaging.topic",
                                      other),)  # fmt: skip


def test_to_dict_is_json() -> None:
    event = parse_event(record("PutBucketAcl", S3, {"bucketName": "b"}))
    assert isinstance(event, ChangeEvent)
    data = json.loads(json.dumps(event.to_dict()))
    assert data["refs"][0]["uid"] == "arn:aws:s3:::b"
    assert data["event_time"] == "2022-09-01T20:06:16+00:00"


def _bad(**changes: Any) -> dict[str, Any]:
    detail = record("PutBucketAcl", S3, {"bucketName": "b"})
    for key, value in changes.items():
        if value is ...:
            del detail[key]
        else:
            detail[key] = value
    return detail


@pytest.mark.parametrize(
    "message",
    [
        b"\xff\xfe not utf-8",
        "not json at all",
        "[1, 2, 3]",
        "42",
        "null",
        "{}",
        "[" * 100_000 + "]" * 100_000,
        b"{" + b" " * MAX_MESSAGE_BYTES + b"}",
        {"detail-type": API_CALL, "detail": "a string"},
        {"detail-type": 7, "detail": {}},
        {"Type": "Notification", "Message": 5},
        _bad(eventName=...),
        _bad(eventName=["PutBucketAcl"]),
        _bad(eventSource=None),
        _bad(eventID=...),
        _bad(eventID=123),
        _bad(eventTime=...),
        _bad(eventTime="yesterday"),
        _bad(recipientAccountId="not-an-account", userIdentity={}),
        _bad(awsRegion="../../etc", userIdentity={}),
        _bad(requestParameters="bucketName=b"),
        _bad(requestParameters={"bucketName": ["b"]}),
        _bad(requestParameters={"bucketName": "x" * 5000}),
        _bad(requestParameters={"bucketName": "evil\nname"}),
        _bad(requestParameters={"bucketName": "a/b"}),
        _bad(requestParameters={}),
        _bad(userIdentity="root"),
        record("SetQueueAttributes", "sqs.amazonaws.com", {"queueUrl": "https://x/y"}),
        record("AddPermission", "lambda.amazonaws.com", {"functionName": "arn:aws:s3:::b"}),
        record("PutKeyPolicy", "kms.amazonaws.com", {"keyId": "alias/mine"}),
        record("PutResourcePolicy", "dynamodb.amazonaws.com", {"resourceArn": "arn:aws:x:y:z:q"}),
        record("AuthorizeSecurityGroupIngress", "ec2.amazonaws.com", {}),
    ],
    ids=lambda m: repr(m)[:40],
)
def test_garbage_is_a_malformed_event(message: Any) -> None:
    with pytest.raises(MalformedEvent):
        parse_event(message)


def test_informational_fields_are_cut_not_rejected() -> None:
    detail = record("PutBucketAcl", S3, {"bucketName": "b"}, userAgent="u" * 10_000)
    detail["userIdentity"]["arn"] = "a" * 5000
    event = parse_event(detail)
    assert event is not None
    assert event.user_agent is not None and len(event.user_agent) == 1024
    assert event.actor is not None and len(event.actor) == 1024


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)


SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON = st.recursive(SCALARS, _containers, max_leaves=20)
FIELDS = st.sampled_from(
    ["eventName", "eventSource", "eventID", "eventTime", "awsRegion", "recipientAccountId",
     "requestParameters", "responseElements", "userIdentity", "errorCode", "readOnly",
     "eventType", "resources"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(CASES), field=FIELDS, value=JSON, wrap=st.booleans())
def test_property_any_corruption_of_a_real_event_never_crashes(
    case: Case, field: str, value: Any, wrap: bool
) -> None:
    detail = record(case.name, case.source, case.request, case.response)
    detail[field] = value
    message = envelope(detail) if wrap else detail
    try:
        event = parse_event(json.dumps(message))
    except MalformedEvent:
        return
    assert event is None or isinstance(event, ChangeEvent)
    if event is not None:
        assert all(isinstance(r.uid, str) and r.uid for r in event.refs)


@settings(max_examples=200, deadline=None)
@given(value=JSON)
def test_property_arbitrary_json_is_none_or_malformed(value: Any) -> None:
    try:
        event = parse_event(json.dumps(value))
    except MalformedEvent:
        return
    assert event is None


def test_the_documentation_lists_every_mapped_event() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "watch.md").read_text()
    section = doc.split("## Events and the resources they touch", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(?:Enable/Disable)?([A-Z][A-Za-z]+)`", section))
    listed |= {f"{p}{n}" for n in re.findall(r"`Enable/Disable([A-Za-z]+)`", section)
               for p in ("Enable", "Disable")}  # fmt: skip
    missing = {name for _, name in covered()} - listed
    assert not missing, f"docs/watch.md does not list {sorted(missing)}"
