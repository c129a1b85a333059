"""Pieces the commands share: options, the store, progress, and printing a scan's outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from andon.core.context import Context
from andon.core.errors import AndonError, StoreError
from andon.core.model import Exposure, Resource
from andon.report import render
from andon.report.safe import terminal
from andon.scan import ScanOutcome, scan_aws
from andon.store import Store

USAGE_ERROR = 3


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FORMAT_OPTION = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
OUTPUT_OPTION = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the output to this file.")
]


def db_option() -> Any:
    return typer.Option(
        "--db",
        envvar="ANDON_DB",
        help="Store URL: sqlite:///file.db or postgresql://user@host/db (default: a SQLite file "
        "in the platform data directory).",
    )


def fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    Console(stderr=True).print(f"[bold red]error:[/] {terminal(message)}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def open_store(db: str | None) -> Iterator[Store]:
    try:
        store = Store(db)
    except AndonError as exc:
        fail(f"cannot open the store: {exc}")
    try:
        yield store
    finally:
        store.close()


def emit(text: str, output: Path | None) -> None:
    """Print to stdout, or write to ``output``."""
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc}")
    Console(stderr=True).print(f"wrote {terminal(output)}", highlight=False)


def scan_dict(outcome: ScanOutcome) -> dict[str, Any]:
    return {
        "id": outcome.scan_id,
        "scope": outcome.scope,
        "status": outcome.status.value,
        "started_at": outcome.started_at.isoformat(),
        "finished_at": outcome.finished_at.isoformat() if outcome.finished_at else None,
        "resources": outcome.resources,
        "levels": outcome.levels,
        "error": outcome.error,
    }


Runner = Callable[..., ScanOutcome]
"""Runs the scan: ``runner(ctx, rules=, store=, on_resource=, progress=)`` (``progress`` an
:class:`~andon.collect.aws.estate.EstateProgress` or None)."""


def _s3_runner(ctx: Context, *, progress: Any = None, **kwargs: Any) -> ScanOutcome:
    return scan_aws(ctx, **kwargs)


class EstateDisplay:
    """A progress line per account: cells done out of its cells, the cell running now."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def account_opened(self, account: str, cells: int) -> None:
        self._tasks[account] = self._progress.add_task(
            f"account {terminal(account)}", total=cells, unit=f"of {cells} cells"
        )

    def cell_started(self, account: str, region: str, service: str) -> None:
        task = self._tasks.get(account)
        if task is not None:
            self._progress.update(
                task,
                description=f"account {terminal(account)}: {terminal(region)} {terminal(service)}",
            )

    def cell_finished(self, cell: Any) -> None:
        task = self._tasks.get(cell.account)
        if task is not None and cell.region != "*":
            self._progress.advance(task)


def run_and_report(
    ctx: Context,
    *,
    fmt: Format,
    output: Path | None,
    db: str | None,
    no_store: bool,
    rule_patterns: list[str],
    title: str = "Scanning S3",
    on_resource: Callable[[Resource, Exposure], None] | None = None,
    runner: Runner | None = None,
) -> int:
    """Run one scan with a progress display, print its outcome, return the exit code.

    ``runner`` defaults to the S3 scan (:func:`andon.scan.scan_aws`); ``andon scan`` passes
    the estate scan, whose progress shows one line per account.
    """
    from andon.rules import default_registry

    run = runner or _s3_runner

    err = Console(stderr=True)
    try:
        rules = default_registry().select(rule_patterns)
    except AndonError as exc:
        fail(str(exc))
    store = None
    if not no_store:
        try:
            store = Store(db)
        except AndonError as exc:
            fail(f"cannot open the store: {exc}")
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed} {task.fields[unit]}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task(title, total=None, unit="resources")

            def tick(resource: Resource, exposure: Exposure) -> None:
                progress.update(
                    task, advance=1, description=f"{title}: {terminal(resource.name)[:40]}"
                )
                if on_resource is not None:
                    on_resource(resource, exposure)

            outcome = run(
                ctx,
                rules=rules,
                store=store,
                on_resource=tick,
                progress=EstateDisplay(progress),
            )
    except StoreError as exc:
        fail(f"the store failed mid-scan: {exc}", 2)
    finally:
        if store is not None:
            store.close()
    code = outcome.exit_code()
    print_outcome(outcome, fmt=fmt, output=output, code=code, console=err)
    return code


def print_outcome(
    outcome: ScanOutcome, *, fmt: Format, output: Path | None, code: int, console: Console
) -> None:
    coverage = outcome.coverage or None
    if fmt is Format.json or (fmt is Format.table and output is not None):
        emit(
            render.to_json(outcome.findings, outcome.gaps, scan_dict(outcome), code, coverage),
            output,
        )
    elif fmt is Format.csv:
        emit(render.to_csv(outcome.findings), output)
    else:
        out = Console()
        render.print_table(out, outcome.findings, outcome.gaps)
        if coverage:
            out.print(render.coverage_table(coverage))
    summary = render.summary(outcome.findings, outcome.gaps)
    status = outcome.status.value
    line = (
        f"{outcome.resources} resources, {summary['open']} open findings, "
        f"{summary['exempt']} exempt, "
        f"{summary['gaps']} coverage gaps; scan {status}"
    )
    if coverage:
        cells = render.coverage_counts(coverage)
        line += (
            f"; coverage: {len(coverage)} (account, region, service) cells, "
            f"{cells['complete']} complete, {cells['partial']} partial, {cells['failed']} failed"
        )
    if outcome.scan_id:
        line += f" (id {outcome.scan_id})"
    console.print(terminal(line), highlight=False)
    if outcome.error:
        console.print(terminal(f"error: {outcome.error}"), highlight=False)
    if outcome.gaps and code != 0:
        console.print(
            "Coverage gaps mean part of the account could not be read: those verdicts are "
            "UNKNOWN, not private.",
            highlight=False,
        )
