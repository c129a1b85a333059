"""A scan being recorded, as a context manager that never leaves a clean result by accident.

::

    with store.record("aws:123456789012:s3:all-regions", meta) as run:
        for resource, exposure in collect(...):
            run.add_resource(resource, exposure)
        run.add_findings(findings)
        transitions = run.finish(ScanStatus.COMPLETE, gaps)

Leaving the block without :meth:`ScanRun.finish` stores the scan as ``incomplete``; an exception
stores it as ``failed`` (``incomplete`` for an interrupt) with the error, then propagates.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from andon.core.errors import AndonError
from andon.core.model import Exposure, Finding, Gap, Resource
from andon.store.records import ScanStatus, Transition

if TYPE_CHECKING:
    from andon.store.store import Store

NO_VERDICT = "the scan ended without a verdict"


class ScanRun:
    """A running scan bound to its store."""

    def __init__(self, store: Store, scan_id: str) -> None:
        self._store = store
        self.id = scan_id
        self.transitions: list[Transition] | None = None

    @property
    def finished(self) -> bool:
        return self.transitions is not None

    def add_resource(self, resource: Resource, exposure: Exposure | None = None) -> None:
        self._store.add_resource(self.id, resource, exposure)

    def add_resources(self, items: Iterable[tuple[Resource, Exposure | None]]) -> int:
        return self._store.add_resources(self.id, items)

    def add_findings(self, findings: Iterable[Finding]) -> int:
        return self._store.add_findings(self.id, findings)

    def finish(
        self,
        status: ScanStatus | str,
        gaps: Sequence[Gap] = (),
        error: str = "",
        meta: Mapping[str, Any] | None = None,
    ) -> list[Transition]:
        self.transitions = self._store.finish_scan(self.id, status, gaps, error, meta)
        return self.transitions


@contextmanager
def record(
    store: Store,
    scope: str,
    meta: Mapping[str, Any] | None = None,
    *,
    targets: Collection[str] | None = None,
) -> Iterator[ScanRun]:
    """Start a scan of ``scope`` (targeted when ``targets`` is given); make sure it ends with a
    status (see the module docstring)."""
    run = ScanRun(store, store.start_scan(scope, meta, targets=targets))
    try:
        yield run
    except BaseException as e:
        if not run.finished:
            status = ScanStatus.FAILED if isinstance(e, Exception) else ScanStatus.INCOMPLETE
            try:
                run.finish(status, error=f"{type(e).__name__}: {e}")
            except AndonError as store_error:
                e.add_note(f"andon.store could not mark scan {run.id} {status}: {store_error}")
        raise
    if not run.finished:
        run.finish(ScanStatus.INCOMPLETE, error=NO_VERDICT)
