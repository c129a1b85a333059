"""Benchmark: dashboard server time with 100,000 findings in the store (SQLite and PostgreSQL).

Run by hand (it is not a test)::

    .venv/bin/python bench/web.py                          # 100,000 findings, both backends
    .venv/bin/python bench/web.py --findings 20000 --backend sqlite --requests 30

What it does, per backend:

1. fills a fresh store through the ordinary Store API (``add_resources``, ``add_findings``,
   ``finish_scan``): one scope whose last scan holds N findings over N resources (3 accounts,
   2 regions, 4 rules, every tenth exempt), after an earlier scan of the same scope with 90% of
   them, so that the trend and transitions are real; on PostgreSQL then ``ANALYZE``, as
   autovacuum would do shortly after such a bulk insert;
2. builds the app (:func:`andon.web.create_app`) and times the first request, which copies the
   finding references of the new scan (:mod:`andon.web.refs`, once per new scan);
3. times R requests of each view in-process through the ASGI test client (no network; the
   figure is the server's time plus the client's small overhead): the overview page and its
   API twin, a filtered findings page (severity + account) and its API twin, the same filter
   five pages deep (keyset cursor), and a resource search.

Prints p50 and p95 per view in milliseconds; the target is p95 under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.web.seed import ACCOUNTS, items

from andon.store import Store
from andon.web import HashCost, WebSettings, create_app
from andon.web.auth import add_user, create_token, hasher

PG_URL = os.environ.get("ANDON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_MS = 200.0


def fill(store: Store, n: int) -> None:
    started = time.perf_counter()
    scope = "aws:bench:all"
    pairs = list(items(n))
    for subset in (pairs[: int(n * 0.9)], pairs):
        scan_id = store.start_scan(scope)
        store.add_resources(scan_id, [(r, f.exposure) for r, f in subset])
        store.add_findings(scan_id, [f for _, f in subset])
        store.finish_scan(scan_id, "complete", meta={"resources": len(subset)})
    print(f"  filled {n:,} findings (2 scans) in {time.perf_counter() - started:.1f}s")
    if store.dialect == "postgresql":
        # What autovacuum does shortly after a bulk insert; without statistics the planner
        # picks hash joins over the whole table for the list queries.
        with store.transaction("analyze") as s:
            s.execute(sa.text("ANALYZE"))


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = call()
        out.append((time.perf_counter() - t0) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"HTTP {answer.status_code}: {answer.text[:300]}")
    return out


def run(url: str, n: int, repeat: int) -> dict[str, tuple[float, float]]:
    from fastapi.testclient import TestClient

    cost = HashCost(time_cost=1, memory_cost=1024, parallelism=1)
    with Store(url, batch_size=5000) as store:
        fill(store, n)
        ph = hasher(cost)
        add_user(store, "bench", "a long bench password", "viewer", ph)
        _, token = create_token(store, "bench", "viewer", ph, created_by="bench")
        client = TestClient(create_app(store, WebSettings(hash_cost=cost)))
        h = {"Authorization": f"Bearer {token}"}
        t0 = time.perf_counter()
        client.get("/api/v1/overview", headers=h)
        print(
            f"  first request (copies {n:,} finding references): "
            f"{(time.perf_counter() - t0) * 1000:.0f} ms"
        )
        page = client.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        client.post(
            "/login",
            data={"name": "bench", "password": "a long bench password", "csrf": csrf, "next": "/"},
        )
        flt = f"severity=high&account={ACCOUNTS[1]}"
        deep = client.get(f"/api/v1/findings?{flt}&limit=50", headers=h).json()
        cursor = deep["next_cursor"]
        for _ in range(4):
            cursor = client.get(
                f"/api/v1/findings?{flt}&limit=50&cursor={cursor}", headers=h
            ).json()["next_cursor"]
        views: dict[str, Callable[[], Any]] = {
            "overview page": lambda: client.get("/"),
            "overview API": lambda: client.get("/api/v1/overview", headers=h),
            "findings page (severity+account)": lambda: client.get(f"/findings?{flt}"),
            "findings API (severity+account)": lambda: client.get(
                f"/api/v1/findings?{flt}&limit=50", headers=h
            ),
            "findings API, page 6 (cursor)": lambda: client.get(
                f"/api/v1/findings?{flt}&limit=50&cursor={cursor}", headers=h
            ),
            "findings API, resource search": lambda: client.get(
                "/api/v1/findings?q=bucket-0421&limit=50", headers=h
            ),
        }
        results = {}
        for name, call in views.items():
            call()  # warm
            ms = sorted(timed(call, repeat))
            p95 = ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)]
            results[name] = (statistics.median(ms), p95)
    return results


def pg_schema_url() -> tuple[str, Callable[[], None]]:
    schema = f"andon_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    missed = False
    for backend in backends:
        print(f"{backend}:")
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                results = run(f"sqlite:///{tmp}/bench.db", args.findings, args.requests)
        else:
            url, drop = pg_schema_url()
            try:
                results = run(url, args.findings, args.requests)
            finally:
                drop()
        for name, (p50, p95) in results.items():
            flag = "" if p95 < TARGET_MS else "  (over target)"
            missed |= p95 >= TARGET_MS
            print(f"  {name:<36} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms{flag}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
