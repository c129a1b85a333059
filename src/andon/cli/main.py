"""``andon``: audit cloud settings and catch data that became public by mistake.

Exit codes of ``andon scan``: 0 nothing exposed, 1 exposure found, 2 incomplete (coverage
gaps, UNKNOWN verdicts or errors, nothing exposed found), 3 usage or configuration error.
``andon demo`` exits 0 when every verdict matches what the demo estate was built to have.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from andon.cli.permissions import permissions as permissions_command
from andon.core.context import AwsTarget, Context, Limits
from andon.core.errors import AndonError
from andon.report import render
from andon.report.safe import json_dumps, plain

if TYPE_CHECKING:
    from andon.collect.aws.registry import Service
    from andon.collect.aws.scope import ScanConfig
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
            "--region",
            "-r",
            help="Only this region (repeatable). Default: every region enabled in each account.",
        ),
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="Endpoint for emulators and S3-compatible stores.")
    ] = None,
    service: Annotated[
        list[str] | None,
        typer.Option(
            "--service",
            "-s",
            help="Only this service (repeatable): s3, sqs, sns, kms, secretsmanager, ecr, efs, "
            "lambda, opensearch, glacier, backup, apigateway, dynamodb, rds, redshift, ec2. "
            "Default: all.",
        ),
    ] = None,
    org: Annotated[
        bool,
        typer.Option(
            "--org",
            help="Scan every active account of the AWS Organization (run from the management "
            "account or a delegated administrator), assuming --role-name in each.",
        ),
    ] = False,
    role_name: Annotated[
        str | None,
        typer.Option(
            help="Role assumed in each account of --org or of the config file "
            "(default AndonAudit; `andon permissions` prints its policy)."
        ),
    ] = None,
    external_id: Annotated[
        str | None, typer.Option(help="External id passed when assuming the role.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML file: accounts/profiles to scan, trusted accounts and organization, "
            "regions, services (docs/scope.md).",
        ),
    ] = None,
    fmt: FORMAT_OPTION = Format.table,
    output: OUTPUT_OPTION = None,
    db: Annotated[str | None, db_option()] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record this scan.")] = False,
    rules: Annotated[
        list[str] | None,
        typer.Option("--rule", help="Only rules matching this id pattern (repeatable)."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="API calls in flight per account.")
    ] = 16,
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
    """Audit AWS accounts: who outside can reach S3 buckets, queues, topics, keys, secrets,
    repositories, file systems, functions, search domains, vaults, APIs, tables, databases,
    instances, snapshots and images, in every enabled region; ends with what it could not read.
    """
    scope = _scan_config(config, org, role_name, external_id, region, service)
    ctx = Context(
        aws=AwsTarget(profile=profile, regions=scope.regions, endpoint_url=endpoint_url),
        limits=Limits(concurrency=concurrency, object_acl_sample=object_acl_sample),
        exemption_tag=exemption_tag,
        classify=classify_settings(classify_bytes, classify_objects, classify_total, key_file)
        if classify
        else None,
    )
    services = _services(scope.services, rules or [])
    exemptions = _config_exemptions(config)

    def runner(ctx: Context, **kwargs: Any) -> Any:
        from andon.scan import scan_estate

        return scan_estate(ctx, config=scope, services=services, exemptions=exemptions, **kwargs)

    code = run_and_report(
        ctx,
        fmt=fmt,
        output=output,
        db=db,
        no_store=no_store,
        rule_patterns=rules or [],
        title="Scanning",
        runner=runner,
    )
    raise typer.Exit(code)


def _config_exemptions(path: Path | None) -> list[Any]:
    """The ``[[exemptions]]`` of the config file (docs/fix.md); usage errors exit 3."""
    if path is None:
        return []
    from andon.remediate.exemptions import load_config_exemptions

    try:
        return list(load_config_exemptions(path))
    except AndonError as exc:
        fail(str(exc))


def _scan_config(
    path: Path | None,
    org: bool,
    role_name: str | None,
    external_id: str | None,
    regions: list[str] | None,
    services: list[str] | None,
) -> ScanConfig:
    """The config file (if any) with the command-line flags on top; usage errors exit 3."""
    from andon.collect.aws.scope import ScanConfig, load_config

    try:
        base = load_config(path) if path is not None else ScanConfig()
        return base.with_flags(
            org=org,
            role_name=role_name,
            external_id=external_id,
            regions=tuple(regions or ()),
            services=tuple(services or ()),
        )
    except AndonError as exc:
        fail(str(exc))


def _services(names: tuple[str, ...], rule_patterns: list[str]) -> list[Service]:
    """``--service`` narrowed by ``--rule``: services no selected rule looks at are skipped."""
    from andon.collect.aws.registry import select_services

    try:
        kinds = None
        if rule_patterns:
            selected = default_registry().select(rule_patterns)
            kinds = {k for r in selected for k in r.meta.resource_kinds}
        return select_services(names, rule_kinds=kinds)
    except AndonError as exc:
        fail(str(exc))


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
app.command("permissions")(permissions_command)
# Command groups of the modules built on the foundation register here, one line each:
# andon watch (issue 5), andon fix (issue 6), andon investigate / andon report (issue 7),
# andon serve (issue 8).
from andon.cli.alert import register as register_alert  # noqa: E402

register_alert(app)  # andon mute / mutes / unmute / alerts, andon alerts test (issue 5)
from andon.cli.watch import watch_app  # noqa: E402

app.add_typer(watch_app, name="watch")  # andon watch, andon watch setup (issue 5)
from andon.cli.serve import register as register_serve  # noqa: E402

register_serve(app)  # andon serve, andon users, andon tokens (issue 8)
from andon.cli.investigate import register as register_investigate  # noqa: E402

register_investigate(app)  # andon investigate, andon aware, andon report incident (issue 7)
from andon.cli.fix import register as register_fix  # noqa: E402

register_fix(app)  # andon fix, andon exempt, andon exemptions (issue 6)


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    run()
