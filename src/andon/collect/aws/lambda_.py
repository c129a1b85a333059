"""AWS Lambda functions → ``compute.function`` (``AWS::Lambda::Function``: the function's
resource policy) and their function URLs → ``compute.function_url`` (``AWS::Lambda::Url``:
the :class:`~andon.exposure.aws_models.FunctionUrlState` the network evaluator reads).

Calls: ListFunctions (paginated); per function ListFunctionUrlConfigs (every URL, of the
function and of its aliases) and GetPolicy (``ResourceNotFoundException`` is no policy); per
URL on an alias GetPolicy with that ``Qualifier`` (an alias has its own policy; the unqualified
URL uses the function's, read once); ListTags once per function, only when the function or one
of its URLs is not private. An endpoint that does not implement ListFunctionUrlConfigs (a bare
HTTP 404, as moto 5.2 answers) is asked GetFunctionUrlConfig for the unqualified URL instead,
and ``raw`` says so. A function deleted mid-scan is left out.

A function URL has no ARN of its own: its ``uid`` is the (qualified) function ARN followed by
``/url``. When the URL listing fails, one ``compute.function_url`` with an unknown AuthType
stands for whatever URLs the function may have (unreadable is not private). When the
unqualified URL's AuthType is known, the function's policy is evaluated with
``lambda:FunctionUrlAuthType`` set to it. Environment variables are dropped from ``raw``:
they often hold secrets, and ``raw`` keeps configuration only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from andon.collect.aws._kit import (
    Kinds,
    Reads,
    Region,
    policy_exposure,
    policy_text,
    tag_list,
    text,
)
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.model import Exposure, Resource
from andon.exposure.aws_models import FunctionUrlState
from andon.exposure.network import evaluate_function_url
from andon.exposure.s3_model import Unknown

SERVICE = "lambda"
KIND_FUNCTION = "compute.function"
KIND_URL = "compute.function_url"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "ListFunctions", "lambda:ListFunctions"),
    Operation(SERVICE, "ListFunctionUrlConfigs", "lambda:ListFunctionUrlConfigs"),
    Operation(SERVICE, "GetFunctionUrlConfig", "lambda:GetFunctionUrlConfig"),
    Operation(SERVICE, "GetPolicy", "lambda:GetPolicy"),
    Operation(SERVICE, "ListTags", "lambda:ListTags"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""


def url_exposure(attributes: Mapping[str, Any]) -> Exposure:
    """The exposure of a ``compute.function_url`` (owner's account trusted only)."""
    return evaluate_function_url(FunctionUrlState.from_dict(attributes))


KINDS: Kinds = {
    KIND_FUNCTION: ("AWS::Lambda::Function", policy_exposure),
    KIND_URL: ("AWS::Lambda::Url", url_exposure),
}

_NOT_FOUND = frozenset({"ResourceNotFoundException"})
_UNIMPLEMENTED = "404"  # a bare 404: no error code, the route is unknown to the endpoint
ABSENT = {
    "GetPolicy": _NOT_FOUND,
    "GetFunctionUrlConfig": _NOT_FOUND,
    "ListFunctionUrlConfigs": frozenset({_UNIMPLEMENTED}),
}
GONE = {"ListFunctionUrlConfigs": _NOT_FOUND, "ListTags": _NOT_FOUND}
_PAGE = 50  # the API maximum of both listings
_RAW_DROPPED = frozenset({"Environment"})
_NOT_LISTED: list[dict[str, Any]] = []  # a marker (never filled): the listing is unimplemented


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield, per function of ``account`` in ``region``, its ``compute.function`` and then one
    ``compute.function_url`` per URL, as each function completes.

    Raises the listing's :class:`~andon.core.errors.CollectError` when ListFunctions fails.
    """
    run = Region(
        ctx, clients, account, region, service=SERVICE, kinds=KINDS, absent=ABSENT, gone=GONE
    )
    functions = run.listing(
        "ListFunctions", "Functions", "Marker", "NextMarker", _entry, MaxItems=_PAGE
    )
    yield from run.stream(functions, lambda fn: _function(run, fn))


def _entry(item: Any) -> dict[str, Any]:
    text(item["FunctionName"], "FunctionName")
    text(item["FunctionArn"], "FunctionArn")
    return {k: v for k, v in item.items() if k not in _RAW_DROPPED}


class _Tags:
    """A function's tags, read at most once for the function and all its URLs."""

    def __init__(self, arn: str) -> None:
        self.arn = arn
        self.value: dict[str, str] | Unknown | None = None
        self.origin: Reads | None = None

    def read(self, reads: Reads) -> dict[str, str] | Unknown:
        if self.value is None or self.origin is None:
            self.origin = reads
            self.value = reads.read(
                "ListTags", lambda a: tag_list(a.get("Tags")), Resource=self.arn
            )
        elif isinstance(self.value, Unknown):
            reads.inherit(self.origin, ("ListTags",))
        return self.value


def _function(run: Region, entry: dict[str, Any]) -> list[Resource]:
    name, arn = str(entry["FunctionName"]), str(entry["FunctionArn"])
    reads = run.reads(arn)
    reads.keep("ListFunctions", entry)
    urls = _url_configs(reads, name)
    policy = reads.read("GetPolicy", _policy, absent=None, FunctionName=name)
    tags = _Tags(arn)
    known: dict[str, str] = {}
    if not isinstance(urls, Unknown):
        auth = [str(u.get("AuthType")) for u in urls if not _qualifier(u, arn)]
        if auth and auth[0] in ("NONE", "AWS_IAM"):
            known["lambda:FunctionUrlAuthType"] = auth[0]
    function = run.policy_resource(
        reads,
        KIND_FUNCTION,
        service="lambda",
        arn=arn,
        name=name,
        policy=policy,
        known=known,
        read_tags=lambda: tags.read(reads),
    )
    if isinstance(urls, Unknown):
        return [function, _unknown_url(run, reads, name, arn, urls, policy, tags)]
    return [function, *(_url(run, reads, name, arn, u, policy, tags) for u in urls)]


def _url_configs(reads: Reads, name: str) -> list[dict[str, Any]] | Unknown:
    listed = reads.read_pages(
        "ListFunctionUrlConfigs",
        _configs,
        "Marker",
        "NextMarker",
        absent=_NOT_LISTED,
        FunctionName=name,
        MaxItems=_PAGE,
    )
    if listed is not _NOT_LISTED:
        return listed
    reads.keep(
        "note",
        "the endpoint does not implement ListFunctionUrlConfigs: only the unqualified URL "
        "was read, with GetFunctionUrlConfig",
    )
    one = reads.read("GetFunctionUrlConfig", _config, absent=None, FunctionName=name)
    if one is None or isinstance(one, Unknown):
        return [] if one is None else one
    return [one]


def _qualifier(config: Mapping[str, Any], function_arn: str) -> str:
    url_arn = str(config.get("FunctionArn") or function_arn)
    return url_arn[len(function_arn) + 1 :] if url_arn.startswith(function_arn + ":") else ""


def _url(
    run: Region,
    fn_reads: Reads,
    name: str,
    arn: str,
    config: dict[str, Any],
    policy: str | Unknown | None,
    tags: _Tags,
) -> Resource:
    qualifier = _qualifier(config, arn)
    uid = f"{arn}:{qualifier}/url" if qualifier else f"{arn}/url"
    reads = run.reads(uid)
    reads.keep("ListFunctionUrlConfigs", config)
    if qualifier:
        policy = reads.read(
            "GetPolicy", _policy, absent=None, FunctionName=name, Qualifier=qualifier
        )
    else:
        reads.inherit(fn_reads, ("GetPolicy",))
    created = config.get("CreationTime")
    state = FunctionUrlState(
        function_arn=arn,
        auth_type=str(config.get("AuthType") or ""),
        policy=policy,
        qualifier=qualifier,
        created=created.isoformat() if isinstance(created, datetime) else str(created or ""),
    )
    attributes = {**state.to_dict(), "url": str(config.get("FunctionUrl") or "")}
    label = f"{name}:{qualifier}" if qualifier else name
    return run.resource(
        reads, KIND_URL, f"{label} (URL)", attributes, read_tags=lambda: tags.read(reads)
    )


def _unknown_url(
    run: Region,
    fn_reads: Reads,
    name: str,
    arn: str,
    why: Unknown,
    policy: str | Unknown | None,
    tags: _Tags,
) -> Resource:
    reads = run.reads(f"{arn}/url")
    reads.inherit(fn_reads, ("ListFunctionUrlConfigs", "GetFunctionUrlConfig", "GetPolicy"))
    state = FunctionUrlState(function_arn=arn, auth_type=why, policy=policy)
    attributes = {**state.to_dict(), "url": why.to_dict()}
    return run.resource(
        reads, KIND_URL, f"{name} (URL)", attributes, read_tags=lambda: tags.read(reads)
    )


def _configs(answer: dict[str, Any]) -> list[dict[str, Any]]:
    configs = answer.get("FunctionUrlConfigs") or []
    if not isinstance(configs, list):
        raise TypeError("FunctionUrlConfigs is not a list")
    return [_checked(c) for c in configs]


def _config(answer: dict[str, Any]) -> dict[str, Any]:
    return _checked({k: v for k, v in answer.items() if k != "ResponseMetadata"})


def _checked(config: Any) -> dict[str, Any]:
    text(config["AuthType"], "AuthType")
    return dict(config)


def _policy(answer: dict[str, Any]) -> str | None:
    return policy_text(answer.get("Policy"))
