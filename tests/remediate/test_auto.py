"""The automatic mode: off by default, kill switch (flag and file), rate limit, journal."""

from __future__ import annotations

import json
from pathlib import Path

from tests.remediate.helpers import scan, seeder

from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.remediate.auto import AutoFixer
from andon.remediate.journal import list_changes
from andon.store import Store


def _policies(aws: AwsClients) -> list[str]:
    sqs = aws.client("sqs")
    out = []
    for url in sorted(sqs.list_queues()["QueueUrls"]):
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
        out.append(json.loads(attrs["Policy"])["Statement"][0]["Principal"])
    return out


def test_auto_fix_obeys_switches_and_rate_limit(
    ctx: Context, aws: AwsClients, store: Store, moto_url: str, tmp_path: Path
) -> None:
    s = seeder(moto_url)
    s.sqs(0, True)
    s.sqs(1, True)
    out = scan(ctx, store, ["sqs"])
    assert len(out.transitions) == 2

    def fixer(**kw: object) -> AutoFixer:
        args: dict[str, object] = {
            "rules": frozenset({"sqs.*"}),
            "max_per_hour": 1,
            "kill_file": tmp_path / "stop",
            "enabled": True,
        }
        args.update(kw)
        return AutoFixer(store, ctx, aws, **args)  # type: ignore[arg-type]

    assert fixer(enabled=False).on_transitions(out.transitions) == []
    assert fixer(rules=frozenset({"s3.*"})).on_transitions(out.transitions) == []
    (tmp_path / "stop").touch()
    assert fixer().on_transitions(out.transitions) == []
    assert _policies(aws) == ["*", "*"]
    (tmp_path / "stop").unlink()

    records = fixer().on_transitions(out.transitions)
    assert [r.result for r in records] == ["applied", "refused"]
    assert "rate limit" in records[1].message
    assert all(r.mode == "auto" and r.who == "andon-auto" for r in records)
    assert sorted(map(str, _policies(aws))) == sorted(
        ["*", str({"AWS": "arn:aws:iam::123456789012:root"})]
    )
    assert [c.id for c in list_changes(store)] == [r.id for r in reversed(records)]
    # a later burst within the hour is refused at once
    again = fixer().on_transitions(out.transitions)
    assert [r.result for r in again] == ["refused"]
