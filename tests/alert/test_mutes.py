"""Mutes in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.alert.helpers import ManualClock, bucket, scan

from andon.alert import InvalidMute, active_mute, add_mute, lift_mute, list_mutes
from andon.core.errors import ConfigError, NotFound
from andon.core.model import finding_id
from andon.store import Store

RULE = "s3.bucket.public_read"


def fid(name: str) -> str:
    return finding_id(RULE, f"arn:aws:s3:::{name}")


def test_add_list_lift_and_expire(store: Store, clock: ManualClock) -> None:
    scan(store, [bucket("a"), bucket("b")])
    start = clock.now
    m1 = add_mute(
        store,
        fid("a"),
        reason="  vendor drop  ",
        expires_at=start + timedelta(hours=2),
        created_by="alice",
    )
    assert (m1.finding_id, m1.reason, m1.created_by, m1.created_at) == (
        fid("a"),
        "vendor drop",
        "alice",
        start,
    )
    assert m1.lifted_at is None and m1.active(start) and not m1.active(start + timedelta(hours=2))
    m2 = add_mute(
        store, fid("a"), reason="longer", expires_at=start + timedelta(days=1), created_by="bob"
    )
    m3 = add_mute(
        store, fid("b"), reason="other", expires_at=start + timedelta(hours=1), created_by="bob"
    )
    assert [m.id for m in list_mutes(store)] == [m1.id, m2.id, m3.id]
    assert [m.id for m in list_mutes(store, finding_id=fid("a"))] == [m1.id, m2.id]
    active = active_mute(store, fid("a"), start + timedelta(minutes=1))
    assert active is not None and active.id == m2.id  # the one that lasts longest
    later = start + timedelta(hours=1, minutes=30)
    assert [m.id for m in list_mutes(store, active_at=later)] == [m1.id, m2.id]  # b expired
    assert active_mute(store, fid("b"), later) is None

    clock.advance(minutes=10)
    lifted = lift_mute(store, m2.id, by="carol")
    assert (lifted.lifted_at, lifted.lifted_by) == (clock.now, "carol")
    assert not lifted.active(clock.now) and lifted.active(start + timedelta(minutes=5))
    again = lift_mute(store, m2.id, by="dave")  # lifting twice changes nothing
    assert (again.lifted_at, again.lifted_by) == (clock.now, "carol")
    assert [m.id for m in list_mutes(store, active_at=clock.now)] == [m1.id, m3.id]
    active = active_mute(store, fid("a"), clock.now)
    assert active is not None and active.id == m1.id
    assert [m.id for m in list_mutes(store)] == [m1.id, m2.id, m3.id]  # never deleted
    assert list_mutes(store)[1].to_dict()["lifted_by"] == "carol"


def test_bad_mutes_are_refused(store: Store, clock: ManualClock) -> None:
    scan(store, [bucket("a")])
    soon = clock.now + timedelta(hours=1)
    with pytest.raises(InvalidMute, match="reason"):
        add_mute(store, fid("a"), reason="   ", expires_at=soon, created_by="alice")
    with pytest.raises(InvalidMute, match="not in the future"):
        add_mute(store, fid("a"), reason="x", expires_at=clock.now, created_by="alice")
    with pytest.raises(InvalidMute, match="time zone"):
        add_mute(store, fid("a"), reason="x", expires_at=datetime(2030, 1, 1), created_by="alice")
    with pytest.raises(InvalidMute, match="who"):
        add_mute(store, fid("a"), reason="x", expires_at=soon, created_by=" ")
    with pytest.raises(NotFound):
        add_mute(store, "0" * 20, reason="x", expires_at=soon, created_by="alice")
    with pytest.raises(NotFound):
        lift_mute(store, 999, by="alice")
    assert issubclass(InvalidMute, ConfigError) and issubclass(InvalidMute, ValueError)
    assert list_mutes(store) == []


def test_hostile_reason_is_stored_exactly(store: Store, clock: ManualClock) -> None:
    scan(store, [bucket("a")])
    reason = "\x00<script>alert(1)</script>\x1b[31m **bold**"
    m = add_mute(
        store,
        fid("a"),
        reason=reason,
        expires_at=clock.now + timedelta(hours=1),
        created_by="e\u202eve",
    )
    (back,) = list_mutes(store)
    assert back == m and back.reason == reason.strip() and back.created_by == "e\u202eve"
