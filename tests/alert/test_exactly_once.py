"""Exactly once across processes: concurrent dispatchers on one PostgreSQL store, and a
dispatcher killed (SIGKILL) between its claim and its result."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.alert.helpers import Receiver, bucket, scan

from andon.alert import AlertDispatcher, list_alerts
from andon.alert.config import load_alert_config
from andon.store import Store

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_two_dispatchers_on_one_postgresql_store_deliver_each_alert_once(
    pg_schema_url: str, receiver: Receiver
) -> None:
    cfg = load_alert_config(
        {
            "channels": {"ops": receiver.url("ops"), "data": receiver.url("data")},
            "routes": {"team-data": ["data", "ops"]},
            "default": ["ops"],
        }
    )
    with Store(pg_schema_url) as store:
        names = [f"b{i:02d}" for i in range(12)]
        resources = [
            bucket(n, tags={"owner": "team-data"} if i % 3 == 0 else {})
            for i, n in enumerate(names)
        ]
        scan(store, resources)
        expected = sum(2 if i % 3 == 0 else 1 for i in range(len(names)))
        barrier = threading.Barrier(2)
        results: dict[str, list[str]] = {}
        errors: list[BaseException] = []

        def work(name: str) -> None:
            try:
                with Store(pg_schema_url) as own:  # its own engine, like another process
                    d = AlertDispatcher(own, cfg, out=io.StringIO(), worker=name)
                    barrier.wait()
                    got = [r.id for r in d.deliver_pending()]
                    got += [r.id for r in d.deliver_pending()]
                    results[name] = got
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in ("w1", "w2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        sent = results["w1"] + results["w2"]
        assert len(sent) == len(set(sent)) == expected
        ids = [h.alert["alert_id"] for h in receiver.ok()]
        assert len(ids) == len(set(ids)) == expected
        journal = list_alerts(store, limit=1000)
        assert len(journal) == expected and {r.status for r in journal} == {"sent"}
        # A third dispatcher (a restart) finds nothing left to do.
        late = AlertDispatcher(store, cfg, out=io.StringIO(), worker="w3")
        assert late.deliver_pending() == []
        assert len(receiver.hits) == expected


CRASHER = textwrap.dedent(
    """
    import io, sys
    from andon.alert import AlertDispatcher
    from andon.alert.config import load_alert_config
    from andon.store import Store

    cfg = load_alert_config({"channels": {"ops": sys.argv[2]}, "lease": "30s"})
    with Store(sys.argv[1]) as store:
        AlertDispatcher(store, cfg, out=io.StringIO(), worker="doomed:1").deliver_pending()
    """
)


@pytest.mark.postgres
def test_a_dispatcher_killed_between_claim_and_result_is_taken_over_after_its_lease(
    pg_schema_url: str, receiver: Receiver
) -> None:
    crash_db = pg_schema_url
    with Store(crash_db) as store:
        scan(store, [bucket("a")])
    receiver.stall.set()  # the receiver hangs: the doomed process is mid-send when killed
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHER, crash_db, receiver.url("ops")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert receiver.stalled.wait(30), proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc.stderr is not None:
            proc.stderr.close()
    receiver.stall.clear()
    cfg = load_alert_config({"channels": {"ops": receiver.url("ops")}, "lease": "30s"})
    with Store(crash_db) as store:
        (claim,) = list_alerts(store)
        assert (claim.status, claim.attempts) == ("claimed", 1)
        now = AlertDispatcher(store, cfg, out=io.StringIO(), worker="next:1")
        assert now.deliver_pending() == []  # the lease still protects the claim
        later = datetime.now(UTC) + timedelta(seconds=31)
        heir = AlertDispatcher(store, cfg, out=io.StringIO(), worker="heir:1", clock=lambda: later)
        (rec,) = heir.deliver_pending()
        assert (rec.status, rec.attempts, rec.id) == ("sent", 2, claim.id)
        assert rec.error == ""
        assert heir.deliver_pending() == []
        (hit,) = receiver.ok("ops")
        assert hit.alert["alert_id"] == claim.id
        (journaled,) = list_alerts(store)
        assert journaled.status == "sent"


def test_a_send_that_outlives_its_lease_is_taken_over_and_recorded_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    """Dispatcher A hangs in its send past the lease; B takes over and sends; when A's send
    finally fails, A records nothing over B's result and prints no second line."""
    url = f"sqlite:///{tmp_path / 'andon.db'}"
    cfg = load_alert_config({"channels": {"ops": receiver.url("ops")}, "lease": "30s"})
    with Store(url) as store:
        scan(store, [bucket("a")])
        slow_out = io.StringIO()
        slow = AlertDispatcher(store, cfg, out=slow_out, worker="slow:1")
        receiver.stall.set()
        done: list[list[object]] = []
        thread = threading.Thread(target=lambda: done.append(list(slow.deliver_pending())))
        thread.start()
        assert receiver.stalled.wait(10)
        receiver.stall.clear()
        later = datetime.now(UTC) + timedelta(seconds=31)
        fast_out = io.StringIO()
        fast = AlertDispatcher(store, cfg, out=fast_out, worker="fast:1", clock=lambda: later)
        (rec,) = fast.deliver_pending()
        assert (rec.status, rec.attempts) == ("sent", 2)
        receiver.release.set()  # A's send now ends with a 503
        thread.join(30)
        assert done == [[]]  # A settled nothing
        assert slow_out.getvalue() == "" and len(fast_out.getvalue().splitlines()) == 1
        (journaled,) = list_alerts(store)
        assert (journaled.status, journaled.id) == ("sent", rec.id)
        assert [h.alert["alert_id"] for h in receiver.ok("ops")] == [rec.id]
