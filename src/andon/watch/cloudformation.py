"""The CloudFormation template of ``andon watch setup`` (``--format cloudformation``).

Generated from the same event patterns as the API calls of :mod:`andon.watch.setup`, so the
two never drift; ``deploy/cloudformation/andon-watch.yaml`` is this output (a test compares
them). Intrinsic functions are written long-form (``{"Ref": ...}``, ``{"Fn::GetAtt": ...}``),
so any YAML reader parses the file. Modes: ``account`` (one account: queue, policy, rules on
the default bus), ``central`` (the consuming account of an organization: a central bus open
to the organization, the queue, rules on that bus), ``member`` (every other account and
region, as a StackSet: forwarding rules to the central bus, with their role).
"""

from __future__ import annotations

import json
from typing import Any

from andon.watch.setup import (
    DESCRIPTION,
    MAX_RECEIVES,
    RETENTION,
    UNUSED_BUS,
    VISIBILITY,
    rule_patterns,
)


def _ref(name: str) -> dict[str, Any]:
    return {"Ref": name}


def _att(name: str, attr: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [name, attr]}


def template_document() -> dict[str, Any]:
    """The CloudFormation template (long-form intrinsics, so any YAML reader parses it)."""
    patterns = rule_patterns()
    rule_ids = [f"Rule{i}" for i in range(1, len(patterns) + 1)]
    resources: dict[str, Any] = {
        "DeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            "Condition": "HasQueue",
            "Properties": {
                "QueueName": {"Fn::Sub": "${Name}-dlq"},
                "MessageRetentionPeriod": RETENTION,
                "SqsManagedSseEnabled": True,
            },
        },
        "Queue": {
            "Type": "AWS::SQS::Queue",
            "Condition": "HasQueue",
            "Properties": {
                "QueueName": _ref("Name"),
                "VisibilityTimeout": VISIBILITY,
                "MessageRetentionPeriod": RETENTION,
                "ReceiveMessageWaitTimeSeconds": 20,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": _att("DeadLetterQueue", "Arn"),
                    "maxReceiveCount": MAX_RECEIVES,
                },
            },
        },
        "QueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Condition": "HasQueue",
            "Properties": {
                "Queues": [_ref("Queue")],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "EventBridgeRulesSend",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": _att("Queue", "Arn"),
                            "Condition": {
                                "ArnEquals": {"aws:SourceArn": [_att(r, "Arn") for r in rule_ids]}
                            },
                        },
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "sqs:*",
                            "Resource": _att("Queue", "Arn"),
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                    ],
                },
            },
        },
        "CentralBus": {
            "Type": "AWS::Events::EventBus",
            "Condition": "IsCentral",
            "Properties": {"Name": _ref("Name")},
        },
        "CentralBusPolicy": {
            "Type": "AWS::Events::EventBusPolicy",
            "Condition": "IsCentral",
            "Properties": {
                "EventBusName": _ref("CentralBus"),
                "StatementId": "OrganizationPutsEvents",
                "Statement": {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "events:PutEvents",
                    "Resource": _att("CentralBus", "Arn"),
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": _ref("OrganizationId")}},
                },
            },
        },
        "ForwardRole": {
            "Type": "AWS::IAM::Role",
            "Condition": "IsMember",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "andon-watch-forward",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "events:PutEvents",
                                    "Resource": _ref("CentralBusArn"),
                                }
                            ],
                        },
                    }
                ],
            },
        },
    }
    for i, (rule_id, pattern) in enumerate(zip(rule_ids, patterns, strict=True), 1):
        resources[rule_id] = {
            "Type": "AWS::Events::Rule",
            "Condition": "HasQueue",
            "Properties": {
                "Name": {"Fn::Sub": f"${{Name}}-{i}"},
                "Description": f"{DESCRIPTION} ({i}/{len(patterns)})",
                "EventBusName": {"Fn::If": ["IsCentral", _ref("CentralBus"), "default"]},
                "EventPattern": pattern,
                "State": "ENABLED",
                "Targets": [{"Id": "andon-watch-queue", "Arn": _att("Queue", "Arn")}],
            },
        }
        resources[f"Forward{i}"] = {
            "Type": "AWS::Events::Rule",
            "Condition": "IsMember",
            "Properties": {
                "Description": f"Andon watch: forward to the central bus ({i}/{len(patterns)})",
                "EventPattern": pattern,
                "State": "ENABLED",
                "Targets": [
                    {
                        "Id": "andon-watch-central-bus",
                        "Arn": _ref("CentralBusArn"),
                        "RoleArn": _att("ForwardRole", "Arn"),
                    }
                ],
            },
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            "Andon watch: CloudTrail events that can change exposure, delivered to an SQS queue "
            "(Mode=account), or for an organization a central bus and queue (Mode=central) fed by "
            "forwarding rules in every member account and region (Mode=member, as a StackSet). "
            "Generated by `andon watch setup --format cloudformation`."
        ),
        "Parameters": {
            "Mode": {
                "Type": "String",
                "AllowedValues": ["account", "central", "member"],
                "Default": "account",
                "Description": "account: one account; central: the consuming account of an "
                "organization; member: every other account of the organization",
            },
            "Name": {
                "Type": "String",
                "Default": "andon-watch",
                "Description": "Name of the queue, rules and central bus",
            },
            "OrganizationId": {
                "Type": "String",
                "Default": "",
                "Description": "Mode=central: the organization id (o-...)",
            },
            "CentralBusArn": {
                "Type": "String",
                "Default": UNUSED_BUS,
                "AllowedPattern": "^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/.+$",
                "Description": "Mode=member: the ARN of the central bus (unused otherwise)",
            },
        },
        "Conditions": {
            "IsCentral": {"Fn::Equals": [_ref("Mode"), "central"]},
            "IsMember": {"Fn::Equals": [_ref("Mode"), "member"]},
            "HasQueue": {"Fn::Not": [{"Condition": "IsMember"}]},
        },
        "Resources": resources,
        "Outputs": {
            "QueueUrl": {
                "Condition": "HasQueue",
                "Description": "[watch] queue_url of the config file",
                "Value": _ref("Queue"),
            },
            "QueueArn": {"Condition": "HasQueue", "Value": _att("Queue", "Arn")},
        },
    }


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def _yaml(value: Any, indent: int = 0) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            label = key if key.replace("-", "").replace(":", "").isalnum() else json.dumps(key)
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{label}:")
                lines.extend(_yaml(item, indent + 1))
            elif item == [] or item == {}:
                lines.append(f"{pad}{label}: {'[]' if item == [] else '{}'}")
            else:
                lines.append(f"{pad}{label}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) and item:
                sub = _yaml(item, indent + 1)
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines.extend(sub[1:])
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(pad + _scalar(value))
    return lines


def template() -> str:
    """The CloudFormation template as YAML text."""
    header = "# Generated by `andon watch setup --format cloudformation`; do not edit by hand.\n"
    return header + "\n".join(_yaml(template_document())) + "\n"
