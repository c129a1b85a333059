"""``andon watch setup``: the plan, --apply against moto's server (rules, targets, queue and
its policy, and an event really routed to the queue), and the shipped CloudFormation
template (parses, lists the same event names as the code, passes cfn-lint)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml
from tests.watch.conftest import cloudtrail_event
from typer.testing import CliRunner

from andon.cli.main import app
from andon.watch.cloudformation import template, template_document
from andon.watch.event_map import EVENT_NAMES
from andon.watch.events import parse_event
from andon.watch.setup import MAX_PATTERN, build_plan, rule_patterns

TEMPLATE = Path(__file__).parents[2] / "deploy" / "cloudformation" / "andon-watch.yaml"


def test_the_rules_cover_every_event_name_within_the_pattern_quota() -> None:
    patterns = rule_patterns()
    names = {n for p in patterns for n in p["detail"]["eventName"]}
    assert names == EVENT_NAMES
    assert all(len(json.dumps(p, separators=(",", ":"))) <= MAX_PATTERN for p in patterns)
    assert all(p["detail-type"] == ["AWS API Call via CloudTrail"] for p in patterns)


def test_the_shipped_template_is_the_generated_one_and_lists_every_event_name() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    assert text == template(), "regenerate: andon watch setup --format cloudformation > " + str(
        TEMPLATE
    )
    doc = yaml.safe_load(text)
    assert doc == template_document()
    resources = doc["Resources"]
    assert {"Queue", "DeadLetterQueue", "QueuePolicy", "CentralBus", "ForwardRole"} <= set(
        resources
    )
    rules = [r for r in resources.values() if r["Type"] == "AWS::Events::Rule"]
    queue_rules = [r for r in rules if r["Condition"] == "HasQueue"]
    forward_rules = [r for r in rules if r["Condition"] == "IsMember"]
    for group in (queue_rules, forward_rules):
        names = {n for r in group for n in r["Properties"]["EventPattern"]["detail"]["eventName"]}
        assert names == EVENT_NAMES


@pytest.mark.skipif(
    shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) is None,
    reason="cfn-lint not installed",
)
def test_the_template_passes_cfn_lint() -> None:
    lint = str(Path(sys.executable).parent / "cfn-lint")
    done = subprocess.run([lint, str(TEMPLATE)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_organization_plan_has_a_central_bus_open_to_the_organization() -> None:
    plan = build_plan(account="111122223333", region="eu-west-1", org=True, org_id="o-abcdefghij")
    ops = [s.operation for s in plan.steps]
    assert ops[:2] == ["CreateEventBus", "PutPermission"]
    policy = json.loads(plan.steps[1].params["Policy"])
    assert policy["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}
    }
    assert all(
        s.params.get("EventBusName") == "andon-watch"
        for s in plan.steps
        if s.operation == "PutRule"
    )
    assert "Mode=member" in plan.member_note


def test_setup_prints_without_creating_then_apply_creates_and_routes_events(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    runner = CliRunner()
    printed = runner.invoke(
        app, ["watch", "setup", "--endpoint-url", moto_url, "--region", "us-east-1"]
    )
    assert printed.exit_code == 0, printed.output
    assert "PutRule" in printed.output and "CreateQueue" in printed.output
    assert (
        'queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/andon-watch"'
        in printed.output
    )
    events = boto3.client("events", endpoint_url=moto_url, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    assert events.list_rules(NamePrefix="andon-watch")["Rules"] == []  # nothing created

    for _ in range(2):  # applying twice is fine
        applied = runner.invoke(
            app, ["watch", "setup", "--apply", "--endpoint-url", moto_url, "--region", "us-east-1"]
        )
        assert applied.exit_code == 0, applied.output
    rules = events.list_rules(NamePrefix="andon-watch")["Rules"]
    assert len(rules) == len(rule_patterns())
    url = sqs.get_queue_url(QueueName="andon-watch")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 20
    for rule in rules:
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert [t["Arn"] for t in targets] == [attrs["QueueArn"]]

    # An event the rules match reaches the queue, and the daemon's parser maps it.
    envelope = json.loads(cloudtrail_event("PutBucketPolicy", "routed", event_id="ev-routed"))
    events.put_events(
        Entries=[
            {
                "Source": envelope["source"],
                "DetailType": envelope["detail-type"],
                "Detail": json.dumps(envelope["detail"]),
            }
        ]
    )
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
    if not got:
        pytest.skip("moto's EventBridge did not route the event to SQS (moto limitation)")
    event = parse_event(got[0]["Body"])
    assert event is not None and event.event_id == "ev-routed"
    assert [r.uid for r in event.refs] == ["arn:aws:s3:::routed"]
