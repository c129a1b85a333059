"""``andon watch setup``: the EventBridge rule(s), the SQS queue and its policy.

One account (default)
    In the consuming account and region: a dead-letter queue, the queue ``andon-watch``
    (server-side encrypted, 14 days retention, redrive to the dead-letter queue after
    :data:`MAX_RECEIVES` receives), its policy (EventBridge may send, only from these rules;
    TLS only), and the rule(s) on the default event bus matching every CloudTrail event Andon
    maps (:data:`andon.watch.event_map.EVENT_NAMES`), each targeting the queue.

An organization (``--org``)
    In the consuming account: a central event bus ``andon-watch`` whose policy lets every
    account of the organization (``aws:PrincipalOrgID``) put events, the queue, and the rules on
    that bus. Each member account (and region) then needs a forwarding rule on its default bus
    whose target is the central bus: deploy ``deploy/cloudformation/andon-watch.yaml`` with
    ``Mode=member`` and ``CentralBusArn`` through a StackSet. ``--apply`` creates only the
    central part; the plan prints the member part.

An EventBridge event pattern holds at most 2,048 characters by default, so the event names are
spread over several rules (:func:`rule_patterns`). The same rules are in the CloudFormation
template (:func:`andon.watch.cloudformation.template`, shipped as
``deploy/cloudformation/andon-watch.yaml``).

Without ``--apply`` nothing is created: the plan (API calls with their parameters) is printed.
CloudTrail itself must be on (a trail or the default event history feeds EventBridge with
management events in every account).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from andon.core.errors import AndonError, CollectError

MAX_PATTERN = 2048
"""EventBridge's default quota on the size of an event pattern, in characters."""
MAX_RECEIVES = 20
"""Receives after which a message goes to the dead-letter queue (a poison message)."""
RETENTION = 1209600  # 14 days, SQS's maximum
VISIBILITY = 60
DETAIL_TYPE = "AWS API Call via CloudTrail"
DESCRIPTION = "Andon watch: exposure-changing CloudTrail events"
PLACEHOLDER_ACCOUNT = "<ACCOUNT_ID>"
UNUSED_BUS = "arn:aws:events:us-east-1:000000000000:event-bus/unused"


class SetupError(AndonError):
    """The setup cannot be planned or applied (its message says what to do)."""


def names_by_source() -> dict[str, list[str]]:
    """Every event source Andon maps, with the event names it maps for it."""
    from andon.watch.event_map import EVENT_NAMES, EVENT_SOURCES, mapper_for

    return {
        source: sorted(n for n in EVENT_NAMES if mapper_for(source, n) is not None)
        for source in sorted(EVENT_SOURCES)
    }


def _pattern(sources: list[str], names: list[str]) -> dict[str, Any]:
    return {
        "detail-type": [DETAIL_TYPE],
        "detail": {"eventSource": sorted(set(sources)), "eventName": sorted(set(names))},
    }


def _size(pattern: dict[str, Any]) -> int:
    return len(json.dumps(pattern, separators=(",", ":")))


def rule_patterns(limit: int = MAX_PATTERN) -> list[dict[str, Any]]:
    """Event patterns, each at most ``limit`` characters, that together match every
    (eventSource, eventName) Andon maps. A rule may match a pair Andon does not map (source
    of one, name of another): such an event is parsed and ignored."""
    patterns: list[dict[str, Any]] = []
    sources: list[str] = []
    names: list[str] = []
    for source, source_names in names_by_source().items():
        for name in source_names:
            trial = _pattern([*sources, source], [*names, name])
            if sources and _size(trial) > limit:
                patterns.append(_pattern(sources, names))
                sources, names = [], []
            sources.append(source)
            names.append(name)
    if sources:
        patterns.append(_pattern(sources, names))
    return patterns


@dataclass(frozen=True)
class Step:
    """One API call of the setup."""

    service: str
    operation: str
    params: dict[str, Any]
    note: str = ""


@dataclass
class SetupPlan:
    account: str
    region: str
    partition: str
    name: str
    org: bool
    org_id: str | None
    steps: list[Step] = field(default_factory=list)
    member_note: str = ""

    @property
    def queue_arn(self) -> str:
        return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{self.name}"

    @property
    def queue_url(self) -> str:
        return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.name}"

    @property
    def bus(self) -> str:
        return self.name if self.org else "default"

    @property
    def bus_arn(self) -> str:
        return f"arn:{self.partition}:events:{self.region}:{self.account}:event-bus/{self.bus}"

    def rule_name(self, index: int) -> str:
        return f"{self.name}-{index}"

    def rule_arn(self, index: int) -> str:
        path = self.rule_name(index) if not self.org else f"{self.bus}/{self.rule_name(index)}"
        return f"arn:{self.partition}:events:{self.region}:{self.account}:rule/{path}"


def queue_policy(plan: SetupPlan, rules: int) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeRulesSend",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": plan.queue_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": [plan.rule_arn(i) for i in range(1, rules + 1)]}
                },
            },
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": plan.queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def bus_policy(plan: SetupPlan) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrganizationPutsEvents",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": plan.bus_arn,
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": plan.org_id}},
            }
        ],
    }


def build_plan(
    *,
    account: str,
    region: str,
    partition: str = "aws",
    name: str = "andon-watch",
    org: bool = False,
    org_id: str | None = None,
) -> SetupPlan:
    """The API calls of the setup (pure: no I/O)."""
    if org and not org_id:
        raise SetupError("--org needs the organization id (--org-id o-...)")
    plan = SetupPlan(account, region, partition, name, org, org_id)
    patterns = rule_patterns()
    dlq_arn = f"arn:{partition}:sqs:{region}:{account}:{name}-dlq"
    if org:
        plan.steps.append(
            Step("events", "CreateEventBus", {"Name": plan.bus}, "the organization's central bus")
        )
        plan.steps.append(
            Step(
                "events",
                "PutPermission",
                {"EventBusName": plan.bus, "Policy": json.dumps(bus_policy(plan))},
                "every account of the organization may put events on it",
            )
        )
    plan.steps.append(
        Step(
            "sqs",
            "CreateQueue",
            {
                "QueueName": f"{name}-dlq",
                "Attributes": {
                    "MessageRetentionPeriod": str(RETENTION),
                    "SqsManagedSseEnabled": "true",
                },
            },
            "dead-letter queue for messages that keep failing",
        )
    )
    plan.steps.append(
        Step(
            "sqs",
            "CreateQueue",
            {
                "QueueName": name,
                "Attributes": {
                    "VisibilityTimeout": str(VISIBILITY),
                    "MessageRetentionPeriod": str(RETENTION),
                    "ReceiveMessageWaitTimeSeconds": "20",
                    "SqsManagedSseEnabled": "true",
                    "RedrivePolicy": json.dumps(
                        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES}
                    ),
                    "Policy": json.dumps(queue_policy(plan, len(patterns))),
                },
            },
            "the queue andon watch consumes; EventBridge may send to it from these rules only",
        )
    )
    for i, pattern in enumerate(patterns, 1):
        rule = {
            "Name": plan.rule_name(i),
            "EventBusName": plan.bus,
            "EventPattern": json.dumps(pattern, separators=(",", ":")),
            "State": "ENABLED",
            "Description": f"{DESCRIPTION} ({i}/{len(patterns)})",
        }
        plan.steps.append(Step("events", "PutRule", rule, f"rule {i} of {len(patterns)}"))
        plan.steps.append(
            Step(
                "events",
                "PutTargets",
                {
                    "Rule": plan.rule_name(i),
                    "EventBusName": plan.bus,
                    "Targets": [{"Id": "andon-watch-queue", "Arn": plan.queue_arn}],
                },
                "deliver to the queue",
            )
        )
    if org:
        plan.member_note = (
            "Each member account and region forwards its events to the central bus "
            f"{plan.bus_arn}: deploy deploy/cloudformation/andon-watch.yaml as a StackSet with "
            f"Mode=member and CentralBusArn={plan.bus_arn}."
        )
    return plan


def plan_setup(
    *,
    name: str = "andon-watch",
    org: bool = False,
    org_id: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> SetupPlan:
    """The plan for the caller's account (STS); a placeholder account when it is unknown."""
    from andon.collect.aws.transport import AwsClients
    from andon.core.context import AwsTarget, Limits

    target = AwsTarget(
        profile=profile, regions=(region,) if region else (), endpoint_url=endpoint_url
    )
    with AwsClients(target, Limits(max_attempts=1, connect_timeout=3, read_timeout=10)) as clients:
        home = region or clients.home_region
        try:
            account = clients.account_id()
            partition = clients.partition()
        except CollectError:
            account, partition = PLACEHOLDER_ACCOUNT, "aws"
        if org and not org_id:
            try:
                answer = clients.call(clients.client("organizations"), "DescribeOrganization")
                org_id = str(answer["Organization"]["Id"])
            except (CollectError, KeyError, TypeError) as exc:
                raise SetupError(f"cannot read the organization id ({exc}); pass --org-id") from exc
    return build_plan(
        account=account, region=home, partition=partition, name=name, org=org, org_id=org_id
    )


def render_plan(plan: SetupPlan, fmt: str = "text") -> str:
    """The plan as text (a reviewable list of calls) or JSON."""
    if fmt == "json":
        return (
            json.dumps(
                {
                    "account": plan.account,
                    "region": plan.region,
                    "queue_url": plan.queue_url,
                    "queue_arn": plan.queue_arn,
                    "event_bus": plan.bus,
                    "steps": [
                        {
                            "service": s.service,
                            "operation": s.operation,
                            "params": s.params,
                            "note": s.note,
                        }
                        for s in plan.steps
                    ],
                    "member_accounts": plan.member_note,
                },
                indent=2,
            )
            + "\n"
        )
    lines = [
        f"# andon watch setup for account {plan.account} in {plan.region}"
        + (f" (organization {plan.org_id}, central bus {plan.bus})" if plan.org else ""),
        "# nothing is created without --apply",
        "",
    ]
    for n, step in enumerate(plan.steps, 1):
        lines.append(f"{n}. {step.service} {step.operation}: {step.note}")
        lines.append("   " + json.dumps(step.params, sort_keys=True))
    lines.append("")
    if plan.member_note:
        lines += [plan.member_note, ""]
    lines += [
        "Then put this in the config file:",
        "",
        "[watch]",
        f'queue_url = "{plan.queue_url}"',
        "",
    ]
    return "\n".join(lines)


def apply_plan(
    plan: SetupPlan, *, profile: str | None = None, endpoint_url: str | None = None
) -> Iterator[str]:
    """Make the calls of ``plan``; yields one line per call. Existing resources are updated
    (a queue with other attributes gets the plan's attributes)."""
    from andon.collect.aws.transport import AwsClients
    from andon.core.context import AwsTarget, Limits

    if plan.account == PLACEHOLDER_ACCOUNT:
        raise SetupError("cannot apply: the account is unknown (no usable AWS credentials)")
    target = AwsTarget(profile=profile, regions=(plan.region,), endpoint_url=endpoint_url)
    with AwsClients(target, Limits(max_attempts=3)) as clients:
        for step in plan.steps:
            client = clients.client(step.service, plan.region)
            try:
                answer = clients.call(client, step.operation, **step.params)
            except CollectError as exc:
                if step.operation == "CreateEventBus" and "AlreadyExists" in exc.code:
                    yield f"ok: events CreateEventBus: {plan.bus} exists"
                    continue
                if step.operation == "CreateQueue" and "QueueAlreadyExists" in exc.code:
                    url = clients.call(client, "GetQueueUrl", QueueName=step.params["QueueName"])
                    clients.call(
                        client,
                        "SetQueueAttributes",
                        QueueUrl=url["QueueUrl"],
                        Attributes=step.params["Attributes"],
                    )
                    yield f"ok: sqs SetQueueAttributes {step.params['QueueName']} (it existed)"
                    continue
                raise SetupError(f"{step.service} {step.operation} failed: {exc}") from exc
            detail = (
                answer.get("QueueUrl") or answer.get("RuleArn") or answer.get("EventBusArn") or ""
            )
            yield f"ok: {step.service} {step.operation} {detail}".rstrip()
