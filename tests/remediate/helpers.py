"""Builders shared by the remediation tests: a seeded moto account, scans into a store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import boto3
from tests.aws_estate import Seeder

from andon.collect.aws.registry import kind_table, select_services
from andon.collect.aws.transport import AwsClients
from andon.core.context import AwsTarget, Context, Limits
from andon.core.model import Finding, Resource, Status
from andon.rules import default_registry
from andon.scan import ScanOutcome, aws_scope, evaluate_resource, run_scan
from andon.store import Store

REGION = "us-east-1"


def context(url: str, **target: Any) -> Context:
    return Context(
        aws=AwsTarget(endpoint_url=url, regions=(REGION,), **target),
        limits=Limits(concurrency=4, max_attempts=0, object_acl_sample=0),
    )


def clients(ctx: Context) -> AwsClients:
    return AwsClients(ctx.aws, ctx.limits)


def seeder(url: str, prefix: str = "fix") -> Seeder:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return Seeder(session, url, REGION, prefix)


def scan(ctx: Context, store: Store, services: Sequence[str]) -> ScanOutcome:
    """A scan of ``services`` in the one test region: the collectors themselves, without the
    estate's region discovery (DescribeRegions makes moto build its whole EC2 backend)."""
    chosen = select_services(list(services))
    kinds = kind_table(chosen)
    aws = clients(ctx)
    account = aws.account_id()

    def resources() -> Iterator[Resource]:
        for service in chosen:
            yield from service.collect(ctx, aws, account, REGION)

    try:
        return run_scan(
            resources(),
            scope=aws_scope(account, (REGION,), ctx.aws.endpoint_url, ",".join(services)),
            rules=default_registry(),
            store=store,
            evaluator=lambda r: evaluate_resource(r, kinds=kinds),
        )
    finally:
        aws.close()


def resources_of(store: Store, outcome: ScanOutcome) -> dict[str, Resource]:
    assert outcome.scan_id is not None
    return {s.resource.uid: s.resource for s in store.resources(outcome.scan_id)}


def open_ids(outcome: ScanOutcome, rules: Sequence[str] | None = None) -> set[str]:
    return {
        f.id
        for f in outcome.findings
        if f.status is Status.OPEN and (rules is None or f.rule_id in rules)
    }


def by_rule(findings: Sequence[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule]
