"""``andon investigate``, ``andon report incident`` and ``andon aware``: after a leak, the
facts (since when, who, did anyone outside read it, how many people) and the regulator's
report drafted from them. See ``docs/investigate.md``."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from andon.cli.common import OUTPUT_OPTION, db_option, emit, fail, open_store
from andon.core.errors import AndonError

report_app = typer.Typer(
    name="report", help="Reports drafted from the store (incident: APPI and GDPR).",
    no_args_is_help=True,
)  # fmt: skip


class InvestigateFormat(StrEnum):
    table = "table"
    json = "json"


class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"


def parse_time(text: str, *, what: str, zone_required: bool) -> datetime:
    """An ISO 8601 time; without a zone it is UTC unless ``zone_required`` (usage error)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"{what}: not an ISO 8601 time: {text!r} (e.g. 2026-11-30T09:00+09:00)")
    if value.tzinfo is None:
        if zone_required:
            fail(
                f"{what}: give a time zone (e.g. 2026-11-30T09:00+09:00 or ...Z): deadlines "
                "differ between JST and UTC"
            )
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def investigate(
    finding_id: Annotated[str, typer.Argument(help="Finding id (or a unique prefix).")],
    since: Annotated[
        str | None, typer.Option(help="Read no evidence older than this (ISO 8601, UTC).")
    ] = None,
    trail_bucket: Annotated[
        str | None,
        typer.Option(
            metavar="S3URL",
            help="Archived CloudTrail logs (s3://bucket/prefix); default: the trails "
            "DescribeTrails lists.",
        ),
    ] = None,
    access_logs: Annotated[
        str | None,
        typer.Option(
            metavar="S3URL",
            help="S3 server access logs of the bucket (s3://bucket/prefix); default: where "
            "GetBucketLogging says they go.",
        ),
    ] = None,
    trusted_account: Annotated[
        list[str] | None,
        typer.Option(help="An account whose requests are not outside access (repeatable)."),
    ] = None,
    lookup: Annotated[
        bool, typer.Option("--lookup/--no-lookup", help="Call CloudTrail LookupEvents.")
    ] = True,
    config: Annotated[
        bool, typer.Option("--config/--no-config", help="Read AWS Config history.")
    ] = True,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Use the store only (no cloud calls): evidence missing."),
    ] = False,
    profile: Annotated[str | None, typer.Option(help="AWS profile.")] = None,
    endpoint_url: Annotated[str | None, typer.Option(help="Endpoint (emulators).")] = None,
    fmt: Annotated[
        InvestigateFormat, typer.Option("--format", "-f", help="Output format.")
    ] = InvestigateFormat.table,
    output: OUTPUT_OPTION = None,
    save: Annotated[
        bool,
        typer.Option("--save/--no-save", help="Save the result for `andon report incident`."),
    ] = True,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """Since when was it exposed, who made it so, did anyone outside read it, what data.

    Reads Andon's history, CloudTrail (LookupEvents for 90 days, archived trail files for
    older), AWS Config history, S3 server access logs and CloudTrail data events. Read-only.
    """
    from andon.collect.aws.transport import AwsClients
    from andon.core.context import AwsTarget, Limits
    from andon.investigate.records import save_investigation
    from andon.investigate.run import Options
    from andon.investigate.run import investigate as run
    from andon.investigate.s3io import parse_location

    try:
        opts = Options(
            since=parse_time(since, what="--since", zone_required=False) if since else None,
            trail=parse_location(trail_bucket) if trail_bucket else None,
            access_logs=parse_location(access_logs) if access_logs else None,
            lookup=lookup,
            config=config,
            trusted_accounts=frozenset(trusted_account or ()),
        )
    except AndonError as exc:
        fail(str(exc))
    with open_store(db) as store:
        try:
            clients = (
                None
                if offline
                else AwsClients(AwsTarget(profile=profile, endpoint_url=endpoint_url), Limits())
            )
            try:
                result = run(store, finding_id, clients, opts)
            finally:
                if clients is not None:
                    clients.close()
            if save:
                save_investigation(store, result["finding"]["id"], result)
        except AndonError as exc:
            fail(str(exc))
    if fmt is InvestigateFormat.json or output is not None:
        from andon.report.safe import json_dumps

        emit(json_dumps(result) + "\n", output)
        return
    print_investigation(Console(), result)


def print_investigation(console: Console, result: dict[str, Any]) -> None:
    from andon.report.safe import terminal

    f, w, acc = result["finding"], result["window"], result.get("access") or {}
    console.print(
        f"[bold]{terminal(f['title'])}[/] {terminal(f['resource'].get('uid'))} "
        f"({terminal(f['id'])}, {f['status']})",
        highlight=False,
    )
    console.print(f"Start: {terminal(w['start_statement'])}", highlight=False)
    console.print(f"End: {terminal(w['end_statement'])}", highlight=False)
    table = Table(title="Timeline")
    for col in ("When (UTC)", "Source", "What", "Effect", "Who", "From"):
        table.add_column(col)
    for e in result["timeline"]:
        table.add_row(
            *(
                terminal(v)
                for v in (
                    e["at"][:19],
                    e["source"],
                    e["what"],
                    e.get("effect", ""),
                    e.get("actor", ""),
                    e.get("source_ip", ""),
                )
            )
        )
    console.print(table)
    if acc:
        console.print(
            f"[bold]Access: {terminal(acc['verdict'])}[/] {terminal(acc['statement'])}",
            highlight=False,
        )
        for m in acc.get("missing", []):
            console.print(
                f"  missing: {terminal(m['source'])} {terminal(m.get('from') or '…')} – "
                f"{terminal(m.get('to') or '…')}: {terminal(m['why'])}",
                highlight=False,
            )
    imp = result["impact"]
    if imp["classified"]:
        items = ", ".join(f"{i['label_en']} {i['count']}" for i in imp["data_items"])
        console.print(
            f"Data: {terminal(items) or 'nothing recognized'}; persons at least "
            f"{imp['persons_seen']}",
            highlight=False,
        )
    else:
        console.print(f"Data: {terminal(imp['reason'])}", highlight=False)


@report_app.command("incident")
def incident(
    finding_id: Annotated[str, typer.Argument(help="Finding id (or a unique prefix).")],
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="md, html or json.")] = (
        ReportFormat.md
    ),
    aware_at: Annotated[
        str | None,
        typer.Option(help="When you became aware (ISO 8601 with zone); default: recorded."),
    ] = None,
    unlawful_purpose: Annotated[
        bool | None,
        typer.Option(
            "--unlawful-purpose/--no-unlawful-purpose",
            help="The leak was possibly for an unlawful purpose (APPI: 60-day final report).",
        ),
    ] = None,
    sensitive: Annotated[
        bool | None,
        typer.Option(
            "--sensitive/--no-sensitive",
            help="Special-care-required personal information is involved (APPI).",
        ),
    ] = None,
    persons: Annotated[
        int | None, typer.Option(min=0, help="Number of persons, if known better.")
    ] = None,
    output: OUTPUT_OPTION = None,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """Draft the incident report: APPI (PPC) and GDPR Art. 33, from the latest investigation.

    Without a saved investigation, the store's own history is used and the access evidence
    is stated as missing (run `andon investigate` first).
    """
    from andon.investigate.records import awareness, latest_investigation
    from andon.investigate.run import investigate as run
    from andon.report.incident import IncidentOptions, build_incident, to_json, to_markdown
    from andon.report.incident_html import to_html

    given = parse_time(aware_at, what="--aware-at", zone_required=True) if aware_at else None
    with open_store(db) as store:
        try:
            from andon.investigate.records import load_finding

            fid = load_finding(store, finding_id).finding.id
            inv = latest_investigation(store, fid) or run(store, fid, None)
            report = build_incident(
                inv,
                awareness(store, fid),
                IncidentOptions(given, sensitive, unlawful_purpose, persons),
                store.now(),
            )
        except AndonError as exc:
            fail(str(exc))
    text = {
        ReportFormat.md: to_markdown,
        ReportFormat.html: to_html,
        ReportFormat.json: to_json,
    }[fmt](report)
    emit(text, output)


def aware(
    finding_id: Annotated[str, typer.Argument(help="Finding id (or a unique prefix).")],
    at: Annotated[str, typer.Option(help="When you became aware (ISO 8601 with a zone).")],
    by: Annotated[str, typer.Option(help="Who records it.")] = "",
    source: Annotated[
        str, typer.Option(help="How you learned it (e.g. 'Andon alert', 'researcher e-mail').")
    ] = "",
    note: Annotated[str, typer.Option(help="A note.")] = "",
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """Record when the organization became aware of a finding's incident (deadlines start)."""
    import getpass

    from andon.investigate.records import record_awareness
    from andon.report.incident_appi import JST
    from andon.report.safe import plain

    when = parse_time(at, what="--at", zone_required=True)
    with open_store(db) as store:
        try:
            rec = record_awareness(
                store, finding_id, when, by=by or getpass.getuser(), source=source, note=note
            )
        except AndonError as exc:
            fail(str(exc))
    Console().print(
        plain(
            f"aware at {rec.aware_at.astimezone(JST):%Y-%m-%d %H:%M JST} = "
            f"{rec.aware_at:%Y-%m-%d %H:%M UTC}, recorded by {rec.recorded_by}"
        ),
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``investigate``, ``aware`` and the ``report`` group to the main app."""
    app.command("investigate")(investigate)
    app.command("aware")(aware)
    app.add_typer(report_app)
