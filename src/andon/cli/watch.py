"""``andon watch``: the continuous-monitoring daemon, and ``andon watch setup``.

``andon watch`` (or ``andon watch run``) reads the same config file as ``andon scan --config``
(its ``[watch]`` and ``[alerts]`` sections too), consumes the SQS queue fed by the EventBridge
rule, sweeps on a schedule, alerts, and serves Prometheus metrics. SIGTERM (or Ctrl-C) stops
it cleanly after the batch at hand. Logs go to stderr; every alert is also one JSON line on
stdout. Needs the ``watch`` extra.
"""

from __future__ import annotations

import logging
import signal
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from andon.cli.common import db_option, fail
from andon.core.errors import AndonError, ConfigError

watch_app = typer.Typer(
    name="watch",
    help="Watch continuously: CloudTrail events through SQS, reconciliation sweeps, alerts.",
    no_args_is_help=False,
    rich_markup_mode="rich",
)


def _read_doc(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _duration(value: str | None, key: str) -> float | None:
    from andon.watch.config import duration

    return None if value is None else duration(value, key)


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger("andon")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False
    for noisy in ("botocore", "urllib3", "apprise"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML file (as andon scan --config): scope, \\[watch], \\[alerts] "
            "(docs/watch.md).",
        ),
    ] = None,
    db: Annotated[str | None, db_option()] = None,
    queue_url: Annotated[
        str | None, typer.Option(help="SQS queue URL (overrides \\[watch] queue_url).")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile.")] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", "-r", help="Only this region (repeatable).")
    ] = None,
    service: Annotated[
        list[str] | None, typer.Option("--service", "-s", help="Only this service (repeatable).")
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="Endpoint for emulators (AWS calls and the queue).")
    ] = None,
    sweep_interval: Annotated[
        str | None,
        typer.Option(help="Full sweep every DURATION, e.g. 15m (0: never). Default 15m."),
    ] = None,
    coalesce_window: Annotated[
        str | None, typer.Option(help="Coalesce events within DURATION, e.g. 250ms.")
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="Port of /metrics on 127.0.0.1 (0: a free port)."),
    ] = None,
    rules: Annotated[
        list[str] | None,
        typer.Option("--rule", help="Only rules matching this id pattern (repeatable)."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="API calls in flight per account.")
    ] = 16,
    exemption_tag: Annotated[
        str, typer.Option(help="Tag that marks a resource public on purpose.")
    ] = "andon:public",
    auto_fix: Annotated[
        list[str] | None,
        typer.Option(
            "--auto-fix",
            metavar="RULE",
            help="Fix new findings of this rule (id or pattern, repeatable) automatically; "
            "every change is journaled and told to the owners (docs/remediate.md).",
        ),
    ] = None,
    auto_fix_max_per_hour: Annotated[
        int, typer.Option(min=0, help="--auto-fix: at most this many changes per hour.")
    ] = 10,
    auto_fix_kill_file: Annotated[
        Path | None,
        typer.Option(help="--auto-fix: while this file exists, no automatic change is made."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Run the daemon until SIGTERM: events from the queue, sweeps on a schedule, alerts."""
    if ctx.invoked_subcommand is not None:
        return
    _configure_logging(verbose)
    try:
        from andon.watch.service import WatchOptions, build_service
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        fail(f"andon watch needs the watch extra: pip install 'andon[watch]' ({exc})")
    try:
        doc = _read_doc(config)
        options = WatchOptions(
            doc=doc,
            config_path=config,
            db=db,
            profile=profile,
            regions=tuple(region or ()),
            services=tuple(service or ()),
            endpoint_url=endpoint_url,
            rule_patterns=tuple(rules or ()),
            concurrency=concurrency,
            exemption_tag=exemption_tag,
            auto_fix=tuple(auto_fix or ()),
            auto_fix_max_per_hour=auto_fix_max_per_hour,
            auto_fix_kill_file=auto_fix_kill_file,
            overrides={
                "queue_url": queue_url,
                "sweep_interval": _duration(sweep_interval, "sweep_interval"),
                "coalesce_window": _duration(coalesce_window, "coalesce_window"),
                "metrics_port": metrics_port,
            },
        )
        service_ = build_service(options, out=sys.stdout)
    except AndonError as exc:
        fail(str(exc))
    with service_:
        signal.signal(signal.SIGTERM, service_.watcher.on_signal)
        signal.signal(signal.SIGINT, service_.watcher.on_signal)
        code = service_.watcher.run()
    raise typer.Exit(code)


watch_app.callback(invoke_without_command=True)(run)
watch_app.command("run")(run)


@watch_app.command("setup")
def setup(
    apply: Annotated[
        bool, typer.Option("--apply", help="Create the resources (default: only print them).")
    ] = False,
    org: Annotated[
        bool,
        typer.Option(
            "--org",
            help="A central event bus for an organization (run in the account that consumes).",
        ),
    ] = False,
    org_id: Annotated[
        str | None, typer.Option(help="--org: the organization id (default: asked from AWS).")
    ] = None,
    name: Annotated[str, typer.Option(help="Name of the queue, rules and bus.")] = "andon-watch",
    region: Annotated[
        str | None, typer.Option("--region", "-r", help="Region of the queue.")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile.")] = None,
    endpoint_url: Annotated[str | None, typer.Option(help="Endpoint for emulators.")] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, json or cloudformation.")
    ] = "text",
) -> None:
    """Print (or --apply) the EventBridge rule(s), the SQS queue and its policy."""
    from andon.watch.cloudformation import template
    from andon.watch.setup import SetupError, apply_plan, plan_setup, render_plan

    if fmt not in ("text", "json", "cloudformation"):
        fail("--format must be text, json or cloudformation")
    if fmt == "cloudformation":
        typer.echo(template(), nl=False)
        return
    try:
        plan = plan_setup(
            name=name,
            org=org,
            org_id=org_id,
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
        )
        typer.echo(render_plan(plan, fmt), nl=False)
        if apply:
            for line in apply_plan(plan, profile=profile, endpoint_url=endpoint_url):
                typer.echo(line, err=True)
    except (SetupError, AndonError) as exc:
        fail(str(exc))
