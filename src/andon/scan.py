"""The scan pipeline: collect → normalize → exposure → rules → store.

One code path serves a real AWS account and the demo's emulated cloud: only the
:class:`andon.core.Context` (credentials, endpoint) differs. Resources stream through: each is
evaluated and its findings computed as it arrives; resources and findings reach the store in
batches (every :data:`STORE_BATCH` resources or :data:`STORE_FLUSH_SECONDS`, whichever comes
first, one transaction each), so memory stays flat, the store costs one commit per batch instead
of one per bucket, and a scan that dies mid-way keeps what it collected (the pending batch is
written before the scan is stored as incomplete).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from andon import __version__
from andon.core.errors import AndonError, CollectError, StoreError
from andon.core.model import Exposure, Finding, Gap, Level, Resource, Status
from andon.exposure.dispatch import NO_TRUST, TrustZone, evaluate_kind
from andon.exposure.s3 import evaluate_bucket
from andon.exposure.s3_model import Bpa, S3BucketState
from andon.report.render import coverage_counts
from andon.rules.base import Exempter, Registry, Rule, evaluate
from andon.store.records import ScanStatus, Transition

if TYPE_CHECKING:
    from andon.collect.aws.estate import EstateLimits, EstateProgress
    from andon.collect.aws.registry import Service
    from andon.collect.aws.scope import Instrument, ScanConfig


class ScanStore(Protocol):
    """What the pipeline needs from a store (:class:`andon.store.Store` provides it)."""

    def start_scan(self, scope: str, meta: dict[str, Any] | None = None) -> str: ...

    def add_resources(
        self, scan_id: str, items: Iterable[tuple[Resource, Exposure | None]]
    ) -> int: ...

    def add_findings(self, scan_id: str, findings: Iterable[Finding]) -> int: ...

    def finish_scan(
        self,
        scan_id: str,
        status: ScanStatus | str,
        gaps: Any = (),
        error: str = "",
        meta: Any = None,
    ) -> list[Transition]: ...


def evaluate_resource(
    resource: Resource,
    *,
    trust: TrustZone = NO_TRUST,
    kinds: Mapping[str, Callable[[Mapping[str, Any]], Exposure]] | None = None,
) -> Exposure:
    """The exposure of one normalized resource (dispatch on its canonical kind).

    S3 kinds first; then every canonical kind of the AWS collectors, evaluated with the
    ``trust`` zone (trusted accounts, organization, networks: what CROSS_ACCOUNT is measured
    against, see :mod:`andon.exposure.dispatch`); then ``kinds``, the collectors' own
    ``KINDS`` evaluators (:func:`andon.collect.aws.registry.kind_table`), for any other kind.
    A kind nobody evaluates is UNKNOWN.
    """
    if resource.kind == "storage.bucket":
        return evaluate_bucket(S3BucketState.from_dict(resource.attributes))
    if resource.kind == "account.settings":
        return account_settings_exposure(resource.attributes)
    exposure = evaluate_kind(resource.kind, resource.attributes, trust, kinds)
    if exposure is not None:
        return exposure
    return Exposure(
        Level.UNKNOWN, reasons=(f"Andon cannot evaluate resources of kind {resource.kind}",)
    )


def account_settings_exposure(attributes: Mapping[str, Any]) -> Exposure:
    """The account-level S3 Block Public Access settings (kind ``account.settings``)."""
    raw = attributes.get("public_access_block")
    if isinstance(raw, dict) and set(raw) == {"unknown"}:
        return Exposure(
            Level.UNKNOWN,
            reasons=(f"account Block Public Access could not be read ({raw['unknown']})",),
        )
    bpa = Bpa.from_dict(raw) if isinstance(raw, dict) else Bpa()
    on = [k for k, v in bpa.to_dict().items() if v]
    off = [k for k, v in bpa.to_dict().items() if not v]
    reasons = []
    if raw is None:
        reasons.append("the account has no Block Public Access configuration: every setting is off")
    if on:
        reasons.append(f"on at the account level: {', '.join(on)}")
    if off:
        reasons.append(f"off at the account level: {', '.join(off)}")
    return Exposure(Level.PRIVATE, reasons=tuple(reasons))


@dataclass
class ScanOutcome:
    """What a scan found, and how far it got."""

    scope: str
    status: ScanStatus
    scan_id: str | None = None
    findings: list[Finding] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    resources: int = 0
    error: str = ""
    transitions: list[Transition] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    levels: dict[str, int] = field(default_factory=dict)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    """One entry per (account, region, service) cell: account, region, service, status
    (complete / partial / failed), reason, resources. Empty for a plain S3 scan."""

    @property
    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.OPEN]

    def exit_code(self) -> int:
        """0 nothing exposed; 1 exposure found; 2 incomplete (gaps, errors or UNKNOWN verdicts).

        Exposure wins: a scan that found an open exposure exits 1 even when it also has gaps,
        because what it found is certain. The JSON output carries the gaps either way.
        """
        if self.open_findings:
            return 1
        if self.status is not ScanStatus.COMPLETE or self.gaps or self.levels.get("UNKNOWN"):
            return 2
        return 0


Progress = Callable[[Resource, Exposure], None]
Evaluate = Callable[[Resource], Exposure]
AfterCollect = Callable[["ScanOutcome"], None]
"""Called once collection has ended (normally or not), before the scan is stored: adds what
only the collector knows (coverage, scope gaps, an error) to the outcome."""
Enrich = Callable[[list[Finding]], list[Finding]]
"""Called once after collection with every finding; returns the list with some replaced
(``andon scan --classify`` adds what exposed buckets hold and re-rates severities)."""

STORE_BATCH = 100
"""Resources written to the store per transaction during a scan."""
STORE_FLUSH_SECONDS = 2.0
"""A pending batch older than this is written when the next resource arrives."""


class _BatchWriter:
    """Resources and findings of one running scan, written to the store a batch at a time."""

    def __init__(self, store: ScanStore, scan_id: str) -> None:
        self._store = store
        self._scan_id = scan_id
        self._resources: list[tuple[Resource, Exposure | None]] = []
        self._findings: list[Finding] = []
        self._since = time.monotonic()

    def add(self, resource: Resource, exposure: Exposure, findings: list[Finding]) -> None:
        self._resources.append((resource, exposure))
        self._findings.extend(findings)
        if (
            len(self._resources) >= STORE_BATCH
            or time.monotonic() - self._since >= STORE_FLUSH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        """Write what is pending (resources first: findings refer to them). A batch that fails
        is dropped, not retried: the store is broken and the scan fails."""
        resources, self._resources = self._resources, []
        findings, self._findings = self._findings, []
        self._since = time.monotonic()
        if resources:
            self._store.add_resources(self._scan_id, resources)
        if findings:
            self._store.add_findings(self._scan_id, findings)


def run_scan(
    resources: Iterator[Resource],
    *,
    scope: str,
    rules: list[Rule] | Registry,
    store: ScanStore | None = None,
    exemption_tag: str = "andon:public",
    meta: dict[str, Any] | None = None,
    on_resource: Progress | None = None,
    enrich: Enrich | None = None,
    evaluator: Evaluate = evaluate_resource,
    after_collect: AfterCollect | None = None,
    exempter: Exempter | None = None,
) -> ScanOutcome:
    """Drive ``resources`` through exposure and rules, streaming into ``store`` if given.

    ``evaluator`` gives each resource's exposure (default :func:`evaluate_resource` with no
    trusted accounts); ``after_collect`` runs once the iterator has ended, before the scan
    is stored (see :data:`AfterCollect`).

    ``enrich`` runs once every resource is in; the findings it replaces are written again
    (the store keeps a finding's last version within a scan) before the scan is finished.

    A :class:`CollectError` (e.g. the endpoint died) ends the scan early: everything already
    collected is kept and the scan is stored as ``incomplete`` with the error as a gap.
    A store failure mid-scan is raised after the outcome is marked failed.
    """
    selected = rules.all() if isinstance(rules, Registry) else list(rules)
    if exempter is None:
        exempter = default_exempter(store, exemption_tag)
    outcome = ScanOutcome(scope=scope, status=ScanStatus.RUNNING)
    meta = {"andon_version": __version__, **(meta or {})}
    writer: _BatchWriter | None = None
    if store is not None:
        outcome.scan_id = store.start_scan(scope, meta)
        writer = _BatchWriter(store, outcome.scan_id)
    try:
        for resource in resources:
            exposure = evaluator(resource)
            findings = evaluate(
                selected, resource, exposure, exemption_tag=exemption_tag, exempter=exempter
            )
            outcome.resources += 1
            outcome.levels[exposure.level.value] = outcome.levels.get(exposure.level.value, 0) + 1
            outcome.gaps.extend(resource.gaps)
            outcome.findings.extend(findings)
            if writer is not None:
                writer.add(resource, exposure, findings)
            if on_resource is not None:
                on_resource(resource, exposure)
        if writer is not None:
            writer.flush()
        if enrich is not None:
            before = outcome.findings
            outcome.findings = enrich(before)
            changed = [f for f, old in zip(outcome.findings, before, strict=True) if f is not old]
            if store is not None and outcome.scan_id is not None and changed:
                store.add_findings(outcome.scan_id, changed)
        outcome.status = ScanStatus.COMPLETE
    except CollectError as exc:
        outcome.status = ScanStatus.INCOMPLETE
        outcome.error = str(exc)
        outcome.gaps.append(
            Gap(
                service=exc.service or "scan",
                operation=exc.operation,
                code=exc.code,
                reason=str(exc),
            )
        )
    except StoreError:
        outcome.status = ScanStatus.FAILED
        raise
    except AndonError as exc:
        outcome.status = ScanStatus.FAILED
        outcome.error = str(exc)
        outcome.gaps.append(Gap(service="scan", operation="", reason=str(exc)))
    finally:
        if after_collect is not None:
            after_collect(outcome)
        outcome.finished_at = datetime.now(UTC)
        late_error: StoreError | None = None
        if writer is not None:
            try:
                writer.flush()  # an early end keeps everything collected before it
            except StoreError as exc:
                if outcome.status is not ScanStatus.RUNNING:  # not while an interrupt unwinds
                    outcome.status = ScanStatus.FAILED
                    late_error = exc
        if outcome.status is ScanStatus.COMPLETE and _scope_gaps(outcome.gaps):
            outcome.status = ScanStatus.INCOMPLETE
        if (
            store is not None
            and outcome.scan_id is not None
            and outcome.status is not ScanStatus.RUNNING
        ):
            outcome.transitions = store.finish_scan(
                outcome.scan_id,
                outcome.status,
                outcome.gaps,
                outcome.error,
                {
                    "resources": outcome.resources,
                    "findings": len(outcome.findings),
                    "levels": outcome.levels,
                    **({"coverage": coverage_counts(outcome.coverage)} if outcome.coverage else {}),
                },
            )
        elif store is not None and outcome.scan_id is not None:
            # Interrupted (KeyboardInterrupt and the like): never leave a clean-looking scan.
            store.finish_scan(outcome.scan_id, ScanStatus.INCOMPLETE, outcome.gaps, "interrupted")
            outcome.status = ScanStatus.INCOMPLETE
        if late_error is not None:
            raise late_error
    return outcome


def default_exempter(
    store: ScanStore | None, exemption_tag: str, config: Sequence[Any] = ()
) -> Exempter:
    """Exemptions of a scan: the tag (with its owner and expiry tags) and, when the scan is
    stored in an :class:`andon.store.Store` (or a wrapper holding it as ``_store``, such as the
    watch core's targeted store), the exemptions recorded there (read once, now).
    An expired exemption exempts nothing (see :mod:`andon.remediate.exemptions`)."""
    from andon.remediate.exemptions import Exempter as Exemptions
    from andon.store import Store

    inner = store if isinstance(store, Store) else getattr(store, "_store", None)  # wrappers
    return Exemptions.from_store(
        inner if isinstance(inner, Store) else None, reason_tag=exemption_tag, config=config
    ).reason


def _scope_gaps(gaps: list[Gap]) -> bool:
    """Gaps that mean part of the *scope* went unread (not one field of one resource)."""
    return any(not g.resource_uid for g in gaps)


def aws_scope(
    account: str, regions: tuple[str, ...], endpoint_url: str | None, services: str = "s3"
) -> str:
    """The key under which consecutive scans of the same target are compared.

    ``services`` is ``s3`` for the S3 scan, ``all`` for every service, else the names joined
    by commas: scans of different service sets never resolve each other's findings.
    """
    where = ",".join(sorted(regions)) if regions else "all-regions"
    scope = f"aws:{account}:{services}:{where}"
    if endpoint_url:
        from urllib.parse import urlsplit

        host = urlsplit(endpoint_url).hostname or endpoint_url
        scope += f"@{host}"
    return scope


def scan_aws(
    ctx: Any,
    *,
    rules: list[Rule] | Registry,
    store: ScanStore | None = None,
    on_resource: Progress | None = None,
) -> ScanOutcome:
    """Audit one AWS account (or S3-compatible endpoint) through the standard credential chain."""
    from andon.collect.aws.s3 import collect_s3
    from andon.collect.aws.transport import AwsClients

    clients = AwsClients(ctx.aws, ctx.limits)
    try:
        try:
            account = clients.account_id()
        except CollectError as exc:
            return ScanOutcome(
                scope="aws:unknown",
                status=ScanStatus.FAILED,
                error=str(exc),
                gaps=[
                    Gap(
                        service=exc.service or "sts",
                        operation=exc.operation,
                        code=exc.code,
                        reason=str(exc),
                    )
                ],
                finished_at=datetime.now(UTC),
            )
        scope = aws_scope(account, ctx.aws.regions, ctx.aws.endpoint_url)
        enrich = None
        if ctx.classify is not None:  # reads object content: only when asked
            from andon.classify.integrate import ExposedDataClassifier

            enrich = ExposedDataClassifier.for_scan(ctx, clients)
        meta = {
            "account": account,
            "regions": list(ctx.aws.regions),
            "endpoint_url": ctx.aws.endpoint_url or "",
            "profile": ctx.aws.profile or "",
        }
        return run_scan(
            collect_s3(ctx, clients),
            scope=scope,
            rules=rules,
            store=store,
            exemption_tag=ctx.exemption_tag,
            meta=meta,
            on_resource=on_resource,
            enrich=enrich,
        )
    finally:
        clients.close()


def scan_estate(
    ctx: Any,
    *,
    rules: list[Rule] | Registry,
    store: ScanStore | None = None,
    on_resource: Progress | None = None,
    config: ScanConfig | None = None,
    services: Sequence[Service] | None = None,
    limits: EstateLimits | None = None,
    progress: EstateProgress | None = None,
    instrument: Instrument | None = None,
    exemptions: Sequence[Any] = (),
) -> ScanOutcome:
    """Audit every selected service in every (account, region) of the scope.

    ``config`` (:class:`andon.collect.aws.scope.ScanConfig`: accounts, ``--org``, role name,
    external id, regions, trust zone) defaults to the starting credentials' account with
    ``ctx.aws.regions``; ``services`` defaults to every service (``config.services`` when
    given). ``instrument`` sees every boto3 session before it makes a call. ``exemptions``
    (:class:`andon.remediate.exemptions.Exemption`, e.g. the config file's) add to the tag
    and the store's. The outcome's
    ``coverage`` lists every cell; cells that could not be read are scope gaps, so such a
    scan is ``incomplete`` and never exits 0.
    """
    from andon.collect.aws.estate import ALL, Cell, CellStatus, Estate, GatedClients
    from andon.collect.aws.registry import SERVICE_NAMES, kind_table, select_services
    from andon.collect.aws.scope import (
        AccountSpec,
        ScanConfig,
        list_organization,
        open_account,
    )

    config = config or ScanConfig(regions=ctx.aws.regions)
    regions = config.regions or tuple(ctx.aws.regions)
    chosen = list(services) if services is not None else select_services(config.services)
    base = GatedClients(ctx.aws, ctx.limits)
    if instrument is not None:
        instrument(base.session)
    estate: Estate | None = None
    try:
        needs_base = (
            config.org or not config.accounts or any(not a.profile for a in config.accounts)
        )
        base_id = ""
        try:
            base_id = base.account_id()
        except CollectError as exc:
            if needs_base:
                return _failed_outcome(exc)
        trust = config.trust
        specs: list[AccountSpec] = []
        decided: list[Cell] = []
        org_id: str | None = None
        if config.org:
            try:
                org_id, members = list_organization(base)
            except CollectError as exc:
                decided.append(
                    Cell(
                        base_id,
                        ALL,
                        "organizations",
                        CellStatus.FAILED,
                        f"cannot list the organization's accounts ({exc}); scanned only "
                        "the starting account",
                        operation=exc.operation,
                        code=exc.code,
                    )
                )
                specs.append(AccountSpec(base_id))
            else:
                for m in members:
                    if m.account_id in config.org_exclude:
                        continue
                    if m.status != "ACTIVE":
                        decided.append(
                            Cell(
                                m.account_id,
                                ALL,
                                ALL,
                                CellStatus.FAILED,
                                f"account status {m.status}: not scanned",
                                operation="ListAccounts",
                                code=m.status,
                            )
                        )
                    elif m.account_id == base_id:
                        specs.append(AccountSpec(base_id, name=m.name))
                    else:
                        specs.append(
                            AccountSpec(
                                m.account_id,
                                role_name=config.role_name,
                                external_id=config.external_id,
                                name=m.name,
                            )
                        )
                if config.trust_org:
                    trust = trust.widened(frozenset(m.account_id for m in members), org_id)
        for spec in config.accounts:
            own = not spec.account_id or spec.account_id == base_id
            if not (own or spec.profile or spec.role_arn or spec.role_name):
                spec = replace(spec, role_name=config.role_name)
            if spec.external_id is None and config.external_id:
                spec = replace(spec, external_id=config.external_id)
            specs.append(spec)
        if not specs:
            specs.append(AccountSpec(base_id))

        def opener(spec: AccountSpec) -> Any:
            if spec.account_id == base_id and not (spec.profile or spec.role_arn):
                return base
            return open_account(ctx, base, spec, instrument=instrument, factory=GatedClients)

        names = [s.name for s in chosen]
        service_key = "all" if set(names) == set(SERVICE_NAMES) else ",".join(names)
        if config.org:
            who = f"org-{org_id or base_id}"
        elif len(specs) == 1:
            who = specs[0].label
        else:
            who = "+".join(sorted(s.label for s in specs))
        scope = aws_scope(who, regions, ctx.aws.endpoint_url, service_key)
        estate = Estate(
            ctx, specs, chosen, opener, regions=regions, limits=limits, progress=progress
        )
        estate.coverage.extend(decided)
        kinds = kind_table(chosen)

        def evaluator(resource: Resource) -> Exposure:
            return evaluate_resource(resource, trust=trust, kinds=kinds)

        def after(outcome: ScanOutcome) -> None:
            assert estate is not None
            outcome.coverage = [c.to_dict() for c in estate.coverage]
            outcome.gaps.extend(estate.gaps())
            if estate.dead is not None and not outcome.error:
                outcome.error = f"the endpoint stopped answering: {estate.dead}"

        enrich = None
        if ctx.classify is not None:  # reads object content: only when asked
            enrich = _estate_classifier(ctx, estate)
        meta = {
            "accounts": [s.label for s in specs],
            "organization": org_id or "",
            "regions": list(regions),
            "services": names,
            "trust": trust.to_dict(),
            "endpoint_url": ctx.aws.endpoint_url or "",
            "profile": ctx.aws.profile or "",
        }
        return run_scan(
            estate.resources(),
            scope=scope,
            rules=rules,
            store=store,
            exemption_tag=ctx.exemption_tag,
            meta=meta,
            on_resource=on_resource,
            enrich=enrich,
            evaluator=evaluator,
            after_collect=after,
            exempter=default_exempter(store, ctx.exemption_tag, exemptions),
        )
    finally:
        if estate is not None:
            estate.close()
        base.close()


def _failed_outcome(exc: CollectError) -> ScanOutcome:
    """A scan that could not even tell whose credentials it holds."""
    cell = {
        "account": "unknown",
        "region": "*",
        "service": "*",
        "status": "failed",
        "reason": f"cannot tell which account the credentials belong to: {exc}",
        "resources": 0,
    }
    return ScanOutcome(
        coverage=[cell],
        scope="aws:unknown",
        status=ScanStatus.FAILED,
        error=str(exc),
        gaps=[
            Gap(
                service=exc.service or "sts",
                operation=exc.operation,
                code=exc.code,
                reason=str(exc),
            )
        ],
        finished_at=datetime.now(UTC),
    )


def _estate_classifier(ctx: Any, estate: Any) -> Enrich:
    """``--classify`` over many accounts: each exposed bucket is read with its own account's
    clients; the byte budget is shared by the whole scan."""
    from dataclasses import replace as _replace

    from andon.classify.integrate import ExposedDataClassifier

    def enrich(findings: list[Finding]) -> list[Finding]:
        out = list(findings)
        spent = 0
        for account, clients in estate.clients.items():
            idx = [i for i, f in enumerate(findings) if f.resource.get("account") == account]
            if not idx:
                continue
            settings = _replace(ctx.classify, total_bytes=max(0, ctx.classify.total_bytes - spent))
            classifier = ExposedDataClassifier.for_scan(_replace(ctx, classify=settings), clients)
            done = classifier([findings[i] for i in idx])
            spent += classifier.spent
            for i, f in zip(idx, done, strict=True):
                out[i] = f
        return out

    return enrich
