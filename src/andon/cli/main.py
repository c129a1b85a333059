"""``andon``: audit cloud settings and catch data that became public by mistake.

Exit codes of ``andon scan``: 0 nothing exposed, 1 exposure found, 2 incomplete (coverage
gaps, UNKNOWN verdicts or errors, nothing exposed found), 3 usage or configuration error.
``andon demo`` exits 0 when every verdict matches what the demo estate was built to have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from andon import __version__
from andon.cli.classify import classify as classify_command
from andon.cli.classify import classify_settings
from andon.cli.common import (
    FORMAT_OPTION,
    OUTPUT_OPTION,
    Format,
    db_option,
    emit,
    fail,
    open_store,
    run_and_report,
)
from andon.core.context import AwsTarget, Context, Limits
from andon.core.errors import AndonError
from andon.report import render
from andon.report.safe import json_dumps, plain
from andon.rules import default_registry
from andon.rules import explain as explain_rule

app = typer.Typer(
    name="andon",
    help=(
        "Audit cloud settings and catch data that became public by mistake.\n\n"
        "Exit codes of scan: 0 nothing exposed, 1 exposure found, "
        "2 incomplete (coverage gaps, UNKNOWN verdicts or errors), 3 usage error. "
        "demo exits 0 when every verdict matches what the demo estate was built to have."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"andon {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Andon audits cloud settings and catches public data before anyone outside does."""


@app.command()
def scan(
    profile: Annotated[
        str | None, typer.Option(help="AWS profile (standard credential chain).")
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option(
            "--region", "-r", help="Only buckets in this region (repeatable). Default: all."
        ),
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="Endpoint for emulators and S3-compatible stores.")
    ] = None,
    fmt: FORMAT_OPTION = Format.table,
    output: OUTPUT_OPTION = None,
    db: Annotated[str | None, db_option()] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record this scan.")] = False,
    rules: Annotated[
        list[str] | None,
        typer.Option("--rule", help="Only rules matching this id pattern (repeatable)."),
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Buckets read at once.")] = 16,
    object_acl_sample: Annotated[
        int,
        typer.Option(min=0, max=1000, help="Objects per bucket whose ACL is read (ACLs enabled)."),
    ] = 20,
    exemption_tag: Annotated[
        str, typer.Option(help="Tag that marks a resource public on purpose (value: the reason).")
    ] = "andon:public",
    classify: Annotated[
        bool,
        typer.Option(
            "--classify",
            help="Also read a sample of each exposed bucket's content (GetObject) and rate "
            "findings by the data found (docs/classify.md).",
        ),
    ] = False,
    classify_bytes: Annotated[
        str, typer.Option(metavar="SIZE", help="--classify: bytes read per bucket.")
    ] = "64MiB",
    classify_objects: Annotated[
        int, typer.Option(min=1, help="--classify: objects read per bucket.")
    ] = 200,
    classify_total: Annotated[
        str, typer.Option(metavar="SIZE", help="--classify: bytes read over all buckets.")
    ] = "1GiB",
    key_file: Annotated[
        Path | None, typer.Option(help="--classify: key for the keyed hashes of subjects.")
    ] = None,
) -> None:
    """Audit the S3 buckets of an AWS account: who in the world can read, list or write them."""
    ctx = Context(
        aws=AwsTarget(profile=profile, regions=tuple(region or ()), endpoint_url=endpoint_url),
        limits=Limits(concurrency=concurrency, object_acl_sample=object_acl_sample),
        exemption_tag=exemption_tag,
        classify=classify_settings(classify_bytes, classify_objects, classify_total, key_file)
        if classify
        else None,
    )
    code = run_and_report(
        ctx, fmt=fmt, output=output, db=db, no_store=no_store, rule_patterns=rules or []
    )
    raise typer.Exit(code)


@app.command()
def scans(
    db: Annotated[str | None, db_option()] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many scans, newest first.")] = 20,
    fmt: FORMAT_OPTION = Format.table,
) -> None:
    """List recorded scans, newest first."""
    with open_store(db) as store:
        records = store.scans(limit=limit)
    if fmt is Format.json:
        emit(
            json_dumps(
                [
                    {
                        "id": r.id,
                        "scope": r.scope,
                        "status": r.status.value,
                        "started_at": r.started_at.isoformat(),
                        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                        "resources": r.resource_count,
                        "findings": r.finding_count,
                        "gaps": [g.to_dict() for g in r.gaps],
                        "error": r.error,
                    }
                    for r in records
                ]
            )
            + "\n",
            None,
        )
        return
    table = Table(title="Scans")
    for col in (
        "Scan",
        "Scope",
        "Status",
        "Started (UTC)",
        "Duration",
        "Resources",
        "Findings",
        "Gaps",
    ):
        table.add_column(col)
    for r in records:
        duration = (
            f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else "-"
        )
        table.add_row(
            plain(r.id),
            plain(r.scope),
            r.status.value,
            r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            duration,
            str(r.resource_count),
            str(r.finding_count),
            str(len(r.gaps)),
        )
    Console().print(
        table if records else "No scans recorded yet. Run `andon scan` or `andon demo`."
    )


@app.command()
def findings(
    scan_id: Annotated[
        str | None, typer.Option("--scan", help="Scan id (default: the latest).")
    ] = None,
    severity: Annotated[str | None, typer.Option(help="Only this severity.")] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule id.")] = None,
    status: Annotated[str | None, typer.Option(help="open or exempt.")] = None,
    fmt: FORMAT_OPTION = Format.table,
    output: OUTPUT_OPTION = None,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """Show the findings of a recorded scan (the latest by default)."""
    try:
        with open_store(db) as store:
            record = store.scan(scan_id) if scan_id else store.latest_scan()
            if record is None:
                Console(stderr=True).print(
                    "No scans recorded yet. Run `andon scan` or `andon demo`."
                )
                return
            items = store.findings(record.id, severity=severity, rule=rule, status=status)
    except (AndonError, ValueError) as exc:
        fail(str(exc))
    if fmt is Format.json:
        emit(
            render.to_json(
                items,
                list(record.gaps),
                {"id": record.id, "scope": record.scope, "status": record.status.value},
            ),
            output,
        )
    elif fmt is Format.csv:
        emit(render.to_csv(items), output)
    else:
        console = Console()
        console.print(f"Scan {plain(record.id)} ({plain(record.scope)}, {record.status.value})")
        render.print_table(console, items, list(record.gaps))


@app.command("rules")
def list_rules(fmt: FORMAT_OPTION = Format.table) -> None:
    """List the rules Andon checks."""
    registry = default_registry()
    if fmt is Format.json:
        emit(
            json_dumps(
                [
                    {
                        "id": r.id,
                        "title": r.meta.title,
                        "severity": r.meta.severity.value,
                        "kinds": list(r.meta.resource_kinds),
                    }
                    for r in registry.all()
                ]
            )
            + "\n",
            None,
        )
        return
    table = Table(title="Rules (andon explain RULE_ID for why and how to fix)")
    table.add_column("Rule")
    table.add_column("Severity")
    table.add_column("Title")
    for r in registry.all():
        table.add_row(r.id, r.meta.severity.value, r.meta.title)
    Console().print(table)


@app.command()
def explain(
    rule_id: Annotated[str, typer.Argument(help="A rule id, e.g. s3.bucket.public_read")],
) -> None:
    """Why a rule matters and how to fix what it found."""
    try:
        rule = default_registry().get(rule_id)
    except AndonError as exc:
        fail(str(exc))
    Console().print(Markdown(explain_rule(rule)))


@app.command()
def demo(
    db: Annotated[str | None, db_option()] = None,
    fmt: FORMAT_OPTION = Format.table,
    output: OUTPUT_OPTION = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic estate.")] = 42,
    classify: Annotated[
        bool,
        typer.Option(
            "--classify/--no-classify",
            help="Also read what the exposed buckets hold (as andon scan --classify).",
        ),
    ] = True,
) -> None:
    """Start an emulated cloud on loopback, seed a connected-car estate, and audit it."""
    from andon.cli.demo import run_demo

    raise typer.Exit(run_demo(db=db, fmt=fmt, output=output, seed=seed, classify=classify))


app.command("classify")(classify_command)


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    run()
