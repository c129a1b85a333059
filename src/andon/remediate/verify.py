"""Verification after a fix: re-collect exactly the changed resources and see whether their
findings are gone.

It runs a targeted scan through :func:`andon.watch.rescan.rescan` (the watch core), which
re-collects the resources, evaluates them with the rules and records the scan, so the
findings' transitions (``resolved``) are in the store like any other scan's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from andon.core.model import Status
from andon.remediate.apply import Verifier
from andon.remediate.plan import PlanEntry


def service_of_kinds() -> dict[str, str]:
    """Canonical kind → the collector (service name) that emits it."""
    from andon.collect.aws.registry import SERVICE_NAMES, load

    out: dict[str, str] = {}
    for name in SERVICE_NAMES:
        for kind in load(name).kinds:
            out.setdefault(kind, name)
    return out


def refs_of(entries: Iterable[PlanEntry]) -> list[Any]:
    """The :class:`andon.watch.events.ResourceRef` of each entry's resource (deduplicated)."""
    from andon.watch.refs import ResourceRef

    services = service_of_kinds()
    refs: dict[str, Any] = {}
    for e in entries:
        r: Mapping[str, str] = e.resource
        kind = r.get("kind") or str(e.target.get("kind", ""))
        region = r.get("region") or str(e.target.get("region", ""))
        refs[e.resource_uid] = ResourceRef(
            account=r.get("account") or str(e.target.get("account", "")),
            region=region or "global",
            service=services.get(kind, ""),
            kind=kind,
            uid=e.resource_uid,
        )
    return list(refs.values())


def verdicts(
    entries: Sequence[PlanEntry], outcome: Any, seen: set[str] | None = None
) -> dict[str, str]:
    """finding id → ``resolved`` / ``open`` / ``unknown`` from a (targeted) scan's outcome;
    ``seen``: the uids the scan re-collected (a resource it did not read is ``unknown``)."""
    still = {f.id for f in outcome.findings if f.status is Status.OPEN}
    gapped = {g.resource_uid for g in outcome.gaps}
    complete = getattr(outcome.status, "value", str(outcome.status)) == "complete"
    out: dict[str, str] = {}
    for e in entries:
        for fid in e.finding_ids or (e.finding_id,):
            if fid in still:
                out[fid] = "open"
            elif (
                not complete
                or e.resource_uid in gapped
                or (seen is not None and e.resource_uid not in seen)
            ):
                out[fid] = "unknown"
            else:
                out[fid] = "resolved"
    return out


def rescan_verifier(ctx: Any, store: Any, clients: Any, *, rules: Any) -> Verifier:
    """A :data:`~andon.remediate.apply.Verifier` running the watch core's targeted rescan."""

    def verify(entries: Sequence[PlanEntry]) -> Mapping[str, str]:
        from andon.watch.rescan import rescan

        outcome = rescan(
            ctx, store, clients, refs_of(entries), rules=rules, meta={"trigger": "andon fix"}
        )
        return verdicts(entries, outcome, _seen(store, outcome))

    return verify


def scan_verifier(ctx: Any, store: Any, *, rules: Any) -> Verifier:
    """A fallback :data:`~andon.remediate.apply.Verifier`: a full scan of the services and
    regions of the applied entries (slower than a targeted rescan, same verdicts)."""

    def verify(entries: Sequence[PlanEntry]) -> Mapping[str, str]:
        from dataclasses import replace

        from andon.collect.aws.registry import select_services
        from andon.scan import scan_estate

        services = service_of_kinds()
        names = sorted({services.get(str(e.resource.get("kind", "")), "s3") for e in entries})
        regions = tuple(
            sorted({r for e in entries if (r := str(e.resource.get("region", ""))) != "global"})
        )
        local = replace(ctx, aws=replace(ctx.aws, regions=regions))
        outcome = scan_estate(local, rules=rules, store=store, services=select_services(names))
        return verdicts(entries, outcome, _seen(store, outcome))

    return verify


def default_verifier(ctx: Any, store: Any, clients: Any, *, rules: Any) -> Verifier:
    """The targeted rescan of the watch core when it is installed, else :func:`scan_verifier`."""
    try:
        import andon.watch.rescan  # noqa: F401
    except ImportError:
        return scan_verifier(ctx, store, rules=rules)
    return rescan_verifier(ctx, store, clients, rules=rules)


def _seen(store: Any, outcome: Any) -> set[str] | None:
    if store is None or outcome.scan_id is None or not hasattr(store, "resources"):
        return None
    return {s.resource.uid for s in store.resources(outcome.scan_id)}
