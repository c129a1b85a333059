"""``andon demo``: an emulated connected-car cloud on loopback, audited like a real account."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.panel import Panel

from andon.cli.common import Format, fail, run_and_report
from andon.core.context import AwsTarget, ClassifySettings, Context, Limits
from andon.core.errors import AndonError
from andon.core.model import Exposure, Level, Resource
from andon.report.safe import plain

NEXT_STEPS = """\
[bold]What to try next[/]
  andon findings                              the findings of this scan, from the store
  andon findings --format json                the same as the documented JSON contract
  andon explain s3.bucket.latent_exposure     why a latent exposure matters and how to fix it
  andon scans                                 every recorded scan
  andon scan --profile PROFILE                audit a real AWS account (read-only calls)"""


if TYPE_CHECKING:
    from andon.demo import EstateManifest


def run_demo(
    *, db: str | None, fmt: Format, output: Path | None, seed: int, classify: bool = True
) -> int:
    from andon.demo import EmulatedCloud, seed_estate

    err = Console(stderr=True)
    started = time.monotonic()
    if classify and not classify_available():
        err.print(
            "Content classification needs the classify extra (pip install 'andon[classify]'); "
            "this demo runs without it.",
            highlight=False,
        )
        classify = False
    try:
        cloud = EmulatedCloud().start()
    except AndonError as exc:
        fail(str(exc))
    try:
        err.print(
            f"Emulated cloud (moto) listening on {cloud.endpoint_url} (loopback only)",
            highlight=False,
        )
        manifest = seed_estate(cloud.endpoint_url, cloud.region, seed=seed)
        c = manifest.counts
        err.print(
            f"Seeded a synthetic connected-car estate: {len(manifest.buckets)} buckets, "
            f"{c.vehicles} vehicles, {c.trips} trips, {c.customers} customers "
            f"({time.monotonic() - started:.1f}s)",
            highlight=False,
        )
        if manifest.gap_note:
            err.print(plain(manifest.gap_note), highlight=False)
        ctx = Context(
            aws=AwsTarget(
                endpoint_url=cloud.endpoint_url,
                access_key_id=manifest.scanner.access_key_id,
                secret_access_key=manifest.scanner.secret_access_key,
                regions=(),
            ),
            limits=Limits(concurrency=8),
            classify=ClassifySettings() if classify else None,
        )
        seen: dict[str, Exposure] = {}

        def keep(resource: Resource, exposure: Exposure) -> None:
            if resource.kind == "storage.bucket":
                seen[resource.name] = exposure

        # The very same scan as `andon scan --endpoint-url ...`: collect, evaluate, store.
        scan_code = run_and_report(
            ctx,
            fmt=fmt,
            output=output,
            db=db,
            no_store=False,
            rule_patterns=[],
            title="Scanning the demo estate",
            on_resource=keep,
        )
        mismatches = check_verdicts(manifest, seen)
    finally:
        cloud.stop()
    if mismatches:
        for line in mismatches:
            err.print(f"[bold red]verdict mismatch:[/] {plain(line)}", highlight=False)
        err.print(f"Demo finished in {time.monotonic() - started:.1f}s, with mismatches.")
        return 1
    err.print(
        f"Self-check: all {len(manifest.buckets)} buckets got the verdict the estate was built "
        f"to have (`andon scan` on this estate exits {scan_code}: exposure found).",
        highlight=False,
    )
    if fmt is Format.table:
        err.print(Panel(NEXT_STEPS, expand=False))
    err.print(f"Demo finished in {time.monotonic() - started:.1f}s.", highlight=False)
    return 0


def check_verdicts(manifest: EstateManifest, seen: dict[str, Exposure]) -> list[str]:
    """Differences between the estate's intended verdicts and what the scan concluded."""
    from andon.demo import Verdict

    out: list[str] = []
    for b in manifest.buckets:
        got = seen.get(b.name)
        if got is None:
            out.append(f"{b.name}: not scanned")
            continue
        if got.access != b.access or got.latent_access != b.latent_access:
            out.append(
                f"{b.name}: expected access {sorted(b.access)} latent {sorted(b.latent_access)}, "
                f"got {sorted(got.access)} latent {sorted(got.latent_access)}"
            )
        if b.verdict is Verdict.GAP and got.level is not Level.UNKNOWN:
            out.append(f"{b.name}: expected UNKNOWN (coverage gap), got {got.level.value}")
    return out


def classify_available() -> bool:
    """Whether the ``classify`` extra (pyarrow, hyperscan, datasketches, …) is installed."""
    import importlib.util

    names = ("pyarrow", "hyperscan", "datasketches", "stdnum")
    return all(importlib.util.find_spec(n) is not None for n in names)
