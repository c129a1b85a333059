"""``andon fix`` (plan, apply, roll back) and ``andon exempt`` / ``andon exemptions``.

``andon fix`` never changes anything unless given ``--apply`` (a signed plan file or a saved
plan id) or ``--approve`` (an interactive yes after the plan is shown), or ``--rollback``.
Exit codes: 0 done (a plan shown, every change applied and verified resolved), 1 something was
refused, failed or is still open after the fix, 3 usage error (unknown finding or plan id,
tampered plan, unreadable config).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from andon.cli.common import FORMAT_OPTION, Format, db_option, emit, fail, open_store
from andon.core.context import AwsTarget, Context, Limits
from andon.core.errors import AndonError, NotFound
from andon.core.model import Finding, Resource
from andon.report.safe import json_dumps, plain

exemptions_app = typer.Typer(
    help="Recorded exemptions: list them (andon exemptions), revoke one (andon exemptions "
    "revoke ID).",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _short(value: Any, width: int = 70) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= width else text[: width - 1] + "…"


def _policy_diff(before: str | None, after: str | None) -> list[str] | None:
    """Statement by statement, for two policy documents (None when they are not policies)."""
    try:
        old = json.loads(before) if before else {"Statement": []}
        new = json.loads(after) if after else {"Statement": []}
        olds, news = old["Statement"], new["Statement"]
    except (ValueError, TypeError, KeyError):
        return None
    olds = [olds] if isinstance(olds, dict) else olds
    news = [news] if isinstance(news, dict) else news
    if not isinstance(olds, list) or not isinstance(news, list):
        return None

    def name(i: int, st: Any) -> str:
        sid = st.get("Sid") if isinstance(st, dict) else None
        return f"statement {sid!r}" if sid else f"statement #{i + 1}"

    lines = [] if after else ["policy deleted"]
    new_by_sid = {str(st.get("Sid")): st for st in news if isinstance(st, dict) and st.get("Sid")}
    for i, st in enumerate(olds):
        if not isinstance(st, dict):
            continue
        match = new_by_sid.get(str(st.get("Sid"))) if st.get("Sid") else None
        if match is None and i < len(news) and not st.get("Sid"):
            match = news[i]
        if match is None or match not in news:
            if after:
                lines.append(f"{name(i, st)} removed")
            continue
        for key in sorted(set(st) | set(match)):
            if st.get(key) != match.get(key):
                lines.append(
                    f"{name(i, st)} {key}: {_short(st.get(key), 60)} → {_short(match.get(key), 60)}"
                )
    return lines


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "policy":
            detailed = _policy_diff(old, new)
            if detailed is not None:
                lines += detailed
                continue
        if isinstance(old, dict) and isinstance(new, dict):
            lines += [
                f"{key}.{k}: {_short(old.get(k), 40)} → {_short(new.get(k), 40)}"
                for k in sorted(set(old) | set(new))
                if old.get(k) != new.get(k)
            ]
            continue
        lines.append(f"{key}: {_short(old)} → {_short(new)}")
    return lines or ["(no change)"]


def _cell(lines: Sequence[str]) -> Text:
    """Lines made inert (control characters) and never read as rich markup."""
    return Text("\n".join(plain(line) for line in lines))


def print_plan(console: Console, plan: Any) -> None:
    """The plan as a table: finding, resource, action, before → after, notes; then skips."""
    table = Table(title=f"Fix plan {plain(plan.id)} ({plan.mode})", show_lines=True)
    for col in ("#", "Finding", "Resource", "Change", "Before → after", "What it may break"):
        table.add_column(col)
    for i, e in enumerate(plan.entries, 1):
        table.add_row(
            str(i),
            _cell([*(e.finding_ids or (e.finding_id,)), e.rule_id]),
            _cell([e.resource.get("name") or e.resource_uid]),
            _cell([e.summary, f"({e.action})"]),
            _cell(_diff(e.before, e.after)),
            _cell(e.notes),
        )
    if plan.entries:
        console.print(table)
    else:
        console.print("Nothing to change.")
    for s in plan.skipped:
        console.print(
            plain(f"skipped {s.finding_id} ({s.rule_id}) on {s.resource_uid}: {s.reason}"),
            highlight=False,
        )


def _context(profile: str | None, region: list[str] | None, endpoint_url: str | None) -> Context:
    return Context(
        aws=AwsTarget(profile=profile, regions=tuple(region or ()), endpoint_url=endpoint_url),
        limits=Limits(concurrency=4),
    )


def _select(
    store: Any, finding_ids: Sequence[str], rules: Sequence[str], everything: bool
) -> tuple[list[Finding], dict[str, Resource]]:
    """The findings of the latest scan chosen by id, rule or --all, and their resources."""
    if not (finding_ids or rules or everything):
        fail("say what to fix: FINDING_ID..., --rule RULE or --all")
    record = store.latest_scan()
    if record is None:
        fail("no scan recorded yet: run `andon scan` first")
    findings = store.findings(record.id)
    known = {f.id for f in findings}
    unknown = [f for f in finding_ids if f not in known]
    if unknown:
        fail(
            f"unknown finding id(s) {', '.join(unknown)} in scan {record.id}; nothing changed "
            "(andon findings lists them)"
        )
    chosen = [
        f
        for f in findings
        if everything or f.id in finding_ids or any(_matches(f.rule_id, r) for r in rules)
    ]
    resources = {s.resource.uid: s.resource for s in store.resources(record.id)}
    return chosen, resources


def _matches(rule_id: str, pattern: str) -> bool:
    from fnmatch import fnmatchcase

    return fnmatchcase(rule_id, pattern)


def fix(
    finding_ids: Annotated[
        list[str] | None, typer.Argument(help="Finding ids of the latest scan to fix.")
    ] = None,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Fix the findings of this rule (pattern).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Fix every open finding.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the signed plan to this file.")
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Save the plan in the store (status proposed).")
    ] = False,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Plan from the stored snapshots, without reading the cloud (applying still "
            "checks every entry against the live configuration).",
        ),
    ] = False,
    apply: Annotated[
        str | None,
        typer.Option("--apply", help="Apply a signed plan file, or a saved plan by id."),
    ] = None,
    approve: Annotated[
        bool, typer.Option("--approve", help="Show the plan, ask for a yes, then apply it.")
    ] = False,
    rollback: Annotated[
        int | None, typer.Option("--rollback", help="Restore the configuration a change replaced.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="--rollback: even if the resource changed since the fix.")
    ] = False,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Re-collect the fixed resources.")
    ] = True,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Config TOML whose exemptions tables apply (docs/fix.md)."),
    ] = None,
    key_file: Annotated[
        Path | None, typer.Option(help="The plan-signing key (default: per-user key file).")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile.")] = None,
    region: Annotated[list[str] | None, typer.Option("--region", "-r")] = None,
    endpoint_url: Annotated[str | None, typer.Option(help="Endpoint for emulators.")] = None,
    exemption_tag: Annotated[
        str, typer.Option(help="Tag that marks a resource public on purpose.")
    ] = "andon:public",
    fmt: FORMAT_OPTION = Format.table,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """Plan the least-damaging change that closes each finding, apply it on approval, verify
    it by re-collecting, and roll it back. Nothing changes without --apply or --approve."""
    from andon.collect.aws.transport import AwsClients
    from andon.remediate.exemptions import Exempter, load_config_exemptions
    from andon.remediate.fingerprint import load_plan_key

    ctx = _context(profile, region, endpoint_url)
    modes = sum(x is not None and x is not False for x in (apply, rollback)) + int(approve)
    if modes > 1:
        fail("use one of --apply, --approve and --rollback")
    err = Console(stderr=True)
    try:
        extra = load_config_exemptions(config) if config is not None else []
        key = load_plan_key(key_file)
    except AndonError as exc:
        fail(str(exc))
    with open_store(db) as store:
        clients = None if (offline and not approve) else AwsClients(ctx.aws, ctx.limits)
        try:
            if rollback is not None:
                assert clients is not None
                raise typer.Exit(_rollback(store, clients, rollback, force, fmt, err))
            if apply is not None:
                assert clients is not None
                plan, plan_id = _load(store, apply, key)
                code = _apply(store, ctx, clients, plan, plan_id, extra, verify, fmt, err)
                raise typer.Exit(code)
            chosen, resources = _select(store, finding_ids or [], rule or [], all_)
            exempter = Exempter.from_store(store, reason_tag=exemption_tag, config=extra)

            def exempt(f: Finding) -> str:
                res = resources.get(f.resource["uid"])
                return exempter.reason(res, f.rule_id) if res is not None else ""

            from andon.remediate.plan import plan_live, plan_offline, save_plan, write_plan_file

            if clients is None:
                plan = plan_offline(chosen, resources, exempt=exempt)
            else:
                plan = plan_live(clients, chosen, resources, exempt=exempt)
            if fmt is Format.json and not approve:
                from andon.remediate.plan import plan_document

                emit(json_dumps(plan_document(plan, key)) + "\n", None)
            else:
                print_plan(Console(), plan)
            if output is not None:
                write_plan_file(plan, output, key)
                err.print(f"wrote the signed plan to {plain(output)}", highlight=False)
            if save:
                save_plan(store, plan, created_by=_user())
                err.print(f"saved plan {plain(plan.id)}", highlight=False)
            if approve:
                if not plan.entries:
                    raise typer.Exit(0)
                if not typer.confirm(f"Apply these {len(plan.entries)} change(s)?", default=False):
                    err.print("Nothing changed.")
                    raise typer.Exit(1)
                assert clients is not None
                raise typer.Exit(_apply(store, ctx, clients, plan, None, extra, verify, fmt, err))
            if plan.entries and not output and not save:
                err.print(
                    "Nothing was changed. Apply with --approve, or save with --output plan.json "
                    "and apply with --apply plan.json.",
                    highlight=False,
                )
        except AndonError as exc:
            fail(str(exc))
        finally:
            if clients is not None:
                clients.close()


def _load(store: Any, what: str, key: bytes) -> tuple[Any, str | None]:
    from andon.remediate.plan import approve_plan, read_plan_file

    path = Path(what)
    if path.exists():
        return read_plan_file(path, key), None
    if what.endswith(".json"):
        fail(f"no plan file {what}")
    stored = approve_plan(store, what, by=_user())
    return stored.plan, stored.id


def _apply(
    store: Any,
    ctx: Context,
    clients: Any,
    plan: Any,
    plan_id: str | None,
    extra: Sequence[Any],
    verify: bool,
    fmt: Format,
    err: Console,
) -> int:
    from andon.remediate.apply import apply_plan
    from andon.remediate.exemptions import Exempter
    from andon.remediate.plan import mark_applied
    from andon.remediate.verify import default_verifier
    from andon.rules import default_registry

    try:
        arn = clients.identity()["Arn"]
    except AndonError:
        arn = "unknown ARN"
    who = f"{_user()} ({arn})"
    exempter = Exempter.from_store(store, config=extra)

    def exempt(entry: Any) -> str:
        found = exempter.listed(entry.resource_uid, entry.rule_id)
        return found.describe() if found is not None else ""

    verifier = default_verifier(ctx, store, clients, rules=default_registry()) if verify else None
    report = apply_plan(
        store, clients, plan, who=who, plan_id=plan_id, verify=verifier, exempt=exempt
    )
    if plan_id is not None:
        mark_applied(store, plan_id)
    if fmt is Format.json:
        emit(json_dumps(report.to_dict()) + "\n", None)
    else:
        table = Table(title=f"Applied plan {plain(report.plan_id)}")
        for col in ("Change", "Finding", "Resource", "Action", "Result", "Verified"):
            table.add_column(col)
        for c in report.changes:
            table.add_row(
                str(c.id),
                plain(c.finding_id),
                plain(c.resource_uid),
                plain(c.action),
                plain(c.message),
                report.verified.get(c.finding_id, "-"),
            )
        Console().print(table)
    summary = ", ".join(
        f"{report.count(r)} {r}" for r in ("applied", "unchanged", "refused", "failed")
    )
    err.print(f"{summary}; roll back with andon fix --rollback CHANGE", highlight=False)
    return 0 if report.ok else 1


def _rollback(
    store: Any, clients: Any, change_id: int, force: bool, fmt: Format, err: Console
) -> int:
    from andon.remediate.rollback import rollback_change

    try:
        arn = clients.identity()["Arn"]
    except AndonError:
        arn = "unknown ARN"
    record = rollback_change(store, clients, change_id, who=f"{_user()} ({arn})", force=force)
    if fmt is Format.json:
        emit(json_dumps(record.to_dict()) + "\n", None)
    else:
        Console().print(plain(f"change #{record.id}: {record.message}"), highlight=False)
    return 0 if record.result in ("applied", "unchanged") else 1


def _expiry(value: str | None) -> datetime | None:
    from andon.remediate.exemptions import parse_expiry

    if value is None:
        return None
    try:
        return parse_expiry(value, "--expires")
    except AndonError as exc:
        fail(str(exc))


def exempt(
    resource_uid: Annotated[str, typer.Argument(help="The resource's uid (its ARN).")],
    reason: Annotated[str, typer.Option(help="Why it is public on purpose (required).")],
    owner: Annotated[str, typer.Option(help="Who answers for it (required).")],
    expires: Annotated[
        str | None, typer.Option(help="Until this ISO date (the exemption ends after it).")
    ] = None,
    rule: Annotated[
        str | None, typer.Option(help="Only this rule (default: every exemptible rule).")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who records it (default: your user).")] = None,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """Record that a resource is public on purpose. Its findings are reported as exempt
    (never hidden) and never remediated; an expired exemption opens them again."""
    from andon.remediate.exemptions import add_exemption

    with open_store(db) as store:
        try:
            made = add_exemption(
                store,
                resource_uid,
                reason=reason,
                owner=owner,
                expires_at=_expiry(expires),
                created_by=by or _user(),
                rule_id=rule,
            )
        except AndonError as exc:
            fail(str(exc))
    Console().print(plain(f"exemption #{made.id}: {made.describe()}"), highlight=False)


@exemptions_app.callback()
def exemptions(
    ctx: typer.Context,
    resource: Annotated[str | None, typer.Option(help="Only this resource uid.")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Also expired and revoked exemptions.")
    ] = False,
    fmt: FORMAT_OPTION = Format.table,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """List the recorded exemptions (active ones by default)."""
    if ctx.invoked_subcommand is not None:
        return
    from andon.remediate.exemptions import list_exemptions

    with open_store(db) as store:
        found = list_exemptions(
            store, resource_uid=resource, active_at=None if all_ else store.now()
        )
    if fmt is Format.json:
        emit(json_dumps([e.to_dict() for e in found]) + "\n", None)
        return
    table = Table(title="Exemptions")
    for col in ("Id", "Resource", "Rule", "Reason", "Owner", "Expires", "Revoked"):
        table.add_column(col)
    for e in found:
        table.add_row(
            str(e.id),
            plain(e.resource_uid),
            plain(e.rule_id or "all"),
            plain(e.reason),
            plain(e.owner),
            e.expires_at.isoformat() if e.expires_at else "never",
            e.revoked_at.isoformat() if e.revoked_at else "",
        )
    Console().print(table if found else "No exemptions recorded.")


@exemptions_app.command("revoke")
def revoke(
    exemption_id: Annotated[int, typer.Argument(help="The exemption's id.")],
    by: Annotated[str | None, typer.Option(help="Who revokes it (default: your user).")] = None,
    db: Annotated[str | None, db_option()] = None,
) -> None:
    """Revoke a recorded exemption (it stays in the history)."""
    from andon.remediate.exemptions import revoke_exemption

    with open_store(db) as store:
        try:
            done = revoke_exemption(store, exemption_id, by=by or _user())
        except NotFound as exc:
            fail(str(exc))
    Console().print(plain(f"exemption #{done.id} revoked"), highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``andon fix``, ``andon exempt`` and ``andon exemptions`` to the app."""
    app.command("fix")(fix)
    app.command("exempt")(exempt)
    app.add_typer(exemptions_app, name="exemptions")
