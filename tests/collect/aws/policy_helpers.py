"""Helpers shared by the tests of the resource-policy collectors (sqs, sns, kms …): run a
collector module against the moto server over HTTP, with real boto3 clients, and check what
it called against its ``OPERATIONS``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
from botocore.config import Config

from andon.collect.aws.transport import AwsClients
from andon.core import AwsTarget, Context, Limits, Resource

ACCOUNT = "123456789012"  # moto's default account
OTHER = "210987654321"
REGION = "us-east-1"
READ_ONLY_PREFIXES = ("List", "Get", "Describe")


def client(url: str, service: str, region: str = REGION) -> Any:
    """A seeding client (dummy credentials from ``aws_env``)."""
    return boto3.client(
        service, endpoint_url=url, region_name=region, config=Config(retries={"max_attempts": 0})
    )


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, action: str | list[str], resource: str, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": action,
        "Resource": resource,
        **extra,
    }


def stream(
    url: str,
    module: ModuleType,
    region: str = REGION,
    key: tuple[str, str] | None = None,
    **limits: Any,
) -> tuple[Iterator[Resource], AwsClients]:
    """``module.collect`` for ``ACCOUNT`` in ``region``, as a generator, and its clients."""
    target = AwsTarget(
        endpoint_url=url,
        access_key_id=key[0] if key else None,
        secret_access_key=key[1] if key else None,
    )
    limits.setdefault("max_attempts", 0)
    clients = AwsClients(target, Limits(**limits))
    ctx = Context(aws=target, limits=clients.limits)
    return module.collect(ctx, clients, ACCOUNT, region), clients


def scan(
    url: str, module: ModuleType, region: str = REGION, **limits: Any
) -> tuple[dict[str, Resource], AwsClients]:
    """Every resource, by name, and the clients (for ``call_counts``)."""
    resources, clients = stream(url, module, region, **limits)
    got = list(resources)
    by_name = {r.name: r for r in got}
    assert len(by_name) == len(got), "resource names are unique in these tests"
    check_resources(module, got)
    check_calls(module, clients)
    return by_name, clients


def check_resources(module: ModuleType, resources: list[Resource]) -> None:
    """Each resource has a declared kind and type, JSON-able attributes and raw, and its
    evaluator accepts its attributes."""
    for r in resources:
        native, evaluate = module.KINDS[r.kind]
        assert r.native_type == native and r.cloud == "aws" and r.account == ACCOUNT
        json.dumps(r.attributes)
        json.dumps(r.raw)
        evaluate(r.attributes)


def check_calls(module: ModuleType, clients: AwsClients) -> None:
    """Every call made is declared in ``OPERATIONS``, and every declared call is read-only."""
    declared = {(op.service, op.name) for op in module.OPERATIONS}
    made = set(clients.call_counts)
    assert made <= declared, made - declared
    for op in module.OPERATIONS:
        assert op.name.startswith(READ_ONLY_PREFIXES), op
        service, _, action = op.iam_action.partition(":")
        assert service and action


def level(module: ModuleType, resource: Resource) -> str:
    return str(module.KINDS[resource.kind][1](resource.attributes).level)


def allow_all_but(*denies: dict[str, Any]) -> dict[str, Any]:
    """An identity policy for ``moto_iam_user``: everything, except ``denies``."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, *denies],
    }


def deny(action: str) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": "*"}


def is_denied(reason: Any, operation: str, action: str) -> bool:
    """Whether ``reason`` is moto's IAM refusal of ``action`` on ``operation``.

    moto answers a refusal on a JSON-protocol service (SQS, KMS, ECR …) with an XML body that
    botocore cannot read: the transport then gives the HTTP status as the code (``403``) and
    the body as the message; the action named in it is still checked here.
    """
    head = reason.split(":", 1)[0] if isinstance(reason, str) else ""
    return (
        isinstance(reason, str)
        and head
        in {
            "AccessDenied on " + operation,
            "AccessDeniedException on " + operation,
            "403 on " + operation,
        }
        and f"not authorized to perform: {action}" in reason
    )


def unknown_reason(value: Any) -> str:
    """The reason of an ``{"unknown": why}`` attribute (fails on anything else)."""
    assert isinstance(value, dict) and set(value) == {"unknown"}, value
    return str(value["unknown"])


def assert_denied_gap(resource: Resource, field: Any, operation: str, action: str) -> None:
    """``field`` (an attribute value) is Unknown because ``action`` was refused, and the
    resource carries exactly one gap for it, with the same reason."""
    reason = unknown_reason(field)
    assert is_denied(reason, operation, action), reason
    gaps = [g for g in resource.gaps if g.operation == operation]
    assert len(gaps) == 1, resource.gaps
    gap = gaps[0]
    assert gap.reason == reason and gap.resource_uid == resource.uid
    assert gap.code in {"AccessDenied", "AccessDeniedException", "403"}
