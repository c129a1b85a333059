"""Amazon OpenSearch Service (and Elasticsearch) domains → ``search.domain``
(``AWS::OpenSearchService::Domain``: the
:class:`~andon.exposure.aws_models.OpenSearchDomainState` the network evaluator reads).

Calls: ListDomainNames (one call, every engine); DescribeDomains for up to 5 domains at a time
(the API's limit), which gives each domain's ``AccessPolicies``, ``VPCOptions``, endpoint and
fine-grained access control; ListTags only for a domain that is not private. A batch that fails
makes every domain in it unknown (policy and VPC placement), each with the gap. A domain that
the batch answer leaves out was deleted mid-scan and is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from andon.collect.aws._kit import (
    Kinds,
    Reads,
    Region,
    policy_text,
    tag_list,
    text,
)
from andon.collect.aws.s3 import Operation
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.model import Exposure, Resource
from andon.exposure.aws_models import OpenSearchDomainState
from andon.exposure.network import evaluate_opensearch
from andon.exposure.s3_model import Unknown

SERVICE = "opensearch"
KIND = "search.domain"

OPERATIONS: tuple[Operation, ...] = (
    Operation(SERVICE, "ListDomainNames", "es:ListDomainNames"),
    Operation(SERVICE, "DescribeDomains", "es:DescribeDomains"),
    Operation(SERVICE, "ListTags", "es:ListTags"),
)
"""Every call :func:`collect` may make, with the IAM action that allows it (all read-only)."""


def domain_exposure(attributes: Mapping[str, Any]) -> Exposure:
    """The exposure of a ``search.domain`` (owner's account trusted only)."""
    return evaluate_opensearch(OpenSearchDomainState.from_dict(attributes))


KINDS: Kinds = {KIND: ("AWS::OpenSearchService::Domain", domain_exposure)}

GONE = {"ListTags": frozenset({"ResourceNotFoundException"})}
BATCH = 5  # DescribeDomains takes at most 5 names


def collect(ctx: Context, clients: AwsClients, account: str, region: str) -> Iterator[Resource]:
    """Yield one ``search.domain`` per domain of ``account`` in ``region``, batch by batch.

    Raises the listing's :class:`~andon.core.errors.CollectError` when ListDomainNames fails.
    """
    run = Region(ctx, clients, account, region, service=SERVICE, kinds=KINDS, gone=GONE)
    # ListDomainNames is not paginated: "NextToken" never appears, so this is one call.
    names = run.listing("ListDomainNames", "DomainNames", "NextToken", "NextToken", _name)
    yield from run.stream(_batches(names), lambda batch: _batch(run, batch))


def _name(item: Any) -> str:
    return text(item["DomainName"], "DomainName")


def _batches(names: Iterable[str]) -> Iterator[list[str]]:
    it = iter(names)
    while batch := list(islice(it, BATCH)):
        yield batch


def _batch(run: Region, names: list[str]) -> list[Resource]:
    shared = run.reads("")
    statuses = shared.read("DescribeDomains", _statuses, DomainNames=names)
    out: list[Resource] = []
    for name in names:
        arn = run.arn("es", f"domain/{name}")
        if isinstance(statuses, Unknown):
            reads = run.reads(arn)
            reads.inherit(shared, ("DescribeDomains",))
            state = OpenSearchDomainState(name, arn, in_vpc=statuses, policy=statuses)
            out.append(_resource(run, reads, name, state.to_dict()))
            continue
        status = statuses.get(name)
        if status is None:
            continue  # deleted since the listing
        arn = str(status.get("ARN") or arn)
        reads = run.reads(arn)
        reads.keep("DescribeDomains", status)
        out.append(_domain(run, reads, name, arn, status))
    return out


def _domain(run: Region, reads: Reads, name: str, arn: str, status: Mapping[str, Any]) -> Resource:
    vpc = status.get("VPCOptions") or {}
    security = status.get("AdvancedSecurityOptions") or {}
    fine_grained = security.get("Enabled")
    state = OpenSearchDomainState(
        name=name,
        arn=arn,
        in_vpc=bool(vpc.get("VPCId") or vpc.get("SubnetIds")),
        policy=policy_text(status.get("AccessPolicies")),
        fine_grained=None if fine_grained is None else bool(fine_grained),
    )
    endpoints = status.get("Endpoints") or {}
    endpoint = status.get("Endpoint") or endpoints.get("vpc") or next(iter(endpoints.values()), "")
    extra = {
        "endpoint": str(endpoint or ""),
        "anonymous_auth": bool(security.get("AnonymousAuthEnabled", False)),
        "engine_version": str(status.get("EngineVersion") or ""),
        "deleted": bool(status.get("Deleted", False)),
    }
    return _resource(run, reads, name, {**state.to_dict(), **extra})


def _resource(run: Region, reads: Reads, name: str, attributes: dict[str, Any]) -> Resource:
    arn = str(attributes["arn"])
    return run.resource(
        reads,
        KIND,
        name,
        attributes,
        read_tags=lambda: reads.read("ListTags", lambda a: tag_list(a.get("TagList")), ARN=arn),
    )


def _statuses(answer: dict[str, Any]) -> dict[str, Mapping[str, Any]]:
    statuses = answer["DomainStatusList"]
    if not isinstance(statuses, list):
        raise TypeError("DomainStatusList is not a list")
    out: dict[str, Mapping[str, Any]] = {}
    for status in statuses:
        name = text(status["DomainName"], "DomainName")
        policy_text(status.get("AccessPolicies"))
        out[name] = status
    return out
