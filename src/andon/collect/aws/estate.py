"""The estate orchestrator: every (account, region, service) cell, collected and accounted for.

:class:`Estate` runs each selected collector in each cell and streams the resources out as
they come, with bounded concurrency at every level:

* at most :attr:`EstateLimits.accounts` accounts are open at once (an account is opened -
  role assumed, identity and regions read - when its turn comes, and its clients are closed
  when its last cell ends);
* within an account, at most :attr:`EstateLimits.per_account` cells run at once, at most
  :attr:`EstateLimits.per_region` in one region and :attr:`EstateLimits.per_service` of one
  service (API rate limits are per account, region and service);
* within an account, at most ``ctx.limits.concurrency`` API calls are in flight, whichever
  cells make them (:class:`GatedClients`);
* resources wait in a bounded queue: a slow consumer (the store) holds the collectors back,
  so memory stays flat whatever the size of the estate.

Each cell ends with a status and a reason (:class:`Cell`):

``complete``
    the listing and every detail call succeeded (or the service is not offered there);
``partial``
    some resources have unreadable parts (their gaps say which), or the collector stopped
    after yielding some resources;
``failed``
    nothing could be listed: the role could not be assumed, the region is disabled or
    denied, the listing was denied or throttled, the endpoint is unreachable, or the
    collector crashed. The rest of the scan goes on.

Against a custom endpoint (an emulator), an :class:`EndpointError` means the one endpoint is
gone: the cells not yet started are recorded as failed without being tried.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import boto3

from andon.collect.aws.registry import GLOBAL_REGION, Service
from andon.collect.aws.scope import AccountSpec, offered_regions, plan_regions
from andon.collect.aws.transport import AwsClients
from andon.core.context import AwsTarget, Context, Limits
from andon.core.errors import CollectError, EndpointError
from andon.core.model import Gap, Resource

ALL = "*"
"""Region or service of a cell standing for all of them (an unreachable account)."""


class CellStatus(StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"
    FAILED = "failed"


@dataclass(frozen=True)
class Cell:
    """How one (account, region, service) cell ended."""

    account: str
    region: str
    service: str
    status: CellStatus
    reason: str = ""
    resources: int = 0
    operation: str = ""
    code: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "service": self.service,
            "status": self.status.value,
            "reason": self.reason,
            "resources": self.resources,
        }

    def gap(self) -> Gap | None:
        """The scope gap of a cell whose listing failed or stopped (``None`` otherwise: a
        partial cell's unreadable parts are already gaps on its resources)."""
        if self.status is CellStatus.COMPLETE or (
            self.status is CellStatus.PARTIAL and not self.operation and not self.code
        ):
            return None
        return Gap(
            service=self.service,
            operation=self.operation,
            code=self.code,
            reason=f"account {self.account}, region {self.region}: {self.reason}",
            region=self.region,
        )


@dataclass(frozen=True)
class EstateLimits:
    """Concurrency bounds above the collectors' own (``Limits.concurrency``)."""

    accounts: int = 4
    per_account: int = 8
    per_region: int = 4
    per_service: int = 4


class EstateProgress(Protocol):
    """What the orchestrator reports as it goes (a progress display implements it)."""

    def account_opened(self, account: str, cells: int) -> None: ...

    def cell_started(self, account: str, region: str, service: str) -> None: ...

    def cell_finished(self, cell: Cell) -> None: ...


class GatedClients(AwsClients):
    """:class:`AwsClients` whose calls wait for a slot of a gate shared by one account."""

    def __init__(
        self,
        target: AwsTarget,
        limits: Limits,
        *,
        session: boto3.Session | None = None,
        gate: threading.BoundedSemaphore | None = None,
    ) -> None:
        super().__init__(target, limits, session=session)
        self.gate = gate or threading.BoundedSemaphore(max(1, limits.concurrency))

    def call(self, client: Any, operation: str, **kwargs: Any) -> dict[str, Any]:
        with self.gate:
            return super().call(client, operation, **kwargs)


Opener = Callable[[AccountSpec], AwsClients]
"""Opens one account (assumes its role); raises CollectError when it cannot."""


class _Aborted(Exception):
    """The consumer went away: a worker stops."""


@dataclass
class _Account:
    spec: AccountSpec
    account_id: str
    clients: AwsClients
    cells: deque[tuple[str, Service]] = field(default_factory=deque)
    left: Counter[str] = field(default_factory=Counter)  # cells not yet finished, per region
    running: int = 0
    by_region: Counter[str] = field(default_factory=Counter)
    by_service: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Opened:
    spec: AccountSpec
    account: _Account | None
    cells: tuple[Cell, ...]  # cells already decided (refused regions, unreachable account)


@dataclass(frozen=True)
class _Done:
    account: _Account
    region: str
    service: Service
    resources: int
    gapped: int
    first_gap: str
    error: BaseException | None


class Estate:
    """One scan of many accounts: iterate :meth:`resources`, then read :attr:`coverage`.

    ``specs``: the accounts, in order; ``opener`` reaches one; ``regions``: the requested
    regions (empty: every enabled region of each account); ``services``: the collectors.
    """

    def __init__(
        self,
        ctx: Context,
        specs: list[AccountSpec],
        services: list[Service],
        opener: Opener,
        *,
        regions: tuple[str, ...] = (),
        limits: EstateLimits | None = None,
        progress: EstateProgress | None = None,
    ) -> None:
        self.ctx = ctx
        self.specs = specs
        self.services = services
        self.opener = opener
        self.regions = regions
        self.limits = limits or EstateLimits()
        self.progress = progress
        self.coverage: list[Cell] = []
        self.accounts: list[str] = []
        self.dead: EndpointError | None = None
        width = max(1, self.limits.accounts) * max(1, self.limits.per_account)
        self._width = width
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2 * width)
        self._abort = threading.Event()
        self._offered: dict[tuple[str, str], frozenset[str]] = {}
        self.clients: dict[str, AwsClients] = {}
        """Account → its clients, kept after its cells end only when ``--classify`` will
        read exposed buckets (a session per account costs memory: dropped otherwise)."""
        self._keep = ctx.classify is not None

    # -- the stream ----------------------------------------------------------------------

    def resources(self) -> Iterator[Resource]:
        """Every resource of every cell, as it arrives. Never raises a CollectError: a cell
        that fails is recorded in :attr:`coverage`."""
        pending = deque(self.specs)
        active: list[_Account] = []
        seen: set[str] = set()
        opening = 0
        running = 0
        pool = ThreadPoolExecutor(
            max_workers=self._width + max(1, self.limits.accounts),
            thread_name_prefix="andon-estate",
        )
        try:
            while True:
                while pending and opening + len(active) < max(1, self.limits.accounts):
                    spec = pending.popleft()
                    if self.dead is not None:
                        self._record(self._not_tried(spec.label, ALL, ALL))
                        continue
                    opening += 1
                    pool.submit(self._open, spec)
                running += self._dispatch(pool, active, running)
                if not opening and not running:
                    if pending:
                        continue
                    break
                kind, payload = self._events.get()
                if kind == "resource":
                    yield payload
                elif kind == "opened":
                    opening -= 1
                    self._opened(payload, active, seen)
                elif kind == "done":
                    running -= 1
                    self._finished(payload, active)
        finally:
            self._abort.set()
            pool.shutdown(wait=False, cancel_futures=True)
            for account in active:
                account.clients.close()

    def close(self) -> None:
        """Close the clients kept for ``--classify``."""
        for clients in self.clients.values():
            clients.close()

    def gaps(self) -> list[Gap]:
        """The scope gaps: one per cell whose listing failed or stopped."""
        return [g for c in self.coverage if (g := c.gap()) is not None]

    # -- scheduling (consumer thread only) -----------------------------------------------

    def _dispatch(self, pool: ThreadPoolExecutor, active: list[_Account], running: int) -> int:
        """Start every cell the limits allow; returns how many were started."""
        started = 0
        lim = self.limits
        for account in list(active):
            if self.dead is not None:
                while account.cells:
                    region, service = account.cells.popleft()
                    self._record(self._not_tried(account.account_id, region, service.name))
            cells = account.cells
            while (
                cells
                and account.running < max(1, lim.per_account)
                and running + started < self._width
            ):
                pick = next(
                    (
                        i
                        for i, (region, service) in enumerate(cells)
                        if account.by_region[region] < max(1, lim.per_region)
                        and account.by_service[service.name] < max(1, lim.per_service)
                    ),
                    None,
                )
                if pick is None:
                    break
                region, service = cells[pick]
                del cells[pick]
                account.running += 1
                account.by_region[region] += 1
                account.by_service[service.name] += 1
                started += 1
                if self.progress is not None:
                    self.progress.cell_started(account.account_id, region, service.name)
                pool.submit(self._cell, account, region, service)
            if not account.cells and not account.running:
                active.remove(account)
                account.clients.close()
        return started

    def _opened(self, opened: _Opened, active: list[_Account], seen: set[str]) -> None:
        for cell in opened.cells:
            self._record(cell)
        account = opened.account
        if account is None:
            return
        if account.account_id in seen:  # listed twice (a profile and an org entry...)
            account.clients.close()
            return
        seen.add(account.account_id)
        self.accounts.append(account.account_id)
        if self._keep:
            self.clients[account.account_id] = account.clients
        if self.progress is not None:
            self.progress.account_opened(account.account_id, len(account.cells))
        active.append(account)

    def _finished(self, done: _Done, active: list[_Account]) -> None:
        account = done.account
        account.running -= 1
        account.by_region[done.region] -= 1
        account.by_service[done.service.name] -= 1
        account.left[done.region] -= 1
        if not account.left[done.region] and done.region != GLOBAL_REGION:
            account.clients.release(done.region)  # memory stays flat over many regions
        cell = self._cell_result(done)
        self._record(cell)
        error = done.error
        if isinstance(error, EndpointError) and self.ctx.aws.endpoint_url:
            self.dead = self.dead or error

    def _record(self, cell: Cell) -> None:
        self.coverage.append(cell)
        if self.progress is not None:
            self.progress.cell_finished(cell)

    def _not_tried(self, account: str, region: str, service: str) -> Cell:
        return Cell(
            account,
            region,
            service,
            CellStatus.FAILED,
            f"not read: the endpoint stopped answering ({self.dead})",
            operation=self.dead.operation if self.dead else "",
            code=self.dead.code if self.dead else "",
        )

    def _cell_result(self, done: _Done) -> Cell:
        a, region, name = done.account.account_id, done.region, done.service.name
        error = done.error
        if error is None:
            if not done.gapped:
                return Cell(a, region, name, CellStatus.COMPLETE, resources=done.resources)
            return Cell(
                a,
                region,
                name,
                CellStatus.PARTIAL,
                f"{done.gapped} of {done.resources} resources partly unreadable, e.g. "
                f"{done.first_gap}",
                done.resources,
            )
        if isinstance(error, CollectError):
            reason, op, code = str(error), error.operation, error.code
        else:  # a collector bug: recorded, the rest of the scan goes on
            reason = f"the {name} collector failed: {type(error).__name__}: {error}"
            op, code = "", type(error).__name__
        if done.resources:
            return Cell(
                a,
                region,
                name,
                CellStatus.PARTIAL,
                f"stopped after {done.resources} resources: {reason}",
                done.resources,
                op or "collect",
                code,
            )
        return Cell(a, region, name, CellStatus.FAILED, reason, 0, op or "collect", code)

    # -- workers -------------------------------------------------------------------------

    def _put(self, event: tuple[str, Any]) -> None:
        while True:
            if self._abort.is_set():
                raise _Aborted
            try:
                self._events.put(event, timeout=0.1)
                return
            except queue.Full:
                continue

    def _open(self, spec: AccountSpec) -> None:
        try:
            opened = self._open_account(spec)
        except Exception as exc:  # a bad profile, a bug: this account fails, the scan goes on
            code = getattr(exc, "code", "") or type(exc).__name__
            cell = Cell(
                spec.label,
                ALL,
                ALL,
                CellStatus.FAILED,
                f"cannot reach the account: {exc}",
                operation=getattr(exc, "operation", "") or "open",
                code=code,
            )
            opened = _Opened(spec, None, (cell,))
        try:
            self._put(("opened", opened))
        except _Aborted:
            return

    def _open_account(self, spec: AccountSpec) -> _Opened:
        label = spec.label
        try:
            clients = self.opener(spec)
        except CollectError as exc:
            cell = Cell(
                label,
                ALL,
                ALL,
                CellStatus.FAILED,
                f"cannot reach the account: {exc}",
                operation=exc.operation,
                code=exc.code,
            )
            return _Opened(spec, None, (cell,))
        try:
            account_id = clients.account_id()
            plan = plan_regions(clients, self.regions)
            partition = clients.partition()
        except CollectError as exc:
            clients.close()
            cell = Cell(
                label,
                ALL,
                ALL,
                CellStatus.FAILED,
                f"cannot read the account: {exc}",
                operation=exc.operation,
                code=exc.code,
            )
            return _Opened(spec, None, (cell,))
        decided: list[Cell] = []
        if plan.error is not None:
            decided.append(
                Cell(
                    account_id,
                    ALL,
                    ALL,
                    CellStatus.FAILED,
                    f"the account's regions could not be listed ({plan.error}); scanned "
                    f"only {', '.join(plan.regions)}",
                    operation=plan.error.operation,
                    code=plan.error.code,
                )
            )
        for region, reason in plan.refused:
            decided.append(
                Cell(account_id, region, ALL, CellStatus.FAILED, reason, operation="regions")
            )
        account = _Account(spec, account_id, clients)
        for service in self.services:
            if not service.regional:
                account.cells.append((GLOBAL_REGION, service))
        for region in plan.regions:
            for service in self.services:
                if not service.regional:
                    continue
                if self._offered_in(clients.session, service, partition, region):
                    account.cells.append((region, service))
                else:
                    decided.append(
                        Cell(
                            account_id,
                            region,
                            service.name,
                            CellStatus.COMPLETE,
                            f"{service.name} is not offered in {region} (botocore endpoint data)",
                        )
                    )
        account.left.update(region for region, _ in account.cells)
        return _Opened(spec, account, tuple(decided))

    def _offered_in(
        self, session: boto3.Session, service: Service, partition: str, region: str
    ) -> bool:
        if self.ctx.aws.endpoint_url or not service.endpoint:
            return True  # a custom endpoint serves every service everywhere
        key = (service.endpoint, partition)
        if key not in self._offered:
            self._offered[key] = offered_regions(session, service.endpoint, partition)
        offered = self._offered[key]
        return not offered or region in offered

    def _cell(self, account: _Account, region: str, service: Service) -> None:
        count = gapped = 0
        first = ""
        error: BaseException | None = None
        try:
            stream = service.collect(self.ctx, account.clients, account.account_id, region)
            try:
                for resource in stream:
                    count += 1
                    if resource.gaps:
                        gapped += 1
                        first = first or resource.gaps[0].reason
                    self._put(("resource", resource))
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
        except _Aborted:
            return
        except Exception as exc:
            error = exc
        try:
            self._put(("done", _Done(account, region, service, count, gapped, first, error)))
        except _Aborted:
            return
