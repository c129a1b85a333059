"""Benchmark: ``andon watch`` from event enqueue to alert delivered, on moto's server.

Run by hand (it is not a test)::

    .venv/bin/python bench/watch_latency.py                  # 1,000 events at 100/s
    .venv/bin/python bench/watch_latency.py --events 300 --rate 50 --db postgresql://...

What it does (everything over HTTP on loopback; moto's server runs in its OWN process, so
the bench, the daemon and moto never share a GIL):

1. starts moto's server, creates the queue and N buckets, each made public through a bucket
   policy (a real ``PutBucketPolicy`` through the API: the change);
2. **floor**: the bare API calls any re-read of those N buckets needs, made directly with boto3
   at the daemon's concurrency (GetBucketLocation, GetBucketTagging, GetBucketAcl,
   GetBucketPolicy, GetPublicAccessBlock, GetBucketOwnershipControls, GetBucketWebsite,
   ListObjectsV2 per bucket), plus receiving and deleting N messages from a scratch queue in
   batches of 10. Andon's figures are printed as ratios against it (as ``scan_s3.py`` does);
3. **throughput phase**: N CloudTrail-shaped ``PutBucketPolicy`` events (the documented
   EventBridge shape) are put on the queue *before* the daemon starts (moto's SQS accepts
   only so many messages per second, and enqueueing is not what is measured); then a webhook
   receiver on loopback (a thread here) and ``andon watch`` as a real process (its own SQLite
   store unless ``--db``; sweeps off; the webhook its one apprise ``json://`` channel) start.
   The clock starts when the daemon logs ``started``; events/s = N / (last ``opened`` alert
   delivered - start);
4. **latency phase**: the N policies are removed through the API, then N
   ``DeleteBucketPolicy`` events are enqueued at a steady ``--rate`` (batches of up to 10 per
   SendMessageBatch call); latency = time the webhook received the bucket's ``resolved``
   alert - time just before its event's SendMessageBatch call. Prints p50/p95/p99.

Targets: p95 under 1 s, at least 100 events/s. Exits 1 when an alert is missing or
duplicated.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
BUCKET = re.compile(r"bench-\d{5}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """Webhook on loopback: first delivery time per (bucket, kind), and a count of all."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, str], float] = {}
        self.count: dict[tuple[str, str], int] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                now = time.monotonic()
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                text = raw.decode("utf-8", "replace")
                kind = "resolved" if "resolved" in text.lower() else "opened"
                with outer.lock:
                    for bucket in set(BUCKET.findall(text)):
                        key = (bucket, kind)
                        outer.first.setdefault(key, now)
                        outer.count[key] = outer.count.get(key, 0) + 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered(self, kind: str) -> int:
        with self.lock:
            return sum(1 for k in self.first if k[1] == kind)


def event(name: str, bucket: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    detail = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/bench",
            "accountId": ACCOUNT,
        },
        "eventTime": now,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "bench",
        "requestParameters": {"bucketName": bucket},
        "responseElements": None,
        "eventID": str(uuid.uuid4()),
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.s3",
            "account": ACCOUNT,
            "time": now,
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
    )


def policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


FLOOR_CALLS = (
    "get_bucket_location",
    "get_bucket_tagging",
    "get_bucket_acl",
    "get_bucket_policy",
    "get_public_access_block",
    "get_bucket_ownership_controls",
    "get_bucket_website",
)


def floor(s3: Any, sqs: Any, buckets: list[str], workers: int) -> tuple[float, float, int]:
    """Seconds for the bare re-read calls of ``buckets`` and for receiving + deleting as many
    messages; and the number of S3 calls made."""
    from botocore.exceptions import ClientError

    def reread(bucket: str) -> None:
        for op in FLOOR_CALLS:
            with contextlib.suppress(ClientError):  # "no such configuration" is an answer too
                getattr(s3, op)(Bucket=bucket)
        s3.list_objects_v2(Bucket=bucket, MaxKeys=1000)

    t = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(reread, buckets))
    reads = time.monotonic() - t
    scratch = sqs.create_queue(QueueName="andon-bench-floor")["QueueUrl"]
    body = event("PutBucketPolicy", buckets[0])
    for i in range(0, len(buckets), 10):
        n = min(10, len(buckets) - i)
        entries = [{"Id": str(k), "MessageBody": body} for k in range(n)]
        sqs.send_message_batch(QueueUrl=scratch, Entries=entries)
    t = time.monotonic()
    got = 0
    while got < len(buckets):
        msgs = sqs.receive_message(QueueUrl=scratch, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not msgs:
            break
        got += len(msgs)
        sqs.delete_message_batch(
            QueueUrl=scratch,
            Entries=[
                {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(msgs)
            ],
        )
    queue_ops = time.monotonic() - t
    return reads, queue_ops, len(buckets) * (len(FLOOR_CALLS) + 1)


def send_events(sqs: Any, queue: str, name: str, buckets: list[str]) -> float:
    """Put one event per bucket on the queue, batches of 10; the time just before the call."""
    now = time.monotonic()
    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": str(n), "MessageBody": event(name, b)} for n, b in enumerate(buckets)],
    )
    return now


def wait_for(hook: Receiver, kind: str, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while hook.delivered(kind) < n and time.monotonic() < deadline:
        time.sleep(0.02)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=100.0, help="latency phase: events per second")
    ap.add_argument("--db", default=None, help="store URL (default: a temporary SQLite file)")
    ap.add_argument("--window", default="100ms", help="coalesce window")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--concurrency", type=int, default=16, help="floor's and daemon's workers")
    ap.add_argument("--no-latency", action="store_true", help="only the throughput phase")
    args = ap.parse_args()

    import boto3
    from botocore.config import Config

    tmp = Path(tempfile.mkdtemp(prefix="andon-watch-bench-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    daemon: subprocess.Popen[str] | None = None
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        os.environ.update(ENV)
        cfg = Config(max_pool_connections=max(10, args.concurrency))
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", config=cfg)
        sqs = boto3.client("sqs", endpoint_url=url, region_name="us-east-1", config=cfg)
        queue = sqs.create_queue(QueueName="andon-watch")["QueueUrl"]
        buckets = [f"bench-{i:05d}" for i in range(args.events)]
        n = len(buckets)
        t = time.monotonic()

        def seed(name: str) -> None:
            s3.create_bucket(Bucket=name)
            s3.put_bucket_policy(Bucket=name, Policy=policy(name))

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(seed, buckets))
        print(f"seeded {n} public buckets in {time.monotonic() - t:.1f} s", flush=True)

        reads, queue_ops, calls = floor(s3, sqs, buckets, args.concurrency)
        floor_s = reads + queue_ops
        print(
            f"floor: {calls} bare S3 re-read calls in {reads:.2f} s ({calls / reads:.0f} calls/s, "
            f"{args.concurrency} threads) + receive/delete {n} messages in {queue_ops:.2f} s "
            f"= {floor_s:.2f} s: at most {n / floor_s:.0f} events/s on this moto",
            flush=True,
        )

        t = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            list(
                pool.map(
                    lambda i: send_events(sqs, queue, "PutBucketPolicy", buckets[i : i + 10]),
                    range(0, n, 10),
                )
            )
        enq = time.monotonic() - t
        print(f"enqueued {n} events before the daemon started: {n / enq:.0f} events/s into SQS")

        hook = Receiver()
        config = tmp / "andon.toml"
        config.write_text(
            "\n".join(
                [
                    'regions = ["us-east-1"]',
                    'services = ["s3"]',
                    "[watch]",
                    f'queue_url = "{queue}"',
                    "wait_time = 1",
                    f'coalesce_window = "{args.window}"',
                    "sweep_interval = 0",
                    "metrics = false",
                    "[alerts]",
                    'reminder_after = "off"',
                    "[alerts.channels]",
                    f'hook = "json://127.0.0.1:{hook.port}/bench"',
                ]
            )
            + "\n"
        )
        db = args.db or f"sqlite:///{tmp / 'watch.db'}"
        andon = str(Path(sys.executable).parent / "andon")
        log = open(tmp / "daemon.log", "w")  # noqa: SIM115
        daemon = subprocess.Popen(
            [
                andon,
                "watch",
                "--config",
                str(config),
                "--db",
                db,
                "--endpoint-url",
                url,
                "--concurrency",
                str(args.concurrency),
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env={**os.environ, **ENV},
            text=True,
        )
        deadline = time.monotonic() + 60
        while "started" not in (tmp / "daemon.log").read_text():
            if time.monotonic() > deadline or daemon.poll() is not None:
                print("the daemon did not start; see", tmp / "daemon.log")
                return 1
            time.sleep(0.02)

        # Throughput phase: the queue holds N events when the daemon is ready.
        start = time.monotonic()
        wait_for(hook, "opened", n, args.timeout)
        with hook.lock:
            opened = [hook.first[(b, "opened")] for b in buckets if (b, "opened") in hook.first]
        took = (max(opened) if opened else start) - start
        rate = len(opened) / max(1e-9, took)
        print(
            f"throughput: {len(opened)}/{n} opened alerts in {took:.1f} s = {rate:.0f} events/s "
            f"(floor {n / floor_s:.0f}/s; Andon takes {took / floor_s:.1f}x the floor)",
            flush=True,
        )

        # Latency phase: a steady rate of events, each after its change.
        latencies: list[float] = []
        if not args.no_latency:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda b: s3.delete_bucket_policy(Bucket=b), buckets))
            enqueued: dict[str, float] = {}
            group = max(1, min(10, round(args.rate / 10)))
            step = group / args.rate
            start = time.monotonic()
            for k, i in enumerate(range(0, n, group)):
                target = start + k * step
                if (wait := target - time.monotonic()) > 0:
                    time.sleep(wait)
                chunk = buckets[i : i + group]
                at = send_events(sqs, queue, "DeleteBucketPolicy", chunk)
                for b in chunk:
                    enqueued[b] = at
            sent = time.monotonic() - start
            wait_for(hook, "resolved", n, args.timeout)
            with hook.lock:
                latencies = [
                    hook.first[(b, "resolved")] - enqueued[b]
                    for b in buckets
                    if (b, "resolved") in hook.first
                ]
            print(
                f"latency: {n} events paced at {args.rate:.0f}/s (enqueued in {sent:.1f} s, "
                f"{n / sent:.0f}/s reached)",
                flush=True,
            )
            if latencies:
                print(
                    "enqueue -> alert delivered: "
                    f"p50 {statistics.median(latencies):.3f} s, p95 {pct(latencies, 95):.3f} s, "
                    f"p99 {pct(latencies, 99):.3f} s, max {max(latencies):.3f} s "
                    f"({len(latencies)}/{n} alerts)"
                )

        with hook.lock:
            duplicates = sum(1 for c in hook.count.values() if c > 1)
        print(f"duplicated alerts: {duplicates}")
        ok = len(opened) == n and duplicates == 0
        ok = ok and (args.no_latency or len(latencies) == n)
        p95 = pct(latencies, 95) if latencies else float("inf")
        print(
            f"targets: p95 < 1 s: {'met' if p95 < 1 else 'missed'}; "
            f">= 100 events/s: {'met' if rate >= 100 else 'missed'}"
        )
        print(f"daemon log: {tmp / 'daemon.log'}")
        return 0 if ok else 1
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
        moto.kill()
        moto.wait()


if __name__ == "__main__":
    sys.exit(main())
