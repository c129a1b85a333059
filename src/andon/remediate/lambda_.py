"""Lambda function URLs: ``AuthType`` ``NONE`` becomes ``AWS_IAM``.

With ``AWS_IAM`` only signed requests of principals allowed ``lambda:InvokeFunctionUrl`` reach
the function: browsers, webhooks and other anonymous callers of the URL get 403.
"""

from __future__ import annotations

from andon.collect.aws.transport import AwsClients
from andon.core.model import Finding, Resource
from andon.exposure.aws_models import FunctionUrlState
from andon.exposure.s3_model import Unknown
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

_NO_URL = frozenset({"ResourceNotFoundException"})


def _qualifier(t: Target) -> dict[str, str]:
    return {"Qualifier": str(t["qualifier"])} if t.get("qualifier") else {}


def _read(clients: AwsClients, t: Target) -> Config:
    answer = read_or_gone(
        clients,
        t,
        "lambda",
        "GetFunctionUrlConfig",
        _NO_URL,
        frozenset(),
        FunctionName=t["function"],
        **_qualifier(t),
    )
    assert answer is not None
    return {"auth_type": str(answer["AuthType"])}


def _write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    if current != desired:
        call(
            clients,
            t,
            "lambda",
            "UpdateFunctionUrlConfig",
            FunctionName=t["function"],
            AuthType=desired["auth_type"],
            **_qualifier(t),
        )


def _offline(resource: Resource, t: Target) -> Config:
    state = FunctionUrlState.from_dict(resource.attributes)
    if isinstance(state.auth_type, Unknown):
        raise CannotPlan(f"the URL's AuthType could not be read ({state.auth_type.reason})")
    return {"auth_type": state.auth_type}


URL_IAM = Action(
    id="lambda.function_url.require_iam",
    title="switch the function URL's AuthType to AWS_IAM",
    offline=_offline,
    read=_read,
    transform=lambda before, t, p: {"auth_type": "AWS_IAM"},
    write=_write,
)

ACTIONS = (URL_IAM,)


def propose(finding: Finding, resource: Resource, ctx: PlanContext) -> list[Proposal]:
    state = FunctionUrlState.from_dict(resource.attributes)
    target = base_target(resource, function=state.function_arn, qualifier=state.qualifier)
    notes = (
        "anonymous callers of the URL (browsers, webhooks) get 403; callers must sign their "
        "requests with credentials allowed lambda:InvokeFunctionUrl",
    )
    return [Proposal(URL_IAM.id, target, {}, notes, "AuthType AWS_IAM")]
