"""Benchmark: streaming S3 server access logs through ``andon investigate``'s reader, with a
flat memory, on moto's server.

Run by hand (it is not a test)::

    .venv/bin/python bench/investigate_logs.py                    # 8 files x 100,000 records
    .venv/bin/python bench/investigate_logs.py --files 4 --records 50000

It starts moto's ``ThreadedMotoServer`` on a free loopback port, writes N log files of M
records each (documented format, a mix of anonymous, foreign and own requests, other buckets'
records mixed in) into a log bucket, then in a child process (so its peak RSS is its own)
reads them all with :func:`andon.investigate.s3logs.read_access_logs` into the streaming
totals of :class:`andon.investigate.access.OutsideAccess`. It prints the records per second
and the child's peak RSS next to the total size of the logs: flat memory means the RSS does not
grow with the number or the size of the files.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(url: str, bucket: str) -> None:
    """Read the logs; the peak RSS is sampled every 20 ms (``ru_maxrss`` would carry the
    forking parent's peak across exec on Linux)."""
    import threading

    from andon.collect.aws.transport import AwsClients
    from andon.core.context import AwsTarget, Limits
    from andon.investigate.access import OutsideAccess, requester_kind
    from andon.investigate.s3io import S3Location
    from andon.investigate.s3logs import read_access_logs

    out = OutsideAccess(None, None)
    with AwsClients(AwsTarget(endpoint_url=url), Limits()) as clients:  # warm the imports
        clients.call(clients.client("s3"), "ListBuckets")
    base = _rss_mib()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with AwsClients(AwsTarget(endpoint_url=url), Limits()) as clients:
        report = read_access_logs(
            clients,
            S3Location(bucket, "logs/"),
            "exposed",
            lambda r: out.add_record(r, requester_kind(r.requester, r.bucket_owner, "1" * 12)),
        )
    took = time.perf_counter() - started
    done.set()
    sampler.join()
    rss = peak[0]
    print(
        f"read {report.files_read} files, {report.lines:,} lines, {report.records:,} records of "
        f"the bucket ({report.other_buckets:,} of others, {report.malformed} malformed) in "
        f"{took:.1f} s = {report.lines / took:,.0f} lines/s; outside requests "
        f"{out.requests:,}, distinct IPs {len(out.ips):,}; peak RSS {rss:.0f} MiB "
        f"({base:.0f} MiB before reading)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--child", nargs=2, metavar=("URL", "BUCKET"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from tests.investigate.builders import FOREIGN, OWNER_CANONICAL, log_line

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        s3 = boto3.client("s3", endpoint_url=url)
        s3.create_bucket(Bucket="logs-bucket")
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        total = 0
        who = ["-", OWNER_CANONICAL, f"arn:aws:iam::{FOREIGN}:user/x"]
        for f in range(args.files):
            lines = []
            for i in range(args.records):
                n = f * args.records + i
                lines.append(
                    log_line(
                        "exposed" if n % 10 else "other",
                        t0 + timedelta(seconds=n),
                        requester=who[n % 3],
                        ip=f"198.51.{n % 200}.{n % 250}",
                        key=f"data/{n % 5000}.csv",
                    )
                )
            body = ("\n".join(lines) + "\n").encode()
            total += len(body)
            key = f"logs/2026-01-0{1 + f % 9}-00-00-00-{f:016X}"
            s3.put_object(Bucket="logs-bucket", Key=key, Body=body)
        print(f"{args.files} log files, {total / 2**20:,.0f} MiB in all")
        subprocess.run(
            [sys.executable, __file__, "--child", url, "logs-bucket"], check=True, env=os.environ
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
