"""`andon demo`: the seeded estate's intended verdicts are exactly what the scan concludes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.cli.main import app
from andon.core.context import AwsTarget, Context
from andon.core.model import Exposure, Level, Resource
from andon.demo import EmulatedCloud, EstateManifest, Verdict, seed_estate
from andon.rules import default_registry
from andon.scan import scan_aws


@pytest.fixture(scope="module")
def estate() -> Iterator[tuple[EmulatedCloud, EstateManifest]]:
    cloud = EmulatedCloud().start()
    try:
        yield cloud, seed_estate(cloud.endpoint_url, cloud.region)
    finally:
        cloud.stop()


def test_scan_matches_the_manifest(estate: tuple[EmulatedCloud, EstateManifest]) -> None:
    cloud, manifest = estate
    seen: dict[str, Exposure] = {}

    def keep(resource: Resource, exposure: Exposure) -> None:
        seen[resource.name] = exposure

    ctx = Context(
        aws=AwsTarget(
            endpoint_url=cloud.endpoint_url,
            access_key_id=manifest.scanner.access_key_id,
            secret_access_key=manifest.scanner.secret_access_key,
        )
    )
    outcome = scan_aws(ctx, rules=default_registry(), on_resource=keep)
    assert outcome.exit_code() == 1
    for b in manifest.buckets:
        got = seen[b.name]
        assert got.access == b.access, (b.name, got.reasons)
        assert got.latent_access == b.latent_access, (b.name, got.reasons)
        if b.verdict is Verdict.GAP:
            assert got.level is Level.UNKNOWN
            assert any(g.resource_uid == f"arn:aws:s3:::{b.name}" for g in outcome.gaps)
        elif b.verdict in (Verdict.PUBLIC_ACL, Verdict.PUBLIC_POLICY, Verdict.EXEMPT_WEBSITE):
            assert got.level is Level.PUBLIC
        else:
            assert got.level is Level.PRIVATE
    exempt = {f.resource["name"] for f in outcome.findings if f.status.value == "exempt"}
    assert exempt == {b.name for b in manifest.with_verdict(Verdict.EXEMPT_WEBSITE)}


def test_demo_command_runs_whole_pipeline(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'andon.db'}"
    result = CliRunner().invoke(app, ["demo", "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output  # the demo's self-check passed
    assert "Self-check: all 8 buckets" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["scan"]["status"] == "complete"
    assert {f["rule"] for f in doc["findings"]} >= {
        "s3.bucket.public_read",
        "s3.bucket.latent_exposure",
        "s3.account.bpa_off",
    }
    assert any(g["operation"].endswith("GetBucketPolicy") for g in doc["gaps"])
    listed = CliRunner().invoke(app, ["scans", "--db", db, "--format", "json"])
    assert json.loads(listed.stdout)[0]["id"] == doc["scan"]["id"]
