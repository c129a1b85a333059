"""Incremental re-evaluation: re-collect the resources an event touched, evaluate them exactly
as a full scan does, and record a *targeted* scan in the sweep's own scope.

:func:`rescan` is what ``andon watch`` runs for each (coalesced) batch of events:

1. it keeps the references the sweep covers (its accounts, regions and services: a finding
   the sweep never produces would be resolved by the next sweep and reopened by the next
   event, an alert storm);
2. :func:`andon.collect.aws.targeted.recollect_each` re-reads them (one bucket = the S3
   collector's per-bucket path, not a listing);
3. the resources go through :func:`andon.scan.run_scan` with the sweep's evaluator (trust zone
   and the collectors' ``KINDS``), rules and exemption tag, into a scan started with
   ``targets`` = the references' uids plus every uid re-read (a security group's instances…).

The store then computes transitions for those resources only (see :mod:`andon.store.store`):
a public bucket opens, a fixed one resolves, a deleted one resolves, and every other finding of
the scope is untouched. A reference that could not be located (denied, throttled) is a gap on
that uid and left out of the targets, so its findings stay as they were; an endpoint that
dies makes the scan ``incomplete``, which resolves nothing.

The scope is the one :func:`andon.scan.scan_estate` gives the sweep, computed by
:func:`sweep_context` from the same :class:`~andon.collect.aws.scope.ScanConfig` (compute it
once and pass it to every :func:`rescan`), so targeted and full scans' transitions compose.

``meta`` is passed through to the scan; by convention ``meta["watch"]`` is
``{"trigger": "event", "changes": {uid: {"event_id", "event_name", "event_time",
"received_at", "actor", "source_ip"}}}`` (:func:`watch_meta` builds it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from andon.collect.aws.registry import (
    SERVICE_NAMES,
    Evaluate,
    Service,
    kind_table,
    select_services,
)
from andon.collect.aws.scope import ScanConfig
from andon.collect.aws.targeted import Failure, recollect_each
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.errors import CollectError, EndpointError
from andon.core.model import Exposure, Finding, Gap, Resource
from andon.exposure.dispatch import NO_TRUST, TrustZone
from andon.rules.base import Registry, Rule
from andon.scan import ScanOutcome, ScanStore, aws_scope, evaluate_resource, run_scan
from andon.store import ScanStatus, Store, Transition
from andon.watch.events import ChangeEvent
from andon.watch.refs import EXPANDING_KINDS, ResourceRef


@dataclass(frozen=True)
class SweepContext:
    """What a targeted scan must share with the sweep: scope key, trust zone, services."""

    scope: str
    trust: TrustZone = NO_TRUST
    services: tuple[str, ...] = SERVICE_NAMES
    accounts: frozenset[str] = frozenset()
    """Accounts the sweep reads (empty: any)."""
    regions: tuple[str, ...] = ()
    """Regions the sweep reads (empty: every region)."""
    kinds: Mapping[str, Evaluate] = field(default_factory=dict, compare=False)

    def covers(self, ref: ResourceRef) -> bool:
        """Whether the sweep reads this reference's account, region and service."""
        if self.accounts and ref.account not in self.accounts:
            return False
        if ref.service not in self.services:
            return False
        if ref.service == "s3" or ref.region == "global" or not self.regions:
            return True  # S3 filters buckets by their real region while collecting
        return ref.region in self.regions


def sweep_context(
    ctx: Context,
    clients: AwsClients,
    *,
    config: ScanConfig | None = None,
    services: Sequence[Service] | None = None,
    trust: TrustZone | None = None,
) -> SweepContext:
    """The scope, trust zone and services :func:`andon.scan.scan_estate` uses for ``config``
    (default: the credentials' own account, ``ctx.aws.regions``, every service).

    With ``config.org`` the scope is named after the organization (DescribeOrganization) and,
    unless ``trust`` is given, the trust zone is widened with its accounts (ListAccounts),
    as the sweep does; pass the sweep's own ``trust`` to skip those calls.
    """
    from andon.collect.aws.scope import list_organization

    config = config or ScanConfig(regions=ctx.aws.regions)
    regions = config.regions or tuple(ctx.aws.regions)
    chosen = list(services) if services is not None else select_services(config.services)
    names = [s.name for s in chosen]
    service_key = "all" if set(names) == set(SERVICE_NAMES) else ",".join(names)
    base = clients.account_id()
    zone = trust if trust is not None else config.trust
    accounts: frozenset[str] = frozenset()
    if config.org:
        org_id: str | None = None
        try:
            org_id, members = list_organization(clients)
        except CollectError:
            members = []
        if trust is None and config.trust_org and members:
            zone = zone.widened(frozenset(m.account_id for m in members), org_id)
        who = f"org-{org_id or base}"
    else:
        labels = [s.label for s in config.accounts] or [base]
        who = labels[0] if len(labels) == 1 else "+".join(sorted(labels))
        ids = {s.account_id for s in config.accounts if s.account_id}
        if len(ids) == len(labels):  # every account named by id: refuse the others
            accounts = frozenset(ids)
        elif not config.accounts:
            accounts = frozenset({base})
    return SweepContext(
        scope=aws_scope(who, regions, ctx.aws.endpoint_url, service_key),
        trust=zone,
        services=tuple(names),
        accounts=accounts,
        regions=tuple(regions),
        kinds=kind_table(chosen),
    )


def watch_meta(
    events: Iterable[tuple[ChangeEvent, datetime]],
) -> dict[str, Any]:
    """``meta["watch"]`` for a rescan of ``events`` (each with the time it was received): per
    resource uid, the latest event that touched it."""
    changes: dict[str, dict[str, Any]] = {}
    for event, received in sorted(events, key=lambda pair: pair[0].event_time):
        for ref in event.refs:
            changes[ref.uid] = {
                "event_id": event.event_id,
                "event_name": event.event_name,
                "event_time": event.event_time.isoformat(),
                "received_at": received.isoformat(),
                "actor": event.actor,
                "source_ip": event.source_ip,
            }
    return {"watch": {"trigger": "event", "changes": changes}}


class _TargetedStore:
    """A :class:`ScanStore` whose scans are targeted at ``targets``."""

    def __init__(self, store: ScanStore | Store, targets: Iterable[str]) -> None:
        self._store = store
        self._targets = sorted(set(targets))

    def start_scan(self, scope: str, meta: dict[str, Any] | None = None) -> str:
        start = self._store.start_scan
        return start(scope, meta, targets=self._targets)  # type: ignore[call-arg]

    def add_resources(self, scan_id: str, items: Iterable[tuple[Resource, Exposure | None]]) -> int:
        return self._store.add_resources(scan_id, items)

    def add_findings(self, scan_id: str, findings: Iterable[Finding]) -> int:
        return self._store.add_findings(scan_id, findings)

    def finish_scan(
        self,
        scan_id: str,
        status: ScanStatus | str,
        gaps: Any = (),
        error: str = "",
        meta: Any = None,
    ) -> list[Transition]:
        return self._store.finish_scan(scan_id, status, gaps, error, meta)


def _by_account(
    clients: AwsClients,
    refs: Sequence[ResourceRef],
    clients_for: Callable[[str], AwsClients] | None,
    failures: list[Failure],
) -> Iterator[tuple[AwsClients, list[ResourceRef]]]:
    """``refs`` grouped by the clients that can read them (the own account's first)."""
    own = clients.account_id()
    groups: dict[str, list[ResourceRef]] = {}
    for ref in refs:
        groups.setdefault(ref.account or own, []).append(ref)
    for account in sorted(groups, key=lambda a: a != own):
        if account == own or clients_for is None:
            yield clients, groups[account]  # another account's refs fail there, one by one
            continue
        try:
            other = clients_for(account)
        except EndpointError:
            raise
        except CollectError as exc:  # e.g. the role cannot be assumed
            failures.extend((ref, exc) for ref in groups[account])
            continue
        yield other, groups[account]


def _replay(items: list[Resource], error: EndpointError | None) -> Iterator[Resource]:
    yield from items
    if error is not None:
        raise error


def rescan(
    ctx: Context,
    store: Store | ScanStore,
    clients: AwsClients,
    refs: Sequence[ResourceRef],
    *,
    rules: list[Rule] | Registry,
    meta: Mapping[str, Any],
    sweep: SweepContext | None = None,
    clients_for: Callable[[str], AwsClients] | None = None,
) -> ScanOutcome:
    """Re-collect ``refs``, evaluate them as a full scan does and record a targeted scan in
    the sweep's scope (``sweep``: :func:`sweep_context`, computed here when not given).

    ``clients`` read the references of their own account; ``clients_for(account)`` gives the
    clients of any other account of the sweep (an organization: the role the sweep assumes).
    Without it, another account's reference is a gap and its findings stay as they are.
    ``store`` is a :class:`Store` or any wrapper whose ``start_scan`` takes ``targets=``.
    The outcome's ``transitions`` concern the re-collected resources only. When no
    reference is in the sweep's scope, nothing is read or recorded (``scan_id`` is ``None``).
    """
    sweep = sweep or sweep_context(ctx, clients)
    wanted = [r for r in dict.fromkeys(refs) if sweep.covers(r)]
    if not wanted:  # nothing the sweep reads: no scan to record
        now = datetime.now(UTC)
        return ScanOutcome(sweep.scope, ScanStatus.COMPLETE, started_at=now, finished_at=now)
    failures: list[Failure] = []
    collected: list[Resource] = []
    died: EndpointError | None = None
    try:
        for group, group_refs in _by_account(clients, wanted, clients_for, failures):
            for resource in recollect_each(ctx, group, group_refs, failures):
                if not sweep.kinds or resource.kind in sweep.kinds:
                    collected.append(resource)
    except EndpointError as exc:
        died = exc
    failed = {ref.uid for ref, _ in failures}
    targets = {r.uid for r in wanted if r.kind not in EXPANDING_KINDS and r.uid not in failed}
    targets |= {r.uid for r in collected}
    gaps = [
        Gap(
            service=exc.service or ref.service,
            operation=exc.operation,
            reason=f"could not re-read {ref.uid}: {exc}",
            code=exc.code,
            resource_uid=ref.uid,
            region=ref.region,
        )
        for ref, exc in failures
    ]

    def evaluator(resource: Resource) -> Exposure:
        return evaluate_resource(resource, trust=sweep.trust, kinds=sweep.kinds)

    def after(outcome: ScanOutcome) -> None:
        outcome.gaps.extend(gaps)

    enrich = None
    if ctx.classify is not None:  # the sweep re-rates severities by content: so must we
        from andon.classify.integrate import ExposedDataClassifier

        enrich = ExposedDataClassifier.for_scan(ctx, clients)
    return run_scan(
        _replay(collected, died),
        scope=sweep.scope,
        rules=rules,
        store=_TargetedStore(store, targets),
        exemption_tag=ctx.exemption_tag,
        meta=dict(meta),
        enrich=enrich,
        evaluator=evaluator,
        after_collect=after,
    )
