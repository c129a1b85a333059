"""Benchmark: ``andon scan --org`` over every service against a bare boto3 "API floor".

Run by hand (it is not a test)::

    .venv/bin/python bench/scan_estate.py                        # about 1,000 and 10,000
    .venv/bin/python bench/scan_estate.py --sizes 1000 --repeat 3

What it does, in one process:

1. starts moto's ``ThreadedMotoServer`` on a free loopback port (in this process, counting
   the API requests it serves) and, per size, resets it and seeds an AWS Organization (the
   management account and ``--members`` member accounts, reached by AssumeRole) with every
   resource type Andon collects, in two regions, the same number of each type per (account,
   region): S3 buckets, SQS queues, SNS topics, KMS keys, secrets, ECR repositories, EFS file
   systems, Lambda functions and URLs, OpenSearch domains, Glacier and Backup vaults, REST
   APIs, DynamoDB tables, RDS instances, Aurora clusters and their snapshots, Redshift
   clusters, EC2 instances, EBS snapshots and AMIs (``tests/aws_estate.py``; every third one
   exposed);
2. runs Andon's estate scan once in-process, untimed, recording every API call it makes
   (botocore ``before-parameter-build``: operation, parameters, region, the credentials of
   the session) - the list the floor replays;
3. alternates ``floor, andon, floor, andon ...`` as child processes, timed around the child
   (interpreter start-up included for both), each child's peak RSS read from its own
   ``VmHWM`` (polled) and its HTTP requests counted at the server.

The *floor* is this file run as ``--floor``: plain boto3, no Andon import, making exactly the
recorded calls (same operations, same parameters, same credentials per account) with the same
concurrency as Andon (``--accounts`` accounts at once, ``--concurrency`` calls in flight per
account), the same botocore ``Config`` (adaptive retries, pool size, path addressing) and the
same ``s3control`` host fix; it throws every answer away. It knows every parameter in advance
(pagination tokens, resource names), so it never waits for a listing before its detail
calls: a stricter floor than a hand-written script could reach.

*Andon* is the real command: ``andon scan --org --endpoint-url URL -r us-east-1 -r eu-west-1
--db sqlite:///<tmp>/bench.db --format json --output <tmp>/andon.json --concurrency C`` (exit 1,
exposure found, is expected), each run with a fresh database: collection, evaluation, rules
and the store, all of it.

Prints, per size, resources/s for both, the ratio (Andon's time / the floor's) and Andon's peak
RSS. Targets: within 1.3x of the floor at both sizes; time per resource about flat from the
small to the large size (linear growth); peak RSS under 300 MB at 10,000 resources.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REGIONS = ("us-east-1", "eu-west-1")
TARGET_RATIO = 1.3
TARGET_RSS_MB = 300
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}
# Andon's defaults, repeated so that the floor never imports Andon.
MAX_ATTEMPTS = 8  # andon.core.context.Limits.max_attempts
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
ACCOUNTS_AT_ONCE = 4  # andon.collect.aws.estate.EstateLimits.accounts
NOT_REPLAYED = {("sts", "AssumeRole")}  # the floor is handed the assumed credentials


# -- the floor: a bare boto3 replay ----------------------------------------------------------


def floor_main(url: str, calls_file: str, concurrency: int, accounts: int) -> int:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    plan = json.loads(Path(calls_file).read_text(encoding="utf-8"))
    config = Config(
        retries={"mode": "adaptive", "max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_pool_connections=max(10, concurrency),
        s3={"addressing_style": "path"},
    )
    netloc = url.split("//", 1)[1]
    errors: Counter[str] = Counter()
    lock = threading.Lock()

    def strip(request: Any, **_: Any) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(request.url)
        if parts.netloc.endswith("." + netloc):
            request.url = parts._replace(netloc=netloc).geturl()

    def account(entry: dict[str, Any]) -> None:
        creds = entry["credentials"]
        session = boto3.Session(
            aws_access_key_id=creds[0], aws_secret_access_key=creds[1], aws_session_token=creds[2]
        )
        clients: dict[tuple[str, str], Any] = {}
        client_lock = threading.Lock()

        def client(service: str, region: str) -> Any:
            with client_lock:
                c = clients.get((service, region))
                if c is None:
                    c = session.client(service, region_name=region, endpoint_url=url, config=config)
                    if service == "s3control":
                        c.meta.events.register("before-sign.s3-control", strip)
                    clients[(service, region)] = c
                return c

        def one(call: list[Any]) -> None:
            service, region, method, params = call
            try:
                getattr(client(service, region), method)(**params)
            except (ClientError, BotoCoreError, ResponseParserError) as exc:
                with lock:
                    errors[f"{service}:{method}:{type(exc).__name__}"] += 1

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, entry["calls"]))

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=accounts) as pool:
        list(pool.map(account, plan["accounts"]))
    seconds = time.perf_counter() - start
    calls = sum(len(a["calls"]) for a in plan["accounts"])
    sys.stdout.write(json.dumps({"seconds": seconds, "calls": calls, "errors": errors}) + "\n")
    return 0


# -- the emulator ----------------------------------------------------------------------------


class CountingApp:
    """A WSGI wrapper counting the API requests moto's server receives."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.requests = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
            with self._lock:
                self.requests += 1
        return self.app(environ, start_response)


class Emulator:
    def __init__(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        inner = self.server._server
        assert inner is not None
        self.counter = CountingApp(inner.app)
        inner.app = self.counter
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def reset(self) -> None:
        import urllib.request

        request = urllib.request.Request(f"{self.url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()

    def stop(self) -> None:
        self.server.stop()


# -- seeding and recording -------------------------------------------------------------------


def seed(url: str, size: int, members: int) -> tuple[int, float]:
    """An organization of ``members + 1`` accounts, about ``size`` resources in all."""
    from tests.aws_estate import count_of, organization, seed_region

    start = time.perf_counter()
    sessions = organization(url, members)
    cells = [(n, s, r) for n, s in enumerate(sessions) for r in REGIONS]
    units = max(1, round(size / (len(cells) * count_of(1))))

    def one(cell: tuple[int, Any, str]) -> int:
        n, session, region = cell
        return seed_region(session, url, region, units, prefix=f"b{n}{region.replace('-', '')}")

    with ThreadPoolExecutor(max_workers=len(cells)) as pool:
        done = list(pool.map(one, cells))
    return sum(done), time.perf_counter() - start


def record(url: str, concurrency: int, path: Path) -> tuple[int, int, dict[str, int]]:
    """Andon's scan in-process, untimed: every call it makes, grouped by account."""
    import boto3

    from andon.collect.aws.scope import ScanConfig
    from andon.core.context import AwsTarget, Context, Limits
    from andon.rules import default_registry
    from andon.scan import scan_estate

    calls: dict[tuple[str, str, str], list[list[Any]]] = {}
    lock = threading.Lock()

    def instrument(session: boto3.Session) -> None:
        def keep(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
            from botocore import xform_name

            service = model.service_model.service_name
            if (service, model.name) in NOT_REPLAYED:
                return
            frozen = session.get_credentials().get_frozen_credentials()
            key = (frozen.access_key, frozen.secret_key, frozen.token or "")
            entry = [service, context.get("client_region"), xform_name(model.name), params]
            with lock:
                calls.setdefault(key, []).append(json.loads(json.dumps(entry, default=str)))

        session.events.register("before-parameter-build", keep)

    ctx = Context(aws=AwsTarget(endpoint_url=url), limits=Limits(concurrency=concurrency))
    outcome = scan_estate(
        ctx,
        rules=default_registry(),
        config=ScanConfig(regions=REGIONS, org=True),
        instrument=instrument,
    )
    plan = {"accounts": [{"credentials": list(k), "calls": v} for k, v in calls.items()]}
    path.write_text(json.dumps(plan), encoding="utf-8")
    statuses = Counter(str(c["status"]) for c in outcome.coverage)
    return outcome.resources, sum(len(v) for v in calls.values()), dict(statuses)


# -- timed children --------------------------------------------------------------------------


def high_water(pid: int) -> int:
    """The process's peak resident set (VmHWM, kB), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_child(
    args: list[str], env: dict[str, str], ok: tuple[int, ...]
) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one child process, which must exit with ``ok``.

    The peak is the child's own VmHWM, polled every 20 ms: ``ru_maxrss`` from ``wait4`` would
    count this parent's memory (moto and the seeded estate) inherited until ``exec``.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, env=env, cwd=ROOT)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, high_water(proc.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(), err.read().decode()
    if proc.returncode not in ok:
        raise RuntimeError(f"{args[:4]} exited {proc.returncode}: {errors[-3000:]}")
    return seconds, peak / 1024, text


def bench(emulator: Emulator, size: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    emulator.reset()
    resources, seed_seconds = seed(emulator.url, size, args.members)
    plan = tmp / f"calls-{size}.json"
    found, calls, statuses = record(emulator.url, args.concurrency, plan)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **ENV}
    env["PYTHONPATH"] = str(ROOT / "src")
    floor_cmd = [sys.executable, __file__, "--floor", emulator.url, "--calls", str(plan)]
    floor_cmd += ["--concurrency", str(args.concurrency), "--accounts", str(ACCOUNTS_AT_ONCE)]
    floors: list[float] = []
    andons: list[float] = []
    rss: list[float] = []
    requests: dict[str, list[int]] = {"floor": [], "andon": []}
    for n in range(args.repeat):
        before = emulator.counter.requests
        seconds, _, text = run_child(floor_cmd, env, (0,))
        floors.append(seconds)
        floor_errors = json.loads(text.strip().splitlines()[-1])["errors"]
        requests["floor"].append(emulator.counter.requests - before)
        out = tmp / f"andon-{size}-{n}.json"
        andon_cmd = [sys.executable, "-m", "andon.cli.main", "scan", "--org"]
        andon_cmd += [
            "--endpoint-url",
            emulator.url,
            "--db",
            f"sqlite:///{tmp}/bench-{size}-{n}.db",
        ]
        andon_cmd += ["-f", "json", "-o", str(out), "--concurrency", str(args.concurrency)]
        for region in REGIONS:
            andon_cmd += ["-r", region]
        before = emulator.counter.requests
        seconds, peak, _ = run_child(andon_cmd, env, (1,))  # exposure found
        andons.append(seconds)
        rss.append(peak)
        requests["andon"].append(emulator.counter.requests - before)
        doc = json.loads(out.read_text(encoding="utf-8"))
        if doc["scan"]["resources"] != found:
            raise RuntimeError(f"andon saw {doc['scan']['resources']} resources, not {found}")
    floor_s, andon_s = statistics.median(floors), statistics.median(andons)
    return {
        "size": size,
        "seeded": resources,
        "resources": found,
        "seed_seconds": round(seed_seconds, 1),
        "recorded_calls": calls,
        "coverage": statuses,
        "floor_seconds": round(floor_s, 2),
        "andon_seconds": round(andon_s, 2),
        "floor_per_s": round(found / floor_s, 1),
        "andon_per_s": round(found / andon_s, 1),
        "ratio": round(andon_s / floor_s, 3),
        "andon_peak_rss_mb": round(max(rss), 1),
        "requests": {k: statistics.median(v) for k, v in requests.items()},
        "floor_errors": floor_errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--members", type=int, default=2, help="member accounts")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--floor", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--calls", help=argparse.SUPPRESS)
    parser.add_argument("--accounts", type=int, default=ACCOUNTS_AT_ONCE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        return floor_main(args.floor, args.calls, args.concurrency, args.accounts)
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    os.environ.update(ENV)
    emulator = Emulator()
    results = []
    ok = True
    try:
        with tempfile.TemporaryDirectory(prefix="andon-bench-") as tmp:
            for size in args.sizes:
                result = bench(emulator, size, args, Path(tmp))
                results.append(result)
                print(json.dumps(result), flush=True)
    finally:
        emulator.stop()
    print()
    print(f"{'size':>7} {'resources':>9} {'floor/s':>9} {'andon/s':>9} {'ratio':>6} {'RSS MB':>7}")
    for r in results:
        print(
            f"{r['size']:>7} {r['resources']:>9} {r['floor_per_s']:>9} {r['andon_per_s']:>9} "
            f"{r['ratio']:>6} {r['andon_peak_rss_mb']:>7}"
        )
        ok &= r["ratio"] <= TARGET_RATIO
        if r["resources"] >= 9000:
            ok &= r["andon_peak_rss_mb"] < TARGET_RSS_MB
    if len(results) > 1:
        small, large = results[0], results[-1]
        growth = (large["andon_seconds"] / large["resources"]) / (
            small["andon_seconds"] / small["resources"]
        )
        print(f"time per resource, largest / smallest size: {growth:.2f} (1.00 = linear)")
    print(
        f"targets: ratio <= {TARGET_RATIO}, RSS < {TARGET_RSS_MB} MB at 10,000: "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
