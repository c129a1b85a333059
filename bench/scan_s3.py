"""Benchmark: ``andon scan`` against the "API floor" of a bare boto3 script, on moto's server.

Run by hand (it is not a test)::

    .venv/bin/python bench/scan_s3.py                       # 2,000 buckets, concurrency 16
    .venv/bin/python bench/scan_s3.py --buckets 500 --repeat 3

What it does, in one process:

1. starts moto's ``ThreadedMotoServer`` on a free loopback port (in this process) and seeds N
   buckets with some variety: bucket policies (public and restricted), ACL grants, bucket Block
   Public Access, tags, ACLs disabled (``BucketOwnerEnforced``), websites, a few objects, a few
   access points, a few buckets in a second region;
2. runs Andon's collector once in-process to count its API calls per operation
   (``AwsClients.call_counts``) and checks that the floor makes the same calls;
3. alternates ``floor, andon, floor, andon ...`` as child processes, timed with
   ``time.perf_counter()`` around the child (interpreter start-up included for both), each
   child's own peak RSS and CPU time read with ``os.wait4``, and the HTTP requests each child
   sent counted at the server.

The *floor* is this same file run as ``python bench/scan_s3.py --floor URL --concurrency C
--sample S``: plain boto3, no Andon import, making exactly the calls the collector makes (see
``andon.collect.aws.s3.S3_OPERATIONS``) with the same botocore ``Config`` (adaptive retries,
same ``max_attempts``, pool of ``max(10, C)`` connections, path addressing), the same
``s3control`` host-prefix fix, and a pool of C worker threads, one bucket per task. It catches
the "configuration absent" error codes and throws every answer away.

*Andon* is the real command: ``andon scan --endpoint-url URL --db sqlite:///<tmp>/bench-N.db
--format json --output <tmp>/andon-N.json --concurrency C --object-acl-sample S`` (exit 1,
exposure found, is expected). Each Andon run gets a fresh database.

Prints buckets/s for both, the ratio (Andon's time / the floor's), and Andon's peak RSS; the
target is Andon within 1.3x of the floor. Exits 1 when the call counts differ or the target is
missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

TARGET_RATIO = 1.3
CALL_TOLERANCE = 3  # total calls the two sides may differ by before the run is declared invalid
HOME_REGION = "us-east-1"
SECOND_REGION = "eu-west-1"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": HOME_REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}

# The collector's constants, repeated here so that the floor never imports Andon.
MAX_ATTEMPTS = 8  # andon.core.context.Limits.max_attempts
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
LIST_BUCKETS_PAGE = 10_000
LIST_ACCESS_POINTS_PAGE = 1_000
ABSENT_CODES: dict[str, frozenset[str]] = {
    "GetBucketPolicy": frozenset({"NoSuchBucketPolicy"}),
    "GetPublicAccessBlock": frozenset({"NoSuchPublicAccessBlockConfiguration"}),
    "GetBucketOwnershipControls": frozenset({"OwnershipControlsNotFoundError"}),
    "GetBucketWebsite": frozenset({"NoSuchWebsiteConfiguration"}),
    "GetBucketTagging": frozenset({"NoSuchTagSet"}),
    "GetAccessPointPolicy": frozenset({"NoSuchAccessPointPolicy"}),
}


# -- the floor: a bare boto3 script ----------------------------------------------------------


class Floor:
    """The calls of ``collect_s3``, made with plain boto3 and nothing else."""

    def __init__(self, url: str, concurrency: int, sample: int) -> None:
        import boto3
        from botocore.config import Config

        self.url = url
        self.concurrency = concurrency
        self.sample = sample
        self.session = boto3.Session()
        self.home: str = self.session.region_name or HOME_REGION
        self.config = Config(
            retries={"mode": "adaptive", "max_attempts": MAX_ATTEMPTS},
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            max_pool_connections=max(10, concurrency),
            s3={"addressing_style": "path"},
        )
        self.lock = threading.Lock()
        self.clients: dict[tuple[str, str], Any] = {}
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.ap_locks: dict[str, threading.Lock] = {}
        self.ap_index: dict[str, dict[str, list[str]]] = {}
        self.account = ""

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self.lock:
            client = self.clients.get(key)
            if client is None:
                client = self.session.client(
                    service, region_name=region, endpoint_url=self.url, config=self.config
                )
                if service == "s3control":
                    client.meta.events.register("before-sign.s3-control", self._strip_account)
                self.clients[key] = client
            return client

    def _strip_account(self, request: Any, **_: Any) -> None:
        from urllib.parse import urlsplit

        netloc = urlsplit(self.url).netloc
        parts = urlsplit(request.url)
        if parts.netloc.endswith("." + netloc):
            request.url = parts._replace(netloc=netloc).geturl()

    def call(self, service: str, region: str, operation: str, method: str, **kw: Any) -> Any:
        """One call; None when the configuration is absent or the call failed."""
        from botocore.exceptions import BotoCoreError, ClientError

        with self.lock:
            self.calls[f"{service}:{operation}"] += 1
        try:
            return getattr(self.client(service, region), method)(**kw)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code") or "")
            if not code:  # moto's s3control answers <ErrorResponse><Errors><Error>
                nested = (exc.response.get("Errors") or {}).get("Error") or {}
                code = str(nested.get("Code") or "") if isinstance(nested, dict) else ""
            if code not in ABSENT_CODES.get(operation, ()):
                with self.lock:
                    self.errors[f"{operation}:{code}"] += 1
            return None
        except BotoCoreError as exc:
            with self.lock:
                self.errors[f"{operation}:{type(exc).__name__}"] += 1
            return None

    def run(self) -> int:
        identity = self.call("sts", self.home, "GetCallerIdentity", "get_caller_identity")
        self.account = str(identity["Account"])
        self.call(
            "s3control",
            self.home,
            "GetPublicAccessBlock",
            "get_public_access_block",
            AccountId=self.account,
        )
        entries: list[tuple[str, str | None]] = []
        args: dict[str, Any] = {"MaxBuckets": LIST_BUCKETS_PAGE}
        while True:
            page = self.call("s3", self.home, "ListBuckets", "list_buckets", **args)
            for bucket in page.get("Buckets") or []:
                entries.append((bucket["Name"], bucket.get("BucketRegion")))
            token = page.get("ContinuationToken")
            if not token:
                break
            args["ContinuationToken"] = token
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for _ in pool.map(self.bucket, entries):
                pass
        return len(entries)

    def access_points(self, region: str) -> dict[str, list[str]]:
        with self.lock:
            lock = self.ap_locks.setdefault(region, threading.Lock())
        with lock:
            if region not in self.ap_index:
                index: dict[str, list[str]] = {}
                args: dict[str, Any] = {
                    "AccountId": self.account,
                    "MaxResults": LIST_ACCESS_POINTS_PAGE,
                }
                while True:
                    page = self.call(
                        "s3control", region, "ListAccessPoints", "list_access_points", **args
                    )
                    if page is None:
                        break
                    for ap in page.get("AccessPointList") or []:
                        index.setdefault(ap["Bucket"], []).append(ap["Name"])
                    if not page.get("NextToken"):
                        break
                    args["NextToken"] = page["NextToken"]
                self.ap_index[region] = index
            return self.ap_index[region]

    def bucket(self, entry: tuple[str, str | None]) -> None:
        name, region = entry
        if region is None:
            location = self.call(
                "s3", self.home, "GetBucketLocation", "get_bucket_location", Bucket=name
            )
            constraint = (location or {}).get("LocationConstraint")
            region = {None: HOME_REGION, "": HOME_REGION, "EU": "eu-west-1"}.get(
                constraint, constraint
            )
        assert region is not None
        s3 = "s3"
        self.call(s3, region, "GetBucketTagging", "get_bucket_tagging", Bucket=name)
        self.call(s3, region, "GetBucketAcl", "get_bucket_acl", Bucket=name)
        self.call(s3, region, "GetBucketPolicy", "get_bucket_policy", Bucket=name)
        self.call(s3, region, "GetPublicAccessBlock", "get_public_access_block", Bucket=name)
        ownership = self.call(
            s3, region, "GetBucketOwnershipControls", "get_bucket_ownership_controls", Bucket=name
        )
        self.call(s3, region, "GetBucketWebsite", "get_bucket_website", Bucket=name)
        for ap in self.access_points(region).get(name, []):
            ctl = "s3control"
            self.call(
                ctl, region, "GetAccessPoint", "get_access_point", AccountId=self.account, Name=ap
            )
            self.call(
                ctl,
                region,
                "GetAccessPointPolicy",
                "get_access_point_policy",
                AccountId=self.account,
                Name=ap,
            )
        rules = ((ownership or {}).get("OwnershipControls") or {}).get("Rules") or [{}]
        if rules[0].get("ObjectOwnership") == "BucketOwnerEnforced" or self.sample <= 0:
            return
        listing = self.call(
            s3, region, "ListObjectsV2", "list_objects_v2", Bucket=name, MaxKeys=self.sample
        )
        keys = [o["Key"] for o in (listing or {}).get("Contents") or []]
        for key in keys[: self.sample]:
            self.call(s3, region, "GetObjectAcl", "get_object_acl", Bucket=name, Key=key)


def floor_main(url: str, concurrency: int, sample: int) -> int:
    floor = Floor(url, concurrency, sample)
    start = time.perf_counter()
    buckets = floor.run()
    seconds = time.perf_counter() - start
    report = {
        "buckets": buckets,
        "seconds": seconds,
        "calls": dict(floor.calls),
        "errors": dict(floor.errors),
    }
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


# -- the emulator and the estate -------------------------------------------------------------


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
    """moto's ThreadedMotoServer on 127.0.0.1, in this process, with a request counter."""

    def __init__(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        inner = self.server._server  # the werkzeug server; its handlers read .app per request
        assert inner is not None
        self.counter = CountingApp(inner.app)
        inner.app = self.counter
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.stop()


@dataclass(frozen=True)
class Estate:
    buckets: int
    counts: dict[str, int]
    seconds: float


def seed(url: str, n: int, *, seed_value: int = 7, workers: int = 16) -> Estate:
    """N buckets with some variety (deterministic for a given seed)."""
    from andon.demo.server import make_client

    clients = {
        region: (make_client("s3", url, region), make_client("s3control", url, region))
        for region in (HOME_REGION, SECOND_REGION)
    }
    account = make_client("sts", url, HOME_REGION).get_caller_identity()["Account"]
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def one(i: int) -> None:
        rng = random.Random(seed_value * 1_000_003 + i)
        name = f"andon-bench-{i:05d}"
        region = SECOND_REGION if rng.random() < 0.05 else HOME_REGION
        s3, _ = clients[region]
        kinds: list[str] = [region]
        if region == HOME_REGION:
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        roll = rng.random()
        if roll < 0.05:  # an ACL grant: ACLs must be enabled first
            s3.put_bucket_ownership_controls(
                Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
            )
            if rng.random() < 0.5:
                s3.put_bucket_acl(Bucket=name, ACL="public-read")
            else:
                s3.put_bucket_acl(Bucket=name, ACL="authenticated-read")
            kinds.append("acl-grant")
        elif roll < 0.30:  # the AWS default for new buckets since 2023: ACLs disabled
            s3.put_bucket_ownership_controls(
                Bucket=name,
                OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            )
            kinds.append("acls-disabled")
        if rng.random() < 0.10:
            public = rng.random() < 0.5
            principal: Any = "*" if public else {"AWS": f"arn:aws:iam::{account}:root"}
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": principal,
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{name}/*",
                    }
                ],
            }
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
            kinds.append("policy-public" if public else "policy-restricted")
        if rng.random() < 0.20:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": rng.random() < 0.8,
                },
            )
            kinds.append("bucket-bpa")
        if rng.random() < 0.30:
            s3.put_bucket_tagging(
                Bucket=name,
                Tagging={
                    "TagSet": [
                        {"Key": "team", "Value": rng.choice(["data", "web", "ml", "ops"])},
                        {"Key": "env", "Value": rng.choice(["prod", "staging", "dev"])},
                    ]
                },
            )
            kinds.append("tags")
        if rng.random() < 0.02:
            s3.put_bucket_website(
                Bucket=name, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}
            )
            kinds.append("website")
        if rng.random() < 0.02:
            for k in range(rng.randint(1, 3)):
                s3.put_object(Bucket=name, Key=f"data/part-{k}.csv", Body=b"a,b\n1,2\n")
            kinds.append("objects")
        with lock:
            counts.update(kinds)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(n)))
    # a few access points (ListAccessPoints is account-wide; each region lists them all)
    for j, i in enumerate(range(3, min(n, 300), 97)):
        name = f"andon-bench-{i:05d}"
        control = clients[HOME_REGION][1]
        control.create_access_point(AccountId=account, Name=f"ap-bench-{j}", Bucket=name)
        if j == 0:
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:{HOME_REGION}:{account}:accesspoint/"
                        f"ap-bench-{j}/object/*",
                    }
                ],
            }
            control.put_access_point_policy(
                AccountId=account, Name=f"ap-bench-{j}", Policy=json.dumps(policy)
            )
        counts["access-point"] += 1
    seconds = time.perf_counter() - start
    return Estate(n, dict(counts), seconds)


# -- counting Andon's calls ------------------------------------------------------------------


def andon_call_counts(url: str, concurrency: int, sample: int) -> tuple[dict[str, int], int, int]:
    """Run Andon's collector once in-process; ``({"service:Op": calls}, resources, gaps)``."""
    from andon.collect.aws.s3 import collect_s3
    from andon.collect.aws.transport import AwsClients
    from andon.core.context import AwsTarget, Context, Limits

    ctx = Context(
        aws=AwsTarget(endpoint_url=url),
        limits=Limits(concurrency=concurrency, object_acl_sample=sample),
    )
    resources = gaps = 0
    with AwsClients(ctx.aws, ctx.limits) as clients:
        for resource in collect_s3(ctx, clients):
            resources += 1
            gaps += len(resource.gaps)
        counts = {f"{s}:{op}": n for (s, op), n in clients.call_counts.items()}
    return counts, resources, gaps


def compare_calls(andon: dict[str, int], floor: dict[str, int]) -> bool:
    print("\nAPI calls per scan (operation: Andon in-process counting pass / bare boto3 floor)")
    for key in sorted(set(andon) | set(floor)):
        a, f = andon.get(key, 0), floor.get(key, 0)
        mark = "" if a == f else f"   <-- differs by {a - f:+d}"
        print(f"  {key:<38} {a:>8} {f:>8}{mark}")
    total_a, total_f = sum(andon.values()), sum(floor.values())
    ok = abs(total_a - total_f) <= CALL_TOLERANCE
    print(f"  {'total':<38} {total_a:>8} {total_f:>8}   {'OK' if ok else 'MISMATCH'}")
    return ok


# -- timed child runs ------------------------------------------------------------------------


@dataclass
class Run:
    side: str
    index: int
    wall: float  # perf_counter around the child process, start-up included
    inner: float | None  # the scan itself as the child measured it, start-up excluded
    cpu: float  # user + system CPU seconds of the child
    rss_mb: float  # the child's own peak RSS
    requests: int  # HTTP requests moto received during the run
    detail: dict[str, Any]


# A tiny launcher between this process and each measured child. On Linux a child's ru_maxrss
# starts from the RSS of the process that forked it (the high-water mark of the forked address
# space is carried into the child's rusage at exec), so forking from this process, which holds
# moto and the whole estate, would report this process's size for every child. The launcher
# is a bare interpreter of ~10 MB; it times its child and reports the child's own rusage.
LAUNCHER = """
import json, os, subprocess, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
child = subprocess.Popen(cmd)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as f:
    json.dump({"exit": os.waitstatus_to_exitcode(status), "wall": wall,
               "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}, f)
"""


@dataclass(frozen=True)
class ChildResult:
    exit: int
    wall: float  # perf_counter around the child, interpreter start-up included
    cpu: float  # user + system CPU seconds of the child alone
    rss_mb: float  # the child's own peak RSS
    requests: int  # HTTP requests moto received while it ran


def run_child(cmd: list[str], out: Path, err: Path, emulator: Emulator) -> ChildResult:
    """Run ``cmd`` (through :data:`LAUNCHER`) with stdout to ``out`` and stderr to ``err``."""
    report = out.with_suffix(out.suffix + ".rusage")
    before = emulator.counter.requests
    with out.open("wb") as stdout, err.open("wb") as stderr:
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(report), *cmd],
            stdout=stdout,
            stderr=stderr,
            env=os.environ.copy(),
            check=True,
        )
    requests = emulator.counter.requests - before
    usage = json.loads(report.read_text())
    return ChildResult(
        int(usage["exit"]),
        float(usage["wall"]),
        float(usage["cpu"]),
        int(usage["maxrss_kb"]) / 1024,
        requests,
    )


def run_floor(index: int, url: str, args: argparse.Namespace, tmp: Path, emulator: Emulator) -> Run:
    out, err = tmp / f"floor-{index}.out", tmp / f"floor-{index}.err"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--floor",
        url,
        "--concurrency",
        str(args.concurrency),
        "--sample",
        str(args.sample),
    ]
    child = run_child(cmd, out, err, emulator)
    if child.exit != 0:
        sys.exit(f"the floor failed (exit {child.exit}):\n{err.read_text()[-3000:]}")
    report = json.loads(out.read_text())
    return Run(
        "floor",
        index,
        child.wall,
        float(report["seconds"]),
        child.cpu,
        child.rss_mb,
        child.requests,
        report,
    )


def run_andon(index: int, url: str, args: argparse.Namespace, tmp: Path, emulator: Emulator) -> Run:
    out, err = tmp / f"andon-{index}.json", tmp / f"andon-{index}.err"
    andon = Path(sys.executable).parent / "andon"
    cmd = [
        str(andon),
        "scan",
        "--endpoint-url",
        url,
        "--db",
        f"sqlite:///{tmp / f'bench-{index}.db'}",
        "--format",
        "json",
        "--output",
        str(out),
        "--concurrency",
        str(args.concurrency),
        "--object-acl-sample",
        str(args.sample),
    ]
    child = run_child(cmd, tmp / f"andon-{index}.stdout", err, emulator)
    if child.exit not in (0, 1, 2):
        sys.exit(f"andon scan failed (exit {child.exit}):\n{err.read_text()[-3000:]}")
    report = json.loads(out.read_text())
    scan = report.get("scan") or {}
    inner = None
    if scan.get("started_at") and scan.get("finished_at"):
        started = datetime.fromisoformat(scan["started_at"])
        inner = (datetime.fromisoformat(scan["finished_at"]) - started).total_seconds()
    detail = {
        "exit": child.exit,
        "status": scan.get("status"),
        "resources": scan.get("resources"),
        "levels": scan.get("levels"),
        "gaps": len(report.get("gaps") or []),
        "findings": len(report.get("findings") or []),
    }
    return Run("andon", index, child.wall, inner, child.cpu, child.rss_mb, child.requests, detail)


def summarize(runs: list[Run]) -> tuple[float, float, float | None, float]:
    """``(best wall, median wall, best start-up-free time, median CPU)`` of one side."""
    walls = [r.wall for r in runs]
    inners = [r.inner for r in runs if r.inner is not None]
    cpu = statistics.median(r.cpu for r in runs)
    return min(walls), statistics.median(walls), min(inners) if inners else None, cpu


# -- main ------------------------------------------------------------------------------------


def bench(args: argparse.Namespace) -> int:
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(ENV)
    n, c, s = args.buckets, args.concurrency, args.sample
    print(
        f"Andon S3 scan benchmark: {n} buckets, concurrency {c}, object ACL sample {s}, "
        f"{args.repeat} runs per side, {os.cpu_count()} CPUs"
    )
    emulator = Emulator()
    try:
        url = emulator.url
        print(f"moto {_moto_version()} server at {url} (threads of this process)")
        estate = seed(url, n, workers=c)
        variety = ", ".join(f"{k} {v}" for k, v in sorted(estate.counts.items()))
        print(
            f"seeded {n} buckets in {estate.seconds:.1f} s ({n / estate.seconds:.0f}/s): {variety}"
        )
        andon_calls: dict[str, int] | None = None
        if not args.no_count_pass:
            t0 = time.perf_counter()
            andon_calls, resources, gaps = andon_call_counts(url, c, s)
            print(
                f"Andon counting pass (collector in-process, untimed): {resources} resources, "
                f"{gaps} gaps, {time.perf_counter() - t0:.1f} s"
            )
        with tempfile.TemporaryDirectory(prefix="andon-bench-") as tmpdir:
            tmp = Path(tmpdir)
            runs: list[Run] = []
            for i in range(1, args.repeat + 1):
                runs.append(run_floor(i, url, args, tmp, emulator))
                runs.append(run_andon(i, url, args, tmp, emulator))
    finally:
        emulator.stop()
    floors = [r for r in runs if r.side == "floor"]
    andons = [r for r in runs if r.side == "andon"]
    return report(args, runs, floors, andons, andon_calls)


def report(
    args: argparse.Namespace,
    runs: list[Run],
    floors: list[Run],
    andons: list[Run],
    andon_calls: dict[str, int] | None,
) -> int:
    n = args.buckets
    floor_calls: dict[str, int] = floors[0].detail["calls"]
    calls_ok = True
    if andon_calls is not None:
        calls_ok = compare_calls(andon_calls, floor_calls)
    if any(r.detail["calls"] != floor_calls for r in floors):
        print("  warning: the floor runs did not all make the same calls")
    if floors[0].detail["errors"]:
        print(f"  floor errors (other than 'absent'): {floors[0].detail['errors']}")
    requests = {r.requests for r in runs}
    if max(requests) - min(requests) > CALL_TOLERANCE:
        calls_ok = False
        print(f"  MISMATCH: HTTP requests per run differ: {sorted(requests)}")

    print("\nrun side    wall s  buckets/s  scan s*  CPU s  peak RSS MB  HTTP requests  outcome")
    for r in runs:
        inner = f"{r.inner:8.2f}" if r.inner is not None else "       -"
        if r.side == "andon":
            d = r.detail
            outcome = (
                f"exit {d['exit']}, {d['status']}, {d['resources']} resources, "
                f"{d['findings']} findings, {d['gaps']} gaps"
            )
        else:
            outcome = f"{r.detail['buckets']} buckets"
        print(
            f"{r.index:>3} {r.side:<6} {r.wall:7.2f} {n / r.wall:10.1f} {inner} "
            f"{r.cpu:6.1f} {r.rss_mb:12.1f} {r.requests:14d}  {outcome}"
        )
    print("  * scan s: the scan as the child timed it (interpreter start-up, imports, store")
    print("    opening and report writing excluded)")

    f_best, f_median, f_inner, f_cpu = summarize(floors)
    a_best, a_median, a_inner, a_cpu = summarize(andons)
    ratio = a_best / f_best
    met = ratio <= TARGET_RATIO
    print()
    print(
        f"API floor (bare boto3): {n / f_best:7.1f} buckets/s  "
        f"(best {f_best:.2f} s, median {f_median:.2f} s)"
    )
    print(
        f"andon scan:             {n / a_best:7.1f} buckets/s  "
        f"(best {a_best:.2f} s, median {a_median:.2f} s)"
    )
    print(
        f"ratio andon/floor (time, start-up included): {ratio:.2f}x  "
        f"(median {a_median / f_median:.2f}x; target <= {TARGET_RATIO}x: "
        f"{'MET' if met else 'MISSED'})"
    )
    if f_inner and a_inner:
        print(
            f"ratio without start-up (scan s, best): {a_inner / f_inner:.2f}x  "
            f"({n / f_inner:.1f} vs {n / a_inner:.1f} buckets/s)"
        )
    print(
        f"client CPU per scan (median): andon {a_cpu:.1f} s, floor {f_cpu:.1f} s "
        f"({a_cpu / f_cpu:.2f}x; the emulator's CPU is in neither)"
    )
    print(
        f"Andon peak RSS: {max(r.rss_mb for r in andons):.1f} MB "
        f"(floor: {max(r.rss_mb for r in floors):.1f} MB)"
    )
    print(f"HTTP requests per run: floor {floors[0].requests}, andon {andons[0].requests}")
    if not calls_ok:
        print(
            "\nFAIL: Andon and the floor do not make the same API calls; the comparison is void.",
            file=sys.stderr,
        )
        return 1
    if not met:
        print(f"\nFAIL: Andon is slower than {TARGET_RATIO}x the API floor.", file=sys.stderr)
        return 1
    return 0


def _moto_version() -> str:
    import moto

    return str(moto.__version__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--buckets", type=int, default=2000, help="buckets to seed (2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="workers, both sides (16)")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per side (2)")
    parser.add_argument("--sample", type=int, default=20, help="object ACL sample (20)")
    parser.add_argument(
        "--no-count-pass",
        action="store_true",
        help="skip the in-process per-operation call count of Andon (saves one scan's time; "
        "the HTTP request totals of every run are still compared)",
    )
    parser.add_argument("--floor", metavar="URL", help="internal: run the bare boto3 floor")
    args = parser.parse_args(argv)
    if args.floor:
        return floor_main(args.floor, args.concurrency, args.sample)
    if args.buckets < 1 or args.concurrency < 1 or args.repeat < 1:
        parser.error("--buckets, --concurrency and --repeat must be at least 1")
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
