"""Resource policies (SQS, SNS, KMS, Secrets Manager, ECR, EFS, OpenSearch, Glacier, Backup,
DynamoDB): the public statements are narrowed to the owner account.

A statement that, on its own, gives the public access (``Principal: "*"`` without a condition
that pins the caller) gets the owner account's root as its principal instead: every grant to
other parties in the same document stays, and principals of the owner account keep what the
statement gave them (which matters for KMS, whose key policy is the only grant there is). A
statement with ``NotPrincipal`` is removed. The result is checked with the same engine that
found the exposure: a plan whose narrowed policy would still be public is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from andon.collect.aws.transport import AwsClients
from andon.core.model import Finding, Level, Resource
from andon.exposure.aws_models import ResourcePolicyState
from andon.exposure.resource_policy import evaluate_resource
from andon.remediate.model import (
    Action,
    CannotPlan,
    Config,
    PlanContext,
    Proposal,
    Target,
    base_target,
    call,
    read_or_gone,
)

PolicyRead = Callable[[AwsClients, Target], str | None]
PolicyWrite = Callable[[AwsClients, Target, str | None], None]


def _args(t: Target, params: Mapping[str, Any]) -> dict[str, Any]:
    """``"id"`` is the target's native id; ``"=x"`` the literal ``x``; other values literal."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if v == "id":
            out[k] = t["id"]
        elif isinstance(v, str):
            out[k] = v.removeprefix("=")
        else:
            out[k] = v
    return out


def _get(
    service: str, op: str, field: str, gone: set[str], absent: set[str], **params: Any
) -> PolicyRead:
    def read(clients: AwsClients, t: Target) -> str | None:
        args = _args(t, params)
        answer = read_or_gone(clients, t, service, op, frozenset(gone), frozenset(absent), **args)
        if answer is None:
            return None
        value: Any = answer
        for part in field.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return str(value) if value else None

    return read


def _set(
    service: str,
    put: str,
    delete: str | None,
    policy_param: str,
    empty: str | None = None,
    **params: Any,
) -> PolicyWrite:
    def write(clients: AwsClients, t: Target, policy: str | None) -> None:
        args = _args(t, params)
        if policy is None and delete is not None:
            call(clients, t, service, delete, **args)
            return
        value = policy if policy is not None else (empty or "")
        if policy_param.startswith("Attributes."):
            call(clients, t, service, put, Attributes={policy_param[11:]: value}, **args)
        else:
            call(clients, t, service, put, **{policy_param: value}, **args)

    return write


# service → (botocore service, read, write)
SERVICES: Mapping[str, tuple[PolicyRead, PolicyWrite]] = {
    "sqs": (
        _get(
            "sqs",
            "GetQueueAttributes",
            "Attributes.Policy",
            {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"},
            set(),
            QueueUrl="id",
            AttributeNames=["Policy"],
        ),
        _set("sqs", "SetQueueAttributes", None, "Attributes.Policy", QueueUrl="id"),
    ),
    "sns": (
        _get("sns", "GetTopicAttributes", "Attributes.Policy", {"NotFound"}, set(), TopicArn="id"),
        _set(
            "sns",
            "SetTopicAttributes",
            None,
            "AttributeValue",
            TopicArn="id",
            AttributeName="=Policy",
        ),
    ),
    "kms": (
        _get(
            "kms",
            "GetKeyPolicy",
            "Policy",
            {"NotFoundException"},
            set(),
            KeyId="id",
            PolicyName="=default",
        ),
        _set("kms", "PutKeyPolicy", None, "Policy", KeyId="id", PolicyName="=default"),
    ),
    "secretsmanager": (
        _get(
            "secretsmanager",
            "GetResourcePolicy",
            "ResourcePolicy",
            {"ResourceNotFoundException"},
            set(),
            SecretId="id",
        ),
        _set(
            "secretsmanager",
            "PutResourcePolicy",
            "DeleteResourcePolicy",
            "ResourcePolicy",
            SecretId="id",
        ),
    ),
    "ecr": (
        _get(
            "ecr",
            "GetRepositoryPolicy",
            "policyText",
            {"RepositoryNotFoundException"},
            {"RepositoryPolicyNotFoundException"},
            repositoryName="id",
        ),
        _set(
            "ecr",
            "SetRepositoryPolicy",
            "DeleteRepositoryPolicy",
            "policyText",
            repositoryName="id",
        ),
    ),
    "efs": (
        _get(
            "efs",
            "DescribeFileSystemPolicy",
            "Policy",
            {"FileSystemNotFound"},
            {"PolicyNotFound"},
            FileSystemId="id",
        ),
        _set("efs", "PutFileSystemPolicy", "DeleteFileSystemPolicy", "Policy", FileSystemId="id"),
    ),
    "opensearch": (
        _get(
            "opensearch",
            "DescribeDomainConfig",
            "DomainConfig.AccessPolicies.Options",
            {"ResourceNotFoundException"},
            set(),
            DomainName="id",
        ),
        _set("opensearch", "UpdateDomainConfig", None, "AccessPolicies", DomainName="id"),
    ),
    "glacier": (
        _get(
            "glacier",
            "GetVaultAccessPolicy",
            "policy.Policy",
            set(),
            {"ResourceNotFoundException"},
            vaultName="id",
            accountId="=-",
        ),
        _set(
            "glacier",
            "SetVaultAccessPolicy",
            "DeleteVaultAccessPolicy",
            "policy",
            vaultName="id",
            accountId="=-",
        ),
    ),
    "backup": (
        _get(
            "backup",
            "GetBackupVaultAccessPolicy",
            "Policy",
            set(),
            {"ResourceNotFoundException"},
            BackupVaultName="id",
        ),
        _set(
            "backup",
            "PutBackupVaultAccessPolicy",
            "DeleteBackupVaultAccessPolicy",
            "Policy",
            BackupVaultName="id",
        ),
    ),
    "dynamodb": (
        _get(
            "dynamodb",
            "GetResourcePolicy",
            "Policy",
            set(),
            {"PolicyNotFoundException"},
            ResourceArn="id",
        ),
        _set(
            "dynamodb",
            "PutResourcePolicy",
            "DeleteResourcePolicy",
            "Policy",
            ResourceArn="id",
        ),
    ),
}

# canonical kind → (service, where the native id is: "arn", "name" or an attribute key)
KINDS: Mapping[str, tuple[str, str]] = {
    "messaging.queue": ("sqs", "url"),
    "messaging.topic": ("sns", "arn"),
    "crypto.key": ("kms", "arn"),
    "secrets.secret": ("secretsmanager", "arn"),
    "registry.repository": ("ecr", "name"),
    "storage.filesystem": ("efs", "file_system_id"),
    "search.domain": ("opensearch", "name"),
    "storage.archive_vault": ("glacier", "name"),
    "backup.vault": ("backup", "name"),
    "database.table": ("dynamodb", "arn"),
}


def _state(t: Target, policy: str | None) -> ResourcePolicyState:
    return ResourcePolicyState(str(t["service"]), str(t["arn"]), str(t["account"]), policy)


def _public(t: Target, policy: str) -> bool:
    return evaluate_resource(_state(t, policy)).level is Level.PUBLIC


def narrow(policy: str, t: Target) -> str:
    """The policy with every public statement narrowed to the owner account (see the module
    docstring); :class:`CannotPlan` when it cannot be parsed or would stay public."""
    try:
        doc = json.loads(policy)
        statements = doc["Statement"]
    except (ValueError, TypeError, KeyError) as exc:
        raise CannotPlan(f"the policy cannot be parsed ({exc})") from exc
    if isinstance(statements, Mapping):
        statements = [statements]
    version = doc.get("Version", "2012-10-17")
    owner = f"arn:{t.get('partition') or 'aws'}:iam::{t['account']}:root"
    out = []
    for st in statements:
        single = json.dumps({"Version": version, "Statement": [st]})
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow" or not _public(t, single):
            out.append(st)
            continue
        if "NotPrincipal" in st:
            continue
        out.append({**st, "Principal": {"AWS": owner}})
    narrowed = json.dumps({**doc, "Statement": out})
    if _public(t, narrowed):
        raise CannotPlan("narrowing the public statements would leave the policy public")
    return narrowed


def _read(clients: AwsClients, t: Target) -> Config:
    return {"policy": SERVICES[str(t["service"])][0](clients, t)}


def _write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    if current.get("policy") != desired.get("policy"):
        SERVICES[str(t["service"])][1](clients, t, desired.get("policy"))


def _offline(resource: Resource, t: Target) -> Config:
    policy = resource.attributes.get("policy")
    if isinstance(policy, Mapping) and set(policy) == {"unknown"}:
        raise CannotPlan(f"the policy could not be read ({policy['unknown']})")
    return {"policy": None if policy is None else str(policy)}


def _transform(before: Config, t: Target, p: Mapping[str, Any]) -> Config:
    policy = before.get("policy")
    return {"policy": None if policy is None else narrow(str(policy), t)}


NARROW_POLICY = Action(
    id="policy.narrow_public_statements",
    title="narrow the public statements of the resource policy to the owner account",
    offline=_offline,
    read=_read,
    transform=_transform,
    write=_write,
)

ACTIONS = (NARROW_POLICY,)


def propose(finding: Finding, resource: Resource, ctx: PlanContext) -> list[Proposal]:
    service, where = KINDS[resource.kind]
    attrs = resource.attributes
    arn = str(attrs.get("arn") or resource.uid)
    if where == "arn":
        native = arn
    elif where == "name":
        native = resource.name
    else:
        native = str(attrs.get(where) or "")
    if not native or isinstance(attrs.get(where), Mapping):
        raise CannotPlan(f"the {where} of the resource is not known")
    partition = arn.split(":")[1] if arn.count(":") > 2 else "aws"
    target = base_target(resource, service=service, arn=arn, id=native, partition=partition)
    policy = attrs.get("policy")
    if isinstance(policy, Mapping) and set(policy) == {"unknown"}:
        raise CannotPlan(f"the policy could not be read ({policy['unknown']})")
    notes = (
        "anonymous and other-account callers relying on the public statements lose access; "
        "grants to named accounts, organizations and services stay",
    )
    return [Proposal(NARROW_POLICY.id, target, {}, notes, "public statements narrowed")]
