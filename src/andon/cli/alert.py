"""``andon mute``, ``andon mutes``, ``andon unmute``, ``andon alerts`` and ``andon alerts test``.

Mutes and the delivery journal live in the store (``--db``); ``alerts test`` reads the channels
from the ``[alerts]`` section of the config file. Exit codes: 0 done, 1 a test alert failed,
3 usage error (bad option, unknown finding or mute, unreadable config).
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from andon.cli.common import FORMAT_OPTION, Format, db_option, emit, open_store
from andon.cli.common import fail as _fail
from andon.core.errors import AndonError
from andon.report.safe import json_dumps, plain

alerts_app = typer.Typer(
    help="The alert delivery journal (andon alerts) and a test send (andon alerts test).",
    invoke_without_command=True,
    no_args_is_help=False,
)


def fail(message: str) -> NoReturn:
    """Usage error (exit 3); the message's brackets (``[alerts]``) are not rich markup."""
    _fail(escape(message))


def _whoami() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _expiry(until: str | None, for_: str | None, now: datetime) -> datetime:
    from andon.alert.config import parse_duration

    if (until is None) == (for_ is None):
        fail("give exactly one of --until (a time) or --for (a duration such as 2h or 7d)")
    try:
        if for_ is not None:
            return now + parse_duration(for_, "--for")
        assert until is not None
        at = datetime.fromisoformat(until.replace("Z", "+00:00"))
    except (AndonError, ValueError) as exc:
        fail(f"--until {until!r} is not an ISO 8601 time ({exc})" if for_ is None else str(exc))
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def mute(
    finding_id: Annotated[str, typer.Argument(help="The finding id (andon findings shows it).")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is muted (required).")],
    until: Annotated[
        str | None, typer.Option(help="Until this time, ISO 8601 (UTC if no zone is given).")
    ] = None,
    for_: Annotated[str | None, typer.Option("--for", help="For this long: 30m, 12h, 7d.")] = None,
    by: Annotated[str | None, typer.Option(help="Who mutes it (default: your user name).")] = None,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """Silence a finding's alerts and reminders until a time, with a reason (recorded)."""
    from andon.alert.mutes import add_mute

    with open_store(db) as store:
        expires = _expiry(until, for_, store.now())
        try:
            m = add_mute(
                store, finding_id, reason=reason, expires_at=expires, created_by=by or _whoami()
            )
        except AndonError as exc:
            fail(str(exc))
    Console().print(
        f"mute {m.id}: finding {plain(m.finding_id)} muted until {m.expires_at.isoformat()} "
        f"({plain(m.reason)})",
        highlight=False,
    )


def mutes(
    all_: Annotated[bool, typer.Option("--all", help="Also expired and lifted mutes.")] = False,
    finding: Annotated[str | None, typer.Option(help="Only this finding.")] = None,
    fmt: FORMAT_OPTION = Format.table,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """List mutes (active ones by default)."""
    from andon.alert.mutes import list_mutes

    with open_store(db) as store:
        now = store.now()
        items = list_mutes(store, finding_id=finding, active_at=None if all_ else now)
    if fmt is Format.json:
        rows = [{**m.to_dict(), "active": m.active(now)} for m in items]
        emit(json_dumps(rows) + "\n", None)
        return
    if not items:
        Console().print("No active mutes." if not all_ else "No mutes recorded.")
        return
    table = Table(title="Mutes")
    for col in ("Mute", "Finding", "Until (UTC)", "By", "Reason", "State"):
        table.add_column(col)
    for m in items:
        state = "active" if m.active(now) else ("lifted" if m.lifted_at else "expired")
        table.add_row(
            str(m.id),
            plain(m.finding_id),
            m.expires_at.strftime("%Y-%m-%d %H:%M"),
            plain(m.created_by),
            plain(m.reason)[:80],
            state,
        )
    Console().print(table)


def unmute(
    mute_id: Annotated[int, typer.Argument(help="The mute id (andon mutes shows it).")],
    by: Annotated[str | None, typer.Option(help="Who lifts it (default: your user name).")] = None,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """Lift a mute now (it stays recorded)."""
    from andon.alert.mutes import lift_mute

    with open_store(db) as store:
        try:
            m = lift_mute(store, mute_id, by=by or _whoami())
        except AndonError as exc:
            fail(str(exc))
    Console().print(f"mute {m.id} on finding {plain(m.finding_id)} lifted", highlight=False)


@alerts_app.callback()
def alerts(
    ctx: typer.Context,
    finding: Annotated[str | None, typer.Option(help="Only this finding.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Only this status: sent, retry, failed, muted, claimed.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    fmt: FORMAT_OPTION = Format.table,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """The alert delivery journal, newest first: every alert, per channel, and how it ended."""
    if ctx.invoked_subcommand is not None:
        return
    from andon.alert.dispatch import list_alerts
    from andon.alert.journal import STATUSES

    if status is not None and status not in STATUSES:
        fail(f"--status must be one of {', '.join(STATUSES)}")
    with open_store(db) as store:
        records = list_alerts(store, limit=limit, finding_id=finding, status=status)
    if fmt is Format.json:
        emit(json_dumps([r.to_dict() for r in records]) + "\n", None)
        return
    if not records:
        Console().print("No alerts recorded yet.")
        return
    table = Table(title="Alerts")
    for col in ("Created (UTC)", "Kind", "Severity", "Finding", "Channel", "Status", "Tries"):
        table.add_column(col)
    table.add_column("Error / mute")
    for r in records:
        created = r.created_at.strftime("%Y-%m-%d %H:%M:%S") if r.created_at else "-"
        note = f"mute {r.mute_id}" if r.mute_id is not None else plain(r.error)[:60]
        table.add_row(
            created,
            r.kind,
            r.severity,
            plain(r.finding_id),
            plain(r.channel),
            r.status,
            str(r.attempts),
            note,
        )
    Console().print(table)


@alerts_app.command("test")
def alerts_test(
    config: Annotated[
        Path, typer.Option("--config", help="TOML config file with an \\[alerts] section.")
    ],
    channel: Annotated[
        list[str] | None, typer.Option("--channel", help="Only this channel (repeatable).")
    ] = None,
) -> None:
    """Send a test alert to each configured channel; exit 1 if any failed."""
    from andon.alert.config import load_alert_config_file
    from andon.alert.dispatch import send_test

    try:
        cfg = load_alert_config_file(str(config))
        if not cfg.channels:
            fail(f"{config}: [alerts.channels] names no channel")
        results = send_test(
            cfg, out=sys.stdout, clock=lambda: datetime.now(UTC), channels=channel or None
        )
    except AndonError as exc:
        fail(str(exc))
    err = Console(stderr=True)
    for r in results:
        where = cfg.masked(r.channel)
        verdict = "ok" if r.ok else f"FAILED: {r.error}"
        err.print(plain(f"{r.channel} ({where}): {verdict}"), highlight=False)
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


def register(app: typer.Typer) -> None:
    """Add the alert commands to the ``andon`` app."""
    app.command("mute")(mute)
    app.command("mutes")(mutes)
    app.command("unmute")(unmute)
    app.add_typer(alerts_app, name="alerts")
