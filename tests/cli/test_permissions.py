"""Least privilege: ``andon permissions`` holds exactly what a full scan calls, all read-only.

A full scan (every service seeded, ``--org`` with a member account reached by AssumeRole,
``--classify``) runs against moto over HTTP; every operation any of its boto3 sessions sends is
recorded through botocore's ``before-call`` event. The test fails when an operation is not
declared in a collector's ``OPERATIONS`` (or the scope/classify operations), when its IAM
action is missing from the printed policy, or when it is not a read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from tests.aws_estate import count_of, organization, seed_region
from typer.testing import CliRunner

from andon.classify.integrate import CLASSIFY_OPERATIONS
from andon.cli.main import app
from andon.cli.permissions import build_policy, is_read_only
from andon.collect.aws.registry import (
    ASSUME_ROLE,
    ORG_OPERATIONS,
    SCOPE_OPERATIONS,
    SERVICE_NAMES,
    select_services,
)
from andon.collect.aws.scope import ScanConfig
from andon.core.context import AwsTarget, ClassifySettings, Context, Limits
from andon.rules import default_registry
from andon.scan import scan_estate

runner = CliRunner()


def actions(policy: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        value = statement["Action"]
        out.update([value] if isinstance(value, str) else value)
    return out


def declared() -> dict[tuple[str, str], str]:
    """(botocore service name, operation) → IAM action, for every declared operation."""
    ops = [o for s in select_services() for o in s.operations]
    ops += [*SCOPE_OPERATIONS, *ORG_OPERATIONS, ASSUME_ROLE, *CLASSIFY_OPERATIONS]
    return {(o.service, o.name): o.iam_action for o in ops}


def test_every_call_of_a_full_scan_is_in_the_policy_and_read_only(
    moto_url: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    sessions = organization(moto_url, 1)
    seed_region(sessions[0], moto_url, "us-east-1", 1)
    seed_region(sessions[1], moto_url, "us-east-1", 1, services=("s3", "sqs"), prefix="member")
    recorded: set[tuple[str, str]] = set()

    def instrument(session: boto3.Session) -> None:
        def record(model: Any, **_: Any) -> None:
            recorded.add((model.service_model.service_name, model.name))

        session.events.register("before-call", record)

    key = tmp_path / "key"
    key.write_bytes(b"k" * 32)
    key.chmod(0o600)
    ctx = Context(
        aws=AwsTarget(endpoint_url=moto_url, regions=("us-east-1",)),
        limits=Limits(concurrency=4, max_attempts=1),
        classify=ClassifySettings(key_file=str(key)),
    )
    outcome = scan_estate(
        ctx,
        rules=default_registry(),
        config=ScanConfig(regions=("us-east-1",), org=True),
        instrument=instrument,
    )
    # the base account's estate, the member's bucket and queue, each account's settings
    assert outcome.resources == count_of(1) + 2 + 2 and outcome.open_findings
    assert len({c["account"] for c in outcome.coverage}) == 2

    known = declared()
    undeclared = sorted(recorded - set(known))
    assert not undeclared, f"operations called but declared by no collector: {undeclared}"
    policy = build_policy(classify=True, org=True)
    granted = actions(policy)
    missing = sorted({known[op] for op in recorded} - granted)
    assert not missing, f"IAM actions missing from `andon permissions`: {missing}"
    writes = sorted(op for op in recorded if not is_read_only(*op))
    assert not writes, f"non-read operations called: {writes}"
    # every service was exercised beyond its listing
    assert {s for s, _ in recorded} >= {
        "s3", "s3control", "sqs", "sns", "kms", "secretsmanager", "ecr", "efs", "lambda",
        "opensearch", "glacier", "backup", "apigateway", "dynamodb", "rds", "redshift",
        "ec2", "sts", "organizations",
    }  # fmt: skip


def test_every_declared_operation_is_a_read() -> None:
    for (service, name), action in declared().items():
        assert is_read_only(service, name), (service, name)
        verb = action.split(":", 1)[1]
        assert (
            verb.startswith(("List", "Describe", "Get", "Head"))
            or verb == "GET"
            or (action == "sts:AssumeRole")
        ), action


def test_the_policy_holds_exactly_the_declared_actions() -> None:
    policy = build_policy()
    assert policy["Version"] == "2012-10-17"
    assert [s["Sid"] for s in policy["Statement"]] == ["AndonReadOnlyAudit"]
    expected = {
        o.iam_action
        for o in [*SCOPE_OPERATIONS, *(o for s in select_services() for o in s.operations)]
    }
    assert actions(policy) == expected
    assert "s3:GetObject" not in expected  # no content read without --classify
    with_classify = build_policy(classify=True)
    assert actions(with_classify) - expected == {"s3:GetObject"}
    org = build_policy(org=True, role_name="Auditor")
    assume = next(s for s in org["Statement"] if s["Sid"] == "AndonAssumeAuditRole")
    assert assume == {
        "Sid": "AndonAssumeAuditRole",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "arn:aws:iam::*:role/Auditor",
    }


def test_the_command(tmp_path: Path) -> None:
    whole = runner.invoke(app, ["permissions"])
    assert whole.exit_code == 0
    assert json.loads(whole.stdout) == build_policy()
    sqs = json.loads(runner.invoke(app, ["permissions", "--service", "sqs"]).stdout)
    assert set(actions(sqs)) == {
        "sqs:ListQueues", "sqs:GetQueueAttributes", "sqs:ListQueueTags",
        "sts:GetCallerIdentity", "ec2:DescribeRegions",
    }  # fmt: skip
    by_rule = json.loads(runner.invoke(app, ["permissions", "--rule", "rds.*"]).stdout)
    assert {a.split(":")[0] for a in actions(by_rule)} == {"rds", "ec2", "sts"}
    out = tmp_path / "policy.json"
    assert runner.invoke(app, ["permissions", "--org", "-o", str(out)]).exit_code == 0
    assert "organizations:ListAccounts" in actions(json.loads(out.read_text()))
    bad = runner.invoke(app, ["permissions", "--service", "sqs2"])
    assert bad.exit_code == 3 and "did you mean sqs" in bad.output
    assert len(SERVICE_NAMES) == 16
