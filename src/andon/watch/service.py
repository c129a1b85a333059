"""Wiring ``andon watch`` together from the config file and the command line.

:func:`build_service` reads the ``[watch]`` and ``[alerts]`` sections and the scan scope of
the config file, opens the store, builds the SQS consumer, the sweeper, the alert dispatcher
and the metrics server, and hands back a :class:`WatchService` (a context manager that closes
them all). The daemon itself is :class:`andon.watch.daemon.Watcher`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from andon.core.context import AwsTarget, Context, Limits
from andon.core.errors import ConfigError
from andon.scan import ScanOutcome
from andon.store import Store
from andon.watch.config import WatchConfig, load_watch_config
from andon.watch.daemon import Watcher, consumer_id
from andon.watch.metrics import MetricsServer, WatchMetrics
from andon.watch.queue import Backoff, SqsQueue
from andon.watch.sweep import Sweeper

log = logging.getLogger("andon.watch")


@dataclass(frozen=True)
class WatchOptions:
    """What ``andon watch`` was given: the parsed config file and the command-line flags."""

    doc: Mapping[str, Any] = field(default_factory=dict)
    config_path: Path | None = None
    db: str | None = None
    profile: str | None = None
    regions: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    endpoint_url: str | None = None
    rule_patterns: tuple[str, ...] = ()
    concurrency: int = 16
    max_attempts: int = 8
    """botocore retries per AWS call of a re-collection or sweep (after the first try)."""
    exemption_tag: str = "andon:public"
    overrides: Mapping[str, Any] = field(default_factory=dict)
    auto_fix: tuple[str, ...] = ()
    """Rule ids or patterns whose new findings are fixed automatically (issue 6's AutoFixer)."""
    auto_fix_max_per_hour: int = 10
    auto_fix_kill_file: Path | None = None


class WatchService:
    """The daemon and what it owns; closing it closes the store and the metrics server."""

    def __init__(
        self,
        watcher: Watcher,
        store: Store,
        metrics_server: MetricsServer | None,
        closers: Sequence[Any] = (),
    ) -> None:
        self.watcher = watcher
        self.store = store
        self.metrics_server = metrics_server
        self._closers = list(closers)

    def close(self) -> None:
        if self.metrics_server is not None:
            self.metrics_server.close()
        for closer in self._closers:
            closer()
        self.store.close()

    def __enter__(self) -> WatchService:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def sqs_client_factory(ctx: Context, config: WatchConfig) -> Any:
    """A function that builds a fresh SQS client each time (credentials are read again)."""
    import boto3
    from botocore.config import Config

    region = config.region_of_queue(ctx.aws.regions[0] if ctx.aws.regions else "")
    endpoint = config.queue_endpoint_url or ctx.aws.endpoint_url or None
    botocfg = Config(
        retries={"mode": "standard", "max_attempts": 2},
        connect_timeout=5,
        read_timeout=config.wait_time + 10,
    )

    def make() -> Any:
        session = boto3.Session(
            profile_name=ctx.aws.profile,
            aws_access_key_id=ctx.aws.access_key_id,
            aws_secret_access_key=ctx.aws.secret_access_key,
            aws_session_token=ctx.aws.session_token,
        )
        return session.client(
            "sqs",
            region_name=region or session.region_name or "us-east-1",
            endpoint_url=endpoint,
            config=botocfg,
        )

    return make


def build_service(options: WatchOptions, *, out: TextIO) -> WatchService:
    """Everything ``andon watch`` runs, built from ``options``; ConfigError on bad input."""
    from andon.alert import AlertDispatcher, AlertRecord, load_alert_config
    from andon.collect.aws.registry import select_services
    from andon.collect.aws.scope import ScanConfig, parse_config
    from andon.rules import default_registry
    from andon.watch.events import parse_event
    from andon.watch.refs import ResourceRef

    watch = load_watch_config(options.doc).with_overrides(**options.overrides)
    alerts = load_alert_config(options.doc.get("alerts", {}))
    base = parse_config(options.doc) if options.doc else ScanConfig()
    if options.config_path is not None:
        pass  # parse_config already named the problem; the path is in the CLI's message
    scan_config = base.with_flags(regions=options.regions, services=options.services)
    rules = default_registry().select(list(options.rule_patterns))
    kinds = {k for r in rules for k in r.meta.resource_kinds} if options.rule_patterns else None
    services = select_services(scan_config.services, rule_kinds=kinds)
    ctx = Context(
        aws=AwsTarget(
            profile=options.profile,
            regions=scan_config.regions,
            endpoint_url=options.endpoint_url,
        ),
        limits=Limits(concurrency=options.concurrency, max_attempts=options.max_attempts),
        exemption_tag=options.exemption_tag,
    )
    if not watch.queue_url and watch.sweep_interval <= 0:
        raise ConfigError(
            "nothing to watch: give [watch] queue_url (or --queue-url), or a sweep_interval"
        )
    store = Store(options.db)
    closers: list[Any] = []
    try:
        consumer = consumer_id()
        metrics = WatchMetrics()

        def delivered(record: AlertRecord) -> None:
            metrics.alerts.labels(kind=record.kind, ok=str(bool(record.ok)).lower()).inc()
            if record.ok and record.change_time is not None and record.sent_at is not None:
                seconds = (record.sent_at - record.change_time).total_seconds()
                metrics.detection_latency.observe(max(0.0, seconds))

        dispatcher = AlertDispatcher(store, alerts, out=out, on_delivered=delivered)
        import threading

        stop = threading.Event()
        queue = None
        if watch.queue_url:
            queue = SqsQueue(
                sqs_client_factory(ctx, watch),
                watch.queue_url,
                wait_time=watch.wait_time,
                visibility_timeout=watch.visibility_timeout,
                backoff=Backoff(watch.backoff_initial, watch.backoff_max),
                stop=stop,
                on_error=lambda kind: metrics.errors.labels(kind=kind).inc(),
            )
        sweeper = Sweeper(
            ctx=ctx,
            store=store,
            rules=rules,
            owner=consumer,
            interval=watch.sweep_interval,
            stop=stop,
            metrics=metrics,
            scan_config=scan_config,
            services=services,
        )
        rescan = make_rescan(ctx, store, rules, scan_config, services)
        closers.append(rescan.close)
        on_transitions = None
        if options.auto_fix:
            on_transitions = auto_fixer(options, store, ctx, rescan.clients, dispatcher)
        watcher = Watcher(
            store=store,
            config=watch,
            queue=queue,
            parse=parse_event,
            rescan=rescan,
            make_ref=lambda d: ResourceRef(**d),
            dispatcher=dispatcher,
            sweeper=sweeper,
            metrics=metrics,
            consumer=consumer,
            stop=stop,
            warm_up=rescan.prepare,
            on_transitions=on_transitions,
        )
        server = None
        if watch.metrics_port is not None:
            try:
                server = MetricsServer(
                    metrics,
                    watch.metrics_host,
                    watch.metrics_port,
                    health=lambda: queue is None or queue.healthy,
                ).start()
            except OSError as exc:
                raise ConfigError(
                    f"cannot serve metrics on {watch.metrics_host}:{watch.metrics_port}: {exc}"
                ) from exc
            log.info("metrics on %s", server.url)
        return WatchService(watcher, store, server, closers)
    except BaseException:
        for closer in closers:
            closer()
        store.close()
        raise


class Rescanner:
    """``rescan(refs, meta)`` for the daemon: the core's targeted scan in the sweep's scope,
    with one set of AWS clients kept for the daemon's life."""

    def __init__(
        self, ctx: Context, store: Store, rules: Sequence[Any], scan_config: Any, services: Any
    ) -> None:
        from andon.collect.aws.transport import AwsClients

        self.ctx = ctx
        self.store = store
        self.rules = list(rules)
        self.scan_config = scan_config
        self.services = services
        self.clients = AwsClients(ctx.aws, ctx.limits)
        self._sweep: Any = None

    def prepare(self) -> Any:
        """The sweep's scope, trust zone and services (computed once; CollectError while the
        endpoint cannot be reached)."""
        from andon.watch.rescan import sweep_context

        if self._sweep is None:
            self._sweep = sweep_context(
                self.ctx, self.clients, config=self.scan_config, services=self.services
            )
        return self._sweep

    def __call__(self, refs: Sequence[Any], meta: dict[str, Any]) -> ScanOutcome:
        from andon.watch.rescan import rescan

        self.prepare()
        return rescan(
            self.ctx,
            self.store,
            self.clients,
            list(refs),
            rules=self.rules,
            meta=meta,
            sweep=self._sweep,
        )

    def close(self) -> None:
        self.clients.close()


def make_rescan(
    ctx: Context, store: Store, rules: Sequence[Any], scan_config: Any, services: Any
) -> Rescanner:
    return Rescanner(ctx, store, rules, scan_config, services)


def auto_fixer(
    options: WatchOptions, store: Store, ctx: Context, clients: Any, dispatcher: Any
) -> Any:
    """``on_transitions`` for ``--auto-fix``: the remediation module's :class:`AutoFixer`
    fixes what the transitions opened; every change it made or refused is told to the
    finding's owners (:meth:`AlertDispatcher.notify_change`, idempotent per change)."""
    from andon.remediate.auto import AutoFixer

    fixer = AutoFixer(
        store,
        ctx,
        clients,
        rules=frozenset(options.auto_fix),
        max_per_hour=options.auto_fix_max_per_hour,
        kill_file=options.auto_fix_kill_file,
        enabled=True,
    )

    def on_transitions(outcome: ScanOutcome) -> None:
        for record in fixer.on_transitions(outcome.transitions):
            text = (
                f"Andon {record.mode} fix: {record.action} on {record.resource_uid}: "
                f"{record.result}" + (f" ({record.message})" if record.message else "")
            )
            try:
                dispatcher.notify_change(
                    record.finding_id, text, key=f"fix-{record.id}", scope=outcome.scope
                )
            except Exception as exc:  # the fix is journaled; a failed notice must not stop us
                log.warning("cannot tell the owners about fix %s: %s", record.id, exc)

    return on_transitions
