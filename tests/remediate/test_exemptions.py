"""Exemptions: the store API, tags with owner and expiry, the config file, and the scan."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from andon.core.errors import ConfigError, NotFound
from andon.core.model import Resource, Status
from andon.exposure.s3_model import S3BucketState
from andon.remediate.exemptions import (
    Exempter,
    ExemptionTags,
    add_exemption,
    list_exemptions,
    parse_config_exemptions,
    parse_expiry,
    revoke_exemption,
    tag_exemption,
)
from andon.rules import default_registry
from andon.scan import run_scan
from andon.store import Store

UID = "arn:aws:s3:::site"
POLICY = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::site/*",
            }
        ]
    }
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def bucket(tags: dict[str, str] | None = None) -> Resource:
    state = S3BucketState(name="site", account="123456789012", region="us-east-1", policy=POLICY)
    return Resource(
        uid=UID,
        cloud="aws",
        account="123456789012",
        region="us-east-1",
        kind="storage.bucket",
        native_type="AWS::S3::Bucket",
        name="site",
        attributes=state.to_dict(),
        tags=tags or {},
    )


def test_recorded_exemptions_expire_and_revoke(db_url: str) -> None:
    clock = Clock()
    with Store(db_url, clock=clock) as store:
        until = clock.now + timedelta(days=30)
        made = add_exemption(
            store, UID, reason="static site", owner="web-team", expires_at=until, created_by="ann"
        )
        assert made.id is not None and made.source == "store"
        assert made.active(clock.now) and not made.active(until)
        other = add_exemption(
            store,
            "arn:aws:s3:::x",
            reason="r",
            owner="o",
            expires_at=None,
            created_by="ann",
            rule_id="s3.bucket.public_read",
        )
        assert [e.id for e in list_exemptions(store, resource_uid=UID)] == [made.id]
        assert len(list_exemptions(store, active_at=clock.now)) == 2
        assert list_exemptions(store, active_at=until) == [other]
        revoked = revoke_exemption(store, other.id or 0, by="bob")
        assert revoked.revoked_at == clock.now
        assert list_exemptions(store, active_at=clock.now) == [made]
        assert len(list_exemptions(store)) == 2  # history kept
        with pytest.raises(NotFound):
            revoke_exemption(store, 999, by="bob")


def test_an_exemption_needs_a_reason_an_owner_and_a_future_expiry(store: Store) -> None:
    with pytest.raises(ConfigError, match="reason"):
        add_exemption(store, UID, reason=" ", owner="o", expires_at=None, created_by="a")
    with pytest.raises(ConfigError, match="owner"):
        add_exemption(store, UID, reason="r", owner="", expires_at=None, created_by="a")
    with pytest.raises(ConfigError, match="past"):
        add_exemption(
            store,
            UID,
            reason="r",
            owner="o",
            expires_at=datetime(2000, 1, 1, tzinfo=UTC),
            created_by="a",
        )
    assert list_exemptions(store) == []


def test_tags_carry_owner_and_expiry_and_an_expired_tag_exempts_nothing() -> None:
    tags = ExemptionTags.for_reason_tag("corp:public")
    assert tags == ExemptionTags("corp:public", "corp:owner", "corp:expires")
    res = bucket(
        {"corp:public": "open data", "corp:owner": "data-team", "corp:expires": "2026-06-30"}
    )
    found = tag_exemption(res, tags)
    assert found is not None and found.owner == "data-team"
    assert found.active(datetime(2026, 6, 30, 23, tzinfo=UTC))
    assert not found.active(datetime(2026, 7, 1, tzinfo=UTC))
    garbled = tag_exemption(bucket({"corp:public": "x", "corp:expires": "soon"}), tags)
    assert garbled is not None and not garbled.active(datetime(2026, 1, 1, tzinfo=UTC))
    assert tag_exemption(bucket({"corp:public": "  "}), tags) is None


def test_config_exemptions_are_parsed_strictly() -> None:
    found = parse_config_exemptions(
        {
            "exemptions": [
                {
                    "resource": "arn:aws:s3:::public-*",
                    "reason": "press kit",
                    "owner": "comms",
                    "expires": "2027-01-01",
                },
                {"resource": UID, "rule": "s3.bucket.public_read", "reason": "r", "owner": "o"},
            ]
        }
    )
    assert found[0].covers("arn:aws:s3:::public-kit", "s3.bucket.public_read")
    assert not found[0].covers("arn:aws:s3:::private", "s3.bucket.public_read")
    assert found[1].covers(UID, "s3.bucket.public_read")
    assert not found[1].covers(UID, "s3.bucket.public_list")
    for bad, msg in (
        ({"resource": UID, "reason": "r"}, "owner is required"),
        ({"resource": UID, "reason": "r", "owner": "o", "color": 1}, "unknown key"),
        ({"resource": UID, "reason": "r", "owner": "o", "expires": "tomorrow"}, "ISO date"),
        ({"resource": "", "reason": "r", "owner": "o"}, "non-empty"),
    ):
        with pytest.raises(ConfigError, match=msg):
            parse_config_exemptions({"exemptions": [bad]})
    with pytest.raises(ConfigError, match="array of tables"):
        parse_config_exemptions({"exemptions": {"resource": UID}})


@given(st.dates(min_value=datetime(1970, 1, 2).date(), max_value=datetime(9998, 1, 1).date()))
def test_a_date_expiry_lasts_through_that_day(day: object) -> None:
    end = parse_expiry(str(day), "x")
    assert end.tzinfo is UTC
    assert (end - timedelta(seconds=1)).date() == day


def test_scans_report_exempt_findings_and_reopen_them_when_the_exemption_expires(
    tmp_path: object,
) -> None:
    clock = Clock()
    with Store(f"sqlite:///{tmp_path}/s.db", clock=clock) as store:
        add_exemption(
            store,
            UID,
            reason="static site",
            owner="web",
            created_by="ann",
            expires_at=clock.now + timedelta(days=1),
        )
        first = run_scan(iter([bucket()]), scope="aws:t", rules=default_registry(), store=store)
        assert {f.status for f in first.findings} == {Status.EXEMPT}
        assert "owner web" in first.findings[0].exemption
        assert first.exit_code() == 0
        clock.now += timedelta(days=2)
        second = run_scan(iter([bucket()]), scope="aws:t", rules=default_registry(), store=store)
        assert {f.status for f in second.findings} == {Status.OPEN}
        assert second.exit_code() == 1


def test_an_expired_tag_opens_the_finding_and_config_exemptions_count() -> None:
    past = bucket({"andon:public": "old site", "andon:expires": "2020-01-01"})
    out = run_scan(iter([past]), scope="aws:t", rules=default_registry())
    assert {f.status for f in out.findings} == {Status.OPEN}
    config = parse_config_exemptions(
        {"exemptions": [{"resource": "arn:aws:s3:::si*", "reason": "r", "owner": "o"}]}
    )
    exempter = Exempter(at=datetime.now(UTC), config=config)
    out = run_scan(
        iter([bucket()]), scope="aws:t", rules=default_registry(), exempter=exempter.reason
    )
    assert {f.status for f in out.findings} == {Status.EXEMPT}
