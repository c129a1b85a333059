"""Applying plans on moto: idempotence, stale and tampered plans, deleted resources, exempt
resources, a partially denied plan, stored plans, and the least-damaging S3 choices."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from tests.remediate.helpers import clients, context, resources_of, scan, seeder

from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.errors import NotFound
from andon.core.model import Status
from andon.remediate.apply import apply_plan
from andon.remediate.exemptions import add_exemption
from andon.remediate.journal import list_changes
from andon.remediate.model import PlanRefused
from andon.remediate.plan import (
    approve_plan,
    list_plans,
    mark_applied,
    plan_live,
    plan_offline,
    read_plan_file,
    save_plan,
    write_plan_file,
)
from andon.remediate.rollback import rollback_change
from andon.store import Store

QUEUE = "fix-queue-00000"


def _queue_policy(aws: AwsClients) -> str:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    return str(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )


def _public_queue(ctx: Context, store: Store, url: str) -> tuple[list, dict]:  # type: ignore[type-arg]
    seeder(url).sqs(0, True)
    out = scan(ctx, store, ["sqs"])
    return [f for f in out.findings if f.status is Status.OPEN], resources_of(store, out)


def test_applying_twice_changes_nothing_the_second_time(
    ctx: Context, aws: AwsClients, store: Store, moto_url: str
) -> None:
    findings, res = _public_queue(ctx, store, moto_url)
    plan = plan_live(aws, findings, res)
    first = apply_plan(store, aws, plan, who="t")
    after_first = _queue_policy(aws)
    second = apply_plan(store, aws, plan, who="t")
    assert [c.result for c in first.changes] == ["applied"]
    assert [c.result for c in second.changes] == ["unchanged"]
    assert second.ok and _queue_policy(aws) == after_first


def test_a_stale_plan_is_refused_and_changes_nothing(
    ctx: Context, aws: AwsClients, store: Store, moto_url: str
) -> None:
    findings, res = _public_queue(ctx, store, moto_url)
    plan = plan_live(aws, findings, res)
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    changed = json.loads(_queue_policy(aws))
    changed["Statement"][0]["Action"] = "sqs:SendMessage"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(changed)})
    report = apply_plan(store, aws, plan, who="t")
    [change] = report.changes
    assert change.result == "refused" and "changed since planning" in change.message
    assert json.loads(_queue_policy(aws)) == changed
    assert not report.ok
    with pytest.raises(PlanRefused, match="changed nothing"):
        rollback_change(store, aws, change.id, who="t")


def test_a_resource_deleted_since_planning_is_refused(
    ctx: Context, aws: AwsClients, store: Store, moto_url: str
) -> None:
    findings, res = _public_queue(ctx, store, moto_url)
    plan = plan_live(aws, findings, res)
    sqs = aws.client("sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"])
    [change] = apply_plan(store, aws, plan, who="t").changes
    assert change.result == "refused" and "deleted since planning" in change.message


def test_exempt_resources_are_never_touched(
    ctx: Context, aws: AwsClients, store: Store, moto_url: str
) -> None:
    findings, res = _public_queue(ctx, store, moto_url)
    before = _queue_policy(aws)
    uid = findings[0].resource["uid"]
    plan = plan_live(aws, findings, res)
    add_exemption(store, uid, reason="partner feed", owner="ops", expires_at=None, created_by="t")

    def exempt(entry: object) -> str:
        return "partner feed"

    [change] = apply_plan(store, aws, plan, who="t", exempt=exempt).changes
    assert change.result == "refused" and "exempt" in change.message
    out = scan(ctx, store, ["sqs"])  # the scan now reports it as exempt
    assert {f.status for f in out.findings} == {Status.EXEMPT}
    replanned = plan_live(aws, out.findings, resources_of(store, out))
    assert replanned.entries == () and [s.status for s in replanned.skipped] == ["exempt"]
    assert _queue_policy(aws) == before


def test_a_tampered_plan_file_is_refused(
    ctx: Context, aws: AwsClients, store: Store, moto_url: str, plan_key: bytes, tmp_path: Path
) -> None:
    findings, res = _public_queue(ctx, store, moto_url)
    path = tmp_path / "plan.json"
    write_plan_file(plan_live(aws, findings, res), path, plan_key)
    assert read_plan_file(path, plan_key).entries
    doc = json.loads(path.read_text())
    doc["entries"][0]["after"]["policy"] = '{"Statement": []}'
    path.write_text(json.dumps(doc))
    with pytest.raises(PlanRefused, match="integrity"):
        read_plan_file(path, plan_key)
    with pytest.raises(PlanRefused, match="integrity"):
        read_plan_file(tmp_path / "plan.json", b"k" * 32)


def test_stored_plans_go_proposed_approved_applied(
    ctx: Context, store: Store, moto_url: str
) -> None:
    findings, res = _public_queue(ctx, store, moto_url)
    plan = plan_offline(findings, res)
    assert plan.mode == "offline" and len(plan.entries) == 1
    plan_id = save_plan(store, plan, created_by="ann")
    [stored] = list_plans(store, finding_id=findings[0].id)
    assert (stored.id, stored.status) == (plan_id, "proposed")
    assert list_plans(store, finding_id="nope") == []
    approved = approve_plan(store, plan_id, by="bob")
    assert approved.status == "approved" and approved.approved_by == "bob"
    assert approved.plan == plan
    mark_applied(store, plan_id)
    with pytest.raises(PlanRefused, match="already applied"):
        approve_plan(store, plan_id, by="bob")
    with pytest.raises(NotFound):
        approve_plan(store, "missing", by="bob")


def test_a_partially_denied_plan_leaves_a_correct_journal(
    ctx: Context,
    store: Store,
    moto_url: str,
    moto_iam_user: Callable[[dict[str, object]], tuple[str, str]],
) -> None:
    """The fixer may read everything, write bucket ACLs and queue attributes, and nothing
    else: bucket BPA is denied (nothing changed), the ACL is reset but switching ACLs off is
    denied (a partial change), the queue policy is narrowed. (moto checks both
    PutPublicAccessBlock and PutBucketOwnershipControls as ``s3:CreateBucket``, its fallback
    for bucket PUTs it does not name.)"""
    s = seeder(moto_url)
    s3 = s.client("s3")
    s3.create_bucket(Bucket="acl-open")
    s3.put_bucket_acl(Bucket="acl-open", ACL="public-read")
    s.sqs(0, True)
    out = scan(ctx, store, ["s3", "sqs"])
    found = [
        f for f in out.findings if f.rule_id in ("s3.bucket.public_list", "sqs.queue.public_policy")
    ]
    admin = clients(ctx)
    plan = plan_live(admin, found, resources_of(store, out))
    assert sorted(e.action for e in plan.entries) == [
        "policy.narrow_public_statements",
        "s3.bucket.block_public_access",
        "s3.bucket.disable_acls",
    ]
    key, secret = moto_iam_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:Get*",
                        "s3:List*",
                        "sqs:Get*",
                        "sqs:List*",
                        "sts:GetCallerIdentity",
                    ],
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:PutBucketAcl", "sqs:SetQueueAttributes"],
                    "Resource": "*",
                },
            ],
        }
    )
    limited = clients(context(moto_url, access_key_id=key, secret_access_key=secret))
    report = apply_plan(store, limited, plan, who="limited")
    results = {c.action: c for c in report.changes}
    bpa = results["s3.bucket.block_public_access"]
    assert bpa.result == "failed" and "AccessDenied" in bpa.message
    assert "nothing changed" in bpa.message and bpa.after == bpa.before
    acls = results["s3.bucket.disable_acls"]
    assert acls.result == "failed" and "part of the change was written" in acls.message
    assert acls.after is not None and acls.after["ownership"] != "BucketOwnerEnforced"
    assert all(g["type"] != "Group" for g in acls.after["acl"]["grants"])
    assert results["policy.narrow_public_statements"].result == "applied"
    assert not report.ok
    journal = {c.id: c for c in list_changes(store)}
    assert sorted(c.result for c in journal.values()) == ["applied", "failed", "failed"]
    assert all(c.who == "limited" for c in journal.values())
    back = rollback_change(store, limited, acls.id, who="limited")  # restores the public ACL
    assert back.result == "applied", back.message
    grants = limited.client("s3").get_bucket_acl(Bucket="acl-open")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in grants)


def _bucket_findings(ctx: Context, store: Store) -> tuple[list, dict]:  # type: ignore[type-arg]
    out = scan(ctx, store, ["s3"])
    return [f for f in out.findings if f.rule_id.startswith("s3.bucket")], resources_of(store, out)


def test_a_website_bucket_keeps_public_read_and_loses_only_public_write(
    ctx: Context, aws: AwsClients, store: Store, moto_url: str
) -> None:
    s3 = seeder(moto_url).client("s3")
    s3.create_bucket(Bucket="site")
    s3.put_bucket_website(Bucket="site", WebsiteConfiguration={"IndexDocument": {"Suffix": "i"}})
    statements = [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::site/*",
        },
        {
            "Sid": "Write",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::site/*",
        },
    ]
    s3.put_bucket_policy(Bucket="site", Policy=json.dumps({"Statement": statements}))
    findings, res = _bucket_findings(ctx, store)
    write = [f for f in findings if f.rule_id == "s3.bucket.public_write"]
    plan = plan_live(aws, write, res)
    [entry] = plan.entries
    assert entry.action == "s3.bucket.remove_public_grants"
    assert any("static website" in n for n in entry.notes)
    report = apply_plan(store, aws, plan, who="t")
    assert report.changes[0].result == "applied"
    policy = json.loads(s3.get_bucket_policy(Bucket="site")["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["Read"]
    assert "PublicAccessBlockConfiguration" not in str(
        s3.list_buckets()  # BPA untouched: the site still serves
    )


def test_latent_exposure_removes_the_stored_grant_and_keeps_bpa(
    ctx: Context, aws: AwsClients, store: Store, moto_url: str
) -> None:
    s3 = seeder(moto_url).client("s3")
    s3.create_bucket(Bucket="latent")
    s3.put_bucket_policy(
        Bucket="latent",
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::latent/*",
                    }
                ]
            }
        ),
    )
    s3.put_public_access_block(
        Bucket="latent",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    findings, res = _bucket_findings(ctx, store)
    assert {f.rule_id for f in findings} == {"s3.bucket.latent_exposure"}
    report = apply_plan(store, aws, plan_live(aws, findings, res), who="t")
    assert [c.result for c in report.changes] == ["applied"]
    assert report.changes[0].after == {"acl": report.changes[0].before["acl"], "policy": None}  # type: ignore[index]
    out = scan(ctx, store, ["s3"])
    assert not [f for f in out.findings if f.rule_id.startswith("s3.bucket")]


def test_partial_exemption_keeps_the_exempt_access(
    ctx: Context, aws: AwsClients, store: Store, moto_url: str
) -> None:
    s3 = seeder(moto_url).client("s3")
    s3.create_bucket(Bucket="data")
    s3.put_bucket_acl(Bucket="data", ACL="public-read")
    s3.put_bucket_policy(
        Bucket="data",
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::data/*",
                    }
                ]
            }
        ),
    )
    add_exemption(
        store,
        "arn:aws:s3:::data",
        reason="open dataset",
        owner="science",
        expires_at=None,
        created_by="t",
        rule_id="s3.bucket.public_read",
    )
    findings, res = _bucket_findings(ctx, store)
    status = {f.rule_id: f.status for f in findings}
    assert status["s3.bucket.public_read"] is Status.EXEMPT
    assert status["s3.bucket.public_list"] is Status.OPEN
    plan = plan_live(aws, findings, res)
    [entry] = plan.entries
    assert entry.action == "s3.bucket.remove_public_grants" and entry.params == {"access": ["list"]}
    apply_plan(store, aws, plan, who="t")
    out = scan(ctx, store, ["s3"])
    after = {f.rule_id: f.status for f in out.findings if f.rule_id.startswith("s3.bucket")}
    assert after == {"s3.bucket.public_read": Status.EXEMPT}


def test_an_unplannable_finding_is_skipped_with_the_reason() -> None:
    from tests.remediate.test_exemptions import bucket

    from andon.core.model import Exposure, Finding, Level, Severity

    res = bucket()
    broken = replace(res, attributes={**res.attributes, "bucket_bpa": {"unknown": "denied"}})
    finding = Finding(
        rule_id="s3.bucket.public_read",
        title="t",
        severity=Severity.CRITICAL,
        resource=broken.ref(),
        exposure=Exposure(Level.PUBLIC),
    )
    plan = plan_offline([finding], {broken.uid: broken})
    assert plan.entries == ()
    assert [s.status for s in plan.skipped] == ["cannot-plan"]
    assert "could not be read (denied)" in plan.skipped[0].reason
    gone = plan_offline([finding], {})
    assert [s.status for s in gone.skipped] == ["cannot-plan"]
