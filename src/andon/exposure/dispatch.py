"""The exposure of a normalized resource, chosen by its canonical kind, with the trust zone.

Each collector declares, in its ``KINDS``, a function from ``Resource.attributes`` to an
:class:`Exposure`; those functions cannot know the scan's trust zone (the accounts,
organization and networks that count as "us"), which decides CROSS_ACCOUNT. This table maps
every canonical kind of the AWS collectors to the same evaluator *with* the trust zone, so the
pipeline uses it for the kinds it knows and falls back on a collector's own function for any
other kind. With an empty trust zone both give the same answer (a test checks it against every
collector on a seeded estate).

Pure: no I/O, no SDK import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from andon.core.model import Access, Exposure, Level
from andon.exposure.aws_models import (
    ApiState,
    DatabaseState,
    FunctionUrlState,
    InstanceState,
    OpenSearchDomainState,
    ResourcePolicyState,
    SharedCopyState,
)
from andon.exposure.network import (
    evaluate_api,
    evaluate_database,
    evaluate_function_url,
    evaluate_instance,
    evaluate_opensearch,
)
from andon.exposure.resource_policy import evaluate_resource
from andon.exposure.shares import evaluate_share


@dataclass(frozen=True)
class TrustZone:
    """Who counts as "us" when deciding CROSS_ACCOUNT; a resource's owner always does.

    ``accounts``: trusted account ids; ``org_id``: the trusted organization (``o-…``);
    ``networks``: VPC ids, VPC endpoint ids and CIDRs trusted for grants that only a network
    condition narrows.
    """

    accounts: frozenset[str] = frozenset()
    org_id: str | None = None
    networks: frozenset[str] = frozenset()

    def widened(self, accounts: frozenset[str], org_id: str | None) -> TrustZone:
        """This zone plus ``accounts`` and, when it names none, the organization ``org_id``."""
        return replace(self, accounts=self.accounts | accounts, org_id=self.org_id or org_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accounts": sorted(self.accounts),
            "org_id": self.org_id,
            "networks": sorted(self.networks),
        }


NO_TRUST = TrustZone()

TrustedEvaluate = Callable[[Mapping[str, Any], TrustZone], Exposure]


def _policy(a: Mapping[str, Any], t: TrustZone) -> Exposure:
    return evaluate_resource(
        ResourcePolicyState.from_dict(a),
        trusted_accounts=t.accounts,
        org_id=t.org_id,
        trusted_networks=t.networks,
    )


def _opensearch(a: Mapping[str, Any], t: TrustZone) -> Exposure:
    return evaluate_opensearch(
        OpenSearchDomainState.from_dict(a),
        trusted_accounts=t.accounts,
        org_id=t.org_id,
        trusted_networks=t.networks,
    )


def _function_url(a: Mapping[str, Any], t: TrustZone) -> Exposure:
    return evaluate_function_url(
        FunctionUrlState.from_dict(a),
        trusted_accounts=t.accounts,
        org_id=t.org_id,
        trusted_networks=t.networks,
    )


def _api(a: Mapping[str, Any], t: TrustZone) -> Exposure:
    return evaluate_api(
        ApiState.from_dict(a),
        trusted_accounts=t.accounts,
        org_id=t.org_id,
        trusted_networks=t.networks,
    )


def _database(a: Mapping[str, Any], t: TrustZone) -> Exposure:
    return evaluate_database(DatabaseState.from_dict(a))


def _instance(a: Mapping[str, Any], t: TrustZone) -> Exposure:
    return evaluate_instance(InstanceState.from_dict(a))


def _share(a: Mapping[str, Any], t: TrustZone) -> Exposure:
    return evaluate_share(
        SharedCopyState.from_dict(a), trusted_accounts=t.accounts, org_id=t.org_id
    )


RESOURCE_POLICY_KINDS: tuple[str, ...] = (
    "messaging.queue",
    "messaging.topic",
    "crypto.key",
    "secrets.secret",
    "registry.repository",
    "storage.filesystem",
    "compute.function",
    "storage.archive_vault",
    "backup.vault",
    "database.table",
)
DATABASE_KINDS: tuple[str, ...] = ("database.instance", "database.cluster", "warehouse.cluster")
SHARE_KINDS: tuple[str, ...] = (
    "snapshot.database",
    "snapshot.database_cluster",
    "snapshot.volume",
    "image.machine",
)

TRUSTED: Mapping[str, TrustedEvaluate] = {
    **dict.fromkeys(RESOURCE_POLICY_KINDS, _policy),
    **dict.fromkeys(DATABASE_KINDS, _database),
    **dict.fromkeys(SHARE_KINDS, _share),
    "search.domain": _opensearch,
    "compute.function_url": _function_url,
    "api.rest_api": _api,
    "compute.instance": _instance,
}
"""Canonical kind → evaluator taking the trust zone."""

_BAD_ATTRIBUTES = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def evaluate_kind(
    kind: str,
    attributes: Mapping[str, Any],
    trust: TrustZone = NO_TRUST,
    fallback: Mapping[str, Callable[[Mapping[str, Any]], Exposure]] | None = None,
) -> Exposure | None:
    """The exposure of ``attributes`` of ``kind``; ``None`` when no evaluator knows the kind.

    Attributes that do not fit their model give UNKNOWN with the reason (a collector bug must
    not end the scan, nor pass for private).
    """
    fn = TRUSTED.get(kind)
    try:
        if fn is not None:
            return fn(attributes, trust)
        if fallback is not None and kind in fallback:
            return fallback[kind](attributes)
    except _BAD_ATTRIBUTES as exc:
        return Exposure(
            Level.UNKNOWN,
            reasons=(
                f"unknown: the {kind} attributes could not be read ({type(exc).__name__}: {exc})",
            ),
            unknown_access=frozenset(Access),
        )
    return None
