"""rescan over moto's server: a targeted scan in the sweep's scope, transitions for the
re-collected resources only, composing with full estate scans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from andon.collect.aws.transport import AwsClients
from andon.core.context import AwsTarget, Context, Limits
from andon.rules import default_registry
from andon.scan import scan_estate
from andon.store import Store, TransitionKind
from andon.store.records import ScanStatus
from andon.watch.events import parse_event
from andon.watch.rescan import rescan, sweep_context, watch_meta

ACCOUNT = "123456789012"
REGION = "us-east-1"


def public_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Open",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def cloudtrail(name: str, source: str, request: dict[str, object], **extra: object) -> str:
    """An EventBridge envelope around a CloudTrail record, as AWS documents it (EventBridge
    User Guide, "AWS service events delivered via AWS CloudTrail")."""
    detail = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "accountId": ACCOUNT,
        },
        "eventTime": "2026-11-30T00:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2",
        "requestParameters": request,
        "responseElements": None,
        "eventID": f"ev-{name}",
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
        **extra,
    }
    return json.dumps(
        {
            "version": "0",
            "id": "7bf73129-1428-4cd3-a780-95db273d1602",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws." + source.split(".")[0],
            "account": ACCOUNT,
            "time": "2026-11-30T00:00:00Z",
            "region": REGION,
            "resources": [],
            "detail": detail,
        }
    )


@pytest.fixture
def ctx(moto_url: str, aws_env: dict[str, str]) -> Context:
    return Context(
        aws=AwsTarget(endpoint_url=moto_url, regions=(REGION,)),
        limits=Limits(max_attempts=1, object_acl_sample=0),
    )


@pytest.fixture
def clients(ctx: Context) -> Iterator[AwsClients]:
    with AwsClients(ctx.aws, ctx.limits) as c:
        yield c


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'andon.db'}") as s:
        yield s


def s3(moto_url: str):  # type: ignore[no-untyped-def]
    return boto3.client("s3", endpoint_url=moto_url, region_name=REGION)


def test_s3_policy_event_opens_then_fix_resolves_and_other_findings_stay(
    ctx: Context, clients: AwsClients, store: Store, moto_url: str
) -> None:
    client = s3(moto_url)
    for name in ("calm", "leaky", "other-leak"):
        client.create_bucket(Bucket=name)
    client.put_bucket_policy(Bucket="other-leak", Policy=public_policy("other-leak"))
    rules = default_registry()
    sweep = scan_estate(ctx, rules=rules, store=store)  # every service, the default scope
    assert sweep.status is ScanStatus.COMPLETE
    context = sweep_context(ctx, clients)
    assert context.scope == sweep.scope == f"aws:{ACCOUNT}:all:{REGION}@127.0.0.1"
    other_open = {f.id for f in sweep.open_findings}
    assert other_open  # other-leak is public

    client.put_bucket_policy(Bucket="leaky", Policy=public_policy("leaky"))
    event = parse_event(cloudtrail("PutBucketPolicy", "s3.amazonaws.com", {"bucketName": "leaky"}))
    assert event is not None
    meta = watch_meta([(event, datetime(2026, 11, 30, 0, 0, 1, tzinfo=UTC))])
    outcome = rescan(ctx, store, clients, event.refs, rules=rules, meta=meta, sweep=context)
    assert outcome.status is ScanStatus.COMPLETE
    assert outcome.scope == sweep.scope
    opened = [t for t in outcome.transitions if t.kind is TransitionKind.OPENED]
    assert opened and all(
        f.resource["uid"] == "arn:aws:s3:::leaky"
        for f in outcome.findings
        if f.id in {t.finding_id for t in opened}
    )
    record = store.scan(outcome.scan_id or "")
    assert record.targets == ("arn:aws:s3:::leaky",)
    assert record.meta["watch"]["changes"]["arn:aws:s3:::leaky"]["actor"].endswith("user/alice")

    # the fix: only leaky's findings resolve; other-leak's stay open
    client.delete_bucket_policy(Bucket="leaky")
    event = parse_event(
        cloudtrail("DeleteBucketPolicy", "s3.amazonaws.com", {"bucketName": "leaky"})
    )
    assert event is not None
    outcome = rescan(ctx, store, clients, event.refs, rules=rules, meta={}, sweep=context)
    resolved = {t.finding_id for t in outcome.transitions if t.kind is TransitionKind.RESOLVED}
    assert resolved == {t.finding_id for t in opened}
    still = {s.finding_id for s in store.finding_states(sweep.scope, status="open")}
    assert other_open <= still


# -- many services at once --------------------------------------------------------------------

SERVICES = ("s3", "sqs", "sns", "kms", "lambda", "rds", "ec2")


def session() -> boto3.Session:
    return boto3.Session(region_name=REGION)


def test_events_of_many_services_open_then_resolve_only_their_resources(
    ctx: Context, clients: AwsClients, store: Store, moto_url: str
) -> None:
    from tests.aws_estate import Seeder, _statement

    from andon.collect.aws.scope import ScanConfig

    seeder = Seeder(session(), moto_url, REGION, "ev")
    seeder.s3(0, False)
    seeder.s3(1, True)  # public from the start: must stay open throughout
    seeder.sqs(0, False)
    seeder.sns(0, False)
    seeder.kms(0, False)
    seeder.lambda_(0, False)
    seeder.rds(0, False)
    ec2 = seeder.client("ec2")
    _, subnets = seeder.network()
    vpc = ec2.describe_subnets(SubnetIds=subnets)["Subnets"][0]["VpcId"]
    closed = ec2.create_security_group(GroupName="ev-closed", Description="x", VpcId=vpc)["GroupId"]
    ec2.run_instances(
        ImageId=seeder.ami(),
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": subnets[0], "Groups": [closed],
             "AssociatePublicIpAddress": True}
        ],
    )  # fmt: skip
    config = ScanConfig(regions=(REGION,), services=SERVICES)
    rules = default_registry()
    sweep = scan_estate(ctx, rules=rules, store=store, config=config)
    assert sweep.status is ScanStatus.COMPLETE
    context = sweep_context(ctx, clients, config=config)
    assert context.scope == sweep.scope and "s3,sqs" in sweep.scope
    before = {s.finding_id for s in store.finding_states(sweep.scope, status="open")}
    assert before  # the public bucket

    # everything becomes public through the API, and CloudTrail says so
    queue = seeder.name("queue", 0)
    url = seeder.client("sqs").get_queue_url(QueueName=queue)["QueueUrl"]
    queue_arn = seeder.arn("sqs", queue)
    seeder.client("sqs").set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": _statement(None, "sqs:*", queue_arn, True)}
    )
    topic = seeder.arn("sns", seeder.name("topic", 0))
    seeder.client("sns").set_topic_attributes(
        TopicArn=topic, AttributeName="Policy",
        AttributeValue=_statement(None, "sns:Subscribe", topic, True),
    )  # fmt: skip
    key = seeder.client("kms").list_keys()["Keys"][0]["KeyId"]
    seeder.client("kms").put_key_policy(
        KeyId=key, PolicyName="default", Policy=_statement(None, "kms:Decrypt", "*", True)
    )
    fn = seeder.name("fn", 0)
    seeder.client("lambda").update_function_url_config(FunctionName=fn, AuthType="NONE")
    for action in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction"):
        seeder.client("lambda").add_permission(
            FunctionName=fn, StatementId=action.split(":")[1], Action=action, Principal="*",
            **({"FunctionUrlAuthType": "NONE"} if action.endswith("Url") else {}),
        )  # fmt: skip
    db = seeder.name("db", 0).lower()
    seeder.client("rds").modify_db_instance(DBInstanceIdentifier=db, PubliclyAccessible=True)
    open_ssh = [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                 "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]  # fmt: skip
    ec2.authorize_security_group_ingress(GroupId=closed, IpPermissions=open_ssh)
    messages = [
        cloudtrail("SetQueueAttributes", "sqs.amazonaws.com",
                   {"queueUrl": url, "attributes": {"Policy": "..."}}),
        cloudtrail("SetTopicAttributes", "sns.amazonaws.com",
                   {"topicArn": topic, "attributeName": "Policy", "attributeValue": "..."}),
        cloudtrail("PutKeyPolicy", "kms.amazonaws.com", {"keyId": key, "policyName": "default"}),
        cloudtrail("UpdateFunctionUrlConfig20211031", "lambda.amazonaws.com",
                   {"functionName": fn, "authType": "NONE"}),
        cloudtrail("AddPermission20150331v2", "lambda.amazonaws.com",
                   {"functionName": fn, "principal": "*"}),
        cloudtrail("ModifyDBInstance", "rds.amazonaws.com",
                   {"dBInstanceIdentifier": db, "publiclyAccessible": True}),
        cloudtrail("AuthorizeSecurityGroupIngress", "ec2.amazonaws.com", {"groupId": closed}),
    ]  # fmt: skip
    events = [e for e in map(parse_event, messages) if e is not None]
    assert len(events) == len(messages)
    refs = [r for e in events for r in e.refs]
    outcome = rescan(ctx, store, clients, refs, rules=rules, meta={}, sweep=context)
    assert outcome.status is ScanStatus.COMPLETE and outcome.gaps == []
    opened = {t.finding_id for t in outcome.transitions if t.kind is TransitionKind.OPENED}
    by_id = {f.id: f.resource["kind"] for f in outcome.findings}
    assert {by_id[i] for i in opened} >= {
        "messaging.queue", "messaging.topic", "crypto.key", "compute.function_url",
        "database.instance", "compute.instance",
    }  # fmt: skip
    targets = set(store.scan(outcome.scan_id or "").targets or ())
    of_sweep = {f.id: f.resource["uid"] for f in sweep.findings}
    for t in outcome.transitions:  # e.g. a "latent" finding replaced by a "public" one
        if t.kind is TransitionKind.RESOLVED:
            assert of_sweep[t.finding_id] in targets

    # now each is fixed or deleted; the bucket that was public from the start stays open
    seeder.client("sqs").delete_queue(QueueUrl=url)
    seeder.client("sns").set_topic_attributes(
        TopicArn=topic, AttributeName="Policy",
        AttributeValue=_statement(None, "sns:Subscribe", topic, False),
    )  # fmt: skip
    seeder.client("kms").put_key_policy(
        KeyId=key, PolicyName="default", Policy=_statement(None, "kms:Decrypt", "*", False)
    )
    seeder.client("lambda").delete_function_url_config(FunctionName=fn)
    for sid in ("InvokeFunctionUrl", "InvokeFunction"):
        seeder.client("lambda").remove_permission(FunctionName=fn, StatementId=sid)
    seeder.client("rds").delete_db_instance(DBInstanceIdentifier=db, SkipFinalSnapshot=True)
    ec2.revoke_security_group_ingress(GroupId=closed, IpPermissions=open_ssh)
    outcome = rescan(ctx, store, clients, refs, rules=rules, meta={}, sweep=context)
    resolved = {t.finding_id for t in outcome.transitions if t.kind is TransitionKind.RESOLVED}
    assert opened <= resolved
    now_open = {s.finding_id for s in store.finding_states(sweep.scope, status="open")}
    untouched = {f for f in before if of_sweep[f] not in targets}
    assert untouched and untouched <= now_open and not (opened & now_open)

    # the next sweep agrees: no transition for what the events already settled
    again = scan_estate(ctx, rules=rules, store=store, config=config)
    assert not {t.finding_id for t in again.transitions if t.kind in (
        TransitionKind.OPENED, TransitionKind.RESOLVED)} & (opened | untouched)  # fmt: skip


def test_unreadable_and_out_of_scope_references(
    ctx: Context, clients: AwsClients, store: Store, moto_url: str
) -> None:
    from andon.collect.aws.scope import ScanConfig
    from andon.watch.refs import ResourceRef

    s3(moto_url).create_bucket(Bucket="kept")
    config = ScanConfig(regions=(REGION,), services=("s3",))
    rules = default_registry()
    sweep = scan_estate(ctx, rules=rules, store=store, config=config)
    context = sweep_context(ctx, clients, config=config)
    assert context.scope == sweep.scope
    other = ResourceRef("999999999999", "global", "s3", "account.settings",
                        "arn:aws:s3::999999999999:account-public-access-block")  # fmt: skip
    queue = ResourceRef(ACCOUNT, REGION, "sqs", "messaging.queue",
                        f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")  # fmt: skip
    assert not context.covers(other) and not context.covers(queue)  # another account, service
    nothing = rescan(ctx, store, clients, [other, queue], rules=rules, meta={}, sweep=context)
    assert nothing.scan_id is None and nothing.status is ScanStatus.COMPLETE
    assert nothing.scope == sweep.scope and len(store.scans(sweep.scope)) == 1
    theirs = ResourceRef(ACCOUNT, REGION, "s3", "storage.access_point",
                         f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/none")  # fmt: skip
    mine = ResourceRef(ACCOUNT, REGION, "s3", "storage.bucket", "arn:aws:s3:::kept")
    outcome = rescan(
        ctx, store, clients, [other, queue, theirs, mine], rules=rules, meta={}, sweep=context
    )
    assert outcome.status is ScanStatus.COMPLETE
    record = store.scan(outcome.scan_id or "")
    assert record.targets == ("arn:aws:s3:::kept",)
    assert outcome.resources == 1


def test_a_dead_endpoint_makes_an_incomplete_scan_that_resolves_nothing(
    moto_process,
    aws_env: dict[str, str],
    store: Store,  # type: ignore[no-untyped-def]
) -> None:
    from andon.collect.aws.scope import ScanConfig
    from andon.watch.refs import ResourceRef

    server = moto_process()
    ctx = Context(
        aws=AwsTarget(endpoint_url=server.url, regions=(REGION,)),
        limits=Limits(max_attempts=1, connect_timeout=1, read_timeout=5, object_acl_sample=0),
    )
    client = s3(server.url)
    client.create_bucket(Bucket="leaky")
    client.put_bucket_policy(Bucket="leaky", Policy=public_policy("leaky"))
    config = ScanConfig(regions=(REGION,), services=("s3",))
    rules = default_registry()
    sweep = scan_estate(ctx, rules=rules, store=store, config=config)
    before = {s.finding_id for s in store.finding_states(sweep.scope, status="open")}
    assert before
    with AwsClients(ctx.aws, ctx.limits) as clients:
        context = sweep_context(ctx, clients, config=config)
        server.kill()
        ref = ResourceRef(ACCOUNT, REGION, "s3", "storage.bucket", "arn:aws:s3:::leaky")
        outcome = rescan(ctx, store, clients, [ref], rules=rules, meta={}, sweep=context)
    assert outcome.status is ScanStatus.INCOMPLETE
    assert outcome.transitions == []
    assert {s.finding_id for s in store.finding_states(sweep.scope, status="open")} == before


def test_other_accounts_of_the_sweep_are_read_with_their_own_clients(
    ctx: Context, clients: AwsClients, store: Store, moto_url: str
) -> None:
    from tests.aws_estate import CONFIG, organization

    from andon.collect.aws.scope import AccountSpec, ScanConfig, open_account
    from andon.watch.refs import ResourceRef

    _, member = organization(moto_url, 1)
    other = member.client("sts", endpoint_url=moto_url, config=CONFIG).get_caller_identity()[
        "Account"
    ]
    theirs = member.client("s3", endpoint_url=moto_url, config=CONFIG)
    theirs.create_bucket(Bucket="their-bucket")
    config = ScanConfig(
        regions=(REGION,),
        services=("s3",),
        accounts=(AccountSpec(ACCOUNT), AccountSpec(other, role_name="AndonAudit")),
    )
    rules = default_registry()
    sweep = scan_estate(ctx, rules=rules, store=store, config=config)
    context = sweep_context(ctx, clients, config=config)
    assert context.scope == sweep.scope and other in sweep.scope
    theirs.put_bucket_policy(Bucket="their-bucket", Policy=public_policy("their-bucket"))
    ref = ResourceRef(other, REGION, "s3", "storage.bucket", "arn:aws:s3:::their-bucket")

    blind = rescan(ctx, store, clients, [ref], rules=rules, meta={}, sweep=context)
    assert blind.transitions == [] and [g.code for g in blind.gaps] == ["OtherAccount"]
    assert store.scan(blind.scan_id or "").targets == ()

    def clients_for(account: str) -> AwsClients:
        return open_account(ctx, clients, AccountSpec(account, role_name="AndonAudit"))

    seen = rescan(
        ctx, store, clients, [ref], rules=rules, meta={}, sweep=context, clients_for=clients_for
    )
    assert {t.kind for t in seen.transitions} == {TransitionKind.OPENED}
    assert {f.resource["account"] for f in seen.findings} == {other}
