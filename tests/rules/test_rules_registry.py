"""Registry behaviour: registration, lookup, stable order, selection, evaluation."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from typing import Any

import pytest

from andon.core.errors import NotFound
from andon.core.model import Access, Level, Severity, Status
from andon.rules import (
    BUILTIN,
    Registry,
    Remediation,
    Rule,
    RuleMeta,
    default_registry,
    evaluate,
    exemption_reason,
)

EXPECTED = {
    "s3.account.bpa_off": Severity.MEDIUM,
    "s3.bucket.latent_exposure": Severity.HIGH,
    "s3.bucket.public_acl_change": Severity.CRITICAL,
    "s3.bucket.public_acl_read": Severity.LOW,
    "s3.bucket.public_list": Severity.HIGH,
    "s3.bucket.public_read": Severity.CRITICAL,
    "s3.bucket.public_website": Severity.HIGH,
    "s3.bucket.public_write": Severity.CRITICAL,
    # resource policies, networks and shared copies (andon.rules.aws_services, aws_network)
    "apigateway.api.unauthenticated": Severity.HIGH,
    "backup.vault.cross_account": Severity.MEDIUM,
    "backup.vault.public_policy": Severity.CRITICAL,
    "dynamodb.table.cross_account": Severity.MEDIUM,
    "dynamodb.table.public_policy": Severity.CRITICAL,
    "ec2.image.cross_account": Severity.LOW,
    "ec2.image.public": Severity.HIGH,
    "ec2.instance.public_data_port": Severity.HIGH,
    "ec2.snapshot.cross_account": Severity.MEDIUM,
    "ec2.snapshot.public": Severity.CRITICAL,
    "ecr.repository.cross_account": Severity.MEDIUM,
    "ecr.repository.public_policy": Severity.HIGH,
    "efs.filesystem.cross_account": Severity.MEDIUM,
    "efs.filesystem.public_policy": Severity.CRITICAL,
    "glacier.vault.cross_account": Severity.MEDIUM,
    "glacier.vault.public_policy": Severity.CRITICAL,
    "kms.key.cross_account": Severity.HIGH,
    "kms.key.public_policy": Severity.CRITICAL,
    "lambda.function.cross_account": Severity.MEDIUM,
    "lambda.function.public_policy": Severity.HIGH,
    "lambda.function_url.public": Severity.HIGH,
    "opensearch.domain.cross_account": Severity.MEDIUM,
    "opensearch.domain.public": Severity.CRITICAL,
    "rds.database.latent_public": Severity.MEDIUM,
    "rds.database.public": Severity.CRITICAL,
    "rds.snapshot.cross_account": Severity.MEDIUM,
    "rds.snapshot.public": Severity.CRITICAL,
    "redshift.cluster.latent_public": Severity.MEDIUM,
    "redshift.cluster.public": Severity.CRITICAL,
    "secretsmanager.secret.cross_account": Severity.HIGH,
    "secretsmanager.secret.public_policy": Severity.CRITICAL,
    "sns.topic.cross_account": Severity.MEDIUM,
    "sns.topic.public_policy": Severity.HIGH,
    "sqs.queue.cross_account": Severity.MEDIUM,
    "sqs.queue.public_policy": Severity.HIGH,
}


def _meta(rule_id: str) -> RuleMeta:
    return RuleMeta(
        id=rule_id,
        title="t",
        severity=Severity.LOW,
        resource_kinds=("storage.bucket",),
        risk="r",
        description="d",
        remediation=Remediation("s", ("c",), ("aws x",), 'resource "x" "y" {}'),
        references=("https://docs.aws.amazon.com/x",),
    )


def _rule(rule_id: str) -> Rule:
    return Rule(_meta(rule_id), lambda resource, exposure: {"hit": True})


def test_builtin_rules_and_severities(registry: Registry) -> None:
    assert {r.id: r.meta.severity for r in registry.all()} == EXPECTED
    assert len(registry) == len(EXPECTED)


def test_all_is_sorted_whatever_the_registration_order() -> None:
    forward = Registry(BUILTIN)
    backward = Registry(reversed(BUILTIN))
    assert [r.id for r in forward.all()] == [r.id for r in backward.all()] == sorted(EXPECTED)
    assert [r.id for r in forward] == forward.ids()


def test_get_and_not_found(registry: Registry) -> None:
    assert registry.get("s3.bucket.public_read").id == "s3.bucket.public_read"
    with pytest.raises(NotFound, match=r"did you mean s3\.bucket\.public_read"):
        registry.get("s3.bucket.pubic_read")
    with pytest.raises(NotFound):
        registry.get("gcp.nothing")
    assert "s3.bucket.public_read" in registry
    assert "nope" not in registry


def test_register_rejects_duplicates() -> None:
    reg = Registry()
    reg.register(_rule("x.y"))
    with pytest.raises(ValueError, match="already registered"):
        reg.register(_rule("x.y"))


def test_rule_meta_validates_ids_and_kinds() -> None:
    with pytest.raises(ValueError):
        _meta("NoDots")
    with pytest.raises(ValueError):
        _meta("s3.Bucket.Read")
    with pytest.raises(ValueError):
        replace(_meta("a.b"), resource_kinds=())


def test_default_registry_is_fresh_each_time() -> None:
    one, two = default_registry(), default_registry()
    assert one is not two
    one.register(_rule("custom.rule"))
    assert "custom.rule" in one and "custom.rule" not in two


def test_select_patterns(registry: Registry) -> None:
    assert registry.select() == registry.all()
    buckets = registry.select(["s3.bucket.*"])
    assert len(buckets) == 7 and all(r.id.startswith("s3.bucket.") for r in buckets)
    assert [r.id for r in registry.select(["s3.account.bpa_off"])] == ["s3.account.bpa_off"]
    both = registry.select(["s3.bucket.public_write", "s3.account.*", "s3.bucket.public_write"])
    assert [r.id for r in both] == ["s3.account.bpa_off", "s3.bucket.public_write"]
    no_acl = registry.select(["s3.*"], exclude=["*acl*"])
    assert "s3.bucket.public_acl_read" not in [r.id for r in no_acl]
    assert len(no_acl) == 6
    assert [r.id for r in registry.select(["s3.*"], exclude=["s3.bucket.*"])] == [
        "s3.account.bpa_off"
    ]
    assert all(not r.id.startswith("s3.") for r in registry.select(exclude=["s3.*"]))


def test_select_unmatched_pattern_is_an_error(registry: Registry) -> None:
    with pytest.raises(NotFound):
        registry.select(["s3.bucket.public_reed"])
    with pytest.raises(NotFound):
        registry.select(["S3.*"])  # ids are case-sensitive


def test_for_kind_and_resource_kinds(registry: Registry) -> None:
    assert [r.id for r in registry.for_kind("account.settings")] == ["s3.account.bpa_off"]
    assert len(registry.for_kind("storage.bucket")) == 7
    assert registry.for_kind("nosuch.kind") == []
    assert [r.id for r in registry.for_kind("compute.instance")] == [
        "ec2.instance.public_data_port"
    ]
    kinds = registry.resource_kinds()
    assert kinds == sorted(kinds) and {"account.settings", "storage.bucket"} <= set(kinds)


def test_evaluate_runs_every_applicable_rule(registry: Registry, build: Any) -> None:
    findings = evaluate(
        registry.all(),
        build.bucket(website=True),
        build.exposure(Level.PUBLIC, {Access.READ, Access.LIST}, {Access.WRITE}),
    )
    assert [f.rule_id for f in findings] == [
        "s3.bucket.latent_exposure",
        "s3.bucket.public_list",
        "s3.bucket.public_read",
        "s3.bucket.public_website",
    ]
    assert all(f.status is Status.OPEN for f in findings)
    assert evaluate(registry.all(), build.account(None), build.exposure(Level.PRIVATE))[
        0
    ].rule_id == ("s3.account.bpa_off")


def test_exemption_tag_marks_exemptible_findings(registry: Registry, build: Any) -> None:
    res = build.bucket(website=True, tags={"andon:public": " marketing site "})
    exp = build.exposure(Level.PUBLIC, set(Access))
    by_rule = {f.rule_id: f for f in evaluate(registry.all(), res, exp)}
    assert by_rule["s3.bucket.public_read"].status is Status.EXEMPT
    assert by_rule["s3.bucket.public_read"].exemption == "marketing site"
    assert by_rule["s3.bucket.public_website"].status is Status.EXEMPT
    assert by_rule["s3.bucket.public_write"].status is Status.OPEN
    assert by_rule["s3.bucket.public_acl_change"].status is Status.OPEN
    assert by_rule["s3.bucket.public_write"].exemption == ""


def test_exemption_needs_a_reason_and_the_right_tag(registry: Registry, build: Any) -> None:
    exp = build.exposure(Level.PUBLIC, {Access.READ})
    empty = evaluate(registry.all(), build.bucket(tags={"andon:public": "  "}), exp)
    assert [f.status for f in empty] == [Status.OPEN]
    assert exemption_reason(build.bucket(tags={"andon:public": ""})) == ""
    custom = build.bucket(tags={"corp:public-ok": "open data"})
    assert evaluate(registry.all(), custom, exp)[0].status is Status.OPEN
    exempt = evaluate(registry.all(), custom, exp, exemption_tag="corp:public-ok")
    assert exempt[0].status is Status.EXEMPT and exempt[0].exemption == "open data"


def test_rules_package_is_pure() -> None:
    code = (
        "import sys, andon.rules\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'sqlalchemy', 'requests', 'httpx', 'andon.collect')]\n"
        "assert not bad, bad\n"
        "assert not any(m.startswith('andon.collect') or m.startswith('andon.store') "
        "for m in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
