"""Amazon API Gateway REST APIs → ``api.rest_api`` (``AWS::ApiGateway::RestApi``: the
:class:`~andon.exposure.aws_models.ApiState` the network evaluator reads).

Calls: GetRestApis (paginated; it carries each API's resource policy, endpoint types and tags);
per API GetResources with ``embed=methods`` (paginated), which gives every method's
``authorizationType`` and ``apiKeyRequired`` in one listing. Both are ``apigateway:GET`` for
IAM. An API deleted mid-scan (``NotFoundException``) is left out.

The ``policy`` of a REST API comes back from AWS with its JSON escaped once more (``{\\"Version\\"
…`` and ``\\/`` in CIDRs: terraform-provider-aws issues #4397 and #4606 show the raw answers);
:func:`api_policy` undoes that, and keeps text that is already a JSON document as it is (moto
answers that way). ``uid`` is the API's management ARN (``arn:aws:apigateway:<region>::/restapis/
<id>``); the state's ``arn`` is its ``execute-api`` ARN, which its resource policy names.
HTTP and WebSocket APIs (API Gateway v2) and stages are not read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from andon.collect.aws._kit import Kinds, Region, policy_text, tag_list, text
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.model import Exposure, Resource
from andon.exposure.aws_models import ApiMethod, ApiState
from andon.exposure.network import evaluate_api
from andon.exposure.s3_model import Unknown

SERVICE = "apigateway"
KIND = "api.rest_api"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "GetRestApis", "apigateway:GET"),
    Operation(SERVICE, "GetResources", "apigateway:GET"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""


def api_exposure(attributes: Mapping[str, Any]) -> Exposure:
    """The exposure of an ``api.rest_api`` (owner's account trusted only)."""
    return evaluate_api(ApiState.from_dict(attributes))


KINDS: Kinds = {KIND: ("AWS::ApiGateway::RestApi", api_exposure)}

GONE = {"GetResources": frozenset({"NotFoundException"})}
_PAGE = 500  # the API maximum
DEFAULT_ENDPOINT = "EDGE"  # CreateRestApi: an API created without endpointConfiguration


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``api.rest_api`` per REST API of ``account`` in ``region``.

    Raises the listing's :class:`~andon.core.errors.CollectError` when GetRestApis fails.
    """
    run = Region(ctx, clients, account, region, service=SERVICE, kinds=KINDS, gone=GONE)
    apis = run.listing("GetRestApis", "items", "position", "position", _entry, limit=_PAGE)
    yield from run.stream(apis, lambda api: [_api(run, api)])


def api_policy(value: Any) -> str | None:
    """A REST API's ``policy`` as a JSON document: unescaped once when AWS escaped it."""
    raw = policy_text(value)
    if raw is None:
        return None
    try:
        json.loads(raw)
        return raw
    except ValueError:
        pass
    try:
        unescaped = json.loads(f'"{raw}"', strict=False)
    except ValueError:
        return raw  # neither form: the evaluator reports the malformed document
    return unescaped if isinstance(unescaped, str) else raw


def _entry(item: Any) -> dict[str, Any]:
    text(item["id"], "id")
    policy_text(item.get("policy"))
    tag_list(item.get("tags"))
    return dict(item)


def _endpoint_types(entry: Mapping[str, Any]) -> tuple[str, ...]:
    types = (entry.get("endpointConfiguration") or {}).get("types") or [DEFAULT_ENDPOINT]
    return tuple(str(t) for t in types)


def _api(run: Region, entry: dict[str, Any]) -> Resource:
    api_id = str(entry["id"])
    uid = f"arn:{run.partition}:apigateway:{run.region}::/restapis/{api_id}"
    reads = run.reads(uid)
    reads.keep("GetRestApis", entry)
    methods = reads.read_pages(
        "GetResources",
        _methods,
        "position",
        "position",
        restApiId=api_id,
        embed=["methods"],
        limit=_PAGE,
    )
    state = ApiState(
        api_id=api_id,
        arn=run.arn("execute-api", api_id),
        api_type="REST",
        endpoint_types=_endpoint_types(entry),
        policy=api_policy(entry.get("policy")),
        methods=methods if isinstance(methods, Unknown) else tuple(methods),
    )
    extra = {
        "execute_api_endpoint_disabled": bool(entry.get("disableExecuteApiEndpoint", False)),
    }
    return run.resource(
        reads,
        KIND,
        str(entry.get("name") or api_id),
        {**state.to_dict(), **extra},
        tags=tag_list(entry.get("tags")),
    )


def _methods(answer: dict[str, Any]) -> list[ApiMethod]:
    items = answer.get("items") or []
    if not isinstance(items, list):
        raise TypeError("items is not a list")
    out: list[ApiMethod] = []
    for item in items:
        path = text(item["path"], "path")
        for verb, method in sorted((item.get("resourceMethods") or {}).items()):
            out.append(
                ApiMethod(
                    path,
                    str(method.get("httpMethod") or verb),
                    text(method["authorizationType"], "authorizationType"),
                    bool(method.get("apiKeyRequired", False)),
                )
            )
    return out
