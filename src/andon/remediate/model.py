"""The types the remediation modules share: actions, proposals, and the errors of planning.

An :class:`Action` is a small table row, not a class hierarchy: how to read the part of a
resource's configuration it changes (live, through :class:`~andon.collect.aws.transport.AwsClients`,
or from a stored snapshot), how to compute the fixed configuration from it (pure), and how to
write a configuration back. Writing the journaled prior configuration with the same function is
what rollback does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from andon.collect.aws.transport import AwsClients
from andon.core.errors import AndonError, CollectError
from andon.core.model import Finding, Resource

Config = dict[str, Any]
Target = Mapping[str, Any]
"""What an action works on: ``uid``, ``account``, ``region``, ``kind``, ``name`` and the
native identifiers its calls need (bucket name, queue URL, group id...)."""


class CannotPlan(AndonError):
    """No safe change closes this finding (unreadable configuration, nothing to remove...)."""


class Gone(Exception):
    """The resource does not exist (any more)."""


@dataclass(frozen=True)
class Proposal:
    """One change an action would make for a finding: the action, its target, its parameters
    (e.g. the access kinds or ports to close) and notes on what it could break."""

    action: str
    target: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    summary: str = ""


@dataclass(frozen=True)
class PlanContext:
    """What a proposer may look at besides the finding and its resource: the rules that are
    exempt on this resource (a bucket exempt for part of its findings serves something on
    purpose) and every stored resource (e.g. to warn what account BPA would cut)."""

    exempt_rules: frozenset[str] = frozenset()
    resources: Mapping[str, Resource] = field(default_factory=dict)
    exempt_uids: frozenset[str] = frozenset()


Offline = Callable[[Resource, Target], Config | None]
Read = Callable[[AwsClients, Target], Config]
Transform = Callable[[Config, Target, Mapping[str, Any]], Config]
Write = Callable[[AwsClients, Target, Config, Config], None]
Propose = Callable[[Finding, Resource, PlanContext], list[Proposal]]


@dataclass(frozen=True)
class Action:
    """A remediation action. ``read`` raises :class:`Gone` when the resource is gone;
    ``write(clients, target, current, desired)`` makes the live configuration ``desired``."""

    id: str
    title: str
    offline: Offline
    read: Read
    transform: Transform
    write: Write


def call(clients: AwsClients, target: Target, service: str, operation: str, **kw: Any) -> Any:
    """One API call in the target's region (its home region when the target has none)."""
    region = str(target.get("region") or "") or None
    if region in ("global", ""):
        region = None
    return clients.call(clients.client(service, region), operation, **kw)


def read_or_gone(
    clients: AwsClients,
    target: Target,
    service: str,
    operation: str,
    gone: frozenset[str],
    absent: frozenset[str] = frozenset(),
    **kw: Any,
) -> dict[str, Any] | None:
    """A read that raises :class:`Gone` on a "no such resource" code and returns None on a
    "not configured" code."""
    try:
        answer: dict[str, Any] = call(clients, target, service, operation, **kw)
        return answer
    except CollectError as exc:
        if exc.code in gone:
            raise Gone(str(target.get("uid"))) from exc
        if exc.code in absent:
            return None
        raise


def base_target(resource: Resource, **extra: Any) -> dict[str, Any]:
    """The common part of a target, plus the native identifiers in ``extra``."""
    return {
        "uid": resource.uid,
        "account": resource.account,
        "region": resource.region,
        "kind": resource.kind,
        "name": resource.name,
        **extra,
    }


class PlanRefused(AndonError):
    """A plan that must not be applied: tampered with, signed by another key, malformed, or
    (a stored plan) already applied."""
